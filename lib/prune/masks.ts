/**
 * Pruning masks with PyTorch 1.13's semantics (`torch.nn.utils.prune`): `amount` as a count or a
 * fraction, composition with an existing mask like `PruningContainer`, and O(n) selection.
 * Masks are Uint8Array, 1 = keep, 0 = pruned.
 */
import { checkFloat32Array, checkInt, checkNumber, checkOptions, rangeError, shapeError, typeError } from '../errors';
import { native } from '../native';
import { Rng } from '../random';
import { viewsOverlap } from '../tensor';

/** Any `{ data, shape }` object (the package's `Tensor` qualifies). */
export interface TensorLike {
  data: Float32Array;
  shape: readonly number[];
}

/** A weight: a Float32Array or a `{ data, shape }` tensor. */
export type WeightLike = Float32Array | TensorLike;

/** Options of {@link l1Unstructured}. */
export interface UnstructuredOptions {
  /**
   * How much to prune, PyTorch's `amount`: an integer-valued number is a count of entries, any
   * other number in (0, 1) a fraction of the entries still unpruned, converted to a count with
   * Python's `round` (half to even). Note that `1` (like Python's `1`) means one entry.
   */
  amount: number;
  /** Existing mask to compose with (PyTorch's `weight_mask`); only entries where it is 1 are candidates. */
  mask?: Uint8Array;
}

/** Options of {@link randomUnstructured}. */
export interface RandomUnstructuredOptions extends UnstructuredOptions {
  /** Seed of the generator (a non-negative integer). Default 0. */
  seed?: number;
}

/** Options of {@link lnStructured}. */
export interface LnStructuredOptions {
  /** Count or fraction of the channels still unpruned (see {@link UnstructuredOptions.amount}). */
  amount: number;
  /** Order of the norm, as `p` of `torch.norm`: a positive number, `Infinity`, `-Infinity`, or 0 (count of non-zeros). */
  n: number;
  /** Axis whose slices are the channels (negative counts from the end). */
  dim: number;
  /** Shape of a Float32Array weight (a `{ data, shape }` weight carries its own). */
  shape?: readonly number[];
  /** Existing mask to compose with. */
  mask?: Uint8Array;
}

/** Options of {@link globalUnstructured}. */
export interface GlobalUnstructuredOptions {
  /** Count or fraction of all still-unpruned entries across every weight. */
  amount: number;
  /** Existing masks, one per weight (or omitted). */
  masks?: (Uint8Array | undefined)[];
}

function weightData(name: string, w: unknown): Float32Array {
  if (w instanceof Float32Array) return checkFloat32Array(name, w);
  if (w === null || typeof w !== 'object' || Array.isArray(w) || ArrayBuffer.isView(w)) {
    throw typeError(name, 'a Float32Array or a { data: Float32Array, shape: number[] } tensor', w);
  }
  const t = w as { data?: unknown; shape?: unknown };
  const data = checkFloat32Array(`${name}.data`, t.data);
  const shape = checkShape(`${name}.shape`, t.shape);
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw shapeError(`Expected ${name}.shape (${shape.join('x')}) to have ${data.length} elements (${name}.data.length) but it has ${n}`);
  return data;
}

function checkShape(name: string, v: unknown): number[] {
  if (!Array.isArray(v)) throw typeError(name, 'an array of integers', v);
  return v.map((d, i) => checkInt(`${name}[${i}]`, d, { min: 0 }));
}

function checkMask(name: string, m: unknown, length: number): Uint8Array {
  if (!(m instanceof Uint8Array)) throw typeError(name, 'a Uint8Array of 0/1', m);
  if (m.length !== length) throw rangeError(`${name}.length`, `${length} (the weight's length)`, m.length);
  for (let i = 0; i < m.length; i++) if (m[i] > 1) throw rangeError(`${name}[${i}]`, '0 or 1', m[i]);
  return m;
}

function checkNoNaN(name: string, d: Float32Array): void {
  for (let i = 0; i < d.length; i++) if (d[i] !== d[i]) throw rangeError(`${name}[${i}]`, 'a number (not NaN)', NaN);
}

/** Validates `amount` (PyTorch's `_validate_pruning_amount_init`). */
function checkAmount(v: unknown): number {
  const a = checkNumber('options.amount', v, { min: 0 });
  if (!Number.isInteger(a) && a > 1) throw rangeError('options.amount', 'an integer count or a fraction in [0, 1]', a);
  return a;
}

