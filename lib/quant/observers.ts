/**
 * Calibration observers with PyTorch 1.13's arithmetic (`torch.ao.quantization.observer`).
 * Running statistics are kept in float32 (`Math.fround` at every step) so that scales and zero
 * points match PyTorch bit for bit.
 */
import { checkEnum, checkFloat32Array, checkInt, checkNumber, checkOptions, rangeError } from '../errors';
import {
  type PerChannelQParams,
  type QConfig,
  type QDtype,
  type QParams,
  type QScheme,
  type TensorLike,
  checkObserverInput,
  qparamsFromMinMax,
  resolveQConfig,
  roundHalfEven,
} from './qparams';
import { selectKth } from '../prune/masks';

const f = Math.fround;

/** Options common to every observer (PyTorch's names in camelCase). */
export interface ObserverOptions {
  /** Quantized type: `'uint8'` (default, PyTorch's quint8 for activations) or `'int8'`. */
  dtype?: QDtype;
  /** Quantization scheme; per-tensor observers default to `'per_tensor_affine'`, per-channel ones to `'per_channel_affine'`. */
  qscheme?: QScheme;
  /** Custom lower bound of the quantized range (give it together with `quantMax`; must be <= 0). */
  quantMin?: number;
  /** Custom upper bound of the quantized range (give it together with `quantMin`; must be >= 0). */
  quantMax?: number;
  /** Halve the quantized range (uint8 [0, 127], int8 [-64, 63]; a custom range is floor-divided by 2). Default false. */
  reduceRange?: boolean;
  /** Smallest scale, default float32 eps (1.1920928955078125e-7). */
  eps?: number;
}

/** Options of the moving-average observers. */
export interface MovingAverageOptions extends ObserverOptions {
  /** Weight c of the newest batch: `min = min + c * (batchMin - min)`. Default 0.01. */
  averagingConstant?: number;
}

/** Options of the per-channel observers. */
export interface PerChannelOptions extends ObserverOptions {
  /** Channel axis (negative counts from the end). Default 0. */
  chAxis?: number;
}

/** Options of the moving-average per-channel observer. */
export interface MovingAveragePerChannelOptions extends PerChannelOptions {
  /** Weight c of the newest batch. Default 0.01. */
  averagingConstant?: number;
}

const PER_TENSOR: readonly QScheme[] = ['per_tensor_affine', 'per_tensor_symmetric'];
const PER_CHANNEL: readonly QScheme[] = ['per_channel_affine', 'per_channel_symmetric'];

