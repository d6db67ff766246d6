import { checkBool, checkInt, checkNumber, checkOptions, rangeError, shapeError, stateError } from '../errors';
import { native } from '../native';
import { Tensor, checkTensor } from '../tensor';
import { Parameter } from './parameter';
import type { Module } from './sequential';

/** Options of {@link BatchNorm1d} (PyTorch's names in camelCase). */
export interface BatchNorm1dOptions {
  /** Added to the variance before the square root. Default 1e-5. */
  eps?: number;
  /** Running-statistics update factor, or null for the cumulative moving average. Default 0.1. */
  momentum?: number | null;
  /** Learn `weight` (gamma, init 1) and `bias` (beta, init 0). Default true. */
  affine?: boolean;
  /** Keep runningMean / runningVar and use them in eval mode. Default true. */
  trackRunningStats?: boolean;
}

interface Saved {
  x: Tensor;
  n: number;
  l: number;
  mean: Float32Array;
  invstd: Float32Array;
  batchStats: boolean;
}

/**
 * Batch normalization over [N, C] or [N, C, L] inputs with PyTorch BatchNorm1d semantics, on
 * fused native kernels: training mode normalizes with the batch mean and biased variance (one
 * numerically stable pass) and updates `runningMean` / `runningVar` with the unbiased
 * variance (`momentum`, or the cumulative average when momentum is null); eval mode applies
 * `(x - runningMean) / sqrt(runningVar + eps) * weight + bias` in one pass.
 *
 * ```ts
 * const bn = new nn.BatchNorm1d(128);
 * const y = bn.forward(x);          // training: batch statistics
 * const dx = bn.backward(gradY);    // accumulates bn.weight.grad / bn.bias.grad
 * bn.eval();                        // running statistics from now on
 * ```
 */
export class BatchNorm1d implements Module {
  readonly numFeatures: number;
  readonly eps: number;
  momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Parameter | null;
  bias: Parameter | null;
  runningMean: Float32Array | null;
  runningVar: Float32Array | null;
  /** Batches seen in training mode (PyTorch's num_batches_tracked). */
  numBatchesTracked = 0;
  training = true;
  private saved: Saved | null = null;

  constructor(numFeatures: number, options?: BatchNorm1dOptions) {
    this.numFeatures = checkInt('numFeatures', numFeatures, { min: 1, max: 2 ** 31 - 1 });
    const opts = checkOptions<BatchNorm1dOptions>('options', options);
    for (const key of Object.keys(opts)) {
      if (!['eps', 'momentum', 'affine', 'trackRunningStats'].includes(key)) {
        throw rangeError('options', 'only eps, momentum, affine, trackRunningStats', key);
      }
    }
    this.eps = opts.eps === undefined ? 1e-5 : checkNumber('options.eps', opts.eps, { min: 0 });
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum === null ? null : checkNumber('options.momentum', opts.momentum, { min: 0, max: 1 });
    this.affine = opts.affine === undefined ? true : checkBool('options.affine', opts.affine);
    this.trackRunningStats = opts.trackRunningStats === undefined ? true : checkBool('options.trackRunningStats', opts.trackRunningStats);
    const c = this.numFeatures;
    this.weight = this.affine ? new Parameter(new Float32Array(c).fill(1), [c]) : null;
    this.bias = this.affine ? new Parameter(new Float32Array(c), [c]) : null;
    this.runningMean = this.trackRunningStats ? new Float32Array(c) : null;
    this.runningVar = this.trackRunningStats ? new Float32Array(c).fill(1) : null;
  }

  private dims(x: unknown): { t: Tensor; n: number; l: number } {
    const t = checkTensor('x', x);
    if ((t.shape.length !== 2 && t.shape.length !== 3) || t.shape[1] !== this.numFeatures) {
      throw shapeError(`BatchNorm1d: expected x of shape [N, ${this.numFeatures}] or [N, ${this.numFeatures}, L] but received [${t.shape.join(', ')}]`);
    }
    return { t, n: t.shape[0], l: t.shape.length === 3 ? t.shape[2] : 1 };
  }

  private useBatchStats(): boolean {
    return this.training || this.runningMean === null;
  }

  /** Eval-mode scale = weight / sqrt(runningVar + eps) and invstd, computed in double. */
  private evalParams(): { scale: Float32Array; shift: Float32Array; invstd: Float32Array } {
    const c = this.numFeatures;
    const scale = new Float32Array(c);
    const invstd = new Float32Array(c);
    const rv = this.runningVar as Float32Array;
    const eps = this.eps;
    // Hoisted loads: this loop is a visible share of a cache-resident forward.
    if (this.weight) {
      const w = this.weight.data;
      for (let j = 0; j < c; j++) {
        const is = 1 / Math.sqrt(rv[j] + eps);
        invstd[j] = is;
        scale[j] = w[j] * is;
      }
    } else {
      for (let j = 0; j < c; j++) {
        const is = 1 / Math.sqrt(rv[j] + eps);
        invstd[j] = is;
        scale[j] = is;
      }
    }
    const shift = this.bias ? this.bias.data : new Float32Array(c);
    return { scale, shift, invstd };
  }