/** Python's round(x) for x >= 0: half to even. */
function pyRound(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Number of units to prune, PyTorch's `_compute_nparams_toprune`: an integer-valued `amount` as is,
 * a fraction as `round(amount * size)` (half to even). Throws when a count exceeds `size`.
 *
 * @example
 * computeNParamsToPrune(0.25, 10); // 2 (2.5 rounds to even)
 * computeNParamsToPrune(3, 10);    // 3
 */
export function computeNParamsToPrune(amount: number, size: number): number {
  const a = checkAmount(amount);
  checkInt('size', size, { min: 0 });
  const k = Number.isInteger(a) ? a : pyRound(a * size);
  if (k > size) throw rangeError('options.amount', `a count <= the number of unpruned units (${size})`, a);
  return k;
}

/**
 * Places the k-th smallest value (0-based) of `a` at index `k`, with every value before it `<=`
 * and every value after it `>=`, and returns it. Floyd-Rivest selection (sampling narrows the
 * range before each partition): expected O(n), about 6 ns per element on 10M floats. After 64
 * rounds (adversarial input) the remaining range is sorted instead. NaN must not occur.
 */
export function selectKth(a: Float32Array, k: number): number {
  let rounds = 0;
  const rec = (left: number, right: number): void => {
    while (right > left) {
      if (++rounds > 64) {
        a.subarray(left, right + 1).sort();
        return;
      }
      if (right - left > 600) {
        const n = right - left + 1;
        const m = k - left + 1;
        const z = Math.log(n);
        const s = 0.5 * Math.exp((2 * z) / 3);
        const sd = 0.5 * Math.sqrt((z * s * (n - s)) / n) * (m - n / 2 < 0 ? -1 : 1);
        rec(Math.max(left, Math.floor(k - (m * s) / n + sd)), Math.min(right, Math.floor(k + ((n - m) * s) / n + sd)));
      }
      const t = a[k];
      let i = left;
      let j = right;
      swap(a, left, k);
      if (a[right] > t) swap(a, left, right);
      while (i < j) {
        swap(a, i, j);
        i++;
        j--;
        while (a[i] < t) i++;
        while (a[j] > t) j--;
      }
      if (a[left] === t) swap(a, left, j);
      else {
        j++;
        swap(a, j, right);
      }
      if (j <= k) left = j + 1;
      if (k <= j) right = j - 1;
    }
  };
  rec(0, a.length - 1);
  return a[k];
}

function swap(a: Float32Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/**
 * Clears in `masks` the `k` candidates (entries where the mask is 1; `m` of them) of smallest
 * |value| across `parts` (concatenated in order). Ties at the threshold: lower (concatenated) index
 * pruned first. Rejects NaN among the weights (before any mask is touched).
 */
function pruneSmallest(names: string[], parts: Float32Array[], masks: Uint8Array[], k: number, m: number): void {
  if (m >= NATIVE_SELECT_MIN) {
    pruneSmallestNative(names, parts, masks, k, m);
    return;
  }
  const mags = new Float32Array(m);
  let j = 0;
  for (let p = 0; p < parts.length; p++) {
    const d = parts[p];
    const mk = masks[p];
    for (let i = 0; i < d.length; i++) {
      const v = d[i];
      if (v !== v) throw rangeError(`${names[p]}[${i}]`, 'a number (not NaN)', NaN);
      if (mk[i] === 1) mags[j++] = v < 0 ? -v : v;
    }
  }
  if (k === 0) return;
  const thr = selectKth(mags, k - 1);
  // mags[0..k) now holds the k smallest: those below the threshold are pruned for sure.
  let less = 0;
  for (let i = 0; i < k; i++) if (mags[i] < thr) less++;
  let equalToPrune = k - less;
  for (let p = 0; p < parts.length; p++) {
    const d = parts[p];
    const mk = masks[p];
    for (let i = 0; i < d.length; i++) {
      if (mk[i] !== 1) continue;
      const v = d[i];
      const a = v < 0 ? -v : v;
      if (a < thr) mk[i] = 0;
      else if (a === thr && equalToPrune > 0) {
        mk[i] = 0;
        equalToPrune--;
      }
    }
  }
}

/** Candidate count from which {@link pruneSmallest} selects in native code (below it, JS is as fast). */
const NATIVE_SELECT_MIN = 1 << 15;

/**
 * {@link pruneSmallest} through the native kernels (native/include/nnslim/select.h): the k-th
 * smallest candidate magnitude by a parallel histogram + nth_element, then a mask pass that
 * prunes every candidate below it plus `k - less` ties in concatenated index order (the JS
 * path's tie rule). Same masks and the same NaN check (whole weights, before any mask changes) as the JS path.
 */
function pruneSmallestNative(names: string[], parts: Float32Array[], masks: Uint8Array[], k: number, m: number): void {
  const nanError = (p: number, cause?: unknown): unknown => {
    const d = parts[p];
    let i = 0;
    while (i < d.length && d[i] === d[i]) i++;
    return i < d.length ? rangeError(`${names[p]}[${i}]`, 'a number (not NaN)', NaN) : cause;
  };
  if (parts.length === 1) {
    // The native selection rejects a NaN anywhere in the weight (checked in its histogram pass).
    let sel: { value: number; less: number };
    try {
      sel = native.kthSmallestMagnitude(parts[0], Math.max(0, k - 1), m === parts[0].length ? null : masks[0]);
    } catch (err) {
      throw nanError(0, err);
    }
    if (k > 0) native.magnitudePruneMask(parts[0], masks[0], sel.value, k - sel.less);
    return;
  }
  const mags = new Float32Array(m);
  let j = 0;
  for (let p = 0; p < parts.length; p++) {
    const d = parts[p];
    const mk = masks[p];
    for (let i = 0; i < d.length; i++) {
      const v = d[i];
      if (v !== v) throw nanError(p);
      if (mk[i] === 1) mags[j++] = v < 0 ? -v : v;
    }
  }
  if (k === 0) return;
  const { value, less } = native.kthSmallestMagnitude(mags, k - 1, null);
  let ties = k - less;
  for (let p = 0; p < parts.length; p++) ties = native.magnitudePruneMask(parts[p], masks[p], value, ties);
}

function countOnes(m: Uint8Array): number {
  let c = 0;
  for (let i = 0; i < m.length; i++) c += m[i];
  return c;
}

function startMask(name: string, mask: unknown, n: number): Uint8Array {
  return mask === undefined ? new Uint8Array(n).fill(1) : Uint8Array.from(checkMask(name, mask, n));
}

/**
 * Magnitude pruning, PyTorch's `prune.l1_unstructured`: zeroes the `amount` entries of smallest
 * |w| among those still unpruned by `mask` (all entries without a mask); the count of a fractional
 * amount is taken over the unpruned entries, as `PruningContainer` does. Ties (equal magnitudes at
 * the threshold) prune the lower index first. O(n) (Floyd-Rivest selection on a Float32Array of magnitudes).
 *
 * @param weight - the weights, Float32Array or `{ data, shape }` (masked or not: only entries
 *   where `mask` is 1 are looked at)
 * @returns a new mask (1 = keep); `mask` is not modified
 * @example
 * const mask = l1Unstructured(w, { amount: 0.5 });
 * const mask2 = l1Unstructured(w, { amount: 0.5, mask }); // 75% pruned in total
 */
export function l1Unstructured(weight: WeightLike, opts: UnstructuredOptions): Uint8Array {
  const d = weightData('weight', weight);
  const o = checkOptions<UnstructuredOptions>('options', opts);
  const amount = checkAmount(o.amount);
  const mask = startMask('options.mask', o.mask, d.length);
  const m = o.mask === undefined ? d.length : countOnes(mask);
  const k = computeNParamsToPrune(amount, m);
  pruneSmallest(['weight'], [d], [mask], k, m);
  return mask;
}

/**
 * Random pruning, PyTorch's `prune.random_unstructured` semantics (count, composition) with
 * nnslim's own generator: a uniformly random `k`-subset of the still-unpruned entries, drawn by a
 * partial Fisher-Yates shuffle of their indices driven by xoshiro128** (`Rng` of lib/random.ts)
 * seeded with `seed`. The same seed, weight length and mask give the same mask; the stream differs
 * from `torch.rand`.
 *
 * @example
 * const mask = randomUnstructured(w, { amount: 0.3, seed: 42 });
 */
export function randomUnstructured(weight: WeightLike, opts: RandomUnstructuredOptions): Uint8Array {
  const d = weightData('weight', weight);
  const o = checkOptions<RandomUnstructuredOptions>('options', opts);
  const amount = checkAmount(o.amount);
  const seed = o.seed === undefined ? 0 : checkInt('options.seed', o.seed, { min: 0 });
  const mask = startMask('options.mask', o.mask, d.length);
  const m = countOnes(mask);
  const k = computeNParamsToPrune(amount, m);
  if (k === 0) return mask;
  const idx = new Uint32Array(m);
  let j = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] === 1) idx[j++] = i;
  const rng = new Rng(seed);
  for (let i = 0; i < k; i++) {
    const r = i + Math.floor(rng.random() * (m - i));
    const t = idx[i];
    idx[i] = idx[r];
    idx[r] = t;
    mask[idx[i]] = 0;
  }
  return mask;
}

