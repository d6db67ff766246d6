import { checkBool, checkEnum, checkFloat32Array, checkInt, checkOptions, isDetached, rangeError, shapeError, typeError } from '../errors';
import { type RawPackedInt8, native } from '../native';
import { Tensor, checkTensor, viewsOverlap } from '../tensor';
import type { QDtype } from './qparams';
import { QTensor, checkQTensor, checkScale, qrange } from './qtensor';

/** Largest inFeatures of int8 weights: 255 * 255 * k must stay below 2^31 (exact int32 sums). */
export const MAX_INT8_K = 33025;

/**
 * int8 weights [outFeatures x inFeatures] packed once into the native GEMM layout (16-column
 * panels, k in quads), with their column sums for the zero-point correction. The native
 * memory is freed when this object is garbage-collected; `byteLength` is its size.
 */
export class PackedInt8Weights {
  readonly outFeatures: number;
  readonly inFeatures: number;
  /** Bytes of native memory held. */
  readonly byteLength: number;
  /** `'per_tensor_affine'` or `'per_channel_affine'` (axis 0). */
  readonly qscheme: 'per_tensor_affine' | 'per_channel_affine';
  /** One scale (per tensor) or outFeatures scales (float32). */
  readonly scales: Float32Array;
  /** One zero point (per tensor) or outFeatures zero points. */
  readonly zeroPoints: Int32Array;
  /** @internal */
  readonly raw: RawPackedInt8;

  /** @internal use {@link packInt8Weights} */
  constructor(raw: RawPackedInt8, outFeatures: number, inFeatures: number, scales: Float32Array, zeroPoints: Int32Array, perChannel: boolean) {
    if (raw === null || typeof raw !== 'object' || typeof raw.byteLength !== 'number' || typeof raw.n !== 'number' || typeof raw.k !== 'number') {
      throw typeError('raw', 'packed weights from packInt8Weights', raw);
    }
    checkInt('outFeatures', outFeatures, { min: 1, max: 2 ** 31 - 1 });
    checkInt('inFeatures', inFeatures, { min: 1, max: MAX_INT8_K });
    if (raw.n !== outFeatures) throw rangeError('outFeatures', `${raw.n} (the rows packed in raw)`, outFeatures);
    if (raw.k !== inFeatures) throw rangeError('inFeatures', `${raw.k} (the columns packed in raw)`, inFeatures);
    checkBool('perChannel', perChannel);
    const channels = perChannel ? outFeatures : 1;
    checkFloat32Array('scales', scales, channels);
    if (!(zeroPoints instanceof Int32Array)) throw typeError('zeroPoints', 'an Int32Array', zeroPoints);
    if (isDetached(zeroPoints)) throw typeError('zeroPoints', 'an Int32Array whose buffer is not detached', zeroPoints);
    if (zeroPoints.length !== channels) throw rangeError('zeroPoints.length', `${channels}`, zeroPoints.length);
    this.raw = raw;
    this.outFeatures = outFeatures;
    this.inFeatures = inFeatures;
    this.byteLength = raw.byteLength;
    this.scales = scales;
    this.zeroPoints = zeroPoints;
    this.qscheme = perChannel ? 'per_channel_affine' : 'per_tensor_affine';
  }
}

/**
 * Packs quantized Linear weights (an int8 QTensor of shape [outFeatures, inFeatures],
 * per tensor or per channel along axis 0) for {@link linearInt8} and the quantized layers.
 *
 * ```ts
 * const qw = quant.quantizePerChannel(linear.weight.data ..., scales, zeroPoints, 0, 'int8');
 * const packed = quant.packInt8Weights(qw); // packed.byteLength
 * ```
 */
