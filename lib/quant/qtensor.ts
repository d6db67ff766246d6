import { checkInt, checkNumber, isDetached, rangeError, shapeError, typeError } from '../errors';
import { checkShape, numel } from '../tensor';
import type { QDtype } from './qparams';

/** Range of a quantized type: uint8 [0, 255], int8 [-128, 127]. */
export function qrange(dtype: QDtype): [number, number] {
  return dtype === 'uint8' ? [0, 255] : [-128, 127];
}

/** Fields of a {@link QTensor}: per tensor (`scale`, `zeroPoint`) or per channel (`scales`, `zeroPoints`, `axis`). */
export interface QTensorInit {
  data: Int8Array | Uint8Array;
  shape: readonly number[];
  dtype?: QDtype;
  scale?: number;
  zeroPoint?: number;
  scales?: Float32Array | readonly number[];
  zeroPoints?: Int32Array | readonly number[];
  axis?: number;
}

/**
 * A quantized tensor: `x = scale * (q - zeroPoint)` per tensor, or with `scales[c]`,
 * `zeroPoints[c]` for the index `c` along `axis` per channel. `data` is row-major int8
 * (`'int8'`, PyTorch's qint8) or uint8 (`'uint8'`, quint8). Scales are float32 values.
 *
 * ```ts
 * const q = new QTensor({ data: new Uint8Array([0, 128, 255]), shape: [3], scale: 0.5, zeroPoint: 128 });
 * quant.dequantize(q).data; // Float32Array [-64, 0, 63.5]
 * ```
 */
export class QTensor {
  readonly data: Int8Array | Uint8Array;
  readonly shape: readonly number[];
  readonly dtype: QDtype;
  /** `'per_tensor_affine'` or `'per_channel_affine'`. */
  readonly qscheme: 'per_tensor_affine' | 'per_channel_affine';
  /** Per tensor: the scale (a float32 value). */
  readonly scale?: number;
  /** Per tensor: the zero point. */
  readonly zeroPoint?: number;
  /** Per channel: one scale per index along `axis`. */
  readonly scales?: Float32Array;
  /** Per channel: one zero point per index along `axis`. */
  readonly zeroPoints?: Int32Array;
  /** Per channel: the channel axis (non-negative). */
  readonly axis?: number;

  constructor(init: QTensorInit) {
    if (init === null || typeof init !== 'object') throw typeError('init', 'a QTensor init object', init);
    const { data } = init;
    if (!(data instanceof Int8Array) && !(data instanceof Uint8Array) || data instanceof Uint8ClampedArray) {
      throw typeError('data', 'an Int8Array or a Uint8Array', data);
    }
    if (isDetached(data)) throw typeError('data', 'a typed array whose buffer is not detached', data);
    const dtype: QDtype = data instanceof Int8Array ? 'int8' : 'uint8';
    if (init.dtype !== undefined && typeof init.dtype !== 'string') throw typeError('dtype', "'int8' or 'uint8'", init.dtype);
    if (init.dtype !== undefined && init.dtype !== dtype) {
      throw rangeError('dtype', `'${dtype}' (the type of data)`, init.dtype);
    }
    const shape = checkShape('shape', init.shape);
    if (numel(shape) !== data.length) {
      throw shapeError(`Expected data of length ${numel(shape)} (the product of shape [${shape.join(', ')}]) but received ${data.length}`);
    }
    const [qmin, qmax] = qrange(dtype);
    this.data = data;
    this.shape = shape;
    this.dtype = dtype;
    if (init.scales !== undefined || init.zeroPoints !== undefined || init.axis !== undefined) {
      if (init.scale !== undefined || init.zeroPoint !== undefined) {
        throw rangeError('scale', 'undefined when scales / zeroPoints / axis are given (per channel)', init.scale);
      }
      const axis = normalizeAxis('axis', init.axis ?? 0, shape.length);
      const channels = shape[axis];
      this.scales = checkScales('scales', init.scales, channels);
      this.zeroPoints = checkZeroPoints('zeroPoints', init.zeroPoints, channels, qmin, qmax);
      this.axis = axis;
      this.qscheme = 'per_channel_affine';
    } else {
      this.scale = checkScale('scale', init.scale);
      this.zeroPoint = checkInt('zeroPoint', init.zeroPoint, { min: qmin, max: qmax });
      this.qscheme = 'per_tensor_affine';
    }
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }
}

/** Validates a positive finite scale and returns it rounded to float32 (as PyTorch stores it). */
export function checkScale(name: string, value: unknown): number {
  const s = Math.fround(checkNumber(name, value));
  if (!(s > 0) || !Number.isFinite(s)) throw rangeError(name, 'a positive finite float32 number', value);
  return s;
}

export function checkScales(name: string, value: unknown, length: number): Float32Array {
  if (!(value instanceof Float32Array) && !Array.isArray(value)) throw typeError(name, 'a Float32Array or an array of numbers', value);
  if (value.length !== length) throw rangeError(`${name}.length`, `${length} (one per channel)`, value.length);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = checkScale(`${name}[${i}]`, value[i]);
  return out;
}

export function checkZeroPoints(name: string, value: unknown, length: number, qmin: number, qmax: number): Int32Array {
  if (!(value instanceof Int32Array) && !Array.isArray(value)) throw typeError(name, 'an Int32Array or an array of integers', value);
  if (value.length !== length) throw rangeError(`${name}.length`, `${length} (one per channel)`, value.length);
  const out = new Int32Array(length);
  for (let i = 0; i < length; i++) out[i] = checkInt(`${name}[${i}]`, value[i], { min: qmin, max: qmax });
  return out;
}

export function normalizeAxis(name: string, value: unknown, rank: number): number {
  if (rank === 0) throw rangeError(name, 'an axis of a tensor with at least one dimension', value);
  const a = checkInt(name, value, { min: -rank, max: rank - 1 });
  return a < 0 ? a + rank : a;
}

/** Checks that `value` is a QTensor (or a plain object with the same fields) and returns a QTensor. */
export function checkQTensor(name: string, value: unknown): QTensor {
  if (value instanceof QTensor) {
    if (isDetached(value.data)) throw typeError(`${name}.data`, 'a typed array whose buffer is not detached', value.data);
    return value;
  }
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) throw typeError(name, 'a QTensor', value);
  try {
    return new QTensor(value as QTensorInit);
  } catch (err) {
    // The constructor names the fields of its init object; here they are fields of `name`.
    const e = err as Error & { code?: string };
    if (e.code === 'ERR_NNSLIM_TYPE' || e.code === 'ERR_NNSLIM_RANGE') {
      e.message = e.message
        .replace(/ for (data|dtype|shape|scale|zeroPoint|scales|zeroPoints|axis)\b/, ` for ${name}.$1`)
        .replace(/^Expected data of length/, `Expected ${name}.data of length`);
    }
    throw e;
  }
}
