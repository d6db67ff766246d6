import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { checkBool, checkInt, checkNumber, checkOptions, isDetached, rangeError, typeError } from '../errors';
import { formatError } from '../io/format_error';
import { Rng } from '../random';
import { Tensor, checkTensor, numel } from '../tensor';

/** A labelled data set: rows of float32 features and one class index per row. */
export interface Dataset {
  /** Features [rows, features]. */
  x: Tensor;
  /** Class index of each row. */
  y: Int32Array;
  /** Number of classes. */
  numClasses: number;
  /** Shape of one image before flattening (e.g. [8, 8]), when the rows are images. */
  imageShape?: number[];
}

/** Options of {@link loadDigits}. */
export interface LoadDigitsOptions {
  /** Scale pixels from 0..16 to [0, 1]. Default true. */
  normalize?: boolean;
}

let digitsCache: { pixels: Uint8Array; labels: Int32Array } | null = null;

function digitsPath(): string {
  const candidates = [
    path.join(__dirname, 'digits.csv.gz'),
    path.join(__dirname, '..', '..', 'lib', 'data', 'digits.csv.gz'),
  ];
  for (const p of candidates) if (fs.existsSync(p)) return p;
  throw formatError('digits.csv.gz', `not found (looked in ${candidates.join(', ')})`);
}

/** Parses the embedded CSV: 1797 rows of 64 pixels (0..16) then the label (0..9). */
export function parseDigitsCsv(text: string): { pixels: Uint8Array; labels: Int32Array } {
  if (typeof text !== 'string') throw typeError('text', 'a string', text);
  const lines = text.split('\n').filter((l) => l.trim().length > 0);
  const pixels = new Uint8Array(lines.length * 64);
  const labels = new Int32Array(lines.length);
  lines.forEach((line, i) => {
    const cells = line.split(',');
    if (cells.length !== 65) throw formatError('digits.csv', `row ${i + 1} has ${cells.length} columns, expected 65`);
    for (let j = 0; j < 65; j++) {
      const v = Number(cells[j]);
      if (!Number.isInteger(v) || v < 0 || v > (j === 64 ? 9 : 16)) throw formatError('digits.csv', `bad value ${JSON.stringify(cells[j])} at row ${i + 1}, column ${j + 1}`);
      if (j < 64) pixels[i * 64 + j] = v;
      else labels[i] = v;
    }
  });
  return { pixels, labels };
}

/**
 * The embedded UCI handwritten digits (1797 images of 8x8 pixels, 10 classes; Alpaydin &
 * Kaynak, UCI ML repository, CC BY 4.0): x [1797, 64] float32, y Int32Array.
 *
 * ```ts
 * const digits = data.loadDigits();
 * const { train, validation, test } = data.split(digits, { validation: 0.1, test: 0.2, seed: 0 });
 * ```
 */
export function loadDigits(options?: LoadDigitsOptions): Dataset {
  const opts = checkOptions<LoadDigitsOptions>('options', options);
  const normalize = opts.normalize === undefined ? true : checkBool('options.normalize', opts.normalize);
  if (!digitsCache) digitsCache = parseDigitsCsv(zlib.gunzipSync(fs.readFileSync(digitsPath())).toString('utf8'));
  const { pixels, labels } = digitsCache;
  const x = new Float32Array(pixels.length);
  const scale = normalize ? 1 / 16 : 1;
  for (let i = 0; i < x.length; i++) x[i] = pixels[i] * scale;
  return { x: new Tensor(x, [labels.length, 64]), y: labels.slice(), numClasses: 10, imageShape: [8, 8] };
}

function checkDataset(name: string, ds: unknown): Dataset {
  if (ds === null || typeof ds !== 'object') throw typeError(name, 'a data set { x, y, numClasses }', ds);
  const d = ds as Dataset;
  const x = checkTensor(`${name}.x`, d.x);
  if (x.shape.length < 1) throw rangeError(`${name}.x.shape`, 'at least 1 dimension', '[]');
  if (!(d.y instanceof Int32Array)) throw typeError(`${name}.y`, 'an Int32Array', d.y);
  if (d.y.length !== x.shape[0]) throw rangeError(`${name}.y.length`, `${x.shape[0]} (the rows of x)`, d.y.length);
  checkInt(`${name}.numClasses`, d.numClasses, { min: 1 });
  return d;
}

/** The rows of a data set at the given indices (copied), in that order. */
export function subset(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const d = checkDataset('ds', ds);
  if (!Array.isArray(indices) && !(ArrayBuffer.isView(indices) && !(indices instanceof DataView))) {
    throw typeError('indices', 'an array or typed array of row indices', indices);
  }
  const rows = d.x.shape[0];
  const row = d.x.shape.length > 1 ? numel(d.x.shape.slice(1)) : 1;
  const x = new Float32Array(indices.length * row);
  const y = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    if (typeof k !== 'number') throw typeError(`indices[${i}]`, 'an integer row index', k);
    if (!Number.isInteger(k) || k < 0 || k >= rows) throw rangeError(`indices[${i}]`, `an integer in [0, ${rows})`, k);
    x.set(d.x.data.subarray(k * row, (k + 1) * row), i * row);
    y[i] = d.y[k];
  }
  const out: Dataset = { x: new Tensor(x, [indices.length, ...d.x.shape.slice(1)]), y, numClasses: d.numClasses };
  if (d.imageShape) out.imageShape = [...d.imageShape];
  return out;
}

