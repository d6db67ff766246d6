/**
 * Distillation losses with PyTorch semantics (`F.kl_div`, `F.cross_entropy`, `F.mse_loss`,
 * `F.cosine_similarity`), each returning the loss and its gradient. Arithmetic is float64 with
 * log-sum-exp, so logits of magnitude 1e4 and beyond stay finite; gradients are returned as
 * Float32Array in the input's layout.
 *
 * Every tensor argument is a `{ data: Float32Array, shape: number[] }` object (row-major; the
 * package's `Tensor` qualifies). Logits are 2-D `[batch, classes]`.
 */
import { checkBool, checkEnum, checkFloat32Array, checkInt, checkNumber, checkOptions, rangeError, shapeError, typeError } from '../errors';

/** Any `{ data, shape }` object (the package's `Tensor` qualifies). */
export interface TensorLike {
  data: Float32Array;
  shape: readonly number[];
}

/** Class-index labels, one per row of the logits. */
export type Labels = Int32Array | readonly number[];

/** Loss value (a number, or per-element/per-sample values for `reduction: 'none'`) and gradient. */
export interface LossResult<L = number> {
  loss: L;
  /** Gradient of the (reduced) loss with respect to the first argument; for `'none'`, of the sum of the losses. */
  grad: Float32Array;
}

/** @internal Validates a `{ data, shape }` argument. */
export function checkTensor(name: string, v: unknown): { data: Float32Array; shape: number[] } {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) {
    throw typeError(name, 'a { data: Float32Array, shape: number[] } tensor', v);
  }
  const t = v as { data?: unknown; shape?: unknown };
  const data = checkFloat32Array(`${name}.data`, t.data);
  if (!Array.isArray(t.shape)) throw typeError(`${name}.shape`, 'an array of integers', t.shape);
  const shape = t.shape.map((d, i) => checkInt(`${name}.shape[${i}]`, d, { min: 0 }));
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw shapeError(`Expected ${name}.shape (${shape.join('x')}) to have ${data.length} elements (${name}.data.length) but it has ${n}`);
  return { data, shape };
}

/** @internal Validates 2-D `[batch, classes]` logits without NaN. */
export function checkLogits(name: string, v: unknown): { data: Float32Array; batch: number; classes: number } {
  const t = checkTensor(name, v);
  if (t.shape.length !== 2) throw rangeError(`${name}.shape`, '2 dimensions [batch, classes]', t.shape.join('x'));
  const [batch, classes] = t.shape;
  if (classes < 1) throw rangeError(`${name}.shape[1]`, 'at least 1 class', classes);
  checkNoNaN(name, t.data);
  return { data: t.data, batch, classes };
}

/** @internal */
export function checkNoNaN(name: string, d: Float32Array): void {
  for (let i = 0; i < d.length; i++) if (d[i] !== d[i]) throw rangeError(`${name}.data[${i}]`, 'a number (not NaN)', NaN);
}

/** @internal Validates labels: integers in [0, classes) (or equal to `ignoreIndex`), one per row. */
export function checkLabels(name: string, v: unknown, batch: number, classes: number, ignoreIndex?: number): Int32Array {
  if (!(v instanceof Int32Array) && !Array.isArray(v)) throw typeError(name, 'an Int32Array or an array of class indices', v);
  if (v.length !== batch) throw rangeError(`${name}.length`, `${batch} (the batch size)`, v.length);
  const out = new Int32Array(batch);
  for (let i = 0; i < batch; i++) {
    const y = v[i];
    if (typeof y !== 'number') throw typeError(`${name}[${i}]`, 'an integer class index', y);
    if (!Number.isInteger(y) || ((y < 0 || y >= classes) && y !== ignoreIndex)) {
      throw rangeError(`${name}[${i}]`, `an integer in [0, ${classes - 1}]${ignoreIndex !== undefined ? ` or ${ignoreIndex} (ignoreIndex)` : ''}`, y);
    }
    out[i] = y;
  }
  return out;
}

/** @internal Row-wise log-softmax of `x / t` in float64: `v - (m + log(sum(exp(v - m))))` with `m` the row max. */
export function logSoftmaxRows(d: Float32Array, batch: number, classes: number, t = 1): Float64Array {
  const out = new Float64Array(batch * classes);
  for (let b = 0; b < batch; b++) {
    const o = b * classes;
    let m = -Infinity;
    for (let c = 0; c < classes; c++) {
      const v = d[o + c] / t;
      out[o + c] = v;
      if (v > m) m = v;
    }
    let s = 0;
    for (let c = 0; c < classes; c++) s += Math.exp(out[o + c] - m);
    const lse = m + Math.log(s);
    for (let c = 0; c < classes; c++) out[o + c] = out[o + c] - lse;
  }
  return out;
}

