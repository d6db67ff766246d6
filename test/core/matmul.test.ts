import { describe, expect, it } from 'vitest';
import { Tensor, matmul, matmulAsync, cpuInfo } from '../../lib';
import { gemmRef, maxAbsDiff, randn } from '../helpers/ref';

function tol(k: number): number {
  // inputs are in [-1, 1]: float32 accumulation error grows at most ~ k * eps * sum|a||b| <= k^2 eps
  return 1e-6 * Math.max(1, k) * 4 + 1e-6;
}

const shapes: Array<[number, number, number]> = [
  [1, 1, 1], [1, 17, 3], [17, 1, 2], [3, 5, 7], [13, 31, 16], [14, 32, 257], [15, 33, 64],
  [29, 65, 31], [64, 64, 64], [65, 97, 129], [1, 768, 768], [8, 300, 500], [100, 3, 4100],
];

describe('matmul', () => {
  for (const [m, n, k] of shapes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        it(`${m}x${n}x${k} transA=${transA} transB=${transB}`, () => {
          const a = randn(m * k, m * 7 + k);
          const b = randn(k * n, n * 11 + k);
          const A = new Tensor(a, transA ? [k, m] : [m, k]);
          const B = new Tensor(b, transB ? [n, k] : [k, n]);
          const y = matmul(A, B, { transA, transB });
          expect(y.shape).toEqual([m, n]);
          expect(maxAbsDiff(y.data, gemmRef(a, b, m, n, k, { transA, transB }))).toBeLessThanOrEqual(tol(k));
        });
      }
    }
  }

  it('alpha, beta, bias and relu together', () => {
    const m = 37, n = 45, k = 53;
    const a = randn(m * k, 3), b = randn(n * k, 4), c = randn(m * n, 5), bias = randn(n, 6);
    const out = new Tensor(c.slice(), [m, n]);
    matmul(new Tensor(a, [m, k]), new Tensor(b, [n, k]), { transB: true, alpha: 0.5, beta: -2, bias, relu: true, out });
    const ref = gemmRef(a, b, m, n, k, { transB: true, alpha: 0.5, beta: -2, c, bias, relu: true });
    expect(maxAbsDiff(out.data, ref)).toBeLessThanOrEqual(tol(k) * 4);
    expect(out.data.some((v) => v === 0)).toBe(true);
  });

  it('beta = 0 ignores NaN already in out', () => {
    const out = new Tensor(new Float32Array(6).fill(NaN), [2, 3]);
    matmul(Tensor.from([[1, 2], [3, 4]]), Tensor.from([[1, 0, 1], [0, 1, 1]]), { out });
    expect(Array.from(out.data)).toEqual([1, 2, 3, 3, 4, 7]);
  });

  it('k = 0 gives the bias (and zero-size outputs work)', () => {
    const y = matmul(new Tensor(new Float32Array(0), [3, 0]), new Tensor(new Float32Array(0), [0, 2]), { bias: new Float32Array([1, -1]) });
    expect(Array.from(y.data)).toEqual([1, -1, 1, -1, 1, -1]);
    const z = matmul(new Tensor(new Float32Array(0), [0, 4]), new Tensor(new Float32Array(8), [4, 2]));
    expect(z.shape).toEqual([0, 2]);
  });

  it('works on subarray views with an offset', () => {
    const buf = randn(1000, 9);
    const a = buf.subarray(3, 3 + 6 * 5);
    const b = buf.subarray(101, 101 + 5 * 4);
    const y = matmul(new Tensor(a, [6, 5]), new Tensor(b, [5, 4]));
    expect(maxAbsDiff(y.data, gemmRef(a, b, 6, 4, 5))).toBeLessThanOrEqual(tol(5));
  });

  it('denormal inputs give the flushed result and stay fast', () => {
    const a = new Float32Array(64 * 64).fill(1e-39);
    const y = matmul(new Tensor(a, [64, 64]), new Tensor(a.slice(), [64, 64]));
    expect(y.data.every((v) => v === 0)).toBe(true);
  });

  it('matmulAsync gives the same result as matmul', async () => {
    const m = 70, n = 90, k = 110;
    const A = new Tensor(randn(m * k, 1), [m, k]);
    const B = new Tensor(randn(n * k, 2), [n, k]);
    const sync = matmul(A, B, { transB: true });
    const asyncOut = await matmulAsync(A, B, { transB: true });
    expect(Array.from(asyncOut.data)).toEqual(Array.from(sync.data));
  });

  it('reports a kernel name', () => {
    expect(cpuInfo().kernels.sgemm).toMatch(/^f32_gemm/);
  });
});

