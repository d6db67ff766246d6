import { describe, expect, it } from 'vitest';
import { CsrMatrix, PackedCsrMatrix, QuantizedCsrMatrix, spmm, spmmAsync } from '../../lib/sparse';
import { native } from '../../lib/native';
import { Tensor } from '../../lib/tensor';
import { randn } from '../helpers/ref';

function sparseDense(rows: number, cols: number, density: number, seed: number): Tensor {
  const v = randn(rows * cols, seed);
  const keep = randn(rows * cols, seed + 1000);
  for (let i = 0; i < v.length; i++) if ((keep[i] + 1) / 2 >= density) v[i] = 0;
  return new Tensor(v, [rows, cols]);
}

/** y = x w^T + b in float64 from the dense w. */
function denseRef(x: Tensor, w: Tensor, bias: Float32Array | null, relu: boolean): Float64Array {
  const [m, k] = x.shape;
  const n = w.shape[0];
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += x.data[i * k + p] * w.data[j * k + p];
      if (bias) s += bias[j];
      out[i * n + j] = relu && s < 0 ? 0 : s;
    }
  }
  return out;
}

function expectNear(got: Float32Array, want: Float64Array, tol: number): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol)) throw new Error(`[${i}] ${got[i]} vs ${want[i]}`);
  }
}