/** Reductions of {@link klDiv}. */
export type KlReduction = 'none' | 'sum' | 'mean' | 'batchmean';
/** Reductions of {@link crossEntropy} and {@link mseLoss}. */
export type Reduction = 'none' | 'sum' | 'mean';

/** Options of {@link klDiv}. */
export interface KlDivOptions {
  /** `'mean'` (default, PyTorch's; the mean over all elements), `'batchmean'` (sum / shape[0], the true KL), `'sum'` or `'none'`. */
  reduction?: KlReduction;
  /** Whether `target` holds log-probabilities. Default false. */
  logTarget?: boolean;
}

/**
 * PyTorch's `F.kl_div(input, target)`: `input` holds log-probabilities; pointwise
 * `target * (log(target) - input)` (`0` where `target == 0`), or with `logTarget`
 * `exp(target) * (target - input)`; then the reduction. `grad` is d loss / d input
 * (`-target`, or `-exp(target)`, times 1/N for `'mean'`, 1/shape[0] for `'batchmean'`).
 *
 * @param input - log-probabilities, any shape
 * @param target - same shape as `input`
 * @example
 * const { loss, grad } = klDiv(logProbs, probs, { reduction: 'batchmean' });
 */
export function klDiv(input: TensorLike, target: TensorLike, opts?: KlDivOptions & { reduction?: 'sum' | 'mean' | 'batchmean' }): LossResult<number>;
export function klDiv(input: TensorLike, target: TensorLike, opts: KlDivOptions & { reduction: 'none' }): LossResult<Float32Array>;
export function klDiv(input: TensorLike, target: TensorLike, opts?: KlDivOptions): LossResult<number | Float32Array>;
export function klDiv(input: TensorLike, target: TensorLike, opts?: KlDivOptions): LossResult<number | Float32Array> {
  const x = checkTensor('input', input);
  const y = checkTensor('target', target);
  if (x.shape.join('x') !== y.shape.join('x')) throw shapeError(`Expected target.shape (${y.shape.join('x')}) to equal input.shape (${x.shape.join('x')})`);
  const o = checkOptions<KlDivOptions>('options', opts);
  const reduction = o.reduction === undefined ? 'mean' : checkEnum('options.reduction', o.reduction, ['none', 'sum', 'mean', 'batchmean'] as const);
  const logTarget = o.logTarget === undefined ? false : checkBool('options.logTarget', o.logTarget);
  checkNoNaN('input', x.data);
  checkNoNaN('target', y.data);
  if (reduction === 'batchmean' && x.shape.length === 0) throw rangeError('input.shape', "at least 1 dimension for reduction 'batchmean'", '[]');
  const n = x.data.length;
  const scale = reduction === 'mean' ? 1 / n : reduction === 'batchmean' ? 1 / x.shape[0] : 1;
  const grad = new Float32Array(n);
  const none = reduction === 'none' ? new Float32Array(n) : null;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const xi = x.data[i];
    const yi = y.data[i];
    let v: number;
    let g: number;
    if (logTarget) {
      const e = Math.exp(yi);
      v = e * (yi - xi);
      g = -e;
    } else {
      v = (yi === 0 ? 0 : yi * Math.log(yi)) - yi * xi;
      g = -yi;
    }
    if (none) none[i] = v;
    sum += v;
    grad[i] = g * scale;
  }
  const loss = none ?? (reduction === 'sum' ? sum : sum * scale);
  return { loss, grad };
}

/** Options of {@link crossEntropy}. */
export interface CrossEntropyOptions {
  /** `'mean'` (default; over the non-ignored samples), `'sum'` or `'none'` (per sample). */
  reduction?: Reduction;
  /** Label smoothing ε in [0, 1]: the target is `(1 - ε) * onehot + ε / classes`. Default 0. */
  labelSmoothing?: number;
  /** Label value whose samples contribute nothing (loss 0, gradient 0). Default -100. */
  ignoreIndex?: number;
}

/**
 * PyTorch's `F.cross_entropy(logits, labels)` for `[batch, classes]` logits and class-index
 * labels, with `labelSmoothing` and `ignoreIndex` (1.13 arithmetic: with `'mean'` both the NLL and
 * the smoothing term are divided by the number of non-ignored samples; all ignored gives NaN like
 * PyTorch). `grad` = `scale * (softmax(x) - (1 - ε) * onehot - ε / classes)` per non-ignored row.
 *
 * @example
 * const { loss, grad } = crossEntropy({ data: logits, shape: [4, 10] }, [3, 1, 0, 9], { labelSmoothing: 0.1 });
 */