describe('matmul bad input', () => {
  const A = Tensor.from([[1, 2], [3, 4]]);
  const cases: Array<[string, () => unknown, RegExp, string]> = [
    ['a not a tensor', () => matmul(null as never, A), /a/, 'TypeError'],
    ['a of rank 1', () => matmul(Tensor.from([1, 2]), A), /a\.shape/, 'RangeError'],
    ['plain array data', () => matmul({ data: [1, 2], shape: [1, 2] } as never, A), /a/, 'TypeError'],
    ['inner dims differ', () => matmul(A, new Tensor(new Float32Array(3), [3, 1])), /inner dimensions/, 'RangeError'],
    ['bias wrong length', () => matmul(A, A, { bias: new Float32Array(3) }), /bias/, 'RangeError'],
    ['bias wrong type', () => matmul(A, A, { bias: [1, 2] as never }), /bias/, 'TypeError'],
    ['alpha NaN', () => matmul(A, A, { alpha: NaN }), /alpha/, 'RangeError'],
    ['transA not boolean', () => matmul(A, A, { transA: 1 as never }), /transA/, 'TypeError'],
    ['unknown option', () => matmul(A, A, { tranzB: true } as never), /options/, 'RangeError'],
    ['beta without out', () => matmul(A, A, { beta: 1 }), /beta/, 'RangeError'],
    ['out wrong shape', () => matmul(A, A, { out: Tensor.zeros([3, 2]) }), /out\.shape/, 'RangeError'],
    ['out aliases a', () => matmul(A, Tensor.from([[1, 0], [0, 1]]), { out: A }), /out/, 'RangeError'],
    ['options not an object', () => matmul(A, A, 5 as never), /options/, 'TypeError'],
  ];
  for (const [name, fn, msg, kind] of cases) {
    it(name, () => {
      let err: unknown;
      try { fn(); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).name).toBe(kind);
      expect((err as Error).message).toMatch(msg);
      expect((err as { code?: string }).code).toMatch(/^ERR_NNSLIM_/);
    });
  }

  it('tensor constructor rejects bad shapes', () => {
    expect(() => new Tensor(new Float32Array(4), [2, 3])).toThrow(RangeError);
    expect(() => new Tensor(new Float32Array(4), [2, 2.5])).toThrow(/shape\[1\]/);
    expect(() => new Tensor(new Float32Array(4), [-2, -2])).toThrow(RangeError);
    expect(() => new Tensor(new Float32Array(0), [2 ** 31, 0])).toThrow(RangeError);
    expect(() => new Tensor(new Float32Array(0), [2 ** 30, 2 ** 30, 2 ** 30, 0])).toThrow(/safe integer/);
    expect(() => new Tensor(new Float64Array(4) as never, [4])).toThrow(TypeError);
    expect(() => new Tensor(new Float32Array(4), '4' as never)).toThrow(TypeError);
  });

  it('detached buffers are rejected', () => {
    const data = new Float32Array(4);
    const t = new Tensor(data, [2, 2]);
    structuredClone(data.buffer, { transfer: [data.buffer] });
    expect(() => matmul(t, A)).toThrow(TypeError);
    expect(() => new Tensor(data, [0])).toThrow(/detached/);
  });

  it('the raw addon re-checks extents (no crash on a lying shape)', async () => {
    const { native } = await import('../../lib/native');
    const a = new Float32Array(4);
    expect(() => native.sgemm(a, a.slice(), new Float32Array(4), null, 3, 3, 3, 3, 3, 3, false, false, 1, 0, false)).toThrow(RangeError);
    expect(() => native.sgemm(a, a.slice(), new Float32Array(4), null, 2, 2, 2, 1, 2, 2, false, false, 1, 0, false)).toThrow(RangeError);
    expect(() => native.sgemm(a, a.slice(), a, null, 2, 2, 2, 2, 2, 2, false, false, 1, 0, false)).toThrow(/overlap/);
    expect(() => native.sgemm(a as never, new Int8Array(4) as never, a, null, 2, 2, 2, 2, 2, 2, false, false, 1, 0, false)).toThrow(TypeError);
    expect(() => native.sgemm(a, a.slice(), new Float32Array(4), null, 2 ** 40, 2, 2, 2, 2, 2, false, false, 1, 0, false)).toThrow(RangeError);
  });
});
