import { checkFloat32Array, rangeError } from '../errors';
import { checkShape, numel } from '../tensor';

/**
 * A trainable tensor: `data` holds the values, `grad` the gradient of the loss with respect
 * to them (same length, zero-filled at creation). Optimizers read `grad` and update `data`
 * in place. `shape` is informative (row-major) and `data.length` equals its product.
 */
export class Parameter {
  data: Float32Array;
  grad: Float32Array;
  shape: number[];
  /** Whether optimizers update it (PyTorch's requires_grad). */
  requiresGrad = true;

  constructor(data: Float32Array, shape?: number[]) {
    checkFloat32Array('data', data);
    this.data = data;
    this.shape = shape === undefined ? [data.length] : checkShape('shape', shape);
    const n = numel(this.shape);
    if (n !== data.length) throw rangeError('shape', `dimensions whose product is data.length (${data.length})`, this.shape.join('x'));
    this.grad = new Float32Array(data.length);
  }

  /** Number of elements. */
  get numel(): number {
    return this.data.length;
  }

  /** Sets every gradient element to zero. */
  zeroGrad(): void {
    this.grad.fill(0);
  }
}