  /** Normalizes x ([N, C] or [N, C, L]); returns a new tensor of the same shape. */
  forward(x: Tensor): Tensor {
    const { t, n, l } = this.dims(x);
    const c = this.numFeatures;
    const out = new Tensor(new Float32Array(t.data.length), t.shape);
    if (this.useBatchStats()) {
      if (n * l <= 1) throw rangeError('x.shape', `more than 1 value per channel in batch-statistics mode`, `[${t.shape.join(', ')}]`);
      const mean = new Float32Array(c);
      const variance = new Float32Array(c);
      const invstd = new Float32Array(c);
      native.batchnormTrain(t.data, out.data, this.weight ? this.weight.data : null, this.bias ? this.bias.data : null,
        n, c, l, this.eps, false, mean, variance, invstd);
      if (this.training && this.runningMean !== null && this.runningVar !== null) {
        this.numBatchesTracked += 1;
        const f = this.momentum === null ? 1 / this.numBatchesTracked : this.momentum;
        const count = n * l;
        const rm = this.runningMean, rv = this.runningVar;
        for (let j = 0; j < c; j++) {
          rm[j] = (1 - f) * rm[j] + f * mean[j];
          rv[j] = (1 - f) * rv[j] + f * variance[j] * count / (count - 1);
        }
      }
      this.saved = { x: t, n, l, mean, invstd, batchStats: true };
    } else {
      const { scale, shift, invstd } = this.evalParams();
      native.batchnormApply(t.data, out.data, this.runningMean, scale, shift, n, c, l, false);
      this.saved = { x: t, n, l, mean: (this.runningMean as Float32Array).slice(), invstd, batchStats: false };
    }
    return out;
  }

  /** Eval-mode forward off the event loop (training mode runs the synchronous forward). */
  async forwardAsync(x: Tensor): Promise<Tensor> {
    if (this.useBatchStats()) return this.forward(x);
    const { t, n, l } = this.dims(x);
    const { scale, shift } = this.evalParams();
    const out = new Tensor(new Float32Array(t.data.length), t.shape);
    await native.batchnormApplyAsync(t.data, out.data, this.runningMean, scale, shift, n, this.numFeatures, l, false);
    return out;
  }

  /**
   * Given dL/dy for the last forward(), accumulates dL/dweight and dL/dbias into the parameters'
   * `grad` and returns dL/dx. After a training-mode forward the batch statistics are functions of
   * x (PyTorch's training backward); after an eval-mode forward they are constants.
   */
  backward(gradOut: Tensor): Tensor {
    const s = this.saved;
    if (s === null) throw stateError('BatchNorm1d.backward: call forward() first');
    const g = checkTensor('gradOut', gradOut);
    if (g.shape.length !== s.x.shape.length || g.shape.some((d, i) => d !== s.x.shape[i])) {
      throw shapeError(`BatchNorm1d.backward: expected gradOut of shape [${s.x.shape.join(', ')}] but received [${g.shape.join(', ')}]`);
    }
    const c = this.numFeatures;
    const gradIn = new Float32Array(g.data.length);
    const dg = this.weight ? new Float32Array(c) : null;
    const db = this.bias ? new Float32Array(c) : null;
    native.batchnormBackward(s.x.data, g.data, s.mean, s.invstd, this.weight ? this.weight.data : null, s.n, c, s.l,
      s.batchStats, gradIn, dg, db);
    if (this.weight && dg) for (let j = 0; j < c; j++) this.weight.grad[j] += dg[j];
    if (this.bias && db) for (let j = 0; j < c; j++) this.bias.grad[j] += db[j];
    return new Tensor(gradIn, g.shape);
  }

  /** Trainable parameters: weight, then bias (none when affine is false). */
  parameters(): Parameter[] {
    return this.weight && this.bias ? [this.weight, this.bias] : [];
  }

  /** Resets runningMean to 0, runningVar to 1 and numBatchesTracked to 0. */
  resetRunningStats(): void {
    this.runningMean?.fill(0);
    this.runningVar?.fill(1);
    this.numBatchesTracked = 0;
  }

  train(mode = true): this {
    this.training = checkBool('mode', mode);
    this.saved = null;
    return this;
  }

  eval(): this {
    return this.train(false);
  }
}
