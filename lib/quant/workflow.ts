/**
 * Model-level quantization of the nn.Linear layers of a Sequential: dynamic (PyTorch's
 * `torch.ao.quantization.quantize_dynamic`) and static post-training quantization
 * (`prepare` / calibrate / `convert` in eval mode).
 */
import { checkBool, checkEnum, checkOptions, rangeError, typeError } from '../errors';
import { BatchNorm1d } from '../nn/batchnorm';
import { foldBatchNorm } from '../nn/fold';
import { ReLU } from '../nn/layers';
import { Linear } from '../nn/linear';
import { DynamicQuantizedLinear, QuantizedLinear } from '../nn/quantized_linear';
import { Sequential } from '../nn/sequential';
import type { Module } from '../nn/sequential';
import { Tensor, checkTensor } from '../tensor';
import { MinMaxObserver } from './observers';
import type { ObserverOptions } from './observers';
import type { QDtype } from './qparams';

/** What a model given to the workflow must look like: a Sequential (nested Sequentials are converted too). */
export type QuantizableModel = Sequential;

/** Options of {@link quantizeDynamic}. */
export interface QuantizeDynamicOptions {
  /** Weight type, PyTorch's `dtype=torch.qint8`: only 'int8' (the default) is supported. */
  dtype?: 'int8';
  /** Per-output-channel weight scales (default true) or one scale per layer. */
  perChannel?: boolean;
  /** Activations in [0, 127] like PyTorch's fbgemm backend. Default false. */
  reduceRange?: boolean;
}

/** An activation observer: anything with `observe(x)` and a per-tensor `calculateQParams()`. */
export interface ActivationObserver {
  observe(x: Tensor): void;
  calculateQParams(): { scale: number; zeroPoint: number };
  /** Observers of this package carry their dtype here. */
  readonly config?: { dtype?: QDtype };
}

/** A factory of activation observers: an observer class (constructed with `{ dtype }`) or a function returning a new observer. */
export type ActivationObserverFactory = (new (opts?: ObserverOptions) => ActivationObserver) | (() => ActivationObserver);

/** Options of {@link quantizeStatic}. */
export interface QuantizeStaticOptions {
  /**
   * Observer of each Linear's input, e.g. `quant.HistogramObserver` or
   * `() => new quant.MovingAverageMinMaxObserver({ averagingConstant: 0.01 })`; one per Linear.
   * Default `quant.MinMaxObserver` (per-tensor affine).
   */
  activationObserver?: ActivationObserverFactory;
  /** Activation type: 'uint8' (default, PyTorch's quint8) or 'int8'; an observer's own dtype must match. */
  activationDtype?: QDtype;
  /**
   * Weight observer: 'perChannelMinMax' (default, PyTorch's `default_per_channel_weight_observer`:
   * symmetric int8 per output channel) or 'minMax' (`default_weight_observer`: symmetric int8 per
   * tensor). These are the weight schemes the int8 kernel packs.
   */
  weightObserver?: 'perChannelMinMax' | 'minMax';
  /** Shorthand for weightObserver: true = 'perChannelMinMax', false = 'minMax'. */
  perChannel?: boolean;
  /**
   * Fuse like `torch.ao.quantization.fuse_modules` first (default true): a BatchNorm1d right
   * after a Linear is folded into it (nn.foldBatchNorm, running statistics) and a ReLU right
   * after (the Linear or the folded BatchNorm1d) becomes the fused ReLU of the QuantizedLinear.
   */
  fuse?: boolean;
}

type Stage =
  | { kind: 'linear'; linear: Linear; relu: boolean; observer: ActivationObserver | null }
  | { kind: 'module'; module: Module }
  | { kind: 'nested'; stages: Stage[] };

function checkSequential(name: string, model: unknown): Sequential {
  if (!(model instanceof Sequential)) throw typeError(name, 'an nn.Sequential', model);
  return model;
}

function isClass(f: unknown): boolean {
  return typeof f === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(f));
}