export function packInt8Weights(qWeight: QTensor): PackedInt8Weights {
  const q = checkQTensor('qWeight', qWeight);
  if (q.dtype !== 'int8') throw rangeError('qWeight.dtype', "'int8'", q.dtype);
  if (q.shape.length !== 2) throw rangeError('qWeight.shape', '2 dimensions [outFeatures, inFeatures]', `[${q.shape.join(', ')}]`);
  const [n, k] = q.shape;
  if (n < 1) throw rangeError('qWeight.shape[0]', 'an integer >= 1', n);
  if (k < 1 || k > MAX_INT8_K) throw rangeError('qWeight.shape[1]', `an integer in [1, ${MAX_INT8_K}]`, k);
  let scales: Float32Array;
  let zeroPoints: Int32Array;
  const perChannel = q.qscheme === 'per_channel_affine';
  if (perChannel) {
    if (q.axis !== 0) throw rangeError('qWeight.axis', '0 (output channels)', q.axis);
    scales = q.scales!.slice();
    zeroPoints = q.zeroPoints!.slice();
  } else {
    scales = new Float32Array([q.scale!]);
    zeroPoints = new Int32Array([q.zeroPoint!]);
  }
  const raw = native.qgemmPack(q.data as Int8Array, n, k, zeroPoints, perChannel);
  return new PackedInt8Weights(raw, n, k, scales, zeroPoints, perChannel);
}

/** Options of {@link linearInt8}. */
export interface LinearInt8Options {
  /** Float32 bias of length outFeatures, added before ReLU and requantization. */
  bias?: Float32Array | null;
  /** Apply max(0, y). Default false. */
  relu?: boolean;
  /** `'float32'` (default) or a requantized `'uint8'` / `'int8'` output. */
  outputDtype?: 'float32' | QDtype;
  /** Output scale (requantized output only). */
  outputScale?: number;
  /** Output zero point (requantized output only). */
  outputZeroPoint?: number;
  /** float32 output only: a Tensor [batch, outFeatures] written in place (must not overlap x). */
  out?: Tensor;
}

interface PreparedCall {
  args: Parameters<typeof native.qgemm>;
  finish: () => Tensor | QTensor;
}

/** Checks a Float32Array bias of length n with finite values. */
export function checkBias(name: string, bias: unknown, n: number): Float32Array | null {
  if (bias === undefined || bias === null) return null;
  if (!(bias instanceof Float32Array)) throw typeError(name, 'a Float32Array', bias);
  if (isDetached(bias)) throw typeError(name, 'a Float32Array whose buffer is not detached', bias);
  if (bias.length !== n) throw rangeError(`${name}.length`, `${n} (outFeatures)`, bias.length);
  for (let i = 0; i < n; i++) if (!Number.isFinite(bias[i])) throw rangeError(`${name}[${i}]`, 'a finite number', bias[i]);
  return bias;
}

// The per-tensor qparams of a QTensor as the typed arrays the addon takes (QTensors are immutable).
const perTensorParams = new WeakMap<QTensor, [Float32Array, Int32Array]>();