function minMaxOf(d: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

function checkAveragingConstant(v: unknown): number {
  return v === undefined ? f(0.01) : f(checkNumber('options.averagingConstant', v, { min: 0, max: 1 }));
}

/**
 * Base of the per-tensor observers: the resolved configuration and the running min/max.
 */
abstract class PerTensorObserverBase {
  /** Resolved settings: dtype, qscheme, quantMin, quantMax (after reduceRange), eps. */
  readonly config: QConfig;
  /** Running minimum (float32; +Infinity before the first observation). */
  minVal = Infinity;
  /** Running maximum (float32; -Infinity before the first observation). */
  maxVal = -Infinity;

  constructor(opts: ObserverOptions | undefined) {
    const o = checkOptions<ObserverOptions>('options', opts);
    this.config = resolveQConfig(o, PER_TENSOR, 'per_tensor_affine');
  }

  /**
   * Records statistics of `x`: a Float32Array (with an optional `shape`, 1-D without) or a
   * `{ data, shape }` tensor. An empty input is ignored.
   */
  abstract observe(x: Float32Array | TensorLike, shape?: readonly number[]): void;

  /** Scale and zero point from the recorded statistics (PyTorch's `calculate_qparams`). */
  calculateQParams(): QParams {
    return qparamsFromMinMax(this.minVal, this.maxVal, this.config);
  }

  /** Forgets everything observed. */
  reset(): void {
    this.minVal = Infinity;
    this.maxVal = -Infinity;
  }
}

/**
 * Running min/max observer (PyTorch `MinMaxObserver`): `min = min(min, min(x))`, `max = max(max, max(x))`.
 *
 * @example
 * const obs = new MinMaxObserver({ dtype: 'uint8' });
 * obs.observe(new Float32Array([-1, 0.5, 2]));
 * obs.calculateQParams(); // { scale: 3 / 255, zeroPoint: 85 }
 */
export class MinMaxObserver extends PerTensorObserverBase {
  constructor(opts?: ObserverOptions) {
    super(opts);
  }

  observe(x: Float32Array | TensorLike, shape?: readonly number[]): void {
    const t = checkObserverInput('x', x, shape);
    if (t.data.length === 0) return;
    const [lo, hi] = minMaxOf(t.data);
    this.minVal = Math.min(this.minVal, lo);
    this.maxVal = Math.max(this.maxVal, hi);
  }
}

/**
 * Moving-average min/max observer (PyTorch `MovingAverageMinMaxObserver`): the first batch sets
 * min/max, later ones update `min += c * (min(x) - min)` (float32), likewise max.
 *
 * @example
 * const obs = new MovingAverageMinMaxObserver({ averagingConstant: 0.1 });
 * for (const batch of batches) obs.observe(batch);
 * const { scale, zeroPoint } = obs.calculateQParams();
 */
export class MovingAverageMinMaxObserver extends PerTensorObserverBase {
  /** The averaging constant c (float32). */
  readonly averagingConstant: number;

  constructor(opts?: MovingAverageOptions) {
    super(opts);
    this.averagingConstant = checkAveragingConstant(opts?.averagingConstant);
  }

  observe(x: Float32Array | TensorLike, shape?: readonly number[]): void {
    const t = checkObserverInput('x', x, shape);
    if (t.data.length === 0) return;
    const [lo, hi] = minMaxOf(t.data);
    if (this.minVal === Infinity && this.maxVal === -Infinity) {
      this.minVal = lo;
      this.maxVal = hi;
      return;
    }
    const c = this.averagingConstant;
    this.minVal = f(this.minVal + f(c * f(lo - this.minVal)));
    this.maxVal = f(this.maxVal + f(c * f(hi - this.maxVal)));
  }
}

/** Base of the per-channel observers. */
abstract class PerChannelObserverBase {
  /** Resolved settings. */
  readonly config: QConfig;
  /** Channel axis as given (may be negative). */
  readonly chAxis: number;
  /** Running per-channel minima (empty before the first observation). */
  minVals: Float32Array = new Float32Array(0);
  /** Running per-channel maxima (empty before the first observation). */
  maxVals: Float32Array = new Float32Array(0);

  constructor(opts: PerChannelOptions | undefined) {
    const o = checkOptions<PerChannelOptions>('options', opts);
    this.config = resolveQConfig(o, PER_CHANNEL, 'per_channel_affine');
    this.chAxis = o.chAxis === undefined ? 0 : checkInt('options.chAxis', o.chAxis);
  }

  /** Per-channel min and max of `x` along `chAxis`. */
  protected channelMinMax(x: Float32Array | TensorLike, shape?: readonly number[]): [Float32Array, Float32Array] | null {
    const t = checkObserverInput('x', x, shape);
    const rank = t.shape.length;
    const axis = this.chAxis < 0 ? this.chAxis + rank : this.chAxis;
    if (axis < 0 || axis >= rank) throw rangeError('options.chAxis', `an axis in [-${rank}, ${rank - 1}] for an input of rank ${rank}`, this.chAxis);
    const channels = t.shape[axis];
    if (this.minVals.length !== 0 && channels !== this.minVals.length) {
      throw rangeError(`x.shape[${axis}]`, `${this.minVals.length} channels (as observed before)`, channels);
    }
    if (t.data.length === 0) return null;
    let inner = 1;
    for (let i = axis + 1; i < rank; i++) inner *= t.shape[i];
    const outer = t.data.length / (inner * channels);
    const lo = new Float32Array(channels).fill(Infinity);
    const hi = new Float32Array(channels).fill(-Infinity);
    const d = t.data;
    for (let o = 0; o < outer; o++) {
      for (let c = 0; c < channels; c++) {
        const base = (o * channels + c) * inner;
        let l = lo[c];
        let h = hi[c];
        for (let i = 0; i < inner; i++) {
          const v = d[base + i];
          if (v < l) l = v;
          if (v > h) h = v;
        }
        lo[c] = l;
        hi[c] = h;
      }
    }
    return [lo, hi];
  }

  /** Records statistics of `x` (Float32Array plus `shape`, or `{ data, shape }`) per channel along `chAxis`. */
  abstract observe(x: Float32Array | TensorLike, shape?: readonly number[]): void;

  /** Per-channel scales and zero points (PyTorch's `calculate_qparams`); before any observation PyTorch's defaults, one channel of scale 1 and zero point 0. */
  calculateQParams(): PerChannelQParams {
    const n = this.minVals.length;
    if (n === 0) return { scales: new Float32Array([1]), zeroPoints: new Int32Array([0]) };
    const scales = new Float32Array(n);
    const zeroPoints = new Int32Array(n);
    for (let c = 0; c < n; c++) {
      const q = qparamsFromMinMax(this.minVals[c], this.maxVals[c], this.config);
      scales[c] = q.scale;
      zeroPoints[c] = q.zeroPoint;
    }
    return { scales, zeroPoints };
  }

  /** Forgets everything observed. */
  reset(): void {
    this.minVals = new Float32Array(0);
    this.maxVals = new Float32Array(0);
  }
}

/**
 * Per-channel running min/max observer (PyTorch `PerChannelMinMaxObserver`), for weights.
 *
 * @example
 * const obs = new PerChannelMinMaxObserver({ chAxis: 0, dtype: 'int8', qscheme: 'per_channel_symmetric' });
 * obs.observe({ data: weight, shape: [out, inp] });
 * const { scales, zeroPoints } = obs.calculateQParams();
 */
export class PerChannelMinMaxObserver extends PerChannelObserverBase {
  constructor(opts?: PerChannelOptions) {
    super(opts);
  }

  observe(x: Float32Array | TensorLike, shape?: readonly number[]): void {
    const mm = this.channelMinMax(x, shape);
    if (!mm) return;
    const [lo, hi] = mm;
    if (this.minVals.length === 0) {
      this.minVals = lo;
      this.maxVals = hi;
      return;
    }
    for (let c = 0; c < lo.length; c++) {
      this.minVals[c] = Math.min(this.minVals[c], lo[c]);
      this.maxVals[c] = Math.max(this.maxVals[c], hi[c]);
    }
  }
}

/**
 * Per-channel moving-average min/max observer (PyTorch `MovingAveragePerChannelMinMaxObserver`).
 *
 * @example
 * const obs = new MovingAveragePerChannelMinMaxObserver({ chAxis: 1, averagingConstant: 0.01 });
 * obs.observe({ data, shape: [batch, channels] });
 */
export class MovingAveragePerChannelMinMaxObserver extends PerChannelObserverBase {
  /** The averaging constant c (float32). */
  readonly averagingConstant: number;

  constructor(opts?: MovingAveragePerChannelOptions) {
    super(opts);
    this.averagingConstant = checkAveragingConstant(opts?.averagingConstant);
  }

  observe(x: Float32Array | TensorLike, shape?: readonly number[]): void {
    const mm = this.channelMinMax(x, shape);
    if (!mm) return;
    const [lo, hi] = mm;
    if (this.minVals.length === 0) {
      this.minVals = lo;
      this.maxVals = hi;
      return;
    }
    const c = this.averagingConstant;
    for (let i = 0; i < lo.length; i++) {
      this.minVals[i] = f(this.minVals[i] + f(c * f(lo[i] - this.minVals[i])));
      this.maxVals[i] = f(this.maxVals[i] + f(c * f(hi[i] - this.maxVals[i])));
    }
  }
}

/** Options of {@link HistogramObserver}. */
export interface HistogramObserverOptions extends ObserverOptions {
  /** Number of histogram bins. Default 2048. */
  bins?: number;
  /** Upsampling factor used to merge histograms of different ranges. Default 128. */
  upsampleRate?: number;
}

/**
 * `torch.histc(x, bins, min, max)` in float32 (PyTorch's linear-interpolation bin lookup:
 * `bin = trunc((x - min) * bins / (max - min))`, the last bin closed, values outside skipped;
 * `min == max` widens the range by 1 on each side).
 */
function histc(d: Float32Array, bins: number, lo: number, hi: number): Float32Array {
  if (lo === hi) {
    lo -= 1;
    hi += 1;
  }
  lo = f(lo);
  hi = f(hi);
  const width = f(hi - lo);
  const out = new Float32Array(bins);
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (!(v >= lo && v <= hi)) continue;
    let pos = Math.trunc(f(f(f(v - lo) * bins) / width));
    if (pos === bins) pos -= 1;
    out[pos] += 1;
  }
  return out;
}

