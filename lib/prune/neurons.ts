/**
 * Structured pruning of whole neurons: removes output neurons of a Linear, the matching
 * BatchNorm1d features and the matching input columns of the next Linear, physically
 * shrinking the matrices.
 */
import { checkEnum, checkInt, checkOptions, rangeError, typeError } from '../errors';
import { BatchNorm1d } from '../nn/batchnorm';
import { Dropout, Flatten, GELU, ReLU } from '../nn/layers';
import { Linear } from '../nn/linear';
import { Parameter } from '../nn/parameter';
import { Rng } from '../random';
import { Tensor, checkTensor } from '../tensor';
import { computeNParamsToPrune } from './masks';
import { checkModel, dropMask, getMask, setMask } from './model';
import type { LayeredModel } from './model';

/** How {@link neurons} scores a neuron (a higher score is more important). */
export type NeuronImportance = 'l1' | 'l2' | 'apoz' | 'meanActivation';

/** Options of {@link neurons}. */
export interface NeuronsOptions {
  /** Neurons to remove: an integer count or a fraction in [0, 1) of the layer's outputs (rounded half to even); at least one neuron must remain. */
  amount: number;
  /**
   * - 'l1' (default) / 'l2': norm of the neuron's weight row (bias excluded), like
   *   `prune.ln_structured(..., n=1 | 2, dim=0)`;
   * - 'apoz': Average Percentage of Zeros of the neuron's activation on `calibration` (values
   *   <= 0 count as zeros); the neurons most often zero go first (score = 1 - APoZ);
   * - 'meanActivation': mean |activation| on `calibration`; the smallest go first.
   */
  importance?: NeuronImportance;
  /**
   * Input batch [batch, model input features] for 'apoz' and 'meanActivation': the model is
   * run in eval mode up to the next Linear (so after the layer's BatchNorm1d and activation).
   */
  calibration?: Tensor;
}

/** What {@link neurons} did. */
export interface NeuronsReport {
  /** Index of the pruned Linear in `model.layers`. */
  layer: number;
  /** Index of the next Linear, whose input columns were removed. */
  nextLayer: number;
  /** Indices of the BatchNorm1d layers between them that lost features. */
  batchNorms: number[];
  /** Original indices of the neurons kept, ascending (neuron i of the new layer was neuron kept[i]). */
  kept: number[];
  /** Original indices of the neurons removed, ascending. */
  removed: number[];
  /** Importance score of every original neuron (higher = more important). */
  scores: number[];
}

const PASS_THROUGH = 'ReLU, GELU, Dropout, Flatten or BatchNorm1d';

function isPassThrough(l: unknown): boolean {
  return l instanceof ReLU || l instanceof GELU || l instanceof Dropout || l instanceof Flatten || l instanceof BatchNorm1d;
}

function rowNorms(w: Float32Array, rows: number, cols: number, p: 1 | 2): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let acc = 0;
    for (let c = 0; c < cols; c++) {
      const v = w[r * cols + c];
      acc += p === 1 ? Math.abs(v) : v * v;
    }
    out.push(p === 1 ? acc : Math.sqrt(acc));
  }
  return out;
}

interface Trainable {
  training?: boolean;
  train?(mode?: boolean): unknown;
  eval?(): unknown;
  forward(x: Tensor): Tensor;
}

/** Runs layers [0, end) in eval mode on x, restoring each layer's mode afterwards. */
function activationsUpTo(layers: readonly unknown[], end: number, x: Tensor): Tensor {
  const ls = layers.slice(0, end) as Trainable[];
  const modes = ls.map((l) => l.training);
  try {
    for (const l of ls) {
      if (typeof l.eval === 'function') l.eval();
      else if (typeof l.train === 'function') l.train(false);
    }
    let h = x;
    for (const l of ls) h = l.forward(h);
    return h;
  } finally {
    ls.forEach((l, i) => {
      if (modes[i] === true && typeof l.train === 'function') l.train(true);
    });
  }
}