/** @internal shared by linearInt8 and the quantized layers */
export function prepareLinearInt8(x: QTensor, w: PackedInt8Weights, options: unknown, activationScales?: Float32Array, activationZeroPoints?: Int32Array): PreparedCall {
  const q = checkQTensor('x', x);
  if (!(w instanceof PackedInt8Weights)) throw typeError('weights', 'a PackedInt8Weights (from packInt8Weights)', w);
  const opts = options === undefined ? {} as Partial<LinearInt8Options> : checkOptions<LinearInt8Options>('options', options);
  for (const key in opts) {
    if (!['bias', 'relu', 'outputDtype', 'outputScale', 'outputZeroPoint', 'out'].includes(key)) {
      throw rangeError('options', 'only bias, relu, outputDtype, outputScale, outputZeroPoint, out', key);
    }
  }
  if (q.shape.length !== 2 || q.shape[1] !== w.inFeatures) {
    throw shapeError(`linearInt8: expected x of shape [batch, ${w.inFeatures}] but received [${q.shape.join(', ')}]`);
  }
  const m = q.shape[0], n = w.outFeatures, k = w.inFeatures;
  let as = activationScales, az = activationZeroPoints;
  if (as === undefined || az === undefined) {
    if (q.qscheme !== 'per_tensor_affine') {
      if (q.axis !== 0) throw rangeError('x.axis', '0 (per-row activation quantization)', q.axis);
      as = q.scales!;
      az = q.zeroPoints!;
    } else {
      let cached = perTensorParams.get(q);
      if (cached === undefined) {
        cached = [new Float32Array([q.scale!]), new Int32Array([q.zeroPoint!])];
        perTensorParams.set(q, cached);
      }
      [as, az] = cached;
    }
  }
  const bias = checkBias('options.bias', opts.bias, n);
  const relu = opts.relu === undefined ? false : checkBool('options.relu', opts.relu);
  const outputDtype = opts.outputDtype === undefined ? 'float32' : checkEnum('options.outputDtype', opts.outputDtype, ['float32', 'uint8', 'int8'] as const);
  let outScale = 1, outZp = 0;
  let out: Float32Array | Uint8Array | Int8Array;
  let outTensor: Tensor | null = null;
  if (outputDtype === 'float32') {
    if (opts.outputScale !== undefined || opts.outputZeroPoint !== undefined) {
      throw rangeError('options.outputScale', "undefined unless options.outputDtype is 'uint8' or 'int8'", opts.outputScale ?? opts.outputZeroPoint);
    }
    if (opts.out !== undefined) {
      const o = checkTensor('options.out', opts.out, 2);
      if (o.shape[0] !== m || o.shape[1] !== n) throw rangeError('options.out.shape', `[${m}, ${n}]`, `[${o.shape.join(', ')}]`);
      if (viewsOverlap(o.data, q.data) || (bias !== null && viewsOverlap(o.data, bias))) {
        throw rangeError('options.out', 'a tensor that does not share memory with x or bias', 'an aliased tensor');
      }
      out = o.data;
      outTensor = o;
    } else {
      out = new Float32Array(m * n);
    }
  } else {
    if (opts.out !== undefined) throw rangeError('options.out', "undefined with a requantized outputDtype", opts.out);
    const [qmin, qmax] = qrange(outputDtype);
    outScale = checkScale('options.outputScale', opts.outputScale);
    outZp = checkInt('options.outputZeroPoint', opts.outputZeroPoint, { min: qmin, max: qmax });
    out = outputDtype === 'uint8' ? new Uint8Array(m * n) : new Int8Array(m * n);
  }
  const finish = (): Tensor | QTensor => (out instanceof Float32Array
    ? (outTensor ?? new Tensor(out, [m, n]))
    : new QTensor({ data: out, shape: [m, n], scale: outScale, zeroPoint: outZp }));
  return { args: [q.data, m, k, w.raw, as, az, w.scales, bias, relu, out, n, outScale, outZp], finish };
}

/**
 * int8 Linear: `y = (x - xZeroPoint) (W - wZeroPoint)^T * xScale * wScale + bias` with int32
 * accumulation on the native int8 GEMM (VNNI / AMX / AVX2 / NEON dotprod), then optional
 * ReLU, output float32 or requantized (`quantizePerTensor(y, outputScale, outputZeroPoint)`).
 * x is a 2-D QTensor [batch, inFeatures] (uint8 or int8; per tensor, or per row with axis 0).
 *
 * ```ts
 * const y = quant.linearInt8(quant.quantizePerTensor(x, 0.05, 128, 'uint8'), packed, { bias }) as Tensor;
 * ```
 */
export function linearInt8(x: QTensor, weights: PackedInt8Weights, options?: LinearInt8Options): Tensor | QTensor {
  const { args, finish } = prepareLinearInt8(x, weights, options);
  native.qgemm(...args);
  return finish();
}

/** {@link linearInt8} off the event loop; x, the weights and the output stay referenced until it settles. */
export async function linearInt8Async(x: QTensor, weights: PackedInt8Weights, options?: LinearInt8Options): Promise<Tensor | QTensor> {
  const { args, finish } = prepareLinearInt8(x, weights, options);
  await native.qgemmAsync(...args);
  return finish();
}