describe('sparse.CsrMatrix construction', () => {
  it('fromDense (threshold, mask) round-trips through toDense', () => {
    const t = sparseDense(37, 53, 0.3, 5);
    const a = CsrMatrix.fromDense(t);
    expect(a.rows).toBe(37);
    expect(a.cols).toBe(53);
    let nz = 0;
    for (const v of t.data) if (v !== 0) nz++;
    expect(a.nnz).toBe(nz);
    expect(a.density).toBeCloseTo(nz / (37 * 53), 12);
    expect(Array.from(a.toDense().data)).toEqual(Array.from(t.data));
    const th = CsrMatrix.fromDense(t, { threshold: 0.5 });
    for (let j = 0; j < th.nnz; j++) expect(Math.abs(th.values[j])).toBeGreaterThan(0.5);
    const mask = new Uint8Array(37 * 53);
    for (let i = 0; i < mask.length; i += 3) mask[i] = 1;
    const mk = CsrMatrix.fromDense(t, { mask });
    expect(mk.nnz).toBe(Math.ceil(mask.length / 3)); // explicit zeros are kept
    const back = mk.toDense().data;
    for (let i = 0; i < back.length; i++) expect(back[i]).toBe(mask[i] ? t.data[i] : 0);
  });

  it('handles empty and degenerate shapes', () => {
    const e = CsrMatrix.fromDense(Tensor.zeros([0, 5]));
    expect(e.nnz).toBe(0);
    expect(e.density).toBe(0);
    const z = CsrMatrix.fromDense(Tensor.zeros([3, 4]));
    expect(z.nnz).toBe(0);
    expect(Array.from(z.rowPtr)).toEqual([0, 0, 0, 0]);
    const y = spmm(new Tensor(new Float32Array(8).fill(1), [2, 4]), z, { bias: new Float32Array([1, -2, 3]), relu: true });
    expect(Array.from(y.data)).toEqual([1, 0, 3, 1, 0, 3]);
  });

  it('validates user arrays before native code', () => {
    const ok = () => new CsrMatrix(2, 3, new Int32Array([0, 2, 3]), new Int32Array([0, 2, 1]), new Float32Array([1, 2, 3]));
    expect(ok().nnz).toBe(3);
    const bad: Array<[() => unknown, RegExp, ErrorConstructor]> = [
      [() => new CsrMatrix(2, 3, new Int32Array([1, 2, 3]), new Int32Array([0, 2, 1]), new Float32Array(3)), /rowPtr\[0\]/, RangeError],
      [() => new CsrMatrix(2, 3, new Int32Array([0, 2]), new Int32Array([0, 2]), new Float32Array(2)), /rowPtr.length/, RangeError],
      [() => new CsrMatrix(2, 3, new Int32Array([0, 3, 2]), new Int32Array([0, 1]), new Float32Array(2)), /rowPtr\[/, RangeError],
      [() => new CsrMatrix(2, 3, new Int32Array([0, 2, 3]), new Int32Array([0, 2]), new Float32Array(3)), /colIdx.length/, RangeError],
      [() => new CsrMatrix(2, 3, new Int32Array([0, 2, 3]), new Int32Array([0, 2, 1]), new Float32Array(2)), /values.length/, RangeError],
      [() => new CsrMatrix(2, 3, new Int32Array([0, 2, 3]), new Int32Array([0, 3, 1]), new Float32Array(3)), /colIdx\[1\]/, RangeError],
      [() => new CsrMatrix(2, 3, new Int32Array([0, 2, 3]), new Int32Array([-1, 2, 1]), new Float32Array(3)), /colIdx\[0\]/, RangeError],
      [() => new CsrMatrix(2, 3, new Int32Array([0, 2, 3]), new Int32Array([2, 0, 1]), new Float32Array(3)), /strictly increasing/, RangeError],
      [() => new CsrMatrix(2, 3, new Int32Array([0, 2, 3]), new Int32Array([1, 1, 1]), new Float32Array(3)), /strictly increasing/, RangeError],
      [() => new CsrMatrix(2, 3, [0, 2, 3] as unknown as Int32Array, new Int32Array([0, 2, 1]), new Float32Array(3)), /Int32Array/, TypeError],
      [() => new CsrMatrix(2.5, 3, new Int32Array([0, 2, 3]), new Int32Array([0, 2, 1]), new Float32Array(3)), /rows/, RangeError],
      [() => new CsrMatrix(2, 3, new Int32Array([0, 2, 3]), new Int32Array([0, 2, 1]), new Float64Array(3) as unknown as Float32Array), /Float32Array/, TypeError],
    ];
    for (const [fn, msg, type] of bad) {
      let err: unknown = null;
      try { fn(); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(type);
      expect((err as Error).message).toMatch(msg);
      expect((err as { code: string }).code).toMatch(/^ERR_NNSLIM_/);
    }
    expect(() => CsrMatrix.fromDense(Tensor.zeros([2, 2]), { threshold: 0, mask: new Uint8Array(4) })).toThrow(RangeError);
    expect(() => CsrMatrix.fromDense(Tensor.zeros([2, 2]), { mask: new Uint8Array(3) })).toThrow(RangeError);
    expect(() => CsrMatrix.fromDense(Tensor.zeros([2, 2]), { threshold: NaN })).toThrow(RangeError);
    expect(() => CsrMatrix.fromDense(Tensor.zeros([4]))).toThrow(RangeError);
  });

  it('the native packer re-checks the structure (raw addon calls cannot read out of bounds)', () => {
    expect(() => native.csrPack(2, 3, new Int32Array([0, 2, 3]), new Int32Array([0, 5, 1]), new Float32Array(3), null, null)).toThrow(RangeError);
    expect(() => native.csrPack(2, 3, new Int32Array([0, 9, 3]), new Int32Array([0, 1, 1]), new Float32Array(3), null, null)).toThrow(RangeError);
    expect(() => native.csrPack(2, 3, new Int32Array([0, 2, 3]), new Int32Array([0, 1, 1]), new Float32Array(2), null, null)).toThrow(RangeError);
    const p = new CsrMatrix(2, 3, new Int32Array([0, 2, 3]), new Int32Array([0, 2, 1]), new Float32Array([1, 2, 3])).pack();
    expect(() => native.spmm(p.raw, new Float32Array(2), new Float32Array(2), null, 1, false)).toThrow(RangeError);
    expect(() => native.spmm({ ...p.raw, rows: 5 }, new Float32Array(3), new Float32Array(5), null, 1, false)).toThrow(/do not match/);
    // The handle cannot be swapped out (an async call pins the object, and so the native matrix).
    expect(() => { (p.raw as unknown as { handle: unknown }).handle = null; }).toThrow(TypeError);
    expect(Object.getOwnPropertyDescriptor(p.raw, 'handle')?.configurable).toBe(false);
    expect(() => native.csrFill(new Float32Array(4), null, 2, 2, 0, new Int32Array([0, 5, 1]), new Int32Array(1), new Float32Array(1))).toThrow(RangeError);
  });
});

describe('sparse.spmm', () => {
  for (const [m, n, k, density] of [[1, 64, 100, 0.1], [3, 33, 70, 0.3], [8, 40, 129, 0.05], [17, 20, 31, 0.5], [64, 48, 200, 0.1], [100, 16, 16, 0.9]]) {
    it(`matches the dense product (m=${m}, n=${n}, k=${k}, density ${density})`, async () => {
      const w = sparseDense(n, k, density, m * 7 + n);
      const x = new Tensor(randn(m * k, 99 + m), [m, k]);
      const bias = randn(n, 3);
      const csr = CsrMatrix.fromDense(w);
      const want = denseRef(x, w, bias, true);
      const tol = 2e-6 * Math.sqrt(k) * 4;
      expectNear(spmm(x, csr, { bias, relu: true }).data, want, tol);
      const packed = csr.pack();
      expect(packed).toBeInstanceOf(PackedCsrMatrix);
      expectNear((await spmmAsync(x, packed, { bias, relu: true })).data, want, tol);
      const out = Tensor.zeros([m, n]);
      expect(spmm(x, packed, { bias: new Tensor(bias, [n]), relu: true, out })).toBe(out);
      expectNear(out.data, want, tol);
    });
  }

  it('int8 values with per-row scales (pruned and quantized)', () => {
    const w = sparseDense(30, 50, 0.2, 11);
    const csr = CsrMatrix.fromDense(w);
    const q = csr.quantize();
    expect(q).toBeInstanceOf(QuantizedCsrMatrix);
    expect(q.values).toBeInstanceOf(Int8Array);
    expect(q.nnz).toBe(csr.nnz);
    const deq = q.toDense();
    for (let i = 0; i < 30; i++) {
      for (let j = 0; j < 50; j++) {
        expect(Math.abs(deq.data[i * 50 + j] - w.data[i * 50 + j])).toBeLessThanOrEqual(q.scales[i] / 2 + 1e-7);
      }
    }
    const x = new Tensor(randn(4 * 50, 5), [4, 50]);
    expectNear(spmm(x, q).data, denseRef(x, deq, null, false), 1e-5);
    expect(q.pack().dtype).toBe('int8');
  });

  it('rejects bad arguments with named errors', () => {
    const csr = CsrMatrix.fromDense(sparseDense(4, 6, 0.5, 1));
    expect(() => spmm(Tensor.zeros([2, 5]), csr)).toThrow(/weight.cols columns/);
    expect(() => spmm(Tensor.zeros([2, 6]), csr, { bias: new Float32Array(3) })).toThrow(RangeError);
    expect(() => spmm(Tensor.zeros([2, 6]), {} as CsrMatrix)).toThrow(TypeError);
    expect(() => spmm(Tensor.zeros([2, 6]), csr, { out: Tensor.zeros([2, 5]) })).toThrow(RangeError);
    const x = Tensor.zeros([2, 6]);
    expect(() => spmm(x, csr, { out: new Tensor(x.data.subarray(0, 8), [2, 4]) })).toThrow(/share memory/);
    expect(() => spmm(x, csr, { alpha: 2 } as unknown as object)).toThrow(RangeError);
  });
});
