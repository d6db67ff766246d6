// Every kernel family of the raw addon (native/binding/*.cc) driven with deterministic inputs:
// shared by the RSS children, the worker_threads test and its single-threaded reference.
// Plain CommonJS so worker_threads and `node --expose-gc` children load it without a transform.
'use strict';

function rng(seed) {
  let s = (seed >>> 0) || 0x9e3779b9;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

function randf(n, seed, lo = -1, hi = 1) {
  const r = rng(seed), out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

function randi8(n, seed) {
  const r = rng(seed), out = new Int8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(r() * 256) - 128;
  return out;
}

function randu8(n, seed) {
  const r = rng(seed), out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(r() * 256);
  return out;
}

// Dense [rows x cols] with about `density` of its entries non-zero.
function sparseDense(rows, cols, density, seed) {
  const r = rng(seed), out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) if (r() < density) out[i] = r() * 2 - 1;
  return out;
}

function csr(A, dense, rows, cols) {
  const rowPtr = new Int32Array(rows + 1);
  const nnz = A.csrCount(dense, null, rows, cols, 0, rowPtr);
  const colIdx = new Int32Array(nnz), values = new Float32Array(nnz);
  A.csrFill(dense, null, rows, cols, 0, rowPtr, colIdx, values);
  return { rowPtr, colIdx, values, nnz };
}

// ---- tiny-shape callers for the leak runs: `sync(i)` makes one call (rotating over the
// family's functions), `async(i)` returns one pending Promise (families with an async form).
// Each checks its answer against a value computed here in JS, so a broken call is noticed.

function tinyFamilies(A) {
  const fam = {};

  {
    const a = randf(4 * 3, 1), b = randf(3 * 5, 2), bias = randf(5, 3);
    const ref = new Float32Array(20);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 5; j++) {
      let s = bias[j];
      for (let p = 0; p < 3; p++) s += a[i * 3 + p] * b[p * 5 + j];
      ref[i * 5 + j] = s;
    }
    const check = (c) => {
      for (let i = 0; i < 20; i++) if (Math.abs(c[i] - ref[i]) > 1e-5) throw new Error(`sgemm: out[${i}] = ${c[i]}, expected ${ref[i]}`);
    };
    fam.sgemm = {
      sync(i) {
        const c = new Float32Array(20);
        A.sgemm(a, b, c, bias, 4, 5, 3, 3, 5, 5, false, false, 1, 0, false);
        if (i % 1024 === 0) check(c);
      },
      async(i) {
        return A.sgemmAsync(a, b, new Float32Array(20), bias, 4, 5, 3, 3, 5, 5, false, false, 1, 0, false).then((c) => { if (i % 64 === 0) check(c); });
      },
    };
  }

  {
    const n = 3, k = 4, m = 2;
    const w = randi8(n * k, 4), x = randu8(m * k, 5);
    const aScale = 0.05, aZp = 128, wScale = 0.02;
    const packed = A.qgemmPack(w, n, k, new Int32Array([0]), false);
    const ref = new Float32Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) acc += (x[i * k + p] - aZp) * w[j * k + p];
      ref[i * n + j] = acc * aScale * wScale;
    }
    const check = (y) => {
      for (let i = 0; i < m * n; i++) if (Math.abs(y[i] - ref[i]) > 1e-5) throw new Error(`qgemm: out[${i}] = ${y[i]}, expected ${ref[i]}`);
    };
    const as = new Float32Array([aScale]), az = new Int32Array([aZp]), ws = new Float32Array([wScale]);
    const xf = new Float32Array([0.5, -1.25, 3, 0.1]), qs = new Float32Array([0.25]), qz = new Int32Array([10]);
    fam.qgemm = {
      sync(i) {
        switch (i % 8) {
          case 0: { // packing allocates native memory that only GC frees
            const p = A.qgemmPack(w, n, k, new Int32Array([0]), false);
            if (p.byteLength <= 0) throw new Error('qgemmPack: empty');
            break;
          }
          case 1: {
            const q = A.quantize(xf, 1, 1, 4, qs, qz, new Uint8Array(4));
            if (q[0] !== 12 || q[1] !== 5 || q[2] !== 22 || q[3] !== 10) throw new Error(`quantize: ${Array.from(q)}`);
            break;
          }
          case 2: {
            const d = A.dequantize(new Uint8Array([12, 5, 22, 10]), 1, 1, 4, qs, qz, new Float32Array(4));
            if (d[0] !== 0.5 || d[1] !== -1.25 || d[2] !== 3 || d[3] !== 0) throw new Error(`dequantize: ${Array.from(d)}`);
            break;
          }
          case 3: {
            const sc = new Float32Array(1), zp = new Int32Array(1), q = new Uint8Array(4);
            A.quantizeDynamic(xf, 1, 4, 1, 0, 255, q, sc, zp);
            if (!(sc[0] > 0) || q[2] !== 255) throw new Error(`quantizeDynamic: ${sc[0]} ${Array.from(q)}`);
            break;
          }
          default: {
            const y = A.qgemm(x, m, k, packed, as, az, ws, null, false, new Float32Array(m * n), n, 1, 0);
            if (i % 1024 === 4) check(y);
          }
        }
      },
      async(i) {
        return A.qgemmAsync(x, m, k, packed, as, az, ws, null, false, new Float32Array(m * n), n, 1, 0).then((y) => { if (i % 64 === 0) check(y); });
      },
    };
  }

  {
    const rows = 4, cols = 6, m = 2;
    const dense = sparseDense(rows, cols, 0.5, 6);
    const x = randf(m * cols, 7);
    const c = csr(A, dense, rows, cols);
    const packed = A.csrPack(rows, cols, c.rowPtr, c.colIdx, c.values, null, null);
    const ref = new Float32Array(m * rows);
    for (let i = 0; i < m; i++) for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let p = 0; p < cols; p++) s += x[i * cols + p] * dense[r * cols + p];
      ref[i * rows + r] = s;
    }
    const check = (y) => {
      for (let i = 0; i < ref.length; i++) if (Math.abs(y[i] - ref[i]) > 1e-5) throw new Error(`spmm: out[${i}] = ${y[i]}, expected ${ref[i]}`);
    };
    fam.sparse = {
      sync(i) {
        switch (i % 8) {
          case 0: {
            const rp = new Int32Array(rows + 1);
            if (A.csrCount(dense, null, rows, cols, 0, rp) !== c.nnz) throw new Error('csrCount');
            break;
          }
          case 1: {
            const ci = new Int32Array(c.nnz), v = new Float32Array(c.nnz);
            A.csrFill(dense, null, rows, cols, 0, c.rowPtr, ci, v);
            if (v[0] !== c.values[0]) throw new Error('csrFill');
            break;
          }
          case 2: { // packing allocates native memory that only GC frees
            const p = A.csrPack(rows, cols, c.rowPtr, c.colIdx, c.values, null, null);
            if (p.rows !== rows) throw new Error('csrPack');
            break;
          }
          default: {
            const y = A.spmm(packed, x, new Float32Array(m * rows), null, m, false);
            if (i % 1024 === 3) check(y);
          }
        }
      },
      async(i) {
        return A.spmmAsync(packed, x, new Float32Array(m * rows), null, m, false).then((y) => { if (i % 64 === 0) check(y); });
      },
    };
  }

  {
    const n = 3, ch = 2, l = 2;
    const x = randf(n * ch * l, 8), scale = new Float32Array([2, 0.5]), shift = new Float32Array([1, -1]);
    const mean = new Float32Array([0.25, -0.5]);
    const ref = new Float32Array(x.length);
    for (let b = 0; b < n; b++) for (let j = 0; j < ch; j++) for (let t = 0; t < l; t++) {
      const idx = (b * ch + j) * l + t;
      ref[idx] = (x[idx] - mean[j]) * scale[j] + shift[j];
    }
    const check = (y) => {
      for (let i = 0; i < ref.length; i++) if (Math.abs(y[i] - ref[i]) > 1e-5) throw new Error(`batchnormApply: out[${i}] = ${y[i]}, expected ${ref[i]}`);
    };
    fam.batchnorm = {
      sync(i) {
        switch (i % 4) {
          case 0: {
            const mu = new Float32Array(ch), v = new Float32Array(ch), is = new Float32Array(ch);
            A.batchnormTrain(x, new Float32Array(x.length), null, null, n, ch, l, 1e-5, false, mu, v, is);
            if (!(is[0] > 0)) throw new Error('batchnormTrain');
            break;
          }
          case 1: {
            const gi = new Float32Array(x.length), gw = new Float32Array(ch), gb = new Float32Array(ch);
            A.batchnormBackward(x, x, mean, scale, scale, n, ch, l, false, gi, gw, gb);
            if (!Number.isFinite(gi[0])) throw new Error('batchnormBackward');
            break;
          }
          default: {
            const y = A.batchnormApply(x, new Float32Array(x.length), mean, scale, shift, n, ch, l, false);
            if (i % 1024 === 2) check(y);
          }
        }
      },
      async(i) {
        return A.batchnormApplyAsync(x, new Float32Array(x.length), mean, scale, shift, n, ch, l, false).then((y) => { if (i % 64 === 0) check(y); });
      },
    };
  }

  {
    const values = new Float32Array([0.5, -3, 2, -0.25, 1, 4, -1.5, 0.75]);
    // magnitudes sorted: 0.25 0.5 0.75 1 1.5 2 3 4
    fam.select = {
      sync(i) {
        if (i % 2 === 0) {
          const r = A.kthSmallestMagnitude(values, 2, null); // k counts from 0
          if (r.value !== 0.75 || r.less !== 2) throw new Error(`kthSmallestMagnitude: ${JSON.stringify(r)}`);
        } else {
          const mask = new Uint8Array(8).fill(1);
          A.magnitudePruneMask(values, mask, 1, 0);
          if (mask[0] !== 0 || mask[1] !== 1 || mask[4] !== 1) throw new Error(`magnitudePruneMask: ${Array.from(mask)}`);
        }
      },
      async() {
        return A.kthSmallestMagnitudeAsync(values, 4, null).then((r) => {
          if (r.value !== 1.5 || r.less !== 4) throw new Error(`kthSmallestMagnitudeAsync: ${JSON.stringify(r)}`);
        });
      },
    };
  }

  {
    const len = 8;
    const grad = randf(len, 9);
    fam.optim = {
      sync(i) {
        const p = new Float32Array(len).fill(1);
        if (i % 2 === 0) {
          // one Adam step from zero state with lr 0.1: p - 0.1 * g / (|g| + eps) = 1 - 0.1 * sign(g)
          A.adamUpdate(p, grad, new Float32Array(len), new Float32Array(len), null, 0.9, 0.1, 0.999, 0.001, 1e-8,
            -0.1 / 0.1, 1 / Math.sqrt(0.001), 0, 1, false, false);
          if (i % 1024 === 0) for (let j = 0; j < len; j++) if (Math.abs(p[j] - (1 - 0.1 * Math.sign(grad[j]))) > 1e-4) throw new Error(`adamUpdate: ${p[j]}`);
        } else {
          A.rmspropUpdate(p, grad, new Float32Array(len), null, null, 0.99, 0.01, 1e-8, 0, 0, -0.01, false);
          if (i % 1024 === 1) for (let j = 0; j < len; j++) if (Math.abs(p[j] - (1 - 0.1 * Math.sign(grad[j]))) > 1e-4) throw new Error(`rmspropUpdate: ${p[j]}`);
        }
      },
    };
  }
  return fam;
}

