/**
 * Shared quantization-parameter arithmetic (PyTorch 1.13's `_calculate_qparams` and
 * `calculate_qmin_qmax`), float32-exact through `Math.fround`, plus input helpers used by
 * the observers and fake quantization.
 */
import { checkBool, checkEnum, checkFloat32Array, checkInt, checkNumber, rangeError, shapeError, typeError } from '../errors';

/** Quantized storage types: `'uint8'` is PyTorch's quint8, `'int8'` its qint8. */
export type QDtype = 'int8' | 'uint8';

/** Quantization schemes, PyTorch's `torch.per_*` names. */
export type QScheme = 'per_tensor_affine' | 'per_tensor_symmetric' | 'per_channel_affine' | 'per_channel_symmetric';

/** Per-tensor quantization parameters. */
export interface QParams {
  scale: number;
  zeroPoint: number;
}

/** Per-channel quantization parameters. */
export interface PerChannelQParams {
  scales: Float32Array;
  zeroPoints: Int32Array;
}

/** Any `{ data, shape }` object (the package's `Tensor` qualifies). */
export interface TensorLike {
  data: Float32Array;
  shape: readonly number[];
}

/** float32 machine epsilon, PyTorch's default observer `eps`. */
export const FLOAT32_EPS = 1.1920928955078125e-7;

/** Every {@link QDtype}. */
export const QDTYPES: readonly QDtype[] = ['int8', 'uint8'];
/** Every {@link QScheme}. */
export const QSCHEMES: readonly QScheme[] = ['per_tensor_affine', 'per_tensor_symmetric', 'per_channel_affine', 'per_channel_symmetric'];

const f = Math.fround;

/** Rounds half to even (C's `nearbyint` in the default mode, `torch.round`). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round rounds .5 up; step back when that lands on an odd integer.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Resolved quantization range: PyTorch's `calculate_qmin_qmax`. With both `quantMin` and
 * `quantMax` given, `reduceRange` floors each by 2; otherwise the dtype's full (or reduced)
 * range: uint8 [0, 255] ([0, 127]), int8 [-128, 127] ([-64, 63]).
 */
export function resolveQRange(dtype: QDtype, quantMin: number | undefined, quantMax: number | undefined, reduceRange: boolean): { quantMin: number; quantMax: number; customized: boolean } {
  if (quantMin !== undefined && quantMax !== undefined) {
    return reduceRange
      ? { quantMin: Math.floor(quantMin / 2), quantMax: Math.floor(quantMax / 2), customized: true }
      : { quantMin, quantMax, customized: true };
  }
  if (dtype === 'int8') return reduceRange ? { quantMin: -64, quantMax: 63, customized: false } : { quantMin: -128, quantMax: 127, customized: false };
  return reduceRange ? { quantMin: 0, quantMax: 127, customized: false } : { quantMin: 0, quantMax: 255, customized: false };
}

/** Resolved observer settings shared by every observer. */
export interface QConfig {
  dtype: QDtype;
  qscheme: QScheme;
  quantMin: number;
  quantMax: number;
  customized: boolean;
  reduceRange: boolean;
  eps: number;
}

/** Validated common observer options (`dtype`, `qscheme`, `quantMin`, `quantMax`, `reduceRange`, `eps`). */
export function resolveQConfig(
  opts: { dtype?: unknown; qscheme?: unknown; quantMin?: unknown; quantMax?: unknown; reduceRange?: unknown; eps?: unknown },
  allowed: readonly QScheme[],
  defaultScheme: QScheme,
): QConfig {
  const dtype = opts.dtype === undefined ? 'uint8' : checkEnum('options.dtype', opts.dtype, QDTYPES);
  const qscheme = opts.qscheme === undefined ? defaultScheme : checkEnum('options.qscheme', opts.qscheme, allowed);
  const reduceRange = opts.reduceRange === undefined ? false : checkBool('options.reduceRange', opts.reduceRange);
  const eps = opts.eps === undefined ? FLOAT32_EPS : checkNumber('options.eps', opts.eps, { min: 0, minExclusive: true });
  const [lo, hi] = dtype === 'int8' ? [-128, 127] : [0, 255];
  let qmin: number | undefined;
  let qmax: number | undefined;
  if (opts.quantMin !== undefined || opts.quantMax !== undefined) {
    if (opts.quantMin === undefined) throw rangeError('options.quantMin', 'an integer given together with options.quantMax', undefined);
    if (opts.quantMax === undefined) throw rangeError('options.quantMax', 'an integer given together with options.quantMin', undefined);
    qmin = checkInt('options.quantMin', opts.quantMin, { min: lo, max: 0 });
    qmax = checkInt('options.quantMax', opts.quantMax, { min: 0, max: hi });
    if (!(qmin < qmax)) throw rangeError('options.quantMax', `an integer > options.quantMin (${qmin})`, qmax);
  }
  if (reduceRange && dtype === 'uint8' && (qscheme === 'per_tensor_symmetric' || qscheme === 'per_channel_symmetric')) {
    throw rangeError('options.reduceRange', "false for symmetric quantization with dtype 'uint8' (PyTorch does not support it)", reduceRange);
  }
  const r = resolveQRange(dtype, qmin, qmax, reduceRange);
  return { dtype, qscheme, quantMin: r.quantMin, quantMax: r.quantMax, customized: r.customized, reduceRange, eps: f(eps) };
}