/** L`p` norm of one channel of `d * mask`: elements at o * block + start + i for o < outer, i < inner. */
function lnNorm(d: Float32Array, mask: Uint8Array, start: number, block: number, outer: number, inner: number, p: number): number {
  let acc = p === Infinity ? 0 : p === -Infinity ? Infinity : 0;
  for (let o = 0; o < outer; o++) {
    const base = o * block + start;
    for (let i = 0; i < inner; i++) {
      const a = mask[base + i] === 1 ? Math.abs(d[base + i]) : 0;
      if (p === Infinity) acc = a > acc ? a : acc;
      else if (p === -Infinity) acc = a < acc ? a : acc;
      else if (p === 0) acc += a !== 0 ? 1 : 0;
      else if (p === 1) acc += a;
      else if (p === 2) acc += a * a;
      else acc += Math.pow(a, p);
    }
  }
  if (p === Infinity || p === -Infinity || p === 0 || p === 1) return acc;
  return p === 2 ? Math.sqrt(acc) : Math.pow(acc, 1 / p);
}

/**
 * Structured (channel) pruning, PyTorch's `prune.ln_structured`: along axis `dim`, prunes the
 * `amount` channels of smallest L`n` norm, computed over every other axis of the masked weight
 * `weight * mask` (PyTorch scores a pruned module's current, masked `weight`). With `mask`,
 * composition follows `PruningContainer`: channels already fully pruned are left out, the amount
 * applies to the remaining channels, and kept channels keep their old mask entries. Ties in norm
 * prune the lower channel index first.
 *
 * @param weight - `{ data, shape }`, or a Float32Array with `options.shape` (at least 2-D)
 * @example
 * // prune 2 of the 8 output rows of a [8 x 16] Linear weight by L2 norm
 * const mask = lnStructured({ data: w, shape: [8, 16] }, { amount: 2, n: 2, dim: 0 });
 */