// ---- mixed kernels at shapes that use the thread pool, for the worker_threads test.
// Returns named result arrays; the same seed gives the same inputs in every thread.
async function mixedKernels(A, seed) {
  const out = {};
  {
    const m = 72, k = 150, n = 96;
    const a = randf(m * k, seed * 10 + 1), b = randf(k * n, seed * 10 + 2), bias = randf(n, seed * 10 + 3);
    out.sgemm = A.sgemm(a, b, new Float32Array(m * n), bias, m, n, k, k, n, n, false, false, 1, 0, true);
    out.sgemmAsync = await A.sgemmAsync(b, a, new Float32Array(n * m), null, n, m, k, n, k, m, true, true, 0.5, 0, false);
  }
  {
    const m = 40, k = 200, n = 64;
    const w = randi8(n * k, seed * 10 + 4), x = randu8(m * k, seed * 10 + 5);
    const packed = A.qgemmPack(w, n, k, new Int32Array(n), true);
    const ws = randf(n, seed * 10 + 6, 0.001, 0.01);
    const as = new Float32Array([0.03]), az = new Int32Array([120]);
    out.qgemmI32 = A.qgemm(x, m, k, packed, as, az, ws, null, false, new Int32Array(m * n), n, 1, 0);
    out.qgemmU8 = await A.qgemmAsync(x, m, k, packed, as, az, ws, randf(n, seed * 10 + 7), true, new Uint8Array(m * n), n, 0.05, 3);
    const xf = randf(m * k, seed * 10 + 8, -3, 3);
    const q = new Int8Array(m * k), sc = new Float32Array(m), zp = new Int32Array(m);
    A.quantizeDynamic(xf, m, k, 1, -128, 127, q, sc, zp);
    out.quantizeDynamic = q;
    out.dequantize = A.dequantize(q, m, 1, k, new Float32Array([0.02]), new Int32Array([0]), new Float32Array(m * k));
  }
  {
    const rows = 120, cols = 160, m = 24;
    const dense = sparseDense(rows, cols, 0.2, seed * 10 + 9);
    const c = csr(A, dense, rows, cols);
    const packed = A.csrPack(rows, cols, c.rowPtr, c.colIdx, c.values, null, null);
    const x = randf(m * cols, seed * 10 + 10);
    out.spmm = A.spmm(packed, x, new Float32Array(m * rows), null, m, false);
    out.spmmAsync = await A.spmmAsync(packed, x, new Float32Array(m * rows), randf(rows, seed), m, true);
  }
  {
    const n = 64, ch = 48, l = 6;
    const x = randf(n * ch * l, seed * 10 + 11, -2, 2);
    const mean = new Float32Array(ch), variance = new Float32Array(ch), invstd = new Float32Array(ch);
    const y = new Float32Array(x.length);
    A.batchnormTrain(x, y, randf(ch, seed), randf(ch, seed + 1), n, ch, l, 1e-5, true, mean, variance, invstd);
    out.batchnormTrain = y;
    out.batchnormMean = mean;
    out.batchnormInvstd = invstd;
    out.batchnormApply = await A.batchnormApplyAsync(x, new Float32Array(x.length), mean, invstd, randf(ch, seed + 2), n, ch, l, false);
    const gi = new Float32Array(x.length);
    A.batchnormBackward(x, randf(x.length, seed + 3), mean, invstd, null, n, ch, l, true, gi, null, null);
    out.batchnormBackward = gi;
  }
  {
    const v = randf(60000, seed * 10 + 12);
    const r = A.kthSmallestMagnitude(v, 12345, null);
    const ra = await A.kthSmallestMagnitudeAsync(v, 40000, null);
    out.kth = new Float32Array([r.value, r.less, ra.value, ra.less]);
    const mask = new Uint8Array(v.length).fill(1);
    A.magnitudePruneMask(v, mask, r.value, 0);
    out.pruneMask = mask;
  }
  {
    const len = 30000;
    const p = randf(len, seed * 10 + 13), g = randf(len, seed * 10 + 14);
    const m1 = new Float32Array(len), v1 = new Float32Array(len);
    for (let step = 1; step <= 3; step++) {
      A.adamUpdate(p, g, m1, v1, null, 0.9, 0.1, 0.999, 0.001, 1e-8, -0.001 / (1 - 0.9 ** step),
        1 / Math.sqrt(1 - 0.999 ** step), 0.01, 1 - 0.001 * 0.01, true, false);
    }
    out.adam = p;
    const p2 = randf(len, seed * 10 + 15), sq = new Float32Array(len);
    A.rmspropUpdate(p2, g, sq, null, null, 0.99, 0.01, 1e-8, 0, 0, -0.01, false);
    out.rmsprop = p2;
  }
  return out;
}

module.exports = { tinyFamilies, mixedKernels, randf };
