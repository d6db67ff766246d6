import { checkBool, checkEnum, checkInt, checkOptions, rangeError, shapeError, typeError } from '../errors';
import { native } from '../native';
import { PackedInt8Weights, checkBias, packInt8Weights } from '../quant/packed';
import { type QDtype, type QScheme, qparamsFromMinMax, resolveQConfig } from '../quant/qparams';
import { quantizePerChannel, quantizePerTensor, dynamicRange } from '../quant/quantize';
import { type QTensor, checkQTensor, checkScale, qrange } from '../quant/qtensor';
import { Tensor, checkTensor } from '../tensor';
import { Linear } from './linear';
import type { Module } from './sequential';

/** How the weights of a quantized layer are quantized (PyTorch's default weight observers). */
interface WeightOptions {
  /** Per-output-channel symmetric int8 weights (default true); false: one symmetric scale. */
  perChannel?: boolean;
}

/** Options of {@link QuantizedLinear.fromFloat} (static quantization: calibrated activation qparams). */
export interface QuantizedLinearOptions extends WeightOptions {
  /** Activation scale, e.g. from an observer's calculateQParams(). Required. */
  activationScale: number;
  /** Activation zero point. Required. */
  activationZeroPoint: number;
  /** Activation type, default 'uint8' (PyTorch's quint8). */
  activationDtype?: QDtype;
  /** Output 'float32' (default), or requantized 'uint8' / 'int8' with outputScale / outputZeroPoint. */
  outputDtype?: 'float32' | QDtype;
  outputScale?: number;
  outputZeroPoint?: number;
  /** Fuse max(0, y) (PyTorch's LinearReLU). Default false. */
  relu?: boolean;
}

/** Options of {@link DynamicQuantizedLinear.fromFloat}. */
export interface DynamicQuantizedLinearOptions extends WeightOptions {
  /** Halve the uint8 activation range to [0, 127] as PyTorch's fbgemm backend does. Default false. */
  reduceRange?: boolean;
  /** 'tensor' (default, PyTorch's choice): one scale per call; 'row': one per input row. */
  activationGranularity?: 'tensor' | 'row';
}

/** Quantizes a Linear's weight with PyTorch's default weight observers (symmetric int8). */
function quantizeWeight(linear: Linear, perChannel: boolean): QTensor {
  const n = linear.outFeatures, k = linear.inFeatures;
  const w = linear.weight.data;
  for (let i = 0; i < w.length; i++) {
    if (!Number.isFinite(w[i])) throw rangeError(`linear.weight.data[${i}]`, 'a finite number', w[i]);
  }
  const weight = new Tensor(w, [n, k]);
  if (!perChannel) {
    const cfg = resolveQConfig({ dtype: 'int8', qscheme: 'per_tensor_symmetric' }, ['per_tensor_symmetric'] as QScheme[], 'per_tensor_symmetric');
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < w.length; i++) {
      lo = Math.min(lo, w[i]);
      hi = Math.max(hi, w[i]);
    }
    const qp = qparamsFromMinMax(lo, hi, cfg);
    return quantizePerTensor(weight, qp.scale, qp.zeroPoint, 'int8');
  }
  const cfg = resolveQConfig({ dtype: 'int8', qscheme: 'per_channel_symmetric' }, ['per_channel_symmetric'] as QScheme[], 'per_channel_symmetric');
  const scales = new Float32Array(n);
  const zps = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    let lo = Infinity, hi = -Infinity;
    for (let l = 0; l < k; l++) {
      const v = w[j * k + l];
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const qp = qparamsFromMinMax(lo, hi, cfg);
    scales[j] = qp.scale;
    zps[j] = qp.zeroPoint;
  }
  return quantizePerChannel(weight, scales, zps, 0, 'int8');
}

function checkLinear(linear: unknown): Linear {
  if (!(linear instanceof Linear)) throw typeError('linear', 'an nn.Linear', linear);
  if (linear.inFeatures > 33025) throw rangeError('linear.inFeatures', 'at most 33025 for int8 GEMM', linear.inFeatures);
  return linear;
}

function checkKeys(opts: object, allowed: readonly string[]): void {
  for (const key of Object.keys(opts)) {
    if (!allowed.includes(key)) throw rangeError('options', `only ${allowed.join(', ')}`, key);
  }
}

/**
 * The stored form of a quantized Linear (what io.saveModel writes): int8 weights
 * [outFeatures, inFeatures] with their qparams (per tensor, or per channel along axis 0) and the
 * float32 bias. `fromState` packs the weights again, so the layer computes exactly what the
 * saved one did.
 */
