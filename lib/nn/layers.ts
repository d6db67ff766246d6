import { checkBool, checkNumber, checkOptions, rangeError, shapeError, stateError, typeError } from '../errors';
import { Rng, defaultRng } from '../random';
import { Tensor, checkTensor, numel } from '../tensor';
import type { Module } from './sequential';

function checkMode(mode: unknown): boolean {
  return checkBool('mode', mode);
}

function checkGrad(layer: string, gradOut: unknown, shape: readonly number[] | null): Tensor {
  const g = checkTensor('gradOut', gradOut);
  if (shape === null) throw stateError(`${layer}.backward: call forward() in training mode first`);
  if (g.shape.length !== shape.length || g.shape.some((d, i) => d !== shape[i])) {
    throw shapeError(`${layer}.backward: expected gradOut of shape [${shape.join(', ')}] but received [${g.shape.join(', ')}]`);
  }
  return g;
}

/**
 * An element-wise activation: forward maps every element, training mode keeps the input for
 * backward(). Subclasses supply the two loops.
 */
abstract class Elementwise implements Module {
  /** Training mode keeps the input for backward(). */
  training = true;
  private lastInput: Tensor | null = null;

  /** out[i] = f(x[i]). */
  protected abstract map(x: Float32Array, out: Float32Array): void;
  /** out[i] = g[i] * f'(x[i]). */
  protected abstract derivative(x: Float32Array, g: Float32Array, out: Float32Array): void;

  /** f(x), a new tensor of the same shape. */
  forward(x: Tensor): Tensor {
    const t = checkTensor('x', x);
    const out = new Float32Array(t.data.length);
    this.map(t.data, out);
    this.lastInput = this.training ? t : null;
    return new Tensor(out, t.shape);
  }

  /** dL/dx = dL/dy * f'(x) for the last training-mode input. */
  backward(gradOut: Tensor): Tensor {
    const x = this.lastInput;
    const g = checkGrad(this.constructor.name, gradOut, x ? x.shape : null);
    const out = new Float32Array(g.data.length);
    this.derivative((x as Tensor).data, g.data, out);
    return new Tensor(out, g.shape);
  }

  /** Sets training mode (default true). */
  train(mode = true): this {
    this.training = checkMode(mode);
    if (!mode) this.lastInput = null;
    return this;
  }

  /** Sets evaluation mode. */
  eval(): this {
    return this.train(false);
  }
}

/**
 * Rectified linear unit `max(0, x)`, element-wise on a tensor of any shape; backward passes
 * dL/dy where the input was > 0, else 0.
 *
 * ```ts
 * const y = new nn.ReLU().forward(x);
 * ```
 */
export class ReLU extends Elementwise {
  protected map(x: Float32Array, out: Float32Array): void {
    for (let i = 0; i < x.length; i++) out[i] = x[i] > 0 ? x[i] : 0;
  }

  protected derivative(x: Float32Array, g: Float32Array, out: Float32Array): void {
    for (let i = 0; i < x.length; i++) out[i] = x[i] > 0 ? g[i] : 0;
  }
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/**
 * The error function in double precision (relative error about 1e-14): a positive-term
 * series `erf(x) = 2/sqrt(pi) exp(-x^2) sum (2x^2)^n x / (2n+1)!!` below |x| = 2.5 and the
 * continued fraction of erfc above it.
 */
export function erf(x: number): number {
  if (typeof x !== 'number') throw typeError('x', 'a number', x);
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax > 6) return x > 0 ? 1 : -1;
  let r: number;
  if (ax < 2.5) {
    const x2 = ax * ax;
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 100; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    r = TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
  } else {
    // erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
    let f = ax;
    for (let k = 60; k >= 1; k--) f = ax + (k / 2) / f;
    r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  }
  return x < 0 ? -r : r;
}

/**
 * Gaussian error linear unit, exact form `x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2))`
 * (PyTorch's default `approximate='none'`), element-wise on a tensor of any shape; backward
 * multiplies by `Phi(x) + x phi(x)`.
 */
export class GELU extends Elementwise {
  protected map(x: Float32Array, out: Float32Array): void {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      out[i] = 0.5 * v * (1 + erf(v * SQRT1_2));
    }
  }

  protected derivative(x: Float32Array, g: Float32Array, out: Float32Array): void {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      const cdf = 0.5 * (1 + erf(v * SQRT1_2));
      const pdf = INV_SQRT_2PI * Math.exp(-0.5 * v * v);
      out[i] = g[i] * (cdf + v * pdf);
    }
  }
}

