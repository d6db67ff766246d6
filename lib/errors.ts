/**
 * Uniform argument errors: `Expected <what> for <name> but received <value>`.
 * Every error carries a stable `.code` (`ERR_NNSLIM_TYPE`, `ERR_NNSLIM_RANGE`, ...).
 */

/** Describes a received value briefly for an error message. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '...' : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'boolean' || typeof value === 'symbol') return String(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name} of length ${(value as unknown as { length?: number }).length ?? value.byteLength}`;
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `an instance of ${name}` : 'an object';
}

function withCode<E extends Error>(err: E, code: string): E {
  (err as E & { code: string }).code = code;
  return err;
}

/** TypeError with code ERR_NNSLIM_TYPE: `Expected <expected> for <name> but received <value>`. */
export function typeError(name: string, expected: string, value: unknown): TypeError {
  return withCode(new TypeError(`Expected ${expected} for ${name} but received ${describe(value)}`), 'ERR_NNSLIM_TYPE');
}

/** RangeError with code ERR_NNSLIM_RANGE: `Expected <expected> for <name> but received <value>`. */
export function rangeError(name: string, expected: string, value: unknown): RangeError {
  return withCode(new RangeError(`Expected ${expected} for ${name} but received ${describe(value)}`), 'ERR_NNSLIM_RANGE');
}

/** RangeError with a free-form message (shape mismatches and the like), code ERR_NNSLIM_RANGE. */
export function shapeError(message: string): RangeError {
  return withCode(new RangeError(message), 'ERR_NNSLIM_RANGE');
}

/** Error thrown by state problems (e.g. calling a method before required setup), code ERR_NNSLIM_STATE. */
export function stateError(message: string): Error {
  return withCode(new Error(message), 'ERR_NNSLIM_STATE');
}

/** Checks a finite number (optionally within [min, max]). */
export function checkNumber(name: string, value: unknown, opts: { min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean } = {}): number {
  if (typeof value !== 'number') throw typeError(name, 'a number', value);
  if (!Number.isFinite(value)) throw rangeError(name, 'a finite number', value);
  const { min, max, minExclusive, maxExclusive } = opts;
  if (min !== undefined && (minExclusive ? !(value > min) : !(value >= min))) {
    throw rangeError(name, `a number ${minExclusive ? '>' : '>='} ${min}`, value);
  }
  if (max !== undefined && (maxExclusive ? !(value < max) : !(value <= max))) {
    throw rangeError(name, `a number ${maxExclusive ? '<' : '<='} ${max}`, value);
  }
  return value;
}

/** Checks a safe integer (optionally within [min, max]). */
export function checkInt(name: string, value: unknown, opts: { min?: number; max?: number } = {}): number {
  if (typeof value !== 'number') throw typeError(name, 'an integer', value);
  if (!Number.isSafeInteger(value)) throw rangeError(name, 'an integer', value);
  if (opts.min !== undefined && value < opts.min) throw rangeError(name, `an integer >= ${opts.min}`, value);
  if (opts.max !== undefined && value > opts.max) throw rangeError(name, `an integer <= ${opts.max}`, value);
  return value;
}

/** Checks a boolean. */
export function checkBool(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw typeError(name, 'a boolean', value);
  return value;
}

/** Checks one of a fixed set of strings. */
export function checkEnum<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string') throw typeError(name, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
  if (!(allowed as readonly string[]).includes(value)) {
    throw rangeError(name, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
  }
  return value as T;
}

/** Checks an options argument: undefined becomes {}, anything but a plain object is a TypeError. */
export function checkOptions<T extends object>(name: string, value: unknown): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw typeError(name, 'an options object', value);
  return value as Partial<T>;
}

/** Checks a Float32Array that is not detached (a detached buffer has byteLength 0 and is unusable). */
export function checkFloat32Array(name: string, value: unknown, length?: number): Float32Array {
  if (!(value instanceof Float32Array)) throw typeError(name, 'a Float32Array', value);
  if (isDetached(value)) throw typeError(name, 'a Float32Array whose buffer is not detached', value);
  if (length !== undefined && value.length !== length) throw rangeError(`${name}.length`, `${length}`, value.length);
  return value;
}

/** True when the view's ArrayBuffer has been detached (transferred or structured-cloned away). */
export function isDetached(view: ArrayBufferView): boolean {
  const buf = view.buffer as ArrayBuffer & { detached?: boolean };
  if (typeof buf.detached === 'boolean') return buf.detached;
  return view.byteLength === 0 && buf.byteLength === 0 && (view as unknown as { length?: number }).length === 0 && isBufferDetachedSlow(buf);
}

function isBufferDetachedSlow(buf: ArrayBufferLike): boolean {
  try {
    new Uint8Array(buf);
    return false;
  } catch {
    return true;
  }
}