/** Options of {@link split}. */
export interface SplitOptions {
  /** Fraction (0..1) or number of rows for validation. Default 0. */
  validation?: number;
  /** Fraction (0..1) or number of rows for test. Default 0.2. */
  test?: number;
  /** Seed of the shuffle. Default 0. */
  seed?: number;
  /** Keep the class proportions in every part. Default true. */
  stratify?: boolean;
}

function partSize(name: string, v: number | undefined, dflt: number, rows: number): number {
  if (v === undefined) return Math.round(dflt * rows);
  checkNumber(name, v, { min: 0 });
  if (v < 1) return Math.round(v * rows);
  if (!Number.isInteger(v)) throw rangeError(name, 'a fraction in [0, 1) or a whole number of rows', v);
  return v;
}

/**
 * Seeded split into train / validation / test parts: the same seed always gives the same
 * parts. Sizes are fractions of the rows (or row counts); stratified by default.
 */
export function split(ds: Dataset, options?: SplitOptions): { train: Dataset; validation: Dataset; test: Dataset } {
  const d = checkDataset('ds', ds);
  const opts = checkOptions<SplitOptions>('options', options);
  const rows = d.x.shape[0];
  const nVal = partSize('options.validation', opts.validation, 0, rows);
  const nTest = partSize('options.test', opts.test, 0.2, rows);
  if (nVal + nTest > rows) throw rangeError('options', `validation + test of at most ${rows} rows`, nVal + nTest);
  const seed = opts.seed === undefined ? 0 : checkInt('options.seed', opts.seed, { min: 0 });
  const stratify = opts.stratify === undefined ? true : checkBool('options.stratify', opts.stratify);
  const rng = new Rng(seed);
  const perm = new Int32Array(rows);
  for (let i = 0; i < rows; i++) perm[i] = i;
  rng.shuffle(perm);
  let order: Int32Array = perm;
  if (stratify) {
    // Interleave the classes so that any prefix has (nearly) the class proportions of the whole.
    const byClass = new Map<number, number[]>();
    for (const i of perm) {
      const list = byClass.get(d.y[i]) ?? [];
      list.push(i);
      byClass.set(d.y[i], list);
    }
    const keyed: Array<[number, number]> = [];
    for (const list of byClass.values()) list.forEach((idx, k) => keyed.push([(k + 0.5) / list.length, idx]));
    keyed.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    order = Int32Array.from(keyed, (k) => k[1]);
  }
  const test = order.subarray(0, nTest);
  const validation = order.subarray(nTest, nTest + nVal);
  const train = Int32Array.from(order.subarray(nTest + nVal)).sort();
  return { train: subset(d, rng.shuffle(train)), validation: subset(d, validation), test: subset(d, test) };
}

/** Per-feature (or global) mean and standard deviation, for {@link normalize}. */
export interface NormStats {
  mean: Float32Array;
  std: Float32Array;
}

/** Computes per-feature mean and standard deviation of x [rows, features] (std floored at `eps`, default 1e-6). */
export function computeStats(x: Tensor, options?: { perFeature?: boolean; eps?: number }): NormStats {
  const t = checkTensor('x', x, 2);
  const opts = checkOptions<{ perFeature?: boolean; eps?: number }>('options', options);
  const perFeature = opts.perFeature === undefined ? true : checkBool('options.perFeature', opts.perFeature);
  const eps = opts.eps === undefined ? 1e-6 : checkNumber('options.eps', opts.eps, { min: 0 });
  const [rows, cols] = t.shape;
  if (rows < 1) throw rangeError('x.shape[0]', 'at least 1 row', rows);
  const groups = perFeature ? cols : 1;
  const sum = new Float64Array(groups), sq = new Float64Array(groups);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = t.data[i * cols + j];
      const g = perFeature ? j : 0;
      sum[g] += v;
      sq[g] += v * v;
    }
  }
  const n = perFeature ? rows : rows * cols;
  const mean = new Float32Array(groups), std = new Float32Array(groups);
  for (let g = 0; g < groups; g++) {
    const m = sum[g] / n;
    mean[g] = m;
    std[g] = Math.max(eps, Math.sqrt(Math.max(0, sq[g] / n - m * m)));
  }
  return { mean, std };
}

/** (x - mean) / std into a new float32 tensor; stats from {@link computeStats} (length 1 or features). */
export function normalize(x: Tensor, stats: NormStats): Tensor {
  const t = checkTensor('x', x, 2);
  if (stats === null || typeof stats !== 'object') throw typeError('stats', 'an object { mean, std }', stats);
  const cols = t.shape[1];
  for (const k of ['mean', 'std'] as const) {
    const a = stats[k];
    if (!(a instanceof Float32Array)) throw typeError(`stats.${k}`, 'a Float32Array', a);
    if (isDetached(a)) throw typeError(`stats.${k}`, 'a Float32Array whose buffer is not detached', a);
    if (a.length !== 1 && a.length !== cols) throw rangeError(`stats.${k}.length`, `1 or ${cols}`, a.length);
    for (let j = 0; j < a.length; j++) {
      // a zero (or NaN / infinite) std would turn every value into garbage (Infinity or NaN)
      if (!Number.isFinite(a[j]) || (k === 'std' && !(a[j] > 0))) throw rangeError(`stats.${k}[${j}]`, k === 'std' ? 'a positive finite number' : 'a finite number', a[j]);
    }
  }
  const out = new Float32Array(t.data.length);
  const { mean, std } = stats;
  for (let i = 0; i < out.length; i++) {
    const j = mean.length === 1 ? 0 : i % cols;
    out[i] = (t.data[i] - mean[j]) / std[std.length === 1 ? 0 : j];
  }
  return new Tensor(out, t.shape);
}