/** Options of {@link Dropout}. */
export interface DropoutOptions {
  /** Generator of the masks. Default: the package's default generator (see manualSeed). */
  rng?: Rng;
}

/**
 * Dropout with inverted scaling: in training mode each element is zeroed with probability
 * `p` and the survivors are scaled by 1 / (1 - p); in evaluation mode it is the identity.
 * Masks come from a seeded {@link Rng}, so runs are reproducible.
 */
export class Dropout implements Module {
  /** Probability of zeroing an element, in [0, 1]. */
  readonly p: number;
  /** Training mode drops; evaluation mode is the identity. */
  training = true;
  private readonly rng: Rng;
  private lastMask: Float32Array | null = null;
  private lastShape: readonly number[] | null = null;

  constructor(p = 0.5, options?: DropoutOptions) {
    this.p = checkNumber('p', p, { min: 0, max: 1 });
    const opts = checkOptions<DropoutOptions>('options', options);
    const rng = opts.rng === undefined ? defaultRng : opts.rng;
    if (!(rng instanceof Rng)) throw typeError('options.rng', 'an Rng', rng);
    this.rng = rng;
  }

  /** In training mode x * mask / (1 - p); in evaluation mode x itself. */
  forward(x: Tensor): Tensor {
    const t = checkTensor('x', x);
    if (!this.training || this.p === 0) {
      this.lastMask = null;
      this.lastShape = this.training ? t.shape : null;
      return this.training ? new Tensor(t.data.slice(), t.shape) : t;
    }
    const n = t.data.length;
    const mask = new Float32Array(n);
    const out = new Float32Array(n);
    const scale = this.p === 1 ? 0 : 1 / (1 - this.p);
    for (let i = 0; i < n; i++) {
      if (this.rng.random() >= this.p) {
        mask[i] = scale;
        out[i] = t.data[i] * scale;
      }
    }
    this.lastMask = mask;
    this.lastShape = t.shape;
    return new Tensor(out, t.shape);
  }

  /** dL/dx = dL/dy * mask / (1 - p) with the mask of the last forward(). */
  backward(gradOut: Tensor): Tensor {
    const g = checkGrad('Dropout', gradOut, this.lastShape);
    const mask = this.lastMask;
    if (mask === null) return new Tensor(g.data.slice(), g.shape);
    const out = new Float32Array(mask.length);
    for (let i = 0; i < mask.length; i++) out[i] = g.data[i] * mask[i];
    return new Tensor(out, g.shape);
  }

  /** Sets training mode (default true). */
  train(mode = true): this {
    this.training = checkMode(mode);
    if (!mode) {
      this.lastMask = null;
      this.lastShape = null;
    }
    return this;
  }

  /** Sets evaluation mode. */
  eval(): this {
    return this.train(false);
  }
}

/**
 * Flattens every dimension after the first: [batch, d1, d2, ...] -> [batch, d1 * d2 * ...]
 * (no copy). A 1-D input becomes [1, n].
 */
export class Flatten implements Module {
  /** Kept for a uniform interface; Flatten behaves the same in both modes. */
  training = true;
  private lastShape: readonly number[] | null = null;

  /** The same data viewed as [batch, features]. */
  forward(x: Tensor): Tensor {
    const t = checkTensor('x', x);
    if (t.shape.length === 0) throw rangeError('x.shape', 'at least 1 dimension', '[]');
    this.lastShape = t.shape;
    const batch = t.shape.length === 1 ? 1 : t.shape[0];
    const features = t.shape.length === 1 ? t.shape[0] : numel(t.shape.slice(1));
    return new Tensor(t.data, [batch, features]);
  }

  /** The gradient viewed with the shape of the last input. */
  backward(gradOut: Tensor): Tensor {
    const g = checkTensor('gradOut', gradOut);
    const shape = this.lastShape;
    if (shape === null) throw stateError('Flatten.backward: call forward() first');
    if (g.data.length !== numel(shape)) {
      throw shapeError(`Flatten.backward: expected gradOut with ${numel(shape)} elements but received [${g.shape.join(', ')}]`);
    }
    return new Tensor(g.data, shape);
  }

  /** Sets training mode (default true). */
  train(mode = true): this {
    this.training = checkMode(mode);
    return this;
  }

  /** Sets evaluation mode. */
  eval(): this {
    return this.train(false);
  }
}