export interface QuantizedLinearState {
  weight: QTensor;
  bias: Float32Array | null;
}

function checkState(state: unknown): QuantizedLinearState {
  if (state === null || typeof state !== 'object') throw typeError('state', 'an object { weight: QTensor, bias }', state);
  const { weight, bias } = state as QuantizedLinearState;
  const w = checkQTensor('state.weight', weight);
  if (w.dtype !== 'int8' || w.shape.length !== 2) throw rangeError('state.weight', 'an int8 QTensor of shape [outFeatures, inFeatures]', `${w.dtype} [${w.shape.join(', ')}]`);
  if (w.qscheme === 'per_channel_affine' && w.axis !== 0) throw rangeError('state.weight.axis', '0 (output channels)', w.axis);
  if (bias !== null && !(bias instanceof Float32Array)) throw typeError('state.bias', 'a Float32Array or null', bias);
  return { weight: w, bias };
}

abstract class QuantizedLinearBase implements Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** The quantized weight (int8, per tensor or per channel along axis 0). */
  readonly weight: QTensor;
  /** The packed weight the native kernel reads. */
  readonly packed: PackedInt8Weights;
  /** Float32 bias (a copy), or null. */
  readonly bias: Float32Array | null;

  protected constructor(linear: Linear | QuantizedLinearState, perChannel: boolean) {
    if (!(linear instanceof Linear)) {
      // fromState: already quantized weights (checked by checkState).
      this.weight = linear.weight;
      [this.outFeatures, this.inFeatures] = linear.weight.shape;
      this.packed = packInt8Weights(this.weight);
      this.bias = linear.bias === null ? null : checkBias('state.bias', linear.bias, this.outFeatures)?.slice() ?? null;
      return;
    }
    this.inFeatures = linear.inFeatures;
    this.outFeatures = linear.outFeatures;
    this.weight = quantizeWeight(linear, perChannel);
    this.packed = packInt8Weights(this.weight);
    this.bias = linear.bias ? checkBias('linear.bias.data', linear.bias.data.slice(), this.outFeatures) : null;
  }

  protected checkInput(x: unknown): Tensor {
    const t = checkTensor('x', x, 2);
    if (t.shape[1] !== this.inFeatures) {
      throw shapeError(`${this.constructor.name}: expected x of shape [batch, ${this.inFeatures}] but received [${t.shape.join(', ')}]`);
    }
    return t;
  }

  /** y = x W^T + b on the int8 GEMM; x [batch, inFeatures] float32, y [batch, outFeatures] float32. */
  abstract forward(x: Tensor): Tensor;
  /** {@link forward} off the event loop (the GEMM runs on a worker thread). */
  abstract forwardAsync(x: Tensor): Promise<Tensor>;

  /** No trainable parameters. */
  parameters(): [] {
    return [];
  }

  train(): this {
    return this;
  }

  eval(): this {
    return this;
  }
}

/**
 * Statically quantized Linear (PyTorch's `nn.quantized.Linear`): activations quantized with
 * calibrated qparams, weights symmetric int8 (per channel by default), int32 accumulation on
 * the native int8 GEMM, bias and optional ReLU fused, output float32 or requantized.
 *
 * ```ts
 * const obs = new quant.MinMaxObserver();
 * for (const batch of calibration) obs.observe(batch);
 * const { scale, zeroPoint } = obs.calculateQParams();
 * const q = nn.QuantizedLinear.fromFloat(linear, { activationScale: scale, activationZeroPoint: zeroPoint });
 * const y = q.forward(x);
 * ```
 */
export class QuantizedLinear extends QuantizedLinearBase {
  readonly activationScale: number;
  readonly activationZeroPoint: number;
  readonly activationDtype: QDtype;
  readonly outputDtype: 'float32' | QDtype;
  readonly outputScale: number;
  readonly outputZeroPoint: number;
  readonly relu: boolean;
  private readonly aScales: Float32Array;
  private readonly aZps: Int32Array;
  private scratch: Uint8Array | Int8Array | null = null;