/** float32 `torch.div(a, b, rounding_mode='floor')` (ATen's div_floor for floating types). */
function divFloor32(a: number, b: number): number {
  const mod = a % b;
  let div = f(f(a - mod) / b);
  if (mod !== 0 && b < 0 !== mod < 0) div = f(div - 1);
  let floordiv: number;
  if (div !== 0) {
    floordiv = Math.floor(div);
    if (f(div - floordiv) > 0.5) floordiv += 1;
  } else {
    floordiv = Math.sign(a / b) * 0;
  }
  return floordiv;
}

/**
 * Histogram observer (PyTorch 1.13 `HistogramObserver`): keeps a `bins`-bin histogram over the
 * running [min, max]; the first `observe()` (or the first after all-equal values) sets the range to
 * the exact min/max of the data; later batches widen it (only the max is relaxed to keep a common
 * grid) and merge the old histogram by upsampling (`upsampleRate`) and re-binning.
 * `calculateQParams()` runs PyTorch's `_non_linear_param_search` (alternately trims the lower or
 * upper tail by quantile steps of 1e-5 while the L2 quantization error over 256 destination bins
 * keeps decreasing) and applies the usual affine/symmetric formula to the trimmed range.
 *
 * Deliberate difference from PyTorch 1.13: 1.13 passes `int(min)`/`int(max)` as the `torch.histc`
 * range (a bug fixed in later releases, which drops values outside the truncated range); this
 * observer bins over the exact float32 range. For inputs in (-1, 1) whose first batch sets the
 * range, both agree.
 *
 * @example
 * const obs = new HistogramObserver({ dtype: 'uint8' });
 * for (const batch of calibration) obs.observe(batch);
 * const { scale, zeroPoint } = obs.calculateQParams();
 */