function activationScores(act: Tensor, features: number, kind: 'apoz' | 'meanActivation'): number[] {
  if (act.shape.length !== 2 || act.shape[1] !== features) {
    throw rangeError('options.calibration', `an input whose activations at the layer have shape [batch, ${features}]`, `[${act.shape.join(', ')}]`);
  }
  const rows = act.shape[0];
  const out: number[] = [];
  for (let c = 0; c < features; c++) {
    let acc = 0;
    for (let r = 0; r < rows; r++) {
      const v = act.data[r * features + c];
      if (v !== v) throw rangeError(`activation[${r}, ${c}] of options.calibration`, 'a number (not NaN)', NaN);
      acc += kind === 'apoz' ? (v <= 0 ? 1 : 0) : Math.abs(v);
    }
    out.push(kind === 'apoz' ? 1 - acc / rows : acc / rows);
  }
  return out;
}

function newLinear(inF: number, outF: number, w: Float32Array, b: Float32Array | null, training: boolean): Linear {
  const l = new Linear(inF, outF, { bias: b !== null, rng: new Rng(0) });
  l.weight = new Parameter(w, [outF, inF]);
  l.bias = b === null ? null : new Parameter(b, [outF]);
  l.train(training);
  return l;
}

function pick(src: Float32Array, idx: readonly number[]): Float32Array {
  const out = new Float32Array(idx.length);
  idx.forEach((j, i) => (out[i] = src[j]));
  return out;
}

function pickRows<T extends Float32Array | Uint8Array>(src: T, make: (n: number) => T, cols: number, rows: readonly number[]): T {
  const out = make(rows.length * cols);
  rows.forEach((r, i) => out.set(src.subarray(r * cols, (r + 1) * cols), i * cols));
  return out;
}

function pickCols<T extends Float32Array | Uint8Array>(src: T, make: (n: number) => T, rows: number, cols: number, keep: readonly number[]): T {
  const out = make(rows * keep.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    keep.forEach((c, i) => (out[r * keep.length + i] = src[base + c]));
  }
  return out;
}

/**
 * Removes the `amount` least important output neurons of the Linear at `model.layers[layerIndex]`,
 * together with the matching features (weight, bias, runningMean, runningVar) of every
 * BatchNorm1d between it and the next Linear (element-wise layers such as ReLU may sit between)
 * and the matching input columns of that next Linear. The three layers are replaced in
 * `model.layers` by new, smaller ones (new Float32Arrays, new Parameters with zero grads, same
 * training mode and options); so create optimizers after structured pruning. Pruning masks of
 * `prune.magnitude` on the two Linears are carried over (sliced).
 *
 * The pruned model computes exactly what the original computes when the removed neurons'
 * activations are zeroed before the next Linear (up to float rounding in the smaller GEMMs).
 * Ties in importance remove the lower neuron index first. Everything is validated and
 * computed before `model.layers` changes.
 *
 * @param model - an nn.Sequential (or any model with a mutable `layers` array); the Linear
 *   must be followed, through only ReLU, GELU, Dropout, Flatten or BatchNorm1d layers, by
 *   another Linear
 * @example
 * const model = new nn.Sequential(new nn.Linear(64, 128), new nn.BatchNorm1d(128), new nn.ReLU(), new nn.Linear(128, 10));
 * const report = prune.neurons(model, 0, { amount: 0.5, importance: 'apoz', calibration: xCal });
 * report.kept.length;        // 64: model.layers[0] is now Linear(64, 64), layers[1] BatchNorm1d(64), layers[3] Linear(64, 10)
 */
