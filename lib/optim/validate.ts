import { checkNumber, rangeError, typeError } from '../errors';

/** Throws a RangeError naming each key of `opts` that is not in `allowed`. */
export function checkKnownKeys(name: string, opts: object, allowed: readonly string[]): void {
  for (const key of Object.keys(opts)) {
    if (!allowed.includes(key)) {
      throw rangeError(`${name}.${key}`, `a known option (one of ${allowed.join(', ')})`, key);
    }
  }
}

/** Checks a plain object (not null, not an array, not a typed array). */
export function checkPlainObject(name: string, value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw typeError(name, 'a plain object', value);
  }
  return value as Record<string, unknown>;
}

/** Checks an array (optionally of an exact length). */
export function checkArray(name: string, value: unknown, length?: number): unknown[] {
  if (!Array.isArray(value)) throw typeError(name, 'an array', value);
  if (length !== undefined && value.length !== length) throw rangeError(`${name}.length`, `${length}`, value.length);
  return value;
}

/** Checks a finite number, or returns `dflt` when the value is undefined. */
export function numberOr(name: string, value: unknown, dflt: number, opts: Parameters<typeof checkNumber>[2] = {}): number {
  return value === undefined ? dflt : checkNumber(name, value, opts);
}

/** Checks any number, allowing NaN and +-Infinity (e.g. a metric or a saved `best`). */
export function checkAnyNumber(name: string, value: unknown): number {
  if (typeof value !== 'number') throw typeError(name, 'a number', value);
  return value;
}

/** Checks a number in [0, 1). */
export function checkUnitOpen(name: string, value: unknown): number {
  return checkNumber(name, value, { min: 0, max: 1, maxExclusive: true });
}

/** Checks a positive integer. */
export function checkPositiveInt(name: string, value: unknown): number {
  if (typeof value !== 'number') throw typeError(name, 'a positive integer', value);
  if (!Number.isSafeInteger(value) || value <= 0) throw rangeError(name, 'a positive integer', value);
  return value;
}

/** Checks a number, or an array with one number per parameter group; returns the per-group array. */
export function perGroup(name: string, value: unknown, groups: number, opts: Parameters<typeof checkNumber>[2] = {}): number[] {
  if (Array.isArray(value)) {
    if (value.length !== groups) throw rangeError(`${name}.length`, `${groups} (one value per parameter group)`, value.length);
    return value.map((v, i) => checkNumber(`${name}[${i}]`, v, opts));
  }
  if (typeof value !== 'number') throw typeError(name, 'a number or an array of numbers', value);
  const v = checkNumber(name, value, opts);
  return new Array<number>(groups).fill(v);
}

/** Checks an array of finite numbers of a given length and returns a copy. */
export function checkNumberArray(name: string, value: unknown, length?: number): number[] {
  const arr = checkArray(name, value, length);
  return arr.map((v, i) => checkNumber(`${name}[${i}]`, v));
}

/** Python's `%` (result has the sign of the divisor). */
export function pyMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

/** Python's `bisect.bisect_right` on a sorted array. */
export function bisectRight(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < sorted[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