function makeObserver(factory: ActivationObserverFactory | undefined, dtype: QDtype): ActivationObserver {
  let obs: unknown;
  if (factory === undefined) obs = new MinMaxObserver({ dtype });
  else if (isClass(factory)) obs = new (factory as new (opts?: ObserverOptions) => ActivationObserver)({ dtype });
  else obs = (factory as () => ActivationObserver)();
  const o = obs as ActivationObserver | null;
  if (o === null || typeof o !== 'object' || typeof o.observe !== 'function' || typeof o.calculateQParams !== 'function') {
    throw typeError('options.activationObserver', 'an observer class or a function returning an observer with observe() and calculateQParams()', obs);
  }
  const own = o.config?.dtype;
  if (own !== undefined && own !== dtype) throw rangeError('options.activationObserver', `an observer of dtype '${dtype}' (options.activationDtype)`, own);
  return o;
}

/** Splits a Sequential into stages, folding BatchNorm1d and fusing ReLU when asked. */
function buildStages(model: Sequential, fuse: boolean, observer: () => ActivationObserver | null): Stage[] {
  const layers = model.layers;
  const stages: Stage[] = [];
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i];
    if (l instanceof Linear) {
      let linear = l;
      let j = i + 1;
      if (fuse && layers[j] instanceof BatchNorm1d && (layers[j] as BatchNorm1d).runningMean !== null) {
        linear = foldBatchNorm(linear, layers[j] as BatchNorm1d).eval();
        j++;
      }
      let relu = false;
      if (fuse && layers[j] instanceof ReLU) {
        relu = true;
        j++;
      }
      stages.push({ kind: 'linear', linear, relu, observer: observer() });
      i = j - 1;
    } else if (l instanceof Sequential) {
      stages.push({ kind: 'nested', stages: buildStages(l, fuse, observer) });
    } else {
      stages.push({ kind: 'module', module: l });
    }
  }
  return stages;
}

function relu(t: Tensor): Tensor {
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = t.data[i] > 0 ? t.data[i] : 0;
  return new Tensor(out, t.shape);
}

function runStages(stages: Stage[], x: Tensor): Tensor {
  let h = x;
  for (const s of stages) {
    if (s.kind === 'linear') {
      s.observer?.observe(h);
      h = s.linear.forward(h);
      if (s.relu) h = relu(h);
    } else if (s.kind === 'nested') {
      h = runStages(s.stages, h);
    } else {
      h = s.module.forward(h);
    }
  }
  return h;
}

function convertStages(stages: Stage[], convert: (s: Extract<Stage, { kind: 'linear' }>) => Module): Sequential {
  return new Sequential(...stages.map((s) => (s.kind === 'linear' ? convert(s) : s.kind === 'nested' ? convertStages(s.stages, convert) : s.module)));
}

/** Runs fn with the model in eval mode, restoring training mode afterwards if it was on. */
function inEval<T>(model: Sequential, fn: () => T): T {
  const wasTraining = model.training;
  model.eval();
  try {
    return fn();
  } finally {
    if (wasTraining) model.train(true);
  }
}

function batchesOf(calibrationBatches: unknown): Tensor[] {
  let list: unknown[];
  if (calibrationBatches instanceof Tensor) list = [calibrationBatches];
  else if (calibrationBatches !== null && typeof calibrationBatches === 'object' && typeof (calibrationBatches as Iterable<unknown>)[Symbol.iterator] === 'function') {
    list = [...(calibrationBatches as Iterable<unknown>)];
  } else {
    throw typeError('calibrationBatches', 'a Tensor or an array (iterable) of Tensors', calibrationBatches);
  }
  if (list.length === 0) throw rangeError('calibrationBatches', 'at least one batch', 'none');
  return list.map((b, i) => checkTensor(`calibrationBatches[${i}]`, b));
}