export function crossEntropy(logits: TensorLike, labels: Labels, opts?: CrossEntropyOptions & { reduction?: 'sum' | 'mean' }): LossResult<number>;
export function crossEntropy(logits: TensorLike, labels: Labels, opts: CrossEntropyOptions & { reduction: 'none' }): LossResult<Float32Array>;
export function crossEntropy(logits: TensorLike, labels: Labels, opts?: CrossEntropyOptions): LossResult<number | Float32Array>;
export function crossEntropy(logits: TensorLike, labels: Labels, opts?: CrossEntropyOptions): LossResult<number | Float32Array> {
  const { data, batch, classes } = checkLogits('logits', logits);
  const o = checkOptions<CrossEntropyOptions>('options', opts);
  const reduction = o.reduction === undefined ? 'mean' : checkEnum('options.reduction', o.reduction, ['none', 'sum', 'mean'] as const);
  const eps = o.labelSmoothing === undefined ? 0 : checkNumber('options.labelSmoothing', o.labelSmoothing, { min: 0, max: 1 });
  const ignoreIndex = o.ignoreIndex === undefined ? -100 : checkInt('options.ignoreIndex', o.ignoreIndex);
  const y = checkLabels('labels', labels, batch, classes, ignoreIndex);
  return crossEntropyCore(data, batch, classes, y, reduction, eps, ignoreIndex);
}

function crossEntropyCore(
  data: Float32Array,
  batch: number,
  classes: number,
  y: Int32Array,
  reduction: Reduction,
  eps: number,
  ignoreIndex: number,
): LossResult<number | Float32Array> {
  const logp = logSoftmaxRows(data, batch, classes);
  let valid = 0;
  for (let b = 0; b < batch; b++) if (y[b] !== ignoreIndex) valid++;
  const perSample = new Float64Array(batch);
  let nllSum = 0;
  let smoothSum = 0;
  for (let b = 0; b < batch; b++) {
    if (y[b] === ignoreIndex) continue;
    const o = b * classes;
    const nll = -logp[o + y[b]];
    let smooth = 0;
    if (eps !== 0) for (let c = 0; c < classes; c++) smooth -= logp[o + c];
    nllSum += nll;
    smoothSum += smooth;
    perSample[b] = (1 - eps) * nll + (eps / classes) * smooth;
  }
  const scale = reduction === 'mean' ? 1 / valid : 1;
  const grad = new Float32Array(batch * classes);
  for (let b = 0; b < batch; b++) {
    if (y[b] === ignoreIndex) continue;
    const o = b * classes;
    for (let c = 0; c < classes; c++) {
      const p = Math.exp(logp[o + c]);
      grad[o + c] = scale * (p - (c === y[b] ? 1 - eps : 0) - eps / classes);
    }
  }
  let loss: number | Float32Array;
  if (reduction === 'none') {
    const l = new Float32Array(batch);
    for (let b = 0; b < batch; b++) l[b] = perSample[b];
    loss = l;
  } else if (reduction === 'sum') {
    loss = (1 - eps) * nllSum + (eps / classes) * smoothSum;
  } else {
    loss = (1 - eps) * (nllSum / valid) + (eps / classes) * (smoothSum / valid);
  }
  return { loss, grad };
}

/** Options of {@link mseLoss}. */
export interface MseLossOptions {
  /** `'mean'` (default), `'sum'` or `'none'`. */
  reduction?: Reduction;
}

/**
 * PyTorch's `F.mse_loss(a, b)`: `(a - b)^2` reduced; `grad` = d loss / d a = `2 (a - b)` (times 1/N for `'mean'`).
 *
 * @example
 * const { loss, grad } = mseLoss(pred, target); // mean squared error
 */
export function mseLoss(a: TensorLike, b: TensorLike, opts?: MseLossOptions & { reduction?: 'sum' | 'mean' }): LossResult<number>;
export function mseLoss(a: TensorLike, b: TensorLike, opts: MseLossOptions & { reduction: 'none' }): LossResult<Float32Array>;
export function mseLoss(a: TensorLike, b: TensorLike, opts?: MseLossOptions): LossResult<number | Float32Array>;
export function mseLoss(a: TensorLike, b: TensorLike, opts?: MseLossOptions): LossResult<number | Float32Array> {
  const x = checkTensor('a', a);
  const y = checkTensor('b', b);
  if (x.shape.join('x') !== y.shape.join('x')) throw shapeError(`Expected b.shape (${y.shape.join('x')}) to equal a.shape (${x.shape.join('x')})`);
  const o = checkOptions<MseLossOptions>('options', opts);
  const reduction = o.reduction === undefined ? 'mean' : checkEnum('options.reduction', o.reduction, ['none', 'sum', 'mean'] as const);
  checkNoNaN('a', x.data);
  checkNoNaN('b', y.data);
  return mseCore(x.data, y.data, reduction, 1);
}

