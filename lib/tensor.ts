import { checkFloat32Array, rangeError, typeError } from './errors';

/** Largest size of one dimension (the kernels index with 32-bit dimensions). */
export const MAX_DIM = 2 ** 31 - 1;

/**
 * A dense float32 tensor: a Float32Array in row-major order plus its shape. The data is
 * used in place (no copy) by every native kernel; views (`subarray`) are fine.
 *
 * ```ts
 * const x = new Tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
 * ```
 */
export class Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];

  constructor(data: Float32Array, shape: readonly number[]) {
    checkFloat32Array('data', data);
    this.shape = checkShape('shape', shape);
    const n = numel(this.shape);
    if (n !== data.length) {
      throw rangeError('data.length', `${n} (the product of shape [${this.shape.join(', ')}])`, data.length);
    }
    this.data = data;
  }

  /** A zero-filled tensor. */
  static zeros(shape: readonly number[]): Tensor {
    const s = checkShape('shape', shape);
    return new Tensor(new Float32Array(numel(s)), s);
  }

  /** A tensor from nested arrays of numbers (rectangular). */
  static from(values: number[] | number[][]): Tensor {
    if (!Array.isArray(values)) throw typeError('values', 'an array of numbers or of rows', values);
    if (values.length > 0 && Array.isArray(values[0])) {
      const rows = values as number[][];
      const cols = rows[0].length;
      const data = new Float32Array(rows.length * cols);
      rows.forEach((r, i) => {
        if (!Array.isArray(r)) throw typeError(`values[${i}]`, 'an array of numbers (a row)', r);
        if (r.length !== cols) throw rangeError(`values[${i}]`, `a row of length ${cols}`, r);
        checkNumbers(`values[${i}]`, r);
      });
      rows.forEach((r, i) => data.set(r, i * cols));
      return new Tensor(data, [rows.length, cols]);
    }
    checkNumbers('values', values);
    return new Tensor(Float32Array.from(values as number[]), [values.length]);
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** The same data with another shape of the same size (no copy). */
  reshape(shape: readonly number[]): Tensor {
    return new Tensor(this.data, shape);
  }

  /** A deep copy. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** Nested arrays (for printing and tests). */
  toArray(): number[] | number[][] {
    if (this.shape.length === 2) {
      const [r, c] = this.shape;
      return Array.from({ length: r }, (_, i) => Array.from(this.data.subarray(i * c, (i + 1) * c)));
    }
    return Array.from(this.data);
  }
}

function checkNumbers(name: string, a: readonly unknown[]): void {
  for (let i = 0; i < a.length; i++) if (typeof a[i] !== 'number') throw typeError(`${name}[${i}]`, 'a number', a[i]);
}

/** Validates a shape: an array of non-negative integers each <= MAX_DIM whose product is a safe integer. */
export function checkShape(name: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) throw typeError(name, 'an array of non-negative integers', shape);
  let product = 1;
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (typeof d !== 'number') throw typeError(`${name}[${i}]`, 'a non-negative integer', d);
    if (!Number.isInteger(d) || d < 0 || d > MAX_DIM || Object.is(d, -0)) {
      throw rangeError(`${name}[${i}]`, `an integer in [0, ${MAX_DIM}]`, d);
    }
    product *= d;
    if (!Number.isSafeInteger(product)) throw rangeError(name, 'dimensions whose product is a safe integer', `[${shape.join(', ')}]`);
    out.push(d);
  }
  return out;
}

/** Product of the dimensions (a shape as {@link checkShape} accepts). */
export function numel(shape: readonly number[]): number {
  if (!Array.isArray(shape)) throw typeError('shape', 'an array of non-negative integers', shape);
  let n = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (typeof d !== 'number') throw typeError(`shape[${i}]`, 'a non-negative integer', d);
    if (!Number.isInteger(d) || d < 0 || d > MAX_DIM) throw rangeError(`shape[${i}]`, `an integer in [0, ${MAX_DIM}]`, d);
    n *= d;
  }
  if (!Number.isSafeInteger(n)) throw rangeError('shape', 'dimensions whose product is a safe integer', `[${shape.join(', ')}]`);
  return n;
}

/** Checks that `value` is a Tensor (any object with a Float32Array `data` and a matching `shape`). */
export function checkTensor(name: string, value: unknown, rank?: number): Tensor {
  if (!(value instanceof Tensor)) {
    const v = value as { data?: unknown; shape?: unknown } | null;
    if (v !== null && typeof v === 'object' && v.data instanceof Float32Array && Array.isArray(v.shape)) {
      // Validated here with the argument's name, so that errors say which tensor is wrong.
      const data = checkFloat32Array(`${name}.data`, v.data);
      const shape = checkShape(`${name}.shape`, v.shape);
      if (numel(shape) !== data.length) {
        throw rangeError(`${name}.data.length`, `${numel(shape)} (the product of ${name}.shape [${shape.join(', ')}])`, data.length);
      }
      value = new Tensor(data, shape);
    } else {
      throw typeError(name, 'a Tensor', value);
    }
  }
  const t = value as Tensor;
  checkFloat32Array(`${name}.data`, t.data);
  if (rank !== undefined && t.shape.length !== rank) throw rangeError(`${name}.shape`, `${rank} dimensions`, `[${t.shape.join(', ')}]`);
  return t;
}

/** True when two views share bytes of the same buffer. */
export function viewsOverlap(a: ArrayBufferView, b: ArrayBufferView): boolean {
  if (a.buffer !== b.buffer || a.byteLength === 0 || b.byteLength === 0) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}
