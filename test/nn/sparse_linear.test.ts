import { describe, expect, it } from 'vitest';
import { Linear } from '../../lib/nn/linear';
import { SparseLinear } from '../../lib/nn/sparse_linear';
import { l1Unstructured } from '../../lib/prune/masks';
import { Rng } from '../../lib/random';
import { Tensor } from '../../lib/tensor';

function input(rng: Rng, m: number, k: number): Tensor {
  const d = new Float32Array(m * k);
  for (let i = 0; i < d.length; i++) d[i] = rng.uniform(-1, 1);
  return new Tensor(d, [m, k]);
}

/** The pruned Linear computed densely in float64. */
function prunedRef(lin: Linear, mask: Uint8Array, x: Tensor): Float64Array {
  const [m, k] = x.shape;
  const n = lin.outFeatures;
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = lin.bias ? lin.bias.data[j] : 0;
      for (let p = 0; p < k; p++) if (mask[j * k + p]) s += x.data[i * k + p] * lin.weight.data[j * k + p];
      out[i * n + j] = s;
    }
  }
  return out;
}

describe('nn.SparseLinear', () => {
  it('prunes by magnitude, reports its choice and matches the pruned dense layer', async () => {
    const rng = new Rng(3);
    const lin = new Linear(256, 96, { rng });
    const sl = SparseLinear.fromLinear(lin, { sparsity: 0.9, batchHint: 4 });
    expect(sl.density).toBeCloseTo(0.1, 3);
    expect(['sparse', 'dense']).toContain(sl.choice);
    expect(sl.reason).toMatch(/CSR [\d.]+ ms vs dense [\d.]+ ms at batch 4/);
    expect(sl.timings.batch).toBe(4);
    expect(sl.timings.sparseMs).toBeGreaterThan(0);
    const mask = l1Unstructured(lin.weight.data, { amount: Math.round(0.9 * 256 * 96) });
    for (const m of [1, 4, 33]) {
      const x = input(rng, m, 256);
      const want = prunedRef(lin, mask, x);
      const y = sl.forward(x);
      const ya = await sl.forwardAsync(x);
      expect(y.shape).toEqual([m, 96]);
      for (let i = 0; i < want.length; i++) {
        expect(Math.abs(y.data[i] - want[i])).toBeLessThan(2e-5);
        expect(Math.abs(ya.data[i] - want[i])).toBeLessThan(2e-5);
      }
    }
  });

  it('both kernels compute the same function (mask given; dense chosen when sparse cannot win)', () => {
    const rng = new Rng(5);
    const lin = new Linear(64, 40, { rng, bias: false });
    const mask = new Uint8Array(64 * 40).fill(1); // 0% sparsity: dense should win
    const sl = SparseLinear.fromLinear(lin, { mask, batchHint: 64 });
    const x = input(rng, 64, 64);
    const y = sl.forward(x);
    const want = prunedRef(lin, mask, x);
    for (let i = 0; i < want.length; i++) expect(Math.abs(y.data[i] - want[i])).toBeLessThan(2e-5);
    expect(sl.reason).toContain(sl.choice === 'sparse' ? 'CSR is' : 'dense is');
  });

  it('validates options and inputs', () => {
    const lin = new Linear(8, 4);
    expect(() => SparseLinear.fromLinear(lin, {})).toThrow(/exactly one of sparsity and mask/);
    expect(() => SparseLinear.fromLinear(lin, { sparsity: 0.5, mask: new Uint8Array(32) })).toThrow(RangeError);
    expect(() => SparseLinear.fromLinear(lin, { sparsity: 1.5 })).toThrow(RangeError);
    expect(() => SparseLinear.fromLinear(lin, { mask: new Uint8Array(31) })).toThrow(RangeError);
    expect(() => SparseLinear.fromLinear(lin, { sparsity: 0.5, batchHint: 0 })).toThrow(RangeError);
    expect(() => SparseLinear.fromLinear({} as Linear, { sparsity: 0.5 })).toThrow(TypeError);
    const sl = SparseLinear.fromLinear(lin, { sparsity: 0.5 });
    expect(() => sl.forward(Tensor.zeros([2, 7]))).toThrow(/expected x of shape \[batch, 8\]/);
  });
});