export class HistogramObserver extends PerTensorObserverBase {
  /** Number of bins. */
  readonly bins: number;
  /** Upsampling factor for merging histograms. */
  readonly upsampleRate: number;
  /** Current histogram (float32 counts, `bins` long). */
  histogram: Float32Array;
  private readonly dstNbins = 256;

  constructor(opts?: HistogramObserverOptions) {
    super(opts);
    const o = opts ?? {};
    this.bins = o.bins === undefined ? 2048 : checkInt('options.bins', o.bins, { min: 1, max: 1 << 20 });
    this.upsampleRate = o.upsampleRate === undefined ? 128 : checkInt('options.upsampleRate', o.upsampleRate, { min: 1, max: 1 << 16 });
    this.histogram = new Float32Array(this.bins);
  }

  observe(x: Float32Array | TensorLike, shape?: readonly number[]): void {
    const t = checkObserverInput('x', x, shape);
    const d = t.data;
    if (d.length === 0) return;
    const [lo, hi] = minMaxOf(d);
    // torch.histc rejects a non-finite range.
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
      const i = d.findIndex((v) => !Number.isFinite(v));
      throw rangeError(`x[${i}]`, 'a finite number (HistogramObserver)', d[i]);
    }
    const uninitialized = this.minVal === Infinity && this.maxVal === -Infinity;
    if (uninitialized || this.minVal === this.maxVal) {
      this.minVal = lo;
      this.maxVal = hi;
      this.histogram = histc(d, this.bins, lo, hi);
      return;
    }
    const combinedMin0 = Math.min(lo, this.minVal);
    const combinedMax0 = Math.max(hi, this.maxVal);
    const { combinedMin, combinedMax, downsampleRate, startIdx } = this.adjustMinMax(combinedMin0, combinedMax0);
    let combined = histc(d, this.bins, combinedMin, combinedMax);
    if (combinedMin === this.minVal && combinedMax === this.maxVal) {
      for (let i = 0; i < this.bins; i++) combined[i] = f(combined[i] + this.histogram[i]);
    } else {
      combined = this.combineHistograms(combined, this.histogram, downsampleRate, startIdx);
    }
    this.histogram = combined;
    this.minVal = combinedMin;
    this.maxVal = combinedMax;
  }

  private adjustMinMax(cmin: number, cmax: number): { combinedMin: number; combinedMax: number; downsampleRate: number; startIdx: number } {
    const hbw = f(f(this.maxVal - this.minVal) / f(this.bins * this.upsampleRate));
    const gridWidth = f(this.bins * hbw);
    const span = f(cmax - cmin);
    const downsampleRate = Math.ceil(f(span / gridWidth));
    const e = f(f(downsampleRate * gridWidth) - span);
    const startIdx = roundHalfEven(f(f(this.minVal - cmin) / hbw));
    return { combinedMin: cmin, combinedMax: f(cmax + e), downsampleRate, startIdx };
  }

  private combineHistograms(orig: Float32Array, old: Float32Array, downsampleRate: number, startIdx: number): Float32Array {
    const nb = this.bins;
    const up = this.upsampleRate;
    // PyTorch upsamples the old histogram (each bin repeated `up` times) into a zero-padded
    // array of nb * downsampleRate cells starting at startIdx, takes its float64 cumulative sum
    // and samples it every downsampleRate-th cell. The cumulative sum at cell p is computed here
    // in O(1) from prefix sums of the old bins instead of materialising the padded array.
    const prefix = new Float64Array(nb + 1);
    for (let b = 0; b < nb; b++) prefix[b + 1] = prefix[b] + old[b];
    const cumAt = (p: number): number => {
      const rel = p - startIdx;
      if (rel <= 0) return 0;
      const full = Math.floor(rel / up);
      if (full >= nb) return prefix[nb] * up;
      return prefix[full] * up + old[full] * (rel - full * up);
    };
    const out = new Float32Array(nb);
    let prev = 0;
    for (let k = 0; k < nb; k++) {
      const integral = cumAt((k + 1) * downsampleRate);
      const shifted = k === 0 ? 0 : f(prev);
      out[k] = f(orig[k] + f((integral - shifted) / up));
      prev = integral;
    }
    return out;
  }

  private quantizationError(nextStartBin: number, nextEndBin: number): number {
    const bins = this.bins;
    const binWidth = (this.maxVal - this.minVal) / bins;
    const dstBinWidth = (binWidth * (nextEndBin - nextStartBin + 1)) / this.dstNbins;
    if (dstBinWidth === 0) return 0;
    const bw = f(binWidth);
    const dbw = f(dstBinWidth);
    const half = f(dstBinWidth / 2);
    const negHalf = f(-dstBinWidth / 2);
    const dmax = this.dstNbins - 1;
    // norm of one full destination bin: density * ((w/2)^3 - (-w/2)^3) / 3
    const fullCube = f(f(f(f(f(half * half) * half) - f(f(negHalf * negHalf) * negHalf))) / 3);
    const negHalfCube = f(f(negHalf * negHalf) * negHalf);
    const halfCube = f(f(half * half) * half);
    let sum = 0;
    for (let i = 0; i < bins; i++) {
      const h = this.histogram[i];
      const srcBegin = f(f(i - nextStartBin) * bw);
      const srcEnd = f(srcBegin + bw);
      const dBegin = Math.min(Math.max(divFloor32(srcBegin, dbw), 0), dmax);
      const dEnd = Math.min(Math.max(divFloor32(srcEnd, dbw), 0), dmax);
      const dBeginCenter = f(f(dBegin + 0.5) * dbw);
      const density = f(h / bw);
      const deltaBegin = f(srcBegin - dBeginCenter);
      let norm = f(density * f(f(halfCube - f(f(deltaBegin * deltaBegin) * deltaBegin)) / 3));
      norm = f(norm + f(f(dEnd - dBegin - 1) * f(density * fullCube)));
      const dEndCenter = f(f(dEnd * dbw) + half);
      const deltaEnd = f(srcEnd - dEndCenter);
      norm = f(norm + f(density * f(f(f(f(deltaEnd * deltaEnd) * deltaEnd) - negHalfCube) / 3)));
      sum += norm;
    }
    return sum;
  }

  /** PyTorch's `_non_linear_param_search`: the trimmed [min, max] minimising the L2 quantization error. */
  nonLinearParamSearch(): [number, number] {
    const bins = this.bins;
    const binWidth32 = f(f(this.maxVal - this.minVal) / bins);
    if (binWidth32 === 0) return [this.minVal, this.maxVal];
    let total = 0;
    const cSum = new Float32Array(bins);
    let acc = 0;
    for (let i = 0; i < bins; i++) {
      total += this.histogram[i];
      acc += this.histogram[i];
      cSum[i] = acc;
    }
    total = f(total);
    const stepsize = 1e-5;
    let alpha = 0;
    let beta = 1;
    let startBin = 0;
    let endBin = bins - 1;
    let normMin = Infinity;
    while (alpha < beta) {
      const nextAlpha = alpha + stepsize;
      const nextBeta = beta - stepsize;
      let l = startBin;
      let r = endBin;
      const lo = f(nextAlpha * total);
      const hi = f(nextBeta * total);
      while (l < endBin && cSum[l] < lo) l++;
      while (r > startBin && cSum[r] > hi) r--;
      let nextStartBin = startBin;
      let nextEndBin = endBin;
      if (l - startBin > endBin - r) {
        nextStartBin = l;
        alpha = nextAlpha;
      } else {
        nextEndBin = r;
        beta = nextBeta;
      }
      if (nextStartBin === startBin && nextEndBin === endBin) continue;
      const norm = this.quantizationError(nextStartBin, nextEndBin);
      if (norm > normMin) break;
      normMin = norm;
      startBin = nextStartBin;
      endBin = nextEndBin;
    }
    return [f(this.minVal + f(binWidth32 * startBin)), f(this.minVal + f(binWidth32 * (endBin + 1)))];
  }

  override calculateQParams(): QParams {
    if (this.minVal === Infinity && this.maxVal === -Infinity) return { scale: 1, zeroPoint: 0 };
    const [lo, hi] = this.nonLinearParamSearch();
    return qparamsFromMinMax(lo, hi, this.config);
  }

  override reset(): void {
    super.reset();
    this.histogram = new Float32Array(this.bins);
  }
}