  private constructor(linear: Linear | QuantizedLinearState, opts: QuantizedLinearOptions, perChannel: boolean) {
    super(linear, perChannel);
    this.activationDtype = opts.activationDtype === undefined ? 'uint8' : checkEnum('options.activationDtype', opts.activationDtype, ['uint8', 'int8'] as const);
    const [qmin, qmax] = qrange(this.activationDtype);
    this.activationScale = checkScale('options.activationScale', opts.activationScale);
    this.activationZeroPoint = checkInt('options.activationZeroPoint', opts.activationZeroPoint, { min: qmin, max: qmax });
    this.outputDtype = opts.outputDtype === undefined ? 'float32' : checkEnum('options.outputDtype', opts.outputDtype, ['float32', 'uint8', 'int8'] as const);
    if (this.outputDtype === 'float32') {
      if (opts.outputScale !== undefined) throw rangeError('options.outputScale', "undefined unless options.outputDtype is 'uint8' or 'int8'", opts.outputScale);
      if (opts.outputZeroPoint !== undefined) throw rangeError('options.outputZeroPoint', "undefined unless options.outputDtype is 'uint8' or 'int8'", opts.outputZeroPoint);
      this.outputScale = 1;
      this.outputZeroPoint = 0;
    } else {
      const [omin, omax] = qrange(this.outputDtype);
      this.outputScale = checkScale('options.outputScale', opts.outputScale);
      this.outputZeroPoint = checkInt('options.outputZeroPoint', opts.outputZeroPoint, { min: omin, max: omax });
    }
    this.relu = opts.relu === undefined ? false : checkBool('options.relu', opts.relu);
    this.aScales = new Float32Array([this.activationScale]);
    this.aZps = new Int32Array([this.activationZeroPoint]);
  }

  /** Quantizes `linear` (its weights are read now; later changes do not affect this layer). */
  static fromFloat(linear: Linear, options: QuantizedLinearOptions): QuantizedLinear {
    const l = checkLinear(linear);
    if (options === undefined) throw typeError('options', 'an options object with activationScale and activationZeroPoint', options);
    const opts = checkOptions<QuantizedLinearOptions>('options', options) as QuantizedLinearOptions;
    checkKeys(opts, ['activationScale', 'activationZeroPoint', 'activationDtype', 'perChannel', 'outputDtype', 'outputScale', 'outputZeroPoint', 'relu']);
    const perChannel = opts.perChannel === undefined ? true : checkBool('options.perChannel', opts.perChannel);
    return new QuantizedLinear(l, opts, perChannel);
  }

  /**
   * Rebuilds a layer from its stored state (int8 weights + qparams, bias) and its activation /
   * output options (as given to fromFloat; perChannel follows the weight's qscheme). Used by
   * io.loadModel; the result computes exactly what the saved layer computed.
   */
  static fromState(state: QuantizedLinearState, options: Omit<QuantizedLinearOptions, 'perChannel'>): QuantizedLinear {
    const st = checkState(state);
    if (options === undefined) throw typeError('options', 'an options object with activationScale and activationZeroPoint', options);
    const opts = checkOptions<QuantizedLinearOptions>('options', options) as QuantizedLinearOptions;
    checkKeys(opts, ['activationScale', 'activationZeroPoint', 'activationDtype', 'outputDtype', 'outputScale', 'outputZeroPoint', 'relu']);
    return new QuantizedLinear(st, opts, st.weight.qscheme === 'per_channel_affine');
  }

  private prepare(x: Tensor, reuse: boolean): { args: Parameters<typeof native.qgemm>; out: Float32Array | Uint8Array | Int8Array; m: number } {
    const t = this.checkInput(x);
    const m = t.shape[0], n = this.outFeatures, k = this.inFeatures;
    // Synchronous calls reuse one activation buffer; async ones own theirs until they settle.
    let xq: Uint8Array | Int8Array;
    if (reuse && this.scratch !== null && this.scratch.length === m * k) {
      xq = this.scratch;
    } else {
      xq = this.activationDtype === 'uint8' ? new Uint8Array(m * k) : new Int8Array(m * k);
      if (reuse) this.scratch = xq;
    }
    if (xq.length > 0) native.quantize(t.data, 1, 1, xq.length, this.aScales, this.aZps, xq);
    const out = this.outputDtype === 'float32' ? new Float32Array(m * n) : this.outputDtype === 'uint8' ? new Uint8Array(m * n) : new Int8Array(m * n);
    return {
      args: [xq, m, k, this.packed.raw, this.aScales, this.aZps, this.packed.scales, this.bias, this.relu, out, n, this.outputScale, this.outputZeroPoint],
      out,
      m,
    };
  }

  private finish(out: Float32Array | Uint8Array | Int8Array, m: number): Tensor {
    if (out instanceof Float32Array) return new Tensor(out, [m, this.outFeatures]);
    const y = new Float32Array(out.length);
    if (y.length > 0) native.dequantize(out, 1, 1, out.length, new Float32Array([this.outputScale]), new Int32Array([this.outputZeroPoint]), y);
    return new Tensor(y, [m, this.outFeatures]);
  }