/**
 * PyTorch's `_calculate_qparams` for one (min, max) pair, in float32:
 * `minNeg = min(min, 0)`, `maxPos = max(max, 0)`;
 * symmetric: `scale = max(-minNeg, maxPos) / ((qmax - qmin) / 2)`, `scale = max(scale, eps)`,
 * zero point 0 for int8, 128 for uint8 (`(qmin + qmax) // 2` with a customised range);
 * affine: `scale = max((maxPos - minNeg) / (qmax - qmin), eps)`,
 * `zeroPoint = clamp(qmin - roundHalfEven(minNeg / scale), qmin, qmax)`.
 * An unobserved pair (`min = +inf`, `max = -inf`) gives PyTorch's defaults `{ scale: 1, zeroPoint: 0 }`.
 */
export function qparamsFromMinMax(minVal: number, maxVal: number, cfg: QConfig): QParams {
  if (minVal === Infinity && maxVal === -Infinity) return { scale: 1, zeroPoint: 0 };
  const { quantMin: qmin, quantMax: qmax, eps } = cfg;
  const minNeg = f(Math.min(minVal, 0));
  const maxPos = f(Math.max(maxVal, 0));
  if (cfg.qscheme === 'per_tensor_symmetric' || cfg.qscheme === 'per_channel_symmetric') {
    const m = Math.max(-minNeg, maxPos);
    const scale = Math.max(f(m / f((qmax - qmin) / 2)), eps);
    let zeroPoint = 0;
    if (cfg.dtype === 'uint8') zeroPoint = cfg.customized ? Math.floor((qmin + qmax) / 2) : 128;
    return { scale, zeroPoint };
  }
  const scale = Math.max(f(f(maxPos - minNeg) / f(qmax - qmin)), eps);
  let zeroPoint = qmin - roundHalfEven(f(minNeg / scale));
  zeroPoint = Math.min(Math.max(zeroPoint, qmin), qmax);
  return { scale, zeroPoint };
}

/** Validated `{ data, shape }` input: a Float32Array plus a shape of non-negative integers whose product is its length. */
export function checkTensorLike(name: string, value: unknown): { data: Float32Array; shape: number[] } {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw typeError(name, 'a { data: Float32Array, shape: number[] } tensor', value);
  }
  const v = value as { data?: unknown; shape?: unknown };
  const data = checkFloat32Array(`${name}.data`, v.data);
  const shape = checkShape(`${name}.shape`, v.shape);
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw shapeError(`Expected ${name}.shape (${shape.join('x')}) to have ${data.length} elements (${name}.data.length) but it has ${n}`);
  return { data, shape };
}

/** Validated shape: an array of non-negative safe integers. */
export function checkShape(name: string, value: unknown): number[] {
  if (!Array.isArray(value)) throw typeError(name, 'an array of integers', value);
  return value.map((d, i) => checkInt(`${name}[${i}]`, d, { min: 0 }));
}

/**
 * Observer input: a Float32Array (1-D, or shaped by `shape`) or a `{ data, shape }` tensor. NaN is rejected.
 */
export function checkObserverInput(name: string, x: unknown, shape?: unknown): { data: Float32Array; shape: number[] } {
  let t: { data: Float32Array; shape: number[] };
  if (x instanceof Float32Array) {
    t = shape === undefined ? { data: checkFloat32Array(name, x), shape: [x.length] } : checkTensorLike(name, { data: x, shape });
  } else {
    if (shape !== undefined) throw typeError('shape', `undefined when ${name} is a { data, shape } tensor`, shape);
    t = checkTensorLike(name, x);
  }
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (d[i] !== d[i]) throw rangeError(`${name}[${i}]`, 'a number (not NaN)', NaN);
  }
  return t;
}
