/**
 * Layer-by-layer comparison of a float model and its quantized version, after PyTorch's
 * Numeric Suite (`torch.ao.ns._numeric_suite.compare_model_outputs`).
 */
import { rangeError, typeError } from '../errors';
import { Sequential } from '../nn/sequential';
import type { Module } from '../nn/sequential';
import { Tensor, checkTensor } from '../tensor';

/** Error statistics of one compared output. */
export interface ErrorStats {
  /** Signal-to-quantization-noise ratio `20 log10(||f|| / ||f - q||)` in dB (PyTorch's `compute_sqnr`); Infinity when equal. */
  sqnrDb: number;
  /** max |f - q|. */
  maxAbsError: number;
}

/** One compared layer of {@link compareModels}. */
export interface LayerComparison extends ErrorStats {
  /** Index path of the weight layer in the float model (`'0'`, `'3'`, `'2.1'`). */
  layer: string;
  /** Index path of the matching layer in the quantized model. */
  quantLayer: string;
  /** Class of the matching quantized layer (e.g. 'QuantizedLinear'). */
  type: string;
}

/** What {@link compareModels} returns. */
export interface ModelComparison {
  /** One entry per weight layer, in order: the outputs of its block (the layer and the layers after it up to the next weight layer). */
  layers: LayerComparison[];
  /** Error of the final output. */
  output: ErrorStats;
  /** The float model's output. */
  floatOutput: Tensor;
  /** The quantized model's output. */
  quantOutput: Tensor;
}

interface Flat {
  name: string;
  layer: Module;
}

function flatten(model: Sequential, prefix = ''): Flat[] {
  const out: Flat[] = [];
  model.layers.forEach((l, i) => {
    const name = prefix === '' ? String(i) : `${prefix}.${i}`;
    if (l instanceof Sequential) out.push(...flatten(l, name));
    else out.push({ name, layer: l });
  });
  return out;
}

/** A layer with weights: nn.Linear, nn.QuantizedLinear, nn.DynamicQuantizedLinear, nn.SparseLinear (anything with inFeatures and outFeatures). */
function isWeightLayer(l: Module): boolean {
  const o = l as unknown as { inFeatures?: unknown; outFeatures?: unknown };
  return typeof o.inFeatures === 'number' && typeof o.outFeatures === 'number';
}

interface Block {
  head: Flat;
  out: Tensor;
}

/** Runs x through the flattened layers and records the output of each weight layer's block. */
function run(layers: Flat[], x: Tensor): { blocks: Block[]; out: Tensor } {
  const blocks: Block[] = [];
  let h = x;
  let current: Block | null = null;
  for (const f of layers) {
    if (isWeightLayer(f.layer)) {
      if (current) blocks.push(current);
      current = { head: f, out: h };
    }
    h = f.layer.forward(h);
    if (current) current.out = h;
  }
  if (current) blocks.push(current);
  return { blocks, out: h };
}

/**
 * SQNR in dB and max abs error of `q` against the reference `f` (PyTorch's `compute_sqnr`:
 * `20 * log10(norm(f) / norm(f - q))`, in double).
 *
 * @example
 * errorStats(new Float32Array([1, 2]), new Float32Array([1, 2.1])); // { sqnrDb: 26.99, maxAbsError: 0.1 }
 */
export function errorStats(f: Float32Array, q: Float32Array): ErrorStats {
  if (!(f instanceof Float32Array)) throw typeError('f', 'a Float32Array', f);
  if (!(q instanceof Float32Array)) throw typeError('q', 'a Float32Array', q);
  if (f.length !== q.length) throw rangeError('q.length', `${f.length} (f.length)`, q.length);
  let s = 0, n = 0, mx = 0;
  for (let i = 0; i < f.length; i++) {
    const d = f[i] - q[i];
    s += f[i] * f[i];
    n += d * d;
    const a = Math.abs(d);
    if (a > mx || a !== a) mx = a;
  }
  const sqnrDb = n === 0 ? Infinity : 20 * Math.log10(Math.sqrt(s) / Math.sqrt(n));
  return { sqnrDb, maxAbsError: mx };
}

function inEval<T>(models: Sequential[], fn: () => T): T {
  // Each model's and each layer's own flag is restored (a layer may sit in both models).
  const modes = models.map((m) => m.training);
  const layers = models.flatMap((m) => m.layers as Array<{ training?: unknown }>);
  const layerModes = layers.map((l) => l.training);
  models.forEach((m) => m.eval());
  try {
    return fn();
  } finally {
    models.forEach((m, i) => { m.training = modes[i]; });
    layers.forEach((l, i) => { if (typeof layerModes[i] === 'boolean') l.training = layerModes[i]; });
  }
}

/**
 * Runs the same batch through a float model and its quantized version (both in eval mode,
 * modes restored afterwards) and reports, for each weight layer, the error of its block
 * output — the output after the layer and the non-weight layers following it, so a fused
 * QuantizedLinear(+ReLU) from `quantizeStatic` lines up with Linear, BatchNorm1d, ReLU — plus
 * the error of the final output. Like PyTorch's `compare_model_outputs`, errors propagate: each
 * model runs on its own activations. The two models must have the same number of weight
 * layers (nn.Linear in the float model, quantized / sparse layers in the other).
 *
 * @example
 * const qmodel = quant.quantizeStatic(model, calibration);
 * const { layers, output } = quant.compareModels(model, qmodel, xTest);
 * layers.forEach((l) => console.log(l.layer, l.type, l.sqnrDb.toFixed(1), 'dB'));
 */
export function compareModels(floatModel: Sequential, quantModel: Sequential, batch: Tensor): ModelComparison {
  if (!(floatModel instanceof Sequential)) throw typeError('floatModel', 'an nn.Sequential', floatModel);
  if (!(quantModel instanceof Sequential)) throw typeError('quantModel', 'an nn.Sequential', quantModel);
  const x = checkTensor('batch', batch);
  const fl = flatten(floatModel);
  const ql = flatten(quantModel);
  const fw = fl.filter((f) => isWeightLayer(f.layer)).length;
  const qw = ql.filter((f) => isWeightLayer(f.layer)).length;
  if (fw !== qw) throw rangeError('quantModel', `a model with ${fw} weight layers like floatModel`, `${qw} weight layers`);
  return inEval([floatModel, quantModel], () => {
    const f = run(fl, x);
    const q = run(ql, x);
    const layers = f.blocks.map((b, i) => {
      const qb = q.blocks[i];
      if (b.out.data.length !== qb.out.data.length) {
        throw rangeError(`quantModel layer ${qb.head.name}`, `an output of shape [${b.out.shape.join(', ')}] like floatModel layer ${b.head.name}`, `[${qb.out.shape.join(', ')}]`);
      }
      return { layer: b.head.name, quantLayer: qb.head.name, type: (qb.head.layer as object).constructor.name, ...errorStats(b.out.data, qb.out.data) };
    });
    if (f.out.data.length !== q.out.data.length) throw rangeError('quantModel', `an output of shape [${f.out.shape.join(', ')}]`, `[${q.out.shape.join(', ')}]`);
    return { layers, output: errorStats(f.out.data, q.out.data), floatOutput: f.out, quantOutput: q.out };
  });
}