export function lnStructured(weight: WeightLike, opts: LnStructuredOptions): Uint8Array {
  const d = weightData('weight', weight);
  const o = checkOptions<LnStructuredOptions>('options', opts);
  const amount = checkAmount(o.amount);
  let shape: number[];
  if (weight instanceof Float32Array) {
    if (o.shape === undefined) throw typeError('options.shape', 'an array of integers (required with a Float32Array weight)', undefined);
    shape = checkShape('options.shape', o.shape);
    const n = shape.reduce((a, b) => a * b, 1);
    if (n !== d.length) throw shapeError(`Expected options.shape (${shape.join('x')}) to have ${d.length} elements (weight.length) but it has ${n}`);
  } else {
    shape = [...(weight as TensorLike).shape];
    if (o.shape !== undefined) {
      const s2 = checkShape('options.shape', o.shape);
      if (s2.join('x') !== shape.join('x')) throw shapeError(`Expected options.shape (${s2.join('x')}) to equal weight.shape (${shape.join('x')})`);
    }
  }
  const rank = shape.length;
  if (rank < 2) throw rangeError('weight.shape', 'at least 2 dimensions for structured pruning', shape.join('x'));
  if (typeof o.n !== 'number') throw typeError('options.n', 'a number (norm order)', o.n);
  if (Number.isNaN(o.n) || (Number.isFinite(o.n) && o.n < 0)) throw rangeError('options.n', 'a number >= 0, Infinity or -Infinity', o.n);
  const p = o.n;
  const dim0 = checkInt('options.dim', o.dim, { min: -rank, max: rank - 1 });
  const dim = dim0 < 0 ? dim0 + rank : dim0;
  const mask = startMask('options.mask', o.mask, d.length);
  checkNoNaN('weight', d);

  const channels = shape[dim];
  let inner = 1;
  for (let i = dim + 1; i < rank; i++) inner *= shape[i];
  const block = channels * inner;
  const outer = channels === 0 || inner === 0 ? 0 : d.length / block;
  // Channels still alive: any mask entry set in the slice.
  const alive: number[] = [];
  for (let c = 0; c < channels; c++) {
    let any = false;
    for (let q = 0; q < outer && !any; q++) {
      const base = q * block + c * inner;
      for (let i = 0; i < inner; i++) if (mask[base + i]) { any = true; break; }
    }
    if (any) alive.push(c);
  }
  const k = computeNParamsToPrune(amount, alive.length);
  if (k === 0) return mask;
  const norms = alive.map((c) => ({ c, v: lnNorm(d, mask, c * inner, block, outer, inner, p) }));
  // Prune the k smallest norms; among equal norms the lower channel index first.
  norms.sort((a, b) => (a.v < b.v ? -1 : a.v > b.v ? 1 : a.c - b.c));
  for (let r = 0; r < k; r++) {
    const c = norms[r].c;
    for (let q = 0; q < outer; q++) mask.fill(0, q * block + c * inner, q * block + c * inner + inner);
  }
  return mask;
}

