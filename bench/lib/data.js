'use strict';
// Inputs and result checks shared by the JS trials (nnslim, onnxruntime). Pure functions.

/** Float32Array of `n` values uniform in [-1, 1) from a 32-bit generator (mulberry32) seeded with `seed` (deterministic). */
function uniform(n, seed) {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = ((t ^ (t >>> 14)) >>> 8) / 8388608 - 1; // 24 bits: exact in float32, never 1
  }
  return out;
}

/** Row-major [rows x cols] -> row-major [cols x rows]. */
function transpose(src, rows, cols) {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c];
  }
  return out;
}

/**
 * Largest error of Y[M x N] = X[M x K] * W[N x K]^T over 16 sampled entries, each relative to
 * sum_p |x_ip * w_jp| (so it is ~1e-7 for a correct float32 GEMM whatever the magnitudes).
 */
function spotCheck(x, w, y, m, k, n) {
  let worst = 0;
  for (let s = 0; s < 16; s++) {
    const i = (s * 7919) % m;
    const j = (s * 104729) % n;
    let ref = 0;
    let mag = 0;
    for (let p = 0; p < k; p++) {
      const v = x[i * k + p] * w[j * k + p];
      ref += v;
      mag += Math.abs(v);
    }
    worst = Math.max(worst, Math.abs(ref - y[i * n + j]) / (mag > 0 ? mag : 1));
  }
  return worst;
}

/** "MxKxN" label of a shape. */
function shapeKey({ m, k, n }) {
  return `${m}x${k}x${n}`;
}

/** Parses "MxKxN" back into `{ m, k, n }`; throws on anything else. */
function parseShape(text) {
  const match = /^(\d+)x(\d+)x(\d+)$/.exec(String(text));
  if (!match) throw new RangeError(`shape must look like MxKxN, got ${JSON.stringify(text)}`);
  const [m, k, n] = match.slice(1).map(Number);
  if (!(m > 0 && k > 0 && n > 0)) throw new RangeError(`shape dimensions must be positive, got ${text}`);
  return { m, k, n };
}

module.exports = { uniform, transpose, spotCheck, shapeKey, parseShape };
