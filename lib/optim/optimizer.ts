import { checkNumber, checkOptions, rangeError, typeError } from '../errors';
import type { Parameter } from '../nn/parameter';
import { checkArray, checkKnownKeys, checkPlainObject } from './validate';

/**
 * Keys that learning-rate schedulers add to parameter groups (PyTorch's `initial_lr`, `max_lr`,
 * `min_lr`, `max_momentum`, `base_momentum`). They may also be given in group dicts and are
 * saved by {@link Optimizer.stateDict}.
 */
export const SCHEDULER_GROUP_KEYS = ['initialLr', 'maxLr', 'minLr', 'maxMomentum', 'baseMomentum'] as const;

/** The scheduler-owned keys of a parameter group. */
export interface SchedulerGroupKeys {
  /** Learning rate at scheduler construction (PyTorch `initial_lr`). */
  initialLr?: number;
  /** Peak learning rate of OneCycleLR. */
  maxLr?: number;
  /** Final learning rate of OneCycleLR. */
  minLr?: number;
  /** Momentum bounds of OneCycleLR. */
  maxMomentum?: number;
  baseMomentum?: number;
}

/** A parameter group: its parameters and its (writable) hyper-parameters. */
export interface ParamGroup extends SchedulerGroupKeys {
  params: Parameter[];
  lr: number;
}

/** A parameter group as given to a constructor or to `addParamGroup`: missing options take the optimizer's defaults. */
export type ParamGroupInput<O> = { params: Iterable<Parameter> | Parameter } & Partial<O> & SchedulerGroupKeys;

/** What optimizer constructors accept: parameters, or parameter groups with per-group options. */
export type Params<O> = Iterable<Parameter> | Iterable<ParamGroupInput<O>>;

/** Per-parameter optimizer state (buffers are float32 like the parameters). */
export type ParamState = Record<string, number | Float32Array>;

/**
 * The serialisable state of an optimizer (PyTorch's layout, camelCase): `state` maps a parameter's
 * index (in group order) to its buffers; `paramGroups` holds each group's options with `params` as indices.
 * Buffers are Float32Array copies; `loadStateDict` also accepts plain number arrays and the
 * `{"0": v0, ...}` objects that `JSON.stringify` makes of a Float32Array, so `JSON.parse(JSON.stringify(sd))`
 * loads back exactly (a replacer such as `(k, v) => v instanceof Float32Array ? Array.from(v) : v` gives compact JSON).
 */
export interface OptimizerStateDict {
  state: Record<string, Record<string, number | Float32Array | number[]>>;
  paramGroups: Array<Record<string, unknown> & { params: number[] }>;
}

function isParameter(v: unknown): v is Parameter {
  return typeof v === 'object' && v !== null && (v as Parameter).data instanceof Float32Array && (v as Parameter).grad instanceof Float32Array;
}

/** An array, or a copy of another iterable (e.g. a generator of parameters); undefined otherwise. */
function toArray(v: unknown): unknown[] | undefined {
  if (Array.isArray(v)) return v;
  if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v) && typeof (v as Iterable<unknown>)[Symbol.iterator] === 'function') {
    return Array.from(v as Iterable<unknown>);
  }
  return undefined;
}

/** Parameters with at least this many elements use the fused native updates (same float32 results). */
export const NATIVE_MIN_ELEMENTS = 4096;

/** True when no two of the arrays share an ArrayBuffer (the native updates require unaliased arrays). */
export function separate(...arrays: Array<Float32Array | null>): boolean {
  const seen = new Set<ArrayBufferLike>();
  for (const a of arrays) {
    if (a === null) continue;
    if (seen.has(a.buffer)) return false;
    seen.add(a.buffer);
  }
  return true;
}

/** Copies a saved buffer (Float32Array or number[]) of length `n` into a new Float32Array. */
export function loadBuffer(name: string, value: unknown, n: number): Float32Array {
  if (value instanceof Float32Array) {
    if (value.length !== n) throw rangeError(`${name}.length`, `${n}`, value.length);
    return value.slice();
  }
  let arr: unknown[];
  if (Array.isArray(value)) arr = value;
  else if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value) && Object.keys(value).length === n && (n === 0 || '0' in value)) {
    // what JSON.stringify makes of a Float32Array: {"0": v0, "1": v1, ...}
    arr = Array.from({ length: n }, (_, i) => (value as Record<string, unknown>)[String(i)]);
  } else {
    throw typeError(name, 'a Float32Array, an array of numbers or its JSON object form', value);
  }
  if (arr.length !== n) throw rangeError(`${name}.length`, `${n}`, arr.length);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = arr[i];
    if (typeof v !== 'number') throw typeError(`${name}[${i}]`, 'a number', v);
    out[i] = v;
  }
  return out;
}