/**
 * Dynamic quantization, PyTorch's `quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)`:
 * returns a new Sequential in which every nn.Linear (nested Sequentials included) is replaced
 * by an `nn.DynamicQuantizedLinear` (int8 weights, activations quantized per call). The other
 * layers are the float model's own instances (shared, not copied); the float model is not
 * modified. Weights are read now (pruned weights stay 0).
 *
 * @example
 * const qmodel = quant.quantizeDynamic(model, { perChannel: true });
 * const y = await qmodel.predictAsync(x);
 */
export function quantizeDynamic(model: QuantizableModel, opts?: QuantizeDynamicOptions): Sequential {
  const m = checkSequential('model', model);
  const o = checkOptions<QuantizeDynamicOptions>('options', opts);
  if (o.dtype !== undefined) checkEnum('options.dtype', o.dtype, ['int8'] as const);
  const perChannel = o.perChannel === undefined ? true : checkBool('options.perChannel', o.perChannel);
  const reduceRange = o.reduceRange === undefined ? false : checkBool('options.reduceRange', o.reduceRange);
  const stages = buildStages(m, false, () => null);
  return convertStages(stages, (s) => DynamicQuantizedLinear.fromFloat(s.linear, { perChannel, reduceRange })).eval();
}

/**
 * Static post-training quantization, PyTorch's eager-mode `prepare` / calibrate / `convert`
 * on a model in eval mode: (optionally) fuses Linear + BatchNorm1d + ReLU, puts one
 * activation observer on the input of every Linear, runs every calibration batch through the
 * float model (in eval mode; its mode is restored afterwards), and returns a new Sequential in
 * which every Linear is an `nn.QuantizedLinear` with the calibrated activation qparams (float
 * output, so layers between quantized Linears run in float). The other layers are the float
 * model's own instances (shared); the float model is not modified.
 *
 * @param calibrationBatches - a Tensor, or an array / iterable of Tensors [batch, inFeatures]
 * @example
 * const qmodel = quant.quantizeStatic(model, [x1, x2, x3], { activationObserver: quant.HistogramObserver });
 * const report = quant.compareModels(model, qmodel, xTest);
 */
export function quantizeStatic(model: QuantizableModel, calibrationBatches: Iterable<Tensor> | Tensor, opts?: QuantizeStaticOptions): Sequential {
  const m = checkSequential('model', model);
  const o = checkOptions<QuantizeStaticOptions>('options', opts);
  const dtype = o.activationDtype === undefined ? 'uint8' : checkEnum('options.activationDtype', o.activationDtype, ['uint8', 'int8'] as const);
  const wo = o.weightObserver === undefined ? undefined : checkEnum('options.weightObserver', o.weightObserver, ['perChannelMinMax', 'minMax'] as const);
  const pc = o.perChannel === undefined ? undefined : checkBool('options.perChannel', o.perChannel);
  if (wo !== undefined && pc !== undefined && (wo === 'perChannelMinMax') !== pc) {
    throw rangeError('options.perChannel', `${wo === 'perChannelMinMax'} (consistent with options.weightObserver '${wo}')`, pc);
  }
  const perChannel = pc ?? (wo === undefined ? true : wo === 'perChannelMinMax');
  const fuse = o.fuse === undefined ? true : checkBool('options.fuse', o.fuse);
  if (o.activationObserver !== undefined && typeof o.activationObserver !== 'function') {
    throw typeError('options.activationObserver', 'an observer class or a function returning an observer', o.activationObserver);
  }
  const batches = batchesOf(calibrationBatches);
  return inEval(m, () => {
    const stages = buildStages(m, fuse, () => makeObserver(o.activationObserver, dtype));
    for (const b of batches) runStages(stages, b);
    return convertStages(stages, (s) => {
      const qp = (s.observer as ActivationObserver).calculateQParams();
      return QuantizedLinear.fromFloat(s.linear, { activationScale: qp.scale, activationZeroPoint: qp.zeroPoint, activationDtype: dtype, perChannel, relu: s.relu });
    }).eval();
  });
}
