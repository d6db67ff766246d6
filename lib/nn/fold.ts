import { rangeError, typeError } from '../errors';
import { Rng } from '../random';
import { BatchNorm1d } from './batchnorm';
import { Linear } from './linear';

/**
 * Folds an eval-mode BatchNorm1d into the Linear layer before it: returns a new Linear with
 * `W'[o] = W[o] * s[o]` and `b'[o] = (b[o] - runningMean[o]) * s[o] + beta[o]`, where
 * `s = gamma / sqrt(runningVar + eps)` (computed in double), so `folded.forward(x)` equals
 * `bn.forward(linear.forward(x))` in eval mode. The inputs are not modified.
 *
 * ```ts
 * const fused = nn.foldBatchNorm(linear, bn.eval());
 * ```
 */
export function foldBatchNorm(linear: Linear, bn: BatchNorm1d): Linear {
  if (!(linear instanceof Linear)) throw typeError('linear', 'an nn.Linear', linear);
  if (!(bn instanceof BatchNorm1d)) throw typeError('bn', 'an nn.BatchNorm1d', bn);
  if (bn.numFeatures !== linear.outFeatures) {
    throw rangeError('bn.numFeatures', `linear.outFeatures = ${linear.outFeatures}`, bn.numFeatures);
  }
  if (bn.runningMean === null || bn.runningVar === null) {
    throw rangeError('bn', 'a BatchNorm1d with running statistics (trackRunningStats: true)', 'one without');
  }
  const out = linear.outFeatures;
  const inf = linear.inFeatures;
  const folded = new Linear(inf, out, { bias: true, rng: new Rng(0) });
  const w = linear.weight.data;
  const fw = folded.weight.data;
  const fb = (folded.bias as NonNullable<typeof folded.bias>).data;
  for (let o = 0; o < out; o++) {
    const s = (bn.weight ? bn.weight.data[o] : 1) / Math.sqrt(bn.runningVar[o] + bn.eps);
    for (let i = 0; i < inf; i++) fw[o * inf + i] = w[o * inf + i] * s;
    const b = linear.bias ? linear.bias.data[o] : 0;
    fb[o] = (b - bn.runningMean[o]) * s + (bn.bias ? bn.bias.data[o] : 0);
  }
  folded.train(linear.training);
  return folded;
}