  /**
   * y = relu?(dequant(quant(x)) W_q^T + b) for x [batch, inFeatures]. With a requantized
   * outputDtype the result holds the dequantized uint8 / int8 outputs. NaN inputs quantize
   * to the type's minimum (as PyTorch on x86).
   */
  forward(x: Tensor): Tensor {
    const { args, out, m } = this.prepare(x, true);
    if (m > 0) native.qgemm(...args);
    return this.finish(out, m);
  }

  async forwardAsync(x: Tensor): Promise<Tensor> {
    const { args, out, m } = this.prepare(x, false);
    if (m > 0) await native.qgemmAsync(...args);
    return this.finish(out, m);
  }
}

/**
 * Dynamically quantized Linear (PyTorch's `nn.quantized.dynamic.Linear`): each call finds
 * the activation range (per call or per row), picks uint8 qparams with PyTorch's
 * ChooseQuantizationParams and quantizes in one fused native pass, then runs the int8 GEMM
 * with float32 output, bias fused.
 *
 * ```ts
 * const q = nn.DynamicQuantizedLinear.fromFloat(linear, { perChannel: true });
 * const y = await q.forwardAsync(x);
 * ```
 */
export class DynamicQuantizedLinear extends QuantizedLinearBase {
  readonly reduceRange: boolean;
  readonly activationGranularity: 'tensor' | 'row';

  private constructor(linear: Linear | QuantizedLinearState, perChannel: boolean, reduceRange: boolean, granularity: 'tensor' | 'row') {
    super(linear, perChannel);
    this.reduceRange = reduceRange;
    this.activationGranularity = granularity;
  }

  static fromFloat(linear: Linear, options?: DynamicQuantizedLinearOptions): DynamicQuantizedLinear {
    const l = checkLinear(linear);
    const opts = checkOptions<DynamicQuantizedLinearOptions>('options', options);
    checkKeys(opts, ['perChannel', 'reduceRange', 'activationGranularity']);
    const perChannel = opts.perChannel === undefined ? true : checkBool('options.perChannel', opts.perChannel);
    const reduceRange = opts.reduceRange === undefined ? false : checkBool('options.reduceRange', opts.reduceRange);
    const granularity = opts.activationGranularity === undefined ? 'tensor' : checkEnum('options.activationGranularity', opts.activationGranularity, ['tensor', 'row'] as const);
    return new DynamicQuantizedLinear(l, perChannel, reduceRange, granularity);
  }

  /** Rebuilds a layer from its stored state (int8 weights + qparams, bias), like {@link QuantizedLinear.fromState}. */
  static fromState(state: QuantizedLinearState, options?: Omit<DynamicQuantizedLinearOptions, 'perChannel'>): DynamicQuantizedLinear {
    const st = checkState(state);
    const opts = checkOptions<DynamicQuantizedLinearOptions>('options', options);
    checkKeys(opts, ['reduceRange', 'activationGranularity']);
    const reduceRange = opts.reduceRange === undefined ? false : checkBool('options.reduceRange', opts.reduceRange);
    const granularity = opts.activationGranularity === undefined ? 'tensor' : checkEnum('options.activationGranularity', opts.activationGranularity, ['tensor', 'row'] as const);
    return new DynamicQuantizedLinear(st, st.weight.qscheme === 'per_channel_affine', reduceRange, granularity);
  }

  private prepare(x: Tensor): { args: Parameters<typeof native.qgemm>; out: Float32Array; m: number } {
    const t = this.checkInput(x);
    const m = t.shape[0], n = this.outFeatures, k = this.inFeatures;
    const out = new Float32Array(m * n);
    const groups = this.activationGranularity === 'row' ? m : 1;
    const scales = new Float32Array(Math.max(groups, 1));
    const zps = new Int32Array(Math.max(groups, 1));
    const xq = new Uint8Array(m * k);
    const [qmin, qmax] = dynamicRange('uint8', this.reduceRange);
    if (m > 0) native.quantizeDynamic(t.data, m, k, this.activationGranularity === 'row' ? 1 : m, qmin, qmax, xq, scales, zps);
    return { args: [xq, m, k, this.packed.raw, scales, zps, this.packed.scales, this.bias, false, out, n, 1, 0], out, m };
  }

  /** y = dequant(dynquant(x)) W_q^T + b for x [batch, inFeatures]. */
  forward(x: Tensor): Tensor {
    const { args, out, m } = this.prepare(x);
    if (m > 0) native.qgemm(...args);
    return new Tensor(out, [m, this.outFeatures]);
  }

  async forwardAsync(x: Tensor): Promise<Tensor> {
    const { args, out, m } = this.prepare(x);
    if (m > 0) await native.qgemmAsync(...args);
    return new Tensor(out, [m, this.outFeatures]);
  }
}
