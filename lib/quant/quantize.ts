import { checkBool, checkEnum, checkInt, checkOptions, rangeError, typeError } from '../errors';
import { native } from '../native';
import { Tensor, checkShape, numel } from '../tensor';
import { type QDtype, QDTYPES } from './qparams';
import { QTensor, checkQTensor, checkScale, checkScales, checkZeroPoints, normalizeAxis, qrange } from './qtensor';

function inputOf(x: unknown): { data: Float32Array; shape: number[] } {
  if (x instanceof Float32Array) return { data: x, shape: [x.length] };
  if (x === null || typeof x !== 'object' || ArrayBuffer.isView(x)) throw typeError('x', 'a Tensor or a Float32Array', x);
  const t = x as { data?: unknown; shape?: unknown };
  if (!(t.data instanceof Float32Array)) throw typeError('x.data', 'a Float32Array', t.data);
  const shape = checkShape('x.shape', t.shape);
  if (numel(shape) !== t.data.length) throw rangeError('x.data.length', `${numel(shape)} (the product of x.shape)`, t.data.length);
  return { data: t.data, shape };
}

function rejectNaN(d: Float32Array): void {
  for (let i = 0; i < d.length; i++) {
    if (d[i] !== d[i]) throw rangeError(`x.data[${i}]`, 'a number (not NaN)', NaN);
  }
}

function allocate(dtype: QDtype, n: number): Int8Array | Uint8Array {
  return dtype === 'int8' ? new Int8Array(n) : new Uint8Array(n);
}

/**
 * Quantizes per tensor with PyTorch's CPU arithmetic (`torch.quantize_per_tensor`):
 * `q = clamp(round(x * (1 / scale)) + zeroPoint, qmin, qmax)`, the reciprocal and the product
 * in float32, rounding half to even; ±Infinity saturates, NaN is a RangeError.
 *
 * ```ts
 * const q = quant.quantizePerTensor(x, 0.1, 128, 'uint8');
 * ```
 */
export function quantizePerTensor(x: Tensor | Float32Array, scale: number, zeroPoint: number, dtype: QDtype): QTensor {
  const t = inputOf(x);
  const dt = checkEnum('dtype', dtype, QDTYPES);
  const s = checkScale('scale', scale);
  const [qmin, qmax] = qrange(dt);
  const zp = checkInt('zeroPoint', zeroPoint, { min: qmin, max: qmax });
  rejectNaN(t.data);
  const out = allocate(dt, t.data.length);
  if (out.length > 0) native.quantize(t.data, 1, 1, t.data.length, new Float32Array([s]), new Int32Array([zp]), out);
  return new QTensor({ data: out, shape: t.shape, scale: s, zeroPoint: zp });
}

/**
 * Quantizes per channel along `axis` (`torch.quantize_per_channel`): element `x[..., c, ...]`
 * uses `scales[c]` and `zeroPoints[c]`, with the arithmetic of {@link quantizePerTensor}.
 *
 * ```ts
 * const qw = quant.quantizePerChannel(weight, scales, zeroPoints, 0, 'int8');
 * ```
 */
export function quantizePerChannel(
  x: Tensor | Float32Array,
  scales: Float32Array | readonly number[],
  zeroPoints: Int32Array | readonly number[],
  axis: number,
  dtype: QDtype,
): QTensor {
  const t = inputOf(x);
  const dt = checkEnum('dtype', dtype, QDTYPES);
  const ax = normalizeAxis('axis', axis, t.shape.length);
  const channels = t.shape[ax];
  const [qmin, qmax] = qrange(dt);
  const s = checkScales('scales', scales, channels);
  const z = checkZeroPoints('zeroPoints', zeroPoints, channels, qmin, qmax);
  rejectNaN(t.data);
  const outer = numel(t.shape.slice(0, ax));
  const inner = numel(t.shape.slice(ax + 1));
  const out = allocate(dt, t.data.length);
  if (out.length > 0) native.quantize(t.data, outer, channels, inner, s, z, out);
  return new QTensor({ data: out, shape: t.shape, scales: s, zeroPoints: z, axis: ax });
}

/**
 * Dequantizes (`torch.dequantize`): `x = scale * (q - zeroPoint)` rounded once to float32.
 *
 * ```ts
 * const x = quant.dequantize(q); // Tensor
 * ```
 */
export function dequantize(q: QTensor): Tensor {
  const t = checkQTensor('q', q);
  const out = new Float32Array(t.data.length);
  if (out.length === 0) return new Tensor(out, t.shape);
  if (t.qscheme === 'per_tensor_affine') {
    native.dequantize(t.data, 1, 1, t.data.length, new Float32Array([t.scale!]), new Int32Array([t.zeroPoint!]), out);
  } else {
    const ax = t.axis!;
    native.dequantize(t.data, numel(t.shape.slice(0, ax)), t.shape[ax], numel(t.shape.slice(ax + 1)), t.scales!, t.zeroPoints!, out);
  }
  return new Tensor(out, t.shape);
}

/**
 * Quantization parameters PyTorch's dynamic quantized Linear picks for the range `[min, max]`
 * (`quant_utils::ChooseQuantizationParams`): the range widened to include 0, the scale
 * `(max - min) / (qmax - qmin)` (at least 6.1e-5), the zero point rounded half to even.
 * `reduceRange` halves the range (uint8 [0, 127]) as PyTorch's fbgemm backend does.
 */
export function chooseQParams(min: number, max: number, options?: { dtype?: QDtype; reduceRange?: boolean }): { scale: number; zeroPoint: number } {
  const lo = checkFinite('min', min);
  const hi = checkFinite('max', max);
  if (!(lo <= hi)) throw rangeError('min', `a number <= max (${hi})`, min);
  const opts = checkOptions<{ dtype?: QDtype; reduceRange?: boolean }>('options', options);
  const dtype = opts.dtype === undefined ? 'uint8' : checkEnum('options.dtype', opts.dtype, QDTYPES);
  const reduce = opts.reduceRange === undefined ? false : checkBool('options.reduceRange', opts.reduceRange);
  const [qmin, qmax] = dynamicRange(dtype, reduce);
  const [scale, zeroPoint] = native.chooseQParams(lo, hi, qmin, qmax);
  return { scale, zeroPoint };
}

/** [qmin, qmax] of dynamic activation quantization (PyTorch's reduce_range halves it). */
export function dynamicRange(dtype: QDtype, reduceRange: boolean): [number, number] {
  if (dtype === 'int8') return reduceRange ? [-64, 63] : [-128, 127];
  return reduceRange ? [0, 127] : [0, 255];
}

function checkFinite(name: string, v: unknown): number {
  if (typeof v !== 'number') throw typeError(name, 'a number', v);
  if (!Number.isFinite(v)) throw rangeError(name, 'a finite number', v);
  return v;
}