export function neurons(model: LayeredModel, layerIndex: number, opts: NeuronsOptions): NeuronsReport {
  checkModel('model', model);
  const layers = model.layers as unknown[];
  const li = checkInt('layerIndex', layerIndex, { min: 0, max: layers.length - 1 });
  const lin = layers[li];
  if (!(lin instanceof Linear)) throw rangeError('layerIndex', 'the index of an nn.Linear layer in model.layers', li);
  const o = checkOptions<NeuronsOptions>('options', opts);
  const importance = o.importance === undefined ? 'l1' : checkEnum('options.importance', o.importance, ['l1', 'l2', 'apoz', 'meanActivation'] as const);
  if (o.calibration !== undefined) checkTensor('options.calibration', o.calibration, 2);
  const out = lin.outFeatures;
  const k = computeNParamsToPrune(o.amount as number, out);
  if (k >= out) throw rangeError('options.amount', `fewer than the layer's ${out} neurons (at least one must remain)`, o.amount);

  let nj = li + 1;
  const bns: number[] = [];
  for (; nj < layers.length && !(layers[nj] instanceof Linear); nj++) {
    const l = layers[nj];
    if (!isPassThrough(l)) {
      throw rangeError(`model.layers[${nj}]`, `a ${PASS_THROUGH} layer between the pruned Linear and the next Linear`, l);
    }
    if (l instanceof BatchNorm1d) {
      if (l.numFeatures !== out) throw rangeError(`model.layers[${nj}].numFeatures`, `${out} (the pruned Linear's outFeatures)`, l.numFeatures);
      bns.push(nj);
    }
  }
  if (nj >= layers.length) throw rangeError('layerIndex', 'a Linear followed by another Linear (the last Linear cannot lose outputs)', li);
  const next = layers[nj] as Linear;
  if (next.inFeatures !== out) throw rangeError(`model.layers[${nj}].inFeatures`, `${out} (the pruned Linear's outFeatures)`, next.inFeatures);

  let scores: number[];
  if (importance === 'l1' || importance === 'l2') {
    scores = rowNorms(lin.weight.data, out, lin.inFeatures, importance === 'l1' ? 1 : 2);
  } else {
    if (o.calibration === undefined) throw typeError('options.calibration', `a Tensor [batch, features] (required by importance '${importance}')`, undefined);
    const cal = checkTensor('options.calibration', o.calibration);
    if (cal.shape.length < 1 || cal.shape[0] < 1) throw rangeError('options.calibration.shape', 'at least one row', `[${cal.shape.join(', ')}]`);
    scores = activationScores(activationsUpTo(layers, nj, cal), out, importance);
  }

  const order = scores.map((v, i) => ({ v, i })).sort((a, b) => (a.v < b.v ? -1 : a.v > b.v ? 1 : a.i - b.i));
  const removedSet = new Set(order.slice(0, k).map((e) => e.i));
  const kept: number[] = [];
  const removed: number[] = [];
  for (let i = 0; i < out; i++) (removedSet.has(i) ? removed : kept).push(i);
  const report: NeuronsReport = { layer: li, nextLayer: nj, batchNorms: bns, kept, removed, scores };
  if (k === 0) return report;

  const f32 = (n: number) => new Float32Array(n);
  const u8 = (n: number) => new Uint8Array(n);
  const inF = lin.inFeatures;
  const newLin = newLinear(inF, kept.length, pickRows(lin.weight.data, f32, inF, kept), lin.bias ? pick(lin.bias.data, kept) : null, lin.training);
  const linMask = getMask(lin);
  const nOut = next.outFeatures;
  const newNext = newLinear(kept.length, nOut, pickCols(next.weight.data, f32, nOut, out, kept), next.bias ? next.bias.data.slice() : null, next.training);
  const nextMask = getMask(next);
  const newBns = bns.map((j) => {
    const bn = layers[j] as BatchNorm1d;
    const nb = new BatchNorm1d(kept.length, { eps: bn.eps, momentum: bn.momentum, affine: bn.affine, trackRunningStats: bn.trackRunningStats });
    nb.weight = bn.weight ? new Parameter(pick(bn.weight.data, kept), [kept.length]) : null;
    nb.bias = bn.bias ? new Parameter(pick(bn.bias.data, kept), [kept.length]) : null;
    nb.runningMean = bn.runningMean ? pick(bn.runningMean, kept) : null;
    nb.runningVar = bn.runningVar ? pick(bn.runningVar, kept) : null;
    nb.numBatchesTracked = bn.numBatchesTracked;
    nb.train(bn.training);
    return nb;
  });

  // Commit.
  if (linMask) setMask(newLin, pickRows(linMask, u8, inF, kept));
  if (nextMask) setMask(newNext, pickCols(nextMask, u8, nOut, out, kept));
  dropMask(lin);
  dropMask(next);
  layers[li] = newLin;
  layers[nj] = newNext;
  bns.forEach((j, i) => (layers[j] = newBns[i]));
  return report;
}