/**
 * Global magnitude pruning, PyTorch's `prune.global_unstructured(..., pruning_method=L1Unstructured)`:
 * the weights are treated as one concatenated vector; the `amount` smallest |w| among all still
 * unpruned entries are pruned. Ties prune the lower concatenated index first.
 *
 * @returns one new mask per weight
 * @example
 * const [m1, m2] = globalUnstructured([fc1.weight.data, fc2.weight.data], { amount: 0.8 });
 */
export function globalUnstructured(weights: readonly WeightLike[], opts: GlobalUnstructuredOptions): Uint8Array[] {
  if (!Array.isArray(weights)) throw typeError('weights', 'an array of Float32Array or { data, shape } weights', weights);
  const parts = weights.map((w, i) => weightData(`weights[${i}]`, w));
  const o = checkOptions<GlobalUnstructuredOptions>('options', opts);
  const amount = checkAmount(o.amount);
  if (o.masks !== undefined) {
    if (!Array.isArray(o.masks)) throw typeError('options.masks', 'an array of Uint8Array masks', o.masks);
    if (o.masks.length !== parts.length) throw rangeError('options.masks.length', `${parts.length} (weights.length)`, o.masks.length);
  }
  const masks = parts.map((d, i) => startMask(`options.masks[${i}]`, o.masks?.[i], d.length));
  let m = 0;
  for (const mk of masks) m += countOnes(mk);
  const k = computeNParamsToPrune(amount, m);
  pruneSmallest(parts.map((_, i) => `weights[${i}]`), parts, masks, k, m);
  return masks;
}

/**
 * Multiplies `weight` by `mask` in place (pruned entries become 0) and returns `weight`.
 *
 * @example
 * applyMask(w, l1Unstructured(w, { amount: 0.9 }));
 */
export function applyMask<W extends WeightLike>(weight: W, mask: Uint8Array): W {
  const d = weightData('weight', weight);
  checkMask('mask', mask, d.length);
  // zeroing the weight would rewrite a mask that lives in the same bytes while it is being read
  if (viewsOverlap(mask, d)) throw rangeError('mask', 'a mask that does not share memory with weight', 'an aliased mask');
  for (let i = 0; i < d.length; i++) if (mask[i] === 0) d[i] = 0;
  return weight;
}

/**
 * Fraction of zero entries of a weight (Float32Array or `{ data, shape }`) or of a mask
 * (Uint8Array): zeros / length; 0 for an empty input.
 *
 * @example
 * sparsity(mask); // 0.9
 */
export function sparsity(weightOrMask: WeightLike | Uint8Array): number {
  const d: Float32Array | Uint8Array = weightOrMask instanceof Uint8Array ? weightOrMask : weightData('weightOrMask', weightOrMask);
  if (d.length === 0) return 0;
  let z = 0;
  for (let i = 0; i < d.length; i++) if (d[i] === 0) z++;
  return z / d.length;
}
