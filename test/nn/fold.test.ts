import { describe, expect, it } from 'vitest';
import { BatchNorm1d } from '../../lib/nn/batchnorm';
import { foldBatchNorm } from '../../lib/nn/fold';
import { Linear } from '../../lib/nn/linear';
import { Rng } from '../../lib/random';
import { Tensor } from '../../lib/tensor';

function randomTensor(rng: Rng, shape: number[], lo = -1, hi = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.uniform(lo, hi);
  return new Tensor(d, shape);
}

describe('nn.foldBatchNorm', () => {
  for (const [inF, outF, bias] of [[16, 8, true], [33, 17, false], [128, 64, true]] as const) {
    it(`equals Linear + BatchNorm1d in eval mode (${inF} -> ${outF}, bias ${bias})`, () => {
      const rng = new Rng(7);
      const lin = new Linear(inF, outF, { bias, rng });
      const bn = new BatchNorm1d(outF, { momentum: 0.5 });
      for (let j = 0; j < outF; j++) {
        (bn.weight as { data: Float32Array }).data[j] = rng.uniform(0.5, 2);
        (bn.bias as { data: Float32Array }).data[j] = rng.uniform(-1, 1);
      }
      for (let s = 0; s < 3; s++) bn.forward(lin.forward(randomTensor(rng, [32, inF], -2, 3)));
      lin.eval();
      bn.eval();
      const wBefore = lin.weight.data.slice();
      const folded = foldBatchNorm(lin, bn);
      expect(Array.from(lin.weight.data)).toEqual(Array.from(wBefore));
      const x = randomTensor(rng, [20, inF]);
      const want = bn.forward(lin.forward(x));
      const got = folded.forward(x);
      let scale = 0;
      for (const v of want.data) scale = Math.max(scale, Math.abs(v));
      for (let i = 0; i < want.data.length; i++) {
        expect(Math.abs(got.data[i] - want.data[i])).toBeLessThanOrEqual(1e-5 * Math.max(1, scale));
      }
    });
  }

  it('rejects mismatched or statistics-free BatchNorm1d', () => {
    const lin = new Linear(4, 3);
    expect(() => foldBatchNorm(lin, new BatchNorm1d(4))).toThrow(RangeError);
    expect(() => foldBatchNorm(lin, new BatchNorm1d(3, { trackRunningStats: false }))).toThrow(RangeError);
    expect(() => foldBatchNorm({} as Linear, new BatchNorm1d(3))).toThrow(TypeError);
  });
});
