/**
 * Fake quantization (quantize then dequantize in float32) with PyTorch 1.13's CPU arithmetic and
 * the straight-through-estimator gradient mask.
 */
import { checkFloat32Array, checkInt, checkNumber, rangeError, shapeError, typeError } from '../errors';
import { type TensorLike, checkTensorLike } from './qparams';

const f = Math.fround;

/** Result of a fake quantization. */
export interface FakeQuantizeResult {
  /** Fake-quantized values (same length and layout as the input). */
  output: Float32Array;
  /** Straight-through mask: 1 where `quantMin <= zeroPoint + round(x / scale) <= quantMax` (gradient passes), else 0. */
  mask: Uint8Array;
}

function checkQRange(quantMin: unknown, quantMax: unknown): [number, number] {
  const qmin = checkInt('quantMin', quantMin, { min: -(2 ** 31), max: 2 ** 31 - 1 });
  const qmax = checkInt('quantMax', quantMax, { min: -(2 ** 31), max: 2 ** 31 - 1 });
  if (!(qmin <= qmax)) throw rangeError('quantMax', `an integer >= quantMin (${qmin})`, qmax);
  return [qmin, qmax];
}

function checkScale(name: string, v: unknown): number {
  const s = f(checkNumber(name, v));
  if (!(s > 0)) throw rangeError(name, 'a positive float32 number', v);
  return s;
}

function inputData(x: unknown): Float32Array {
  return x instanceof Float32Array ? checkFloat32Array('x', x) : checkTensorLike('x', x).data;
}

/**
 * Per-tensor fake quantization, PyTorch's `torch.fake_quantize_per_tensor_affine` (CPU, float32):
 * `invScale = fround(1 / scale)`, `q = zeroPoint + roundHalfEven(fround(x * invScale))`,
 * `output = fround((clamp(q, quantMin, quantMax) - zeroPoint) * scale)`; `mask = quantMin <= q <= quantMax`.
 * NaN inputs are rejected (RangeError).
 *
 * @param x - a Float32Array or a `{ data, shape }` tensor
 * @param scale - positive scale (rounded to float32, as PyTorch does)
 * @param zeroPoint - integer zero point within [quantMin, quantMax]
 * @example
 * const { output, mask } = fakeQuantize(new Float32Array([0.1, 2.5]), 0.1, 0, -128, 127);
 */
export function fakeQuantize(x: Float32Array | TensorLike, scale: number, zeroPoint: number, quantMin: number, quantMax: number): FakeQuantizeResult {
  const d = inputData(x);
  const s = checkScale('scale', scale);
  const [qmin, qmax] = checkQRange(quantMin, quantMax);
  const zp = checkInt('zeroPoint', zeroPoint, { min: qmin, max: qmax });
  const inv = f(1 / s);
  const output = new Float32Array(d.length);
  const mask = new Uint8Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v !== v) throw rangeError(`x[${i}]`, 'a number (not NaN)', v);
    const q = zp + nearbyint(f(v * inv));
    const c = q < qmin ? qmin : q > qmax ? qmax : q;
    output[i] = f((c - zp) * s);
    mask[i] = q >= qmin && q <= qmax ? 1 : 0;
  }
  return { output, mask };
}

/**
 * Per-channel fake quantization, PyTorch's `torch.fake_quantize_per_channel_affine` (CPU, float32):
 * channel c of `x` along `axis` uses `scales[c]` and `zeroPoints[c]` with the per-tensor formula.
 *
 * @param x - a `{ data, shape }` tensor
 * @param scales - one positive scale per channel
 * @param zeroPoints - one integer zero point per channel (Int32Array or number[])
 * @param axis - channel axis (negative counts from the end)
 * @example
 * const { output } = fakeQuantizePerChannel({ data: w, shape: [4, 8] }, scales, zeroPoints, 0, -128, 127);
 */
export function fakeQuantizePerChannel(
  x: TensorLike,
  scales: Float32Array | readonly number[],
  zeroPoints: Int32Array | readonly number[],
  axis: number,
  quantMin: number,
  quantMax: number,
): FakeQuantizeResult {
  const t = checkTensorLike('x', x);
  const rank = t.shape.length;
  const ax0 = checkInt('axis', axis);
  const ax = ax0 < 0 ? ax0 + rank : ax0;
  if (ax < 0 || ax >= rank) throw rangeError('axis', `an axis in [-${rank}, ${rank - 1}]`, axis);
  const channels = t.shape[ax];
  if (!(scales instanceof Float32Array) && !Array.isArray(scales)) throw typeError('scales', 'a Float32Array or an array of numbers', scales);
  if (!(zeroPoints instanceof Int32Array) && !Array.isArray(zeroPoints)) throw typeError('zeroPoints', 'an Int32Array or an array of integers', zeroPoints);
  if (scales.length !== channels) throw shapeError(`Expected scales.length to be ${channels} (x.shape[${ax}]) but received ${scales.length}`);
  if (zeroPoints.length !== channels) throw shapeError(`Expected zeroPoints.length to be ${channels} (x.shape[${ax}]) but received ${zeroPoints.length}`);
  const [qmin, qmax] = checkQRange(quantMin, quantMax);
  const sc = new Float32Array(channels);
  const zp = new Int32Array(channels);
  for (let c = 0; c < channels; c++) {
    sc[c] = checkScale(`scales[${c}]`, scales[c]);
    zp[c] = checkInt(`zeroPoints[${c}]`, zeroPoints[c], { min: qmin, max: qmax });
  }
  let inner = 1;
  for (let i = ax + 1; i < rank; i++) inner *= t.shape[i];
  const d = t.data;
  const output = new Float32Array(d.length);
  const mask = new Uint8Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v !== v) throw rangeError(`x.data[${i}]`, 'a number (not NaN)', v);
    const c = Math.floor(i / inner) % channels;
    const s = sc[c];
    const z = zp[c];
    const q = z + nearbyint(f(v * f(1 / s)));
    const cl = q < qmin ? qmin : q > qmax ? qmax : q;
    output[i] = f((cl - z) * s);
    mask[i] = q >= qmin && q <= qmax ? 1 : 0;
  }
  return { output, mask };
}

/**
 * Straight-through backward of a fake quantization: `gradIn[i] = mask[i] ? gradOut[i] : 0`.
 *
 * @example
 * const { output, mask } = fakeQuantize(x, scale, zp, 0, 255);
 * const gradX = fakeQuantizeBackward(gradOutput, mask);
 */
export function fakeQuantizeBackward(gradOut: Float32Array, mask: Uint8Array): Float32Array {
  checkFloat32Array('gradOut', gradOut);
  if (!(mask instanceof Uint8Array)) throw typeError('mask', 'a Uint8Array', mask);
  if (mask.length !== gradOut.length) throw rangeError('mask.length', `${gradOut.length} (gradOut.length)`, mask.length);
  const g = new Float32Array(gradOut.length);
  for (let i = 0; i < g.length; i++) g[i] = mask[i] ? gradOut[i] : 0;
  return g;
}

/** C's nearbyint in round-to-nearest-even mode; infinities pass through. */
function nearbyint(x: number): number {
  if (!Number.isFinite(x)) return x;
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