/** Options of {@link PercentileObserver}. */
export interface PercentileObserverOptions extends ObserverOptions {
  /** Percentile in (0, 100]. Default 99.99. */
  percentile?: number;
  /**
   * `'absolute'` (default, TensorRT-style): threshold t = the p-th percentile of |x|, range [-t, t].
   * `'range'`: min = the (100 - p)-th percentile of x, max = the p-th.
   */
  mode?: 'absolute' | 'range';
}

/**
 * Exact percentile of `values` (modified in place) with linear interpolation between closest ranks
 * (numpy's default `method='linear'`): rank `r = p / 100 * (n - 1)`,
 * `v = s[floor(r)] + (r - floor(r)) * (s[floor(r) + 1] - s[floor(r)])` over the sorted values `s`.
 * O(n) by selection ({@link selectKth}); NaN must not occur.
 */
export function percentileOf(values: Float32Array, p: number): number {
  checkFloat32Array('values', values);
  checkNumber('p', p, { min: 0, max: 100 });
  const n = values.length;
  if (n === 0) throw rangeError('values.length', 'at least 1', 0);
  for (let i = 0; i < n; i++) if (values[i] !== values[i]) throw rangeError(`values[${i}]`, 'a number (not NaN)', NaN);
  const rank = (p / 100) * (n - 1);
  const k = Math.floor(rank);
  const lo = selectKth(values, k);
  if (k + 1 >= n) return lo;
  // After selection, everything right of k is >= s[k]; the next order statistic is their minimum.
  let hi = Infinity;
  for (let i = k + 1; i < n; i++) if (values[i] < hi) hi = values[i];
  return lo + (rank - k) * (hi - lo);
}