function mseCore(a: Float32Array, b: Float32Array, reduction: Reduction, weight: number): LossResult<number | Float32Array> {
  const n = a.length;
  const scale = (reduction === 'mean' ? 1 / n : 1) * weight;
  const grad = new Float32Array(n);
  const none = reduction === 'none' ? new Float32Array(n) : null;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = a[i] - b[i];
    if (none) none[i] = weight * d * d;
    sum += d * d;
    grad[i] = 2 * d * scale;
  }
  return { loss: none ?? sum * scale, grad };
}

/** Options of {@link featureLoss}. */
export interface FeatureLossOptions {
  /** `'mse'` (default): mean of squared differences; `'cosine'`: mean over samples of `1 - cos(s_b, t_b)`. */
  kind?: 'mse' | 'cosine';
  /** Multiplier of the loss (and gradient). Default 1. */
  weight?: number;
}

/**
 * FitNets-style hint loss between intermediate features (the student's already mapped to the
 * teacher's shape, e.g. by a regressor layer). Shapes must match; the first axis is the batch.
 *
 * - `'mse'`: `weight * mean((s - t)^2)` (PyTorch `F.mse_loss`), grad `weight * 2 (s - t) / N`.
 * - `'cosine'`: per sample b (remaining axes flattened)
 *   `cos_b = s_b . t_b / max(|s_b| |t_b|, 1e-8)` (PyTorch 1.13 `F.cosine_similarity`),
 *   loss `weight * mean_b(1 - cos_b)`, grad
 *   `-weight / B * (t_b / (|s_b| |t_b|) - cos_b * s_b / |s_b|^2)` (`-weight / B * t_b / 1e-8` where clamped).
 *
 * `grad` is with respect to the student features.
 *
 * @example
 * const { loss, grad } = featureLoss(studentHidden, teacherHidden, { kind: 'cosine', weight: 0.5 });
 */
export function featureLoss(studentFeat: TensorLike, teacherFeat: TensorLike, opts?: FeatureLossOptions): LossResult<number> {
  const s = checkTensor('studentFeat', studentFeat);
  const t = checkTensor('teacherFeat', teacherFeat);
  if (s.shape.join('x') !== t.shape.join('x')) throw shapeError(`Expected teacherFeat.shape (${t.shape.join('x')}) to equal studentFeat.shape (${s.shape.join('x')})`);
  const o = checkOptions<FeatureLossOptions>('options', opts);
  const kind = o.kind === undefined ? 'mse' : checkEnum('options.kind', o.kind, ['mse', 'cosine'] as const);
  const weight = o.weight === undefined ? 1 : checkNumber('options.weight', o.weight);
  checkNoNaN('studentFeat', s.data);
  checkNoNaN('teacherFeat', t.data);
  if (kind === 'mse') return mseCore(s.data, t.data, 'mean', weight) as LossResult<number>;
  if (s.shape.length < 1) throw rangeError('studentFeat.shape', "at least 1 dimension (the batch) for kind 'cosine'", '[]');
  const batch = s.shape[0];
  const dim = batch === 0 ? 0 : s.data.length / batch;
  const grad = new Float32Array(s.data.length);
  let total = 0;
  for (let b = 0; b < batch; b++) {
    const o0 = b * dim;
    let dot = 0;
    let ss = 0;
    let tt = 0;
    for (let i = 0; i < dim; i++) {
      const sv = s.data[o0 + i];
      const tv = t.data[o0 + i];
      dot += sv * tv;
      ss += sv * sv;
      tt += tv * tv;
    }
    const ns = Math.sqrt(ss);
    const nt = Math.sqrt(tt);
    const prod = ns * nt;
    const denom = Math.max(prod, 1e-8);
    const cos = dot / denom;
    total += 1 - cos;
    const k = -weight / batch;
    for (let i = 0; i < dim; i++) {
      const sv = s.data[o0 + i];
      const tv = t.data[o0 + i];
      grad[o0 + i] = prod > 1e-8 ? k * (tv / denom - (cos * sv) / ss) : k * (tv / denom);
    }
  }
  return { loss: batch === 0 ? NaN : (weight * total) / batch, grad };
}
