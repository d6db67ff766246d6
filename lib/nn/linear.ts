import { checkBool, checkInt, checkOptions, rangeError, shapeError, stateError, typeError } from '../errors';
import { native } from '../native';
import { Rng, defaultRng } from '../random';
import { Tensor, checkTensor } from '../tensor';
import { Parameter } from './parameter';

/** Options of {@link Linear}. */
export interface LinearOptions {
  /** Learn an additive bias. Default true. */
  bias?: boolean;
  /** Generator for the initial weights. Default: the package's default generator (see manualSeed). */
  rng?: Rng;
}

/**
 * Fully connected layer `y = x W^T + b`, with `weight` [outFeatures x inFeatures] and
 * `bias` [outFeatures], initialised like PyTorch (Kaiming-uniform with a = sqrt(5): both
 * uniform in ±1/sqrt(inFeatures)). forward() runs the native GEMM with the bias fused.
 */
export class Linear {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Parameter;
  bias: Parameter | null;
  /** Training mode keeps the last input for backward(). */
  training = true;
  private lastInput: Tensor | null = null;

  constructor(inFeatures: number, outFeatures: number, options?: LinearOptions) {
    this.inFeatures = checkInt('inFeatures', inFeatures, { min: 1, max: 2 ** 31 - 1 });
    this.outFeatures = checkInt('outFeatures', outFeatures, { min: 1, max: 2 ** 31 - 1 });
    const opts = checkOptions<LinearOptions>('options', options);
    const useBias = opts.bias === undefined ? true : checkBool('options.bias', opts.bias);
    const rng = opts.rng === undefined ? defaultRng : opts.rng;
    if (!(rng instanceof Rng)) throw typeError('options.rng', 'an Rng', rng);
    if (inFeatures * outFeatures > 2 ** 31 - 1) throw rangeError('inFeatures * outFeatures', 'at most 2^31 - 1 weights', inFeatures * outFeatures);
    const bound = 1 / Math.sqrt(inFeatures);
    const w = new Float32Array(outFeatures * inFeatures);
    for (let i = 0; i < w.length; i++) w[i] = rng.uniform(-bound, bound);
    this.weight = new Parameter(w, [outFeatures, inFeatures]);
    if (useBias) {
      const b = new Float32Array(outFeatures);
      for (let i = 0; i < b.length; i++) b[i] = rng.uniform(-bound, bound);
      this.bias = new Parameter(b, [outFeatures]);
    } else {
      this.bias = null;
    }
  }

  private checkInput(x: unknown): Tensor {
    const t = checkTensor('x', x, 2);
    if (t.shape[1] !== this.inFeatures) {
      throw shapeError(`Linear: expected x of shape [batch, ${this.inFeatures}] but received [${t.shape.join(', ')}]`);
    }
    return t;
  }

  /** y = x W^T + b for x of shape [batch, inFeatures]; returns [batch, outFeatures]. */
  forward(x: Tensor): Tensor {
    const t = this.checkInput(x);
    const m = t.shape[0];
    const out = Tensor.zeros([m, this.outFeatures]);
    native.sgemm(t.data, this.weight.data, out.data, this.bias ? this.bias.data : null, m, this.outFeatures,
      this.inFeatures, this.inFeatures, this.inFeatures, this.outFeatures, false, true, 1, 0, false);
    this.lastInput = this.training ? t : null;
    return out;
  }

  /**
   * Given dL/dy [batch, outFeatures] for the last forward() in training mode, accumulates
   * dL/dW and dL/db into the parameters' `grad` and returns dL/dx [batch, inFeatures].
   */
  backward(gradOut: Tensor): Tensor {
    const g = checkTensor('gradOut', gradOut, 2);
    const x = this.lastInput;
    if (x === null) throw stateError('Linear.backward: call forward() in training mode first');
    const m = x.shape[0];
    if (g.shape[0] !== m || g.shape[1] !== this.outFeatures) {
      throw shapeError(`Linear.backward: expected gradOut of shape [${m}, ${this.outFeatures}] but received [${g.shape.join(', ')}]`);
    }
    const out = this.outFeatures, inf = this.inFeatures;
    // dW += g^T x  ([out x m] * [m x in])
    native.sgemm(g.data, x.data, this.weight.grad, null, out, inf, m, out, inf, inf, true, false, 1, 1, false);
    if (this.bias) {
      const gb = this.bias.grad;
      for (let i = 0; i < m; i++) {
        const row = i * out;
        for (let j = 0; j < out; j++) gb[j] += g.data[row + j];
      }
    }
    const gradIn = Tensor.zeros([m, inf]);
    native.sgemm(g.data, this.weight.data, gradIn.data, null, m, inf, out, out, inf, inf, false, false, 1, 0, false);
    return gradIn;
  }

  /** Trainable parameters: weight, then bias. */
  parameters(): Parameter[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }

  train(mode = true): this {
    this.training = checkBool('mode', mode);
    if (!mode) this.lastInput = null;
    return this;
  }

  eval(): this {
    return this.train(false);
  }
}