/** Checks a saved step count (a non-negative integer). */
export function loadStep(name: string, value: unknown): number {
  if (typeof value !== 'number') throw typeError(name, 'a non-negative integer', value);
  if (!Number.isSafeInteger(value) || value < 0) throw rangeError(name, 'a non-negative integer', value);
  return value;
}

/**
 * Base class of the optimizers. Subclasses define their options (defaults, validation) and
 * the per-parameter update; the base handles parameter groups, `zeroGrad` and state dicts.
 */
export abstract class Optimizer<O extends object = object> {
  /** The constructor's options, completed with defaults (PyTorch `defaults`). */
  readonly defaults: Readonly<O>;
  /** Parameter groups; their options (e.g. `lr`) are read and written by schedulers. */
  paramGroups: Array<ParamGroup & O>;
  /** Per-parameter state, created on the first `step()`. */
  protected readonly state = new Map<Parameter, ParamState>();

  protected constructor(params: unknown, options: unknown, optionKeys: readonly string[]) {
    const opts = checkOptions<O>('options', options) as Record<string, unknown>;
    checkKnownKeys('options', opts, optionKeys);
    const defaults = this.completeOptions('options', opts, undefined);
    const groups = this.buildGroups(params, defaults, optionKeys);
    this.defaults = Object.freeze(defaults);
    this.paramGroups = groups;
  }

  /**
   * Validates options (`base` supplies missing ones; the class defaults when undefined) and returns a
   * complete, checked options object. Throws TypeError/RangeError naming `${name}.<option>`.
   */
  protected abstract completeOptions(name: string, opts: Record<string, unknown>, base: O | undefined): O;

  /** Validates and copies a saved per-parameter state entry. */
  protected abstract loadParamState(name: string, entry: Record<string, unknown>, p: Parameter, group: ParamGroup & O): ParamState;

  /** Updates one parameter from its gradient (hyper-parameters already validated). */
  protected abstract updateParam(p: Parameter, group: ParamGroup & O, state: ParamState | undefined): ParamState;

  private optionKeys(): string[] {
    return Object.keys(this.defaults ?? {});
  }

  private buildGroups(input: unknown, defaults: O, optionKeys: readonly string[]): Array<ParamGroup & O> {
    const params = toArray(input);
    if (params === undefined) throw typeError('params', 'an array (or iterable) of Parameters or of parameter groups', input);
    if (params.length === 0) throw rangeError('params', 'a non-empty array', params);
    const inputs: unknown[] = isParameter(params[0]) ? [{ params }] : params;
    const seen = new Set<Parameter>();
    return inputs.map((g, i) => this.buildGroup(`params[${i}]`, g, defaults, optionKeys, seen));
  }

  private buildGroup(name: string, input: unknown, defaults: O, optionKeys: readonly string[], seen: Set<Parameter>): ParamGroup & O {
    const g = checkPlainObject(name, input);
    checkKnownKeys(name, g, ['params', ...optionKeys, ...SCHEDULER_GROUP_KEYS]);
    const list = isParameter(g.params) ? [g.params] : toArray(g.params);
    if (list === undefined) throw typeError(`${name}.params`, 'an array (or iterable) of Parameters', g.params);
    const ps: Parameter[] = [];
    list.forEach((p, j) => {
      if (!isParameter(p)) throw typeError(`${name}.params[${j}]`, 'a Parameter (with Float32Array data and grad)', p);
      if (seen.has(p)) throw rangeError(`${name}.params[${j}]`, 'a parameter that appears in only one parameter group', 'a duplicate');
      seen.add(p);
      ps.push(p);
    });
    const rest: Record<string, unknown> = {};
    for (const k of optionKeys) if (g[k] !== undefined) rest[k] = g[k];
    const opts = this.completeOptions(name, rest, defaults);
    const extra: SchedulerGroupKeys = {};
    for (const k of SCHEDULER_GROUP_KEYS) if (g[k] !== undefined) extra[k] = checkNumber(`${name}.${k}`, g[k]);
    return { params: ps, ...opts, ...extra } as ParamGroup & O;
  }

  /**
   * Adds a parameter group (PyTorch `add_param_group`); options it lacks take the defaults.
   * Its parameters must not already belong to another group.
   */
  addParamGroup(group: ParamGroupInput<O>): void {
    const seen = new Set<Parameter>();
    for (const g of this.paramGroups) for (const p of g.params) seen.add(p);
    const built = this.buildGroup('group', group, this.defaults as O, this.optionKeys(), seen);
    this.paramGroups.push(built);
  }