/**
 * Percentile observer (TensorRT / tfmot-style outlier clipping). Each `observe()` computes the exact
 * percentile statistics of that batch ({@link percentileOf}); the running min/max are the plain mean
 * of the per-batch values over all batches (each batch weighs the same). `calculateQParams()` then
 * applies PyTorch's affine or symmetric formula to the running range.
 *
 * - `mode: 'absolute'` (default): `t = percentile(|x|, p)`, batch range `[-t, t]`.
 * - `mode: 'range'`: batch range `[percentile(x, 100 - p), percentile(x, p)]`.
 *
 * @example
 * const obs = new PercentileObserver({ percentile: 99.9, dtype: 'int8', qscheme: 'per_tensor_symmetric' });
 * obs.observe(activations);
 * obs.calculateQParams();
 */
export class PercentileObserver extends PerTensorObserverBase {
  /** The percentile p. */
  readonly percentile: number;
  /** `'absolute'` or `'range'`. */
  readonly mode: 'absolute' | 'range';
  /** Number of non-empty batches observed. */
  batches = 0;
  private sumMin = 0;
  private sumMax = 0;

  constructor(opts?: PercentileObserverOptions) {
    super(opts);
    const o = opts ?? {};
    this.percentile = o.percentile === undefined ? 99.99 : checkNumber('options.percentile', o.percentile, { min: 0, max: 100, minExclusive: true });
    this.mode = o.mode === undefined ? 'absolute' : checkEnum('options.mode', o.mode, ['absolute', 'range'] as const);
  }

  observe(x: Float32Array | TensorLike, shape?: readonly number[]): void {
    const t = checkObserverInput('x', x, shape);
    const d = t.data;
    if (d.length === 0) return;
    let lo: number;
    let hi: number;
    if (this.mode === 'absolute') {
      const a = new Float32Array(d.length);
      for (let i = 0; i < d.length; i++) a[i] = Math.abs(d[i]);
      const thr = percentileOf(a, this.percentile);
      lo = -thr;
      hi = thr;
    } else {
      lo = percentileOf(Float32Array.from(d), 100 - this.percentile);
      hi = percentileOf(Float32Array.from(d), this.percentile);
    }
    this.batches++;
    this.sumMin += lo;
    this.sumMax += hi;
    this.minVal = f(this.sumMin / this.batches);
    this.maxVal = f(this.sumMax / this.batches);
  }

  override reset(): void {
    super.reset();
    this.batches = 0;
    this.sumMin = 0;
    this.sumMax = 0;
  }
}