  /** Sets the gradient of every parameter to zero. */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.grad.fill(0);
  }

  private checkGroups(): void {
    const keys = this.optionKeys();
    this.paramGroups.forEach((g, i) => {
      const name = `paramGroups[${i}]`;
      if (g === null || typeof g !== 'object') throw typeError(name, 'a parameter group object', g);
      const opts: Record<string, unknown> = {};
      for (const k of keys) opts[k] = (g as unknown as Record<string, unknown>)[k];
      this.completeOptions(name, opts, this.defaults as O);
      if (!Array.isArray(g.params)) throw typeError(`${name}.params`, 'an array of Parameters', g.params);
      g.params.forEach((p, j) => {
        if (!isParameter(p)) throw typeError(`${name}.params[${j}]`, 'a Parameter', p);
        if (p.grad.length !== p.data.length) throw rangeError(`${name}.params[${j}].grad.length`, `${p.data.length} (data.length)`, p.grad.length);
      });
    });
  }

  /**
   * Performs one optimization step on every parameter with `requiresGrad`, using its `grad`.
   * Group options are validated first, so an invalid value written into a group throws before anything changes.
   */
  step(): void {
    this.checkGroups();
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (!p.requiresGrad) continue;
        const s = this.updateParam(p, g, this.state.get(p));
        this.state.set(p, s);
      }
    }
  }

  /** Returns a copy of the optimizer state (see {@link OptimizerStateDict}). */
  stateDict(): OptimizerStateDict {
    const state: OptimizerStateDict['state'] = {};
    let index = 0;
    const paramGroups = this.paramGroups.map((g) => {
      const packed: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(g)) {
        if (k === 'params') continue;
        packed[k] = Array.isArray(v) ? [...v] : v;
      }
      const ids: number[] = [];
      for (const p of g.params) {
        const s = this.state.get(p);
        if (s) {
          const copy: Record<string, number | Float32Array> = {};
          for (const [k, v] of Object.entries(s)) copy[k] = v instanceof Float32Array ? v.slice() : v;
          state[String(index)] = copy;
        }
        ids.push(index++);
      }
      return { ...packed, params: ids };
    });
    return { state, paramGroups };
  }

  /**
   * Loads a state dict from {@link stateDict} (or its JSON form). Everything is validated
   * (group count and sizes, option values, buffer lengths) before the optimizer changes.
   */
  loadStateDict(stateDict: OptimizerStateDict): void {
    const sd = checkPlainObject('stateDict', stateDict);
    const saved = checkArray('stateDict.paramGroups', sd.paramGroups, this.paramGroups.length);
    const savedState = checkPlainObject('stateDict.state', sd.state);
    const keys = this.optionKeys();
    const idMap = new Map<number, { p: Parameter; g: number }>();
    const newGroups = saved.map((sg, i) => {
      const name = `stateDict.paramGroups[${i}]`;
      const cur = this.paramGroups[i];
      const obj = checkPlainObject(name, sg);
      checkKnownKeys(name, obj, ['params', ...keys, ...SCHEDULER_GROUP_KEYS]);
      const ids = checkArray(`${name}.params`, obj.params, cur.params.length);
      ids.forEach((id, j) => {
        if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) throw typeError(`${name}.params[${j}]`, 'a non-negative integer', id);
        if (idMap.has(id)) throw rangeError(`${name}.params[${j}]`, 'a unique parameter index', id);
        idMap.set(id, { p: cur.params[j], g: i });
      });
      const rest: Record<string, unknown> = {};
      for (const k of keys) if (obj[k] !== undefined) rest[k] = obj[k];
      const opts = this.completeOptions(name, rest, this.defaults as O);
      const extra: SchedulerGroupKeys = {};
      for (const k of SCHEDULER_GROUP_KEYS) if (obj[k] !== undefined) extra[k] = checkNumber(`${name}.${k}`, obj[k]);
      return { params: cur.params, ...opts, ...extra } as ParamGroup & O;
    });
    const newState = new Map<Parameter, ParamState>();
    for (const [key, entry] of Object.entries(savedState)) {
      const id = Number(key);
      const target = idMap.get(id);
      if (!Number.isSafeInteger(id) || target === undefined) throw rangeError(`stateDict.state`, 'keys that are parameter indices of stateDict.paramGroups', key);
      const name = `stateDict.state[${key}]`;
      newState.set(target.p, this.loadParamState(name, checkPlainObject(name, entry), target.p, newGroups[target.g]));
    }
    this.paramGroups = newGroups;
    this.state.clear();
    for (const [p, s] of newState) this.state.set(p, s);
  }
}
