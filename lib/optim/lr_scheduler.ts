import { checkBool, checkEnum, checkInt, checkNumber, checkOptions, rangeError, stateError, typeError } from '../errors';
import { Optimizer, type ParamGroup } from './optimizer';
import {
  bisectRight, checkAnyNumber, checkArray, checkKnownKeys, checkNumberArray, checkPlainObject, checkPositiveInt, numberOr, perGroup, pyMod,
} from './validate';

/** A parameter group as schedulers see it: momentum-like options are optional. */
interface SchedGroup extends ParamGroup {
  momentum?: number;
  betas?: [number, number];
}

/** Serialisable scheduler state (plain numbers, strings, booleans and arrays; nested for Sequential/Chained). */
export type SchedulerStateDict = Record<string, unknown>;

type Check = (name: string, v: unknown) => unknown;

const int = (min: number): Check => (n, v) => checkInt(n, v, { min });
const num: Check = (n, v) => checkNumber(n, v);
const nonNeg: Check = (n, v) => checkNumber(n, v, { min: 0 });

function required(name: string, v: unknown): unknown {
  if (v === undefined) throw rangeError(name, 'a value (this option is required)', v);
  return v;
}

function checkOptimizer(v: unknown): Optimizer {
  if (!(v instanceof Optimizer)) throw typeError('optimizer', 'an Optimizer (SGD, Adam, AdamW, RMSprop)', v);
  return v;
}

function checkLastEpoch(optimizer: Optimizer, v: unknown): number {
  const lastEpoch = v === undefined ? -1 : checkInt('lastEpoch', v, { min: -1 });
  if (lastEpoch !== -1) {
    optimizer.paramGroups.forEach((g, i) => {
      if (typeof g.initialLr !== 'number') {
        throw stateError(`paramGroups[${i}].initialLr is not set; it is required when resuming with lastEpoch ${lastEpoch} (construct with lastEpoch -1 or load the optimizer state first)`);
      }
    });
  }
  return lastEpoch;
}

function groupsOf(optimizer: Optimizer): SchedGroup[] {
  return optimizer.paramGroups as SchedGroup[];
}

function hasOption(optimizer: Optimizer, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(optimizer.defaults, key);
}

function opts(name: string, value: unknown, keys: readonly string[]): Record<string, unknown> {
  const o = checkOptions<Record<string, unknown>>(name, value) as Record<string, unknown>;
  checkKnownKeys(name, o, keys);
  return o;
}

/**
 * Base class of the learning-rate schedulers (PyTorch `_LRScheduler`). Constructing one sets
 * `initialLr` in every parameter group (when `lastEpoch` is -1) and performs the initial step,
 * exactly like PyTorch. Call `step()` once per epoch (or batch) after `optimizer.step()`.
 */
export abstract class LRScheduler {
  /** The optimizer whose `paramGroups[i].lr` this scheduler writes. */
  readonly optimizer: Optimizer;
  /** Learning rates the schedule starts from (the groups' `initialLr`). */
  baseLrs: number[];
  /** Index of the last step taken (-1 before the initial step). */
  lastEpoch: number;
  protected stepCount = 0;
  protected lastLr: number[] = [];

  protected constructor(optimizer: unknown, lastEpoch: unknown) {
    const opt = checkOptimizer(optimizer);
    const le = checkLastEpoch(opt, lastEpoch);
    const groups = groupsOf(opt);
    if (le === -1) for (const g of groups) if (g.initialLr === undefined) g.initialLr = g.lr;
    this.optimizer = opt;
    this.baseLrs = groups.map((g) => g.initialLr as number);
    this.lastEpoch = le;
  }

  /** PyTorch `_initial_step`: resets the step count and steps once. */
  protected initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** The learning rates for `lastEpoch` (PyTorch's chainable `get_lr`). */
  protected abstract getLr(): number[];

  /** Closed-form rates for `lastEpoch`, used when stepping to an explicit epoch (SequentialLR). */
  protected closedFormLr(): number[] | undefined {
    return undefined;
  }

  /** Throws if stepping to `epoch` is not allowed (checked before anything changes). */
  protected checkStep(_epoch: number): void {}

  protected apply(values: number[]): void {
    const groups = groupsOf(this.optimizer);
    values.forEach((lr, i) => {
      groups[i].lr = lr;
    });
    this.lastLr = groups.map((g) => g.lr);
  }

  /** Advances the schedule by one step and writes the new learning rates into the optimizer's groups. */
  step(): void {
    noArgs('step', arguments.length);
    this.checkStep(this.lastEpoch + 1);
    const saved = [this.stepCount, this.lastEpoch];
    try {
      this.stepCount += 1;
      this.lastEpoch += 1;
      const values = this.getLr();
      checkValues(values);
      this.apply(values);
    } catch (e) {
      [this.stepCount, this.lastEpoch] = saved;
      throw e;
    }
  }

  /** @internal PyTorch's deprecated `step(epoch)`: jumps to `epoch` using the closed form when there is one. */
  stepTo(epoch: number): void {
    checkInt('epoch', epoch, { min: 0 });
    this.checkStep(epoch);
    this.stepCount += 1;
    this.lastEpoch = epoch;
    const values = this.closedFormLr() ?? this.getLr();
    this.apply(values);
  }

  /** The learning rates last written by this scheduler, one per parameter group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** Validators of the state dict entries; subclasses extend it with their options. */
  protected stateSpec(): Record<string, Check> {
    const n = this.optimizer.paramGroups.length;
    return {
      lastEpoch: int(-1),
      baseLrs: (name, v) => checkNumberArray(name, v, n),
      stepCount: int(0),
      lastLr: (name, v) => checkNumberArray(name, v, n),
    };
  }

  /** Returns the scheduler state as a plain JSON-serialisable object (functions such as `lrLambda` are not saved). */
  stateDict(): SchedulerStateDict {
    const out: SchedulerStateDict = {};
    const self = this as unknown as Record<string, unknown>;
    for (const k of Object.keys(this.stateSpec())) out[k] = copyValue(self[k]);
    return out;
  }

  /** Loads a state from {@link stateDict}; every entry is validated before anything changes. */
  loadStateDict(stateDict: SchedulerStateDict): void {
    const sd = checkPlainObject('stateDict', stateDict);
    const spec = this.stateSpec();
    checkKnownKeys('stateDict', sd, Object.keys(spec));
    const values: Record<string, unknown> = {};
    for (const [k, check] of Object.entries(spec)) values[k] = check(`stateDict.${k}`, required(`stateDict.${k}`, sd[k]));
    Object.assign(this, values);
  }
}

/** PyTorch's deprecated `step(epoch)` is not supported (except CosineAnnealingWarmRestarts): refuse an argument instead of ignoring it. */
function noArgs(name: string, count: number): void {
  if (count > 0) throw rangeError(name, 'no argument (use CosineAnnealingWarmRestarts.step(epoch) for explicit epochs)', `${count} argument(s)`);
}

function copyValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(copyValue);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copyValue(x)]));
  return v;
}

function checkValues(values: number[]): void {
  values.forEach((v, i) => {
    if (typeof v !== 'number') throw typeError(`learning rate of group ${i}`, 'a number', v);
    if (Number.isNaN(v)) throw rangeError(`learning rate of group ${i}`, 'a number (not NaN)', v);
  });
}

/** Options of {@link StepLR}. */
export interface StepLROptions {
  /** Period of learning-rate decay, a positive integer (required). */
  stepSize: number;
  /** Multiplicative factor of decay (default 0.1). */
  gamma?: number;
  /** Index of the last epoch when resuming (default -1). */
  lastEpoch?: number;
}

/**
 * Decays each group's learning rate by `gamma` every `stepSize` steps.
 * @example new optim.lr.StepLR(opt, { stepSize: 30, gamma: 0.1 })
 */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;
  constructor(optimizer: Optimizer, options: StepLROptions) {
    const o = opts('options', options, ['stepSize', 'gamma', 'lastEpoch']);
    const stepSize = checkPositiveInt('stepSize', required('stepSize', o.stepSize));
    const gamma = numberOr('gamma', o.gamma, 0.1, { min: 0 });
    super(optimizer, o.lastEpoch);
    this.stepSize = stepSize;
    this.gamma = gamma;
    this.initialStep();
  }
  protected getLr(): number[] {
    const groups = groupsOf(this.optimizer);
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * this.gamma);
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
  protected override stateSpec(): Record<string, Check> {
    return { ...super.stateSpec(), stepSize: (n, v) => checkPositiveInt(n, v), gamma: nonNeg };
  }
}

/** Options of {@link MultiStepLR}. */
export interface MultiStepLROptions {
  /** Step indices (non-negative integers) at which the rate is multiplied by `gamma` (required). */
  milestones: number[];
  /** Multiplicative factor of decay (default 0.1). */
  gamma?: number;
  lastEpoch?: number;
}

function checkMilestones(name: string, v: unknown): number[] {
  return checkArray(name, v).map((m, i) => checkInt(`${name}[${i}]`, m, { min: 0 })).sort((a, b) => a - b);
}

/**
 * Multiplies the learning rate by `gamma` at each milestone (a milestone listed twice applies twice).
 * @example new optim.lr.MultiStepLR(opt, { milestones: [30, 80], gamma: 0.1 })
 */
export class MultiStepLR extends LRScheduler {
  /** Sorted milestones (with repetitions). */
  milestones: number[];
  gamma: number;
  constructor(optimizer: Optimizer, options: MultiStepLROptions) {
    const o = opts('options', options, ['milestones', 'gamma', 'lastEpoch']);
    const milestones = checkMilestones('milestones', required('milestones', o.milestones));
    const gamma = numberOr('gamma', o.gamma, 0.1, { min: 0 });
    super(optimizer, o.lastEpoch);
    this.milestones = milestones;
    this.gamma = gamma;
    this.initialStep();
  }
  protected getLr(): number[] {
    const groups = groupsOf(this.optimizer);
    const count = this.milestones.filter((m) => m === this.lastEpoch).length;
    if (count === 0) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * this.gamma ** count);
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** bisectRight(this.milestones, this.lastEpoch));
  }
  protected override stateSpec(): Record<string, Check> {
    return { ...super.stateSpec(), milestones: checkMilestones, gamma: nonNeg };
  }
}

/** Options of {@link ConstantLR}. */
export interface ConstantLROptions {
  /** Factor applied until `totalIters`, in (0, 1] (default 1/3). */
  factor?: number;
  /** Number of steps the factor applies (default 5). */
  totalIters?: number;
  lastEpoch?: number;
}

/**
 * Multiplies the learning rate by `factor` until step `totalIters`, then restores it (warm-up).
 * @example new optim.lr.ConstantLR(opt, { factor: 0.5, totalIters: 4 })
 */
export class ConstantLR extends LRScheduler {
  factor: number;
  totalIters: number;
  constructor(optimizer: Optimizer, options: ConstantLROptions = {}) {
    const o = opts('options', options, ['factor', 'totalIters', 'lastEpoch']);
    const factor = numberOr('factor', o.factor, 1 / 3, { min: 0, minExclusive: true, max: 1 });
    const totalIters = o.totalIters === undefined ? 5 : checkInt('totalIters', o.totalIters, { min: 0 });
    super(optimizer, o.lastEpoch);
    this.factor = factor;
    this.totalIters = totalIters;
    this.initialStep();
  }
  protected getLr(): number[] {
    const groups = groupsOf(this.optimizer);
    if (this.lastEpoch === 0) return groups.map((g) => g.lr * this.factor);
    if (this.lastEpoch !== this.totalIters) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * (1.0 / this.factor));
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * (this.factor + (this.lastEpoch >= this.totalIters ? 1 : 0) * (1 - this.factor)));
  }
  protected override stateSpec(): Record<string, Check> {
    return { ...super.stateSpec(), factor: (n, v) => checkNumber(n, v, { min: 0, minExclusive: true, max: 1 }), totalIters: int(0) };
  }
}

/** Options of {@link LinearLR}. */
export interface LinearLROptions {
  /** Factor at step 0, in (0, 1] (default 1/3). */
  startFactor?: number;
  /** Factor at step `totalIters` and after, in [0, 1] (default 1). */
  endFactor?: number;
  /** Number of steps of the linear ramp, a positive integer (default 5). */
  totalIters?: number;
  lastEpoch?: number;
}

/**
 * Changes the learning rate linearly from `startFactor` to `endFactor` times the initial rate over `totalIters` steps.
 * @example new optim.lr.LinearLR(opt, { startFactor: 0.1, totalIters: 10 })
 */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;
  constructor(optimizer: Optimizer, options: LinearLROptions = {}) {
    const o = opts('options', options, ['startFactor', 'endFactor', 'totalIters', 'lastEpoch']);
    const startFactor = numberOr('startFactor', o.startFactor, 1 / 3, { min: 0, minExclusive: true, max: 1 });
    const endFactor = numberOr('endFactor', o.endFactor, 1, { min: 0, max: 1 });
    const totalIters = o.totalIters === undefined ? 5 : checkPositiveInt('totalIters', o.totalIters);
    super(optimizer, o.lastEpoch);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = totalIters;
    this.initialStep();
  }
  protected getLr(): number[] {
    const groups = groupsOf(this.optimizer);
    const { startFactor: sf, endFactor: ef, totalIters: ti, lastEpoch: le } = this;
    if (le === 0) return groups.map((g) => g.lr * sf);
    if (le > ti) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * (1 + (ef - sf) / (ti * sf + (le - 1) * (ef - sf))));
  }
  protected override closedFormLr(): number[] {
    const { startFactor: sf, endFactor: ef, totalIters: ti, lastEpoch: le } = this;
    return this.baseLrs.map((b) => b * (sf + ((ef - sf) * Math.min(ti, le)) / ti));
  }
  protected override stateSpec(): Record<string, Check> {
    return {
      ...super.stateSpec(),
      startFactor: (n, v) => checkNumber(n, v, { min: 0, minExclusive: true, max: 1 }),
      endFactor: (n, v) => checkNumber(n, v, { min: 0, max: 1 }),
      totalIters: (n, v) => checkPositiveInt(n, v),
    };
  }
}

/** Options of {@link ExponentialLR}. */
export interface ExponentialLROptions {
  /** Multiplicative factor applied every step (required). */
  gamma: number;
  lastEpoch?: number;
}

/**
 * Multiplies the learning rate by `gamma` every step.
 * @example new optim.lr.ExponentialLR(opt, { gamma: 0.95 })
 */
export class ExponentialLR extends LRScheduler {
  gamma: number;
  constructor(optimizer: Optimizer, options: ExponentialLROptions) {
    const o = opts('options', options, ['gamma', 'lastEpoch']);
    const gamma = checkNumber('gamma', required('gamma', o.gamma), { min: 0 });
    super(optimizer, o.lastEpoch);
    this.gamma = gamma;
    this.initialStep();
  }
  protected getLr(): number[] {
    const groups = groupsOf(this.optimizer);
    if (this.lastEpoch === 0) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * this.gamma);
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }
  protected override stateSpec(): Record<string, Check> {
    return { ...super.stateSpec(), gamma: nonNeg };
  }
}

/** Options of {@link PolynomialLR}. */
export interface PolynomialLROptions {
  /** Number of steps over which the rate decays to 0, a positive integer (default 5). */
  totalIters?: number;
  /** Power of the polynomial, >= 0 (default 1). */
  power?: number;
  lastEpoch?: number;
}

/**
 * Decays the learning rate as `(1 - t / totalIters) ** power`.
 * @example new optim.lr.PolynomialLR(opt, { totalIters: 40, power: 2 })
 */
export class PolynomialLR extends LRScheduler {
  totalIters: number;
  power: number;
  constructor(optimizer: Optimizer, options: PolynomialLROptions = {}) {
    const o = opts('options', options, ['totalIters', 'power', 'lastEpoch']);
    const totalIters = o.totalIters === undefined ? 5 : checkPositiveInt('totalIters', o.totalIters);
    const power = numberOr('power', o.power, 1, { min: 0 });
    super(optimizer, o.lastEpoch);
    this.totalIters = totalIters;
    this.power = power;
    this.initialStep();
  }
  protected getLr(): number[] {
    const groups = groupsOf(this.optimizer);
    const { totalIters: ti, lastEpoch: le } = this;
    if (le === 0 || le > ti) return groups.map((g) => g.lr);
    const decay = ((1.0 - le / ti) / (1.0 - (le - 1) / ti)) ** this.power;
    return groups.map((g) => g.lr * decay);
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * (1.0 - Math.min(this.totalIters, this.lastEpoch) / this.totalIters) ** this.power);
  }
  protected override stateSpec(): Record<string, Check> {
    return { ...super.stateSpec(), totalIters: (n, v) => checkPositiveInt(n, v), power: nonNeg };
  }
}

/** Options of {@link CosineAnnealingLR}. */
export interface CosineAnnealingLROptions {
  /** Half period of the cosine, in steps, > 0 (required). */
  tMax: number;
  /** Minimum learning rate (default 0). */
  etaMin?: number;
  lastEpoch?: number;
}

/**
 * Cosine annealing from the initial rate to `etaMin` over `tMax` steps, in PyTorch's recursive
 * (chainable) form, so values match PyTorch exactly, including when other code changes `lr`.
 * @example new optim.lr.CosineAnnealingLR(opt, { tMax: 50, etaMin: 1e-5 })
 */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;
  constructor(optimizer: Optimizer, options: CosineAnnealingLROptions) {
    const o = opts('options', options, ['tMax', 'etaMin', 'lastEpoch']);
    const tMax = checkNumber('tMax', required('tMax', o.tMax), { min: 0, minExclusive: true });
    const etaMin = numberOr('etaMin', o.etaMin, 0, { min: 0 });
    super(optimizer, o.lastEpoch);
    this.tMax = tMax;
    this.etaMin = etaMin;
    this.initialStep();
  }
  protected getLr(): number[] {
    const groups = groupsOf(this.optimizer);
    const { tMax, etaMin, lastEpoch: le } = this;
    if (le === 0) return groups.map((g) => g.lr);
    if (this.stepCount === 1 && le > 0) {
      return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((le * Math.PI) / tMax))) / 2);
    }
    if (pyMod(le - 1 - tMax, 2 * tMax) === 0) {
      return groups.map((g, i) => g.lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2);
    }
    return groups.map(
      (g) => ((1 + Math.cos((Math.PI * le) / tMax)) / (1 + Math.cos((Math.PI * (le - 1)) / tMax))) * (g.lr - etaMin) + etaMin,
    );
  }
  protected override closedFormLr(): number[] {
    const { tMax, etaMin, lastEpoch: le } = this;
    return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((Math.PI * le) / tMax))) / 2);
  }
  protected override stateSpec(): Record<string, Check> {
    return { ...super.stateSpec(), tMax: (n, v) => checkNumber(n, v, { min: 0, minExclusive: true }), etaMin: nonNeg };
  }
}

/** Options of {@link CosineAnnealingWarmRestarts}. */
export interface CosineAnnealingWarmRestartsOptions {
  /** Steps until the first restart, a positive integer (required). */
  t0: number;
  /** Factor by which the period grows after each restart, an integer >= 1 (default 1). */
  tMult?: number;
  /** Minimum learning rate (default 0). */
  etaMin?: number;
  lastEpoch?: number;
}

/**
 * SGDR: cosine annealing with warm restarts every `t0`, `t0 * tMult`, ... steps.
 * `step(epoch)` accepts fractional epochs (e.g. `epoch + batch / batches`).
 * @example const s = new optim.lr.CosineAnnealingWarmRestarts(opt, { t0: 10, tMult: 2 }); s.step(3.5);
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  t0: number;
  tMult: number;
  etaMin: number;
  /** Length of the current period. */
  tI: number;
  /** Steps (possibly fractional) since the last restart. */
  tCur: number;
  constructor(optimizer: Optimizer, options: CosineAnnealingWarmRestartsOptions) {
    const o = opts('options', options, ['t0', 'tMult', 'etaMin', 'lastEpoch']);
    const t0 = checkPositiveInt('t0', required('t0', o.t0));
    const tMult = o.tMult === undefined ? 1 : checkInt('tMult', o.tMult, { min: 1 });
    const etaMin = numberOr('etaMin', o.etaMin, 0, { min: 0 });
    super(optimizer, o.lastEpoch);
    this.t0 = t0;
    this.tI = t0;
    this.tMult = tMult;
    this.etaMin = etaMin;
    this.tCur = this.lastEpoch;
    this.initialStep();
  }
  protected getLr(): number[] {
    const { etaMin, tCur, tI } = this;
    return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2);
  }
  /** Advances one step, or jumps to `epoch` (a non-negative, possibly fractional, number). */
  override step(epoch?: number): void {
    if (epoch !== undefined) checkNumber('epoch', epoch, { min: 0 });
    let e: number;
    if (epoch === undefined && this.lastEpoch < 0) e = 0;
    else e = epoch as number;
    if (epoch === undefined && this.lastEpoch >= 0) {
      e = this.lastEpoch + 1;
      this.tCur = this.tCur + 1;
      if (this.tCur >= this.tI) {
        this.tCur = this.tCur - this.tI;
        this.tI = this.tI * this.tMult;
      }
    } else if (e >= this.t0) {
      if (this.tMult === 1) {
        this.tCur = pyMod(e, this.t0);
      } else {
        const n = Math.trunc(Math.log((e / this.t0) * (this.tMult - 1) + 1) / Math.log(this.tMult));
        this.tCur = e - (this.t0 * (this.tMult ** n - 1)) / (this.tMult - 1);
        this.tI = this.t0 * this.tMult ** n;
      }
    } else {
      this.tI = this.t0;
      this.tCur = e;
    }
    this.lastEpoch = Math.floor(e);
    this.apply(this.getLr());
  }
  /** @internal */
  override stepTo(epoch: number): void {
    checkNumber('epoch', epoch, { min: 0 });
    this.step(epoch);
  }
  protected override stateSpec(): Record<string, Check> {
    return {
      ...super.stateSpec(),
      t0: (n, v) => checkPositiveInt(n, v),
      tMult: int(1),
      etaMin: nonNeg,
      tI: (n, v) => checkNumber(n, v, { min: 0, minExclusive: true }),
      tCur: num,
    };
  }
}

/** A function of the step index returning a multiplicative factor. */
export type LrLambda = (epoch: number) => number;

/** Options of {@link LambdaLR}. */
export interface LambdaLROptions {
  /** One function for all groups, or one per group (required). */
  lrLambda: LrLambda | LrLambda[];
  lastEpoch?: number;
}

/**
 * Sets each group's rate to its initial rate times `lrLambda(step)`. The functions are not part of the state dict.
 * @example new optim.lr.LambdaLR(opt, { lrLambda: (e) => 0.95 ** e })
 */
export class LambdaLR extends LRScheduler {
  lrLambdas: LrLambda[];
  constructor(optimizer: Optimizer, options: LambdaLROptions) {
    const o = opts('options', options, ['lrLambda', 'lastEpoch']);
    const l = required('lrLambda', o.lrLambda);
    const n = checkOptimizer(optimizer).paramGroups.length;
    let lambdas: LrLambda[];
    if (Array.isArray(l)) {
      if (l.length !== n) throw rangeError('lrLambda.length', `${n} (one function per parameter group)`, l.length);
      l.forEach((fn, i) => {
        if (typeof fn !== 'function') throw typeError(`lrLambda[${i}]`, 'a function', fn);
      });
      lambdas = [...(l as LrLambda[])];
    } else {
      if (typeof l !== 'function') throw typeError('lrLambda', 'a function or an array of functions', l);
      lambdas = new Array<LrLambda>(n).fill(l as LrLambda);
    }
    super(optimizer, o.lastEpoch);
    this.lrLambdas = lambdas;
    this.initialStep();
  }
  protected getLr(): number[] {
    return this.baseLrs.map((b, i) => {
      const factor: unknown = this.lrLambdas[i](this.lastEpoch);
      if (typeof factor !== 'number') throw typeError(`lrLambda(${this.lastEpoch})`, 'a number', factor);
      return b * factor;
    });
  }
}

/** Options of {@link CyclicLR}. */
export interface CyclicLROptions {
  /** Lower learning-rate bound, per group or one for all (required). */
  baseLr: number | number[];
  /** Upper learning-rate bound, per group or one for all (required). */
  maxLr: number | number[];
  /** Steps in the increasing half of a cycle (default 2000). */
  stepSizeUp?: number;
  /** Steps in the decreasing half (default `stepSizeUp`). */
  stepSizeDown?: number;
  /** 'triangular' | 'triangular2' | 'exp_range' (default 'triangular'). */
  mode?: 'triangular' | 'triangular2' | 'exp_range';
  /** Base of the 'exp_range' scaling `gamma ** iterations` (default 1). */
  gamma?: number;
  /** Custom amplitude scaling `x -> factor`; replaces the mode's scaling. */
  scaleFn?: (x: number) => number;
  /** Argument of `scaleFn`: 'cycle' number or 'iterations' (default 'cycle'). */
  scaleMode?: 'cycle' | 'iterations';
  /** Cycle momentum (SGD/RMSprop `momentum`, Adam/AdamW `betas[0]`) inversely to the rate (default true). */
  cycleMomentum?: boolean;
  /** Lower momentum bound (default 0.8). */
  baseMomentum?: number | number[];
  /** Upper momentum bound (default 0.9). */
  maxMomentum?: number | number[];
  lastEpoch?: number;
}

/**
 * Cyclical learning rate (Smith 2017) between `baseLr` and `maxLr`. With `cycleMomentum` it
 * cycles `momentum` (or, like PyTorch 2, Adam's `betas[0]`) between `maxMomentum` and `baseMomentum`.
 * @example new optim.lr.CyclicLR(opt, { baseLr: 0.001, maxLr: 0.1, stepSizeUp: 4, mode: 'triangular2' })
 */
export class CyclicLR extends LRScheduler {
  maxLrs: number[];
  totalSize: number;
  stepRatio: number;
  mode: string;
  gamma: number;
  scaleMode: 'cycle' | 'iterations';
  cycleMomentum: boolean;
  useBeta1: boolean;
  baseMomentums: number[];
  maxMomentums: number[];
  private readonly scaleFnCustom: ((x: number) => number) | undefined;

  constructor(optimizer: Optimizer, options: CyclicLROptions) {
    const o = opts('options', options, [
      'baseLr', 'maxLr', 'stepSizeUp', 'stepSizeDown', 'mode', 'gamma', 'scaleFn', 'scaleMode', 'cycleMomentum', 'baseMomentum', 'maxMomentum', 'lastEpoch',
    ]);
    const opt = checkOptimizer(optimizer);
    const lastEpoch = checkLastEpoch(opt, o.lastEpoch);
    const groups = groupsOf(opt);
    const n = groups.length;
    const baseLrs = perGroup('baseLr', required('baseLr', o.baseLr), n, { min: 0 });
    const maxLrs = perGroup('maxLr', required('maxLr', o.maxLr), n, { min: 0 });
    const up = o.stepSizeUp === undefined ? 2000 : checkNumber('stepSizeUp', o.stepSizeUp, { min: 0, minExclusive: true });
    const down = o.stepSizeDown === undefined ? up : checkNumber('stepSizeDown', o.stepSizeDown, { min: 0, minExclusive: true });
    const mode = o.mode === undefined ? 'triangular' : checkEnum('mode', o.mode, ['triangular', 'triangular2', 'exp_range'] as const);
    const gamma = numberOr('gamma', o.gamma, 1, { min: 0 });
    if (o.scaleFn !== undefined && typeof o.scaleFn !== 'function') throw typeError('scaleFn', 'a function', o.scaleFn);
    const scaleMode = o.scaleMode === undefined ? 'cycle' : checkEnum('scaleMode', o.scaleMode, ['cycle', 'iterations'] as const);
    const cycleMomentum = o.cycleMomentum === undefined ? true : checkBool('cycleMomentum', o.cycleMomentum);
    let baseMomentums: number[] = [];
    let maxMomentums: number[] = [];
    const useBeta1 = hasOption(opt, 'betas');
    if (cycleMomentum) {
      if (!hasOption(opt, 'momentum') && !useBeta1) {
        throw rangeError('cycleMomentum', 'false for an optimizer without momentum or betas', true);
      }
      baseMomentums = perGroup('baseMomentum', (o.baseMomentum === undefined ? 0.8 : o.baseMomentum), n, { min: 0, max: 1, maxExclusive: true });
      maxMomentums = perGroup('maxMomentum', (o.maxMomentum === undefined ? 0.9 : o.maxMomentum), n, { min: 0, max: 1, maxExclusive: true });
    }
    if (lastEpoch === -1) baseLrs.forEach((lr, i) => (groups[i].lr = lr));
    if (cycleMomentum) {
      if (lastEpoch === -1) baseMomentums.forEach((m, i) => setMomentum(groups[i], m, useBeta1));
      baseMomentums = groups.map((g) => getMomentum(g, useBeta1));
    }
    super(opt, lastEpoch);
    this.maxLrs = maxLrs;
    this.totalSize = up + down;
    this.stepRatio = up / this.totalSize;
    this.mode = mode;
    this.gamma = gamma;
    this.scaleFnCustom = o.scaleFn as ((x: number) => number) | undefined;
    this.scaleMode = o.scaleFn === undefined ? (mode === 'exp_range' ? 'iterations' : 'cycle') : scaleMode;
    this.cycleMomentum = cycleMomentum;
    this.useBeta1 = useBeta1;
    this.baseMomentums = baseMomentums;
    this.maxMomentums = maxMomentums;
    this.initialStep();
    this.baseLrs = baseLrs;
  }

  private scaleFn(x: number): number {
    if (this.scaleFnCustom) {
      const v: unknown = this.scaleFnCustom(x);
      if (typeof v !== 'number') throw typeError(`scaleFn(${x})`, 'a number', v);
      return v;
    }
    if (this.mode === 'triangular') return 1.0;
    if (this.mode === 'triangular2') return 1 / 2.0 ** (x - 1);
    return this.gamma ** x;
  }

  protected getLr(): number[] {
    const le = this.lastEpoch;
    const cycle = Math.floor(1 + le / this.totalSize);
    const x = 1 + le / this.totalSize - cycle;
    const scaleFactor = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    const scale = this.scaleFn(this.scaleMode === 'cycle' ? cycle : le);
    const lrs = this.baseLrs.map((b, i) => b + (this.maxLrs[i] - b) * scaleFactor * scale);
    if (this.cycleMomentum) {
      const groups = groupsOf(this.optimizer);
      this.baseMomentums.forEach((bm, i) => {
        const mm = this.maxMomentums[i];
        setMomentum(groups[i], mm - (mm - bm) * scaleFactor * scale, this.useBeta1);
      });
    }
    return lrs;
  }

  protected override stateSpec(): Record<string, Check> {
    const n = this.optimizer.paramGroups.length;
    const arr: Check = (name, v) => checkNumberArray(name, v, n);
    const arrOpt: Check = (name, v) => checkNumberArray(name, v, this.cycleMomentum ? n : undefined);
    return {
      ...super.stateSpec(),
      maxLrs: arr,
      totalSize: (name, v) => checkNumber(name, v, { min: 0, minExclusive: true }),
      stepRatio: (name, v) => checkNumber(name, v, { min: 0, max: 1 }),
      mode: (name, v) => checkEnum(name, v, ['triangular', 'triangular2', 'exp_range']),
      gamma: nonNeg,
      scaleMode: (name, v) => checkEnum(name, v, ['cycle', 'iterations']),
      cycleMomentum: (name, v) => checkBool(name, v),
      useBeta1: (name, v) => checkBool(name, v),
      baseMomentums: arrOpt,
      maxMomentums: arrOpt,
    };
  }
}

function setMomentum(g: SchedGroup, m: number, useBeta1: boolean): void {
  if (useBeta1) g.betas = [m, (g.betas as [number, number])[1]];
  else g.momentum = m;
}

function getMomentum(g: SchedGroup, useBeta1: boolean): number {
  return useBeta1 ? (g.betas as [number, number])[0] : (g.momentum as number);
}

/** Options of {@link OneCycleLR}. */
export interface OneCycleLROptions {
  /** Peak learning rate, per group or one for all (required). */
  maxLr: number | number[];
  /** Total number of steps; or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the rate, in [0, 1] (default 0.3). */
  pctStart?: number;
  /** 'cos' | 'linear' (default 'cos'). */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle momentum (or Adam's `betas[0]`) inversely to the rate (default true). */
  cycleMomentum?: boolean;
  /** Lower momentum bound (default 0.85). */
  baseMomentum?: number | number[];
  /** Upper momentum bound (default 0.95). */
  maxMomentum?: number | number[];
  /** initialLr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** minLr = initialLr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Use three phases (up, down to initialLr, annihilate) instead of two (default false). */
  threePhase?: boolean;
  lastEpoch?: number;
}

interface Phase {
  endStep: number;
  startLr: 'initialLr' | 'maxLr';
  endLr: 'initialLr' | 'maxLr' | 'minLr';
  startMomentum: 'maxMomentum' | 'baseMomentum';
  endMomentum: 'maxMomentum' | 'baseMomentum';
}

/**
 * The 1cycle policy (Smith & Topin): the rate rises from `maxLr / divFactor` to `maxLr`, then
 * anneals to `initialLr / finalDivFactor`; momentum (or Adam's `betas[0]`) moves inversely.
 * Step it once per batch; stepping past `totalSteps` throws.
 * @example new optim.lr.OneCycleLR(opt, { maxLr: 0.1, epochs: 10, stepsPerEpoch: 100 })
 */
export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  annealStrategy: 'cos' | 'linear';
  cycleMomentum: boolean;
  useBeta1: boolean;
  private readonly phases: Phase[];

  constructor(optimizer: Optimizer, options: OneCycleLROptions) {
    const o = opts('options', options, [
      'maxLr', 'totalSteps', 'epochs', 'stepsPerEpoch', 'pctStart', 'annealStrategy', 'cycleMomentum', 'baseMomentum', 'maxMomentum',
      'divFactor', 'finalDivFactor', 'threePhase', 'lastEpoch',
    ]);
    const opt = checkOptimizer(optimizer);
    const lastEpoch = checkLastEpoch(opt, o.lastEpoch);
    const groups = groupsOf(opt);
    const n = groups.length;
    let totalSteps: number;
    if (o.totalSteps !== undefined) totalSteps = checkPositiveInt('totalSteps', o.totalSteps);
    else if (o.epochs !== undefined || o.stepsPerEpoch !== undefined) {
      totalSteps = checkPositiveInt('epochs', required('epochs', o.epochs)) * checkPositiveInt('stepsPerEpoch', required('stepsPerEpoch', o.stepsPerEpoch));
    } else throw rangeError('totalSteps', 'a positive integer, or epochs and stepsPerEpoch', undefined);
    const pctStart = numberOr('pctStart', o.pctStart, 0.3, { min: 0, max: 1 });
    const annealStrategy = o.annealStrategy === undefined ? 'cos' : checkEnum('annealStrategy', o.annealStrategy, ['cos', 'linear'] as const);
    const maxLrs = perGroup('maxLr', required('maxLr', o.maxLr), n, { min: 0 });
    const divFactor = numberOr('divFactor', o.divFactor, 25, { min: 0, minExclusive: true });
    const finalDivFactor = numberOr('finalDivFactor', o.finalDivFactor, 1e4, { min: 0, minExclusive: true });
    const threePhase = o.threePhase === undefined ? false : checkBool('threePhase', o.threePhase);
    const cycleMomentum = o.cycleMomentum === undefined ? true : checkBool('cycleMomentum', o.cycleMomentum);
    const useBeta1 = hasOption(opt, 'betas');
    let maxMomentums: number[] = [];
    let baseMomentums: number[] = [];
    if (cycleMomentum) {
      if (!hasOption(opt, 'momentum') && !useBeta1) throw rangeError('cycleMomentum', 'false for an optimizer without momentum or betas', true);
      maxMomentums = perGroup('maxMomentum', (o.maxMomentum === undefined ? 0.95 : o.maxMomentum), n, { min: 0, max: 1, maxExclusive: true });
      baseMomentums = perGroup('baseMomentum', (o.baseMomentum === undefined ? 0.85 : o.baseMomentum), n, { min: 0, max: 1, maxExclusive: true });
    }
    if (lastEpoch !== -1) {
      groups.forEach((g, i) => {
        const keys = cycleMomentum ? ['maxLr', 'minLr', 'maxMomentum', 'baseMomentum'] as const : ['maxLr', 'minLr'] as const;
        for (const k of keys) if (typeof g[k] !== 'number') throw stateError(`paramGroups[${i}].${k} is not set; it is required when resuming OneCycleLR with lastEpoch ${lastEpoch}`);
      });
    }
    const phases: Phase[] = threePhase
      ? [
        { endStep: pctStart * totalSteps - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
        { endStep: 2 * pctStart * totalSteps - 2, startLr: 'maxLr', endLr: 'initialLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
        { endStep: totalSteps - 1, startLr: 'initialLr', endLr: 'minLr', startMomentum: 'maxMomentum', endMomentum: 'maxMomentum' },
      ]
      : [
        { endStep: pctStart * totalSteps - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
        { endStep: totalSteps - 1, startLr: 'maxLr', endLr: 'minLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
      ];
    if (lastEpoch === -1) {
      groups.forEach((g, i) => {
        g.initialLr = maxLrs[i] / divFactor;
        g.maxLr = maxLrs[i];
        g.minLr = g.initialLr / finalDivFactor;
        if (cycleMomentum) {
          setMomentum(g, maxMomentums[i], useBeta1);
          g.maxMomentum = maxMomentums[i];
          g.baseMomentum = baseMomentums[i];
        }
      });
    }
    super(opt, lastEpoch);
    this.totalSteps = totalSteps;
    this.annealStrategy = annealStrategy;
    this.cycleMomentum = cycleMomentum;
    this.useBeta1 = useBeta1;
    this.phases = phases;
    this.initialStep();
  }

  protected override checkStep(epoch: number): void {
    if (epoch > this.totalSteps) {
      throw rangeError('step', `at most totalSteps (${this.totalSteps}) + 1 calls of step() including the initial one`, epoch + 1);
    }
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'cos') return end + ((start - end) / 2.0) * (Math.cos(Math.PI * pct) + 1);
    return (end - start) * pct + start;
  }

  protected getLr(): number[] {
    const stepNum = this.lastEpoch;
    return groupsOf(this.optimizer).map((g) => {
      let startStep = 0;
      let lr = 0;
      for (let i = 0; i < this.phases.length; i++) {
        const ph = this.phases[i];
        if (stepNum <= ph.endStep || i === this.phases.length - 1) {
          const pct = (stepNum - startStep) / (ph.endStep - startStep);
          lr = this.anneal(g[ph.startLr] as number, g[ph.endLr] as number, pct);
          if (this.cycleMomentum) setMomentum(g, this.anneal(g[ph.startMomentum] as number, g[ph.endMomentum] as number, pct), this.useBeta1);
          break;
        }
        startStep = ph.endStep;
      }
      return lr;
    });
  }

  protected override stateSpec(): Record<string, Check> {
    return {
      ...super.stateSpec(),
      totalSteps: (n, v) => checkPositiveInt(n, v),
      annealStrategy: (n, v) => checkEnum(n, v, ['cos', 'linear']),
      cycleMomentum: (n, v) => checkBool(n, v),
      useBeta1: (n, v) => checkBool(n, v),
      phases: (n, v) => checkArray(n, v, this.phases.length).map((p, i) => {
        const ph = checkPlainObject(`${n}[${i}]`, p);
        return { ...this.phases[i], endStep: checkNumber(`${n}[${i}].endStep`, ph.endStep) };
      }),
    };
  }
}

/** Anything with `step()` and `getLastLr()` that SequentialLR and ChainedScheduler can drive. */
function checkSchedulers(name: string, v: unknown, optimizer?: Optimizer): LRScheduler[] {
  const arr = checkArray(name, v);
  if (arr.length === 0) throw rangeError(name, 'a non-empty array of schedulers', v);
  return arr.map((s, i) => {
    if (!(s instanceof LRScheduler)) throw typeError(`${name}[${i}]`, 'an LRScheduler (not ReduceLROnPlateau or a composite)', s);
    const want = optimizer ?? (arr[0] as LRScheduler).optimizer;
    if (s.optimizer !== want) throw rangeError(`${name}[${i}]`, 'a scheduler of the same optimizer', 'a scheduler of another optimizer');
    return s;
  });
}

/** Options of {@link SequentialLR}. */
export interface SequentialLROptions {
  /** Schedulers of the same optimizer, run one after another (required). */
  schedulers: LRScheduler[];
  /** Steps at which to switch to the next scheduler; one fewer than schedulers (required). */
  milestones: number[];
  lastEpoch?: number;
}

/**
 * Runs `schedulers[0]` until `milestones[0]`, then `schedulers[1]` (started with `step(0)`), and so on
 * (PyTorch 1.13 semantics: constructing it resets the lr to `initialLr` and re-runs the first scheduler's initial step).
 * @example
 * const warm = new optim.lr.LinearLR(opt, { startFactor: 0.1, totalIters: 5 });
 * const cos = new optim.lr.CosineAnnealingLR(opt, { tMax: 95 });
 * const s = new optim.lr.SequentialLR(opt, { schedulers: [warm, cos], milestones: [5] });
 */
export class SequentialLR {
  readonly optimizer: Optimizer;
  /** The inner schedulers. */
  readonly schedulers: LRScheduler[];
  milestones: number[];
  lastEpoch: number;
  private lastLr: number[];

  constructor(optimizer: Optimizer, options: SequentialLROptions) {
    const o = opts('options', options, ['schedulers', 'milestones', 'lastEpoch']);
    const opt = checkOptimizer(optimizer);
    const schedulers = checkSchedulers('schedulers', required('schedulers', o.schedulers), opt);
    const milestones = checkArray('milestones', required('milestones', o.milestones), schedulers.length - 1).map((m, i) =>
      checkInt(`milestones[${i}]`, m, { min: 0 }));
    milestones.forEach((m, i) => {
      if (i > 0 && m < milestones[i - 1]) throw rangeError(`milestones[${i}]`, `a milestone >= ${milestones[i - 1]} (sorted)`, m);
    });
    const lastEpoch = o.lastEpoch === undefined ? -1 : checkInt('lastEpoch', o.lastEpoch, { min: -1 });
    groupsOf(opt).forEach((g, i) => {
      if (typeof g.initialLr !== 'number') throw stateError(`paramGroups[${i}].initialLr is not set`);
    });
    this.optimizer = opt;
    this.schedulers = schedulers;
    this.milestones = milestones;
    this.lastEpoch = lastEpoch + 1;
    for (const g of groupsOf(opt)) g.lr = g.initialLr as number;
    for (const s of schedulers) s.lastEpoch -= 1;
    (schedulers[0] as unknown as { initialStep(): void }).initialStep();
    this.lastLr = schedulers[0].getLastLr();
  }

  /** Steps the scheduler active at the new step index. */
  step(): void {
    noArgs('step', arguments.length);
    const epoch = this.lastEpoch + 1;
    const idx = bisectRight(this.milestones, epoch);
    const s = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === epoch) s.stepTo(0);
    else s.step();
    this.lastEpoch = epoch;
    this.lastLr = s.getLastLr();
  }

  /** The learning rates last written, one per parameter group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** Plain-object state including every inner scheduler's state. */
  stateDict(): SchedulerStateDict {
    return { lastEpoch: this.lastEpoch, milestones: [...this.milestones], lastLr: [...this.lastLr], schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  /** Loads a state from {@link stateDict} (validated, including the inner schedulers', before anything changes). */
  loadStateDict(stateDict: SchedulerStateDict): void {
    const sd = checkPlainObject('stateDict', stateDict);
    checkKnownKeys('stateDict', sd, ['lastEpoch', 'milestones', 'lastLr', 'schedulers']);
    const lastEpoch = checkInt('stateDict.lastEpoch', sd.lastEpoch, { min: -1 });
    const milestones = checkArray('stateDict.milestones', sd.milestones, this.milestones.length).map((m, i) => checkInt(`stateDict.milestones[${i}]`, m, { min: 0 }));
    const lastLr = checkNumberArray('stateDict.lastLr', sd.lastLr, this.optimizer.paramGroups.length);
    const inner = checkArray('stateDict.schedulers', sd.schedulers, this.schedulers.length);
    loadAll(this.schedulers, inner);
    this.lastEpoch = lastEpoch;
    this.milestones = milestones;
    this.lastLr = lastLr;
  }
}

/** Loads inner states atomically: on a validation error, already-loaded schedulers are restored. */
function loadAll(schedulers: LRScheduler[], states: unknown[]): void {
  const backup = schedulers.map((s) => s.stateDict());
  try {
    schedulers.forEach((s, i) => s.loadStateDict(states[i] as SchedulerStateDict));
  } catch (e) {
    schedulers.forEach((s, i) => s.loadStateDict(backup[i]));
    throw e;
  }
}

/**
 * Steps every scheduler on each call, chaining their multiplicative effects (e.g. ConstantLR warm-up
 * times ExponentialLR decay). Accepts the schedulers array (PyTorch signature) or `{ schedulers }`.
 * @example const s = new optim.lr.ChainedScheduler([warmup, decay]);
 */
export class ChainedScheduler {
  readonly optimizer: Optimizer;
  readonly schedulers: LRScheduler[];
  private lastLr: number[];

  constructor(schedulers: LRScheduler[] | { schedulers: LRScheduler[] }) {
    let list: unknown = schedulers;
    if (!Array.isArray(schedulers)) {
      if (schedulers === null || typeof schedulers !== 'object') throw typeError('schedulers', 'an array of schedulers or { schedulers }', schedulers);
      const o = opts('options', schedulers, ['schedulers']);
      list = required('schedulers', o.schedulers);
    }
    this.schedulers = checkSchedulers('schedulers', list);
    this.optimizer = this.schedulers[0].optimizer;
    this.lastLr = groupsOf(this.optimizer).map((g) => g.lr);
  }

  /** The last inner scheduler's `lastEpoch`. */
  get lastEpoch(): number {
    return this.schedulers[this.schedulers.length - 1].lastEpoch;
  }

  /** Steps every inner scheduler in order. */
  step(): void {
    noArgs('step', arguments.length);
    for (const s of this.schedulers) s.step();
    this.lastLr = groupsOf(this.optimizer).map((g) => g.lr);
  }

  /** The learning rates after the last step, one per parameter group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** Plain-object state including every inner scheduler's state. */
  stateDict(): SchedulerStateDict {
    return { lastLr: [...this.lastLr], schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  /** Loads a state from {@link stateDict}, validated before anything changes. */
  loadStateDict(stateDict: SchedulerStateDict): void {
    const sd = checkPlainObject('stateDict', stateDict);
    checkKnownKeys('stateDict', sd, ['lastLr', 'schedulers']);
    const lastLr = checkNumberArray('stateDict.lastLr', sd.lastLr, this.optimizer.paramGroups.length);
    loadAll(this.schedulers, checkArray('stateDict.schedulers', sd.schedulers, this.schedulers.length));
    this.lastLr = lastLr;
  }
}

/** Options of {@link ReduceLROnPlateau}. */
export interface ReduceLROnPlateauOptions {
  /** 'min': reduce when the metric stops decreasing; 'max': when it stops increasing (default 'min'). */
  mode?: 'min' | 'max';
  /** Factor by which the rate is reduced, in [0, 1) (default 0.1). */
  factor?: number;
  /** Number of non-improving steps tolerated before reducing, integer >= 0 (default 10). */
  patience?: number;
  /** Minimum significant improvement, >= 0 (default 1e-4). */
  threshold?: number;
  /** 'rel': improvement relative to best (best * (1 -+ threshold)); 'abs': best -+ threshold (default 'rel'). */
  thresholdMode?: 'rel' | 'abs';
  /** Steps to wait after a reduction before counting bad steps again, integer >= 0 (default 0). */
  cooldown?: number;
  /** Lower bound on the rate, one for all groups or one per group (default 0). */
  minLr?: number | number[];
  /** Reductions smaller than eps are skipped (default 1e-8). */
  eps?: number;
}

/**
 * Reduces the learning rate by `factor` when a metric has stopped improving for `patience` steps.
 * `step(metric)` once per evaluation. Like PyTorch, `lastEpoch` starts at 0 and there is no initial step.
 * In the state dict an infinite `best` may appear as `null` after a JSON round trip; it loads as the mode's worst value.
 * @example const s = new optim.lr.ReduceLROnPlateau(opt, { mode: 'min', patience: 5 }); s.step(valLoss);
 */
export class ReduceLROnPlateau {
  readonly optimizer: Optimizer;
  mode: 'min' | 'max';
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  cooldown: number;
  /** Per-group lower bounds. */
  minLrs: number[];
  eps: number;
  /** Best metric so far (+Infinity / -Infinity before the first step). */
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  private lastLr: number[];

  constructor(optimizer: Optimizer, options: ReduceLROnPlateauOptions = {}) {
    const o = opts('options', options, ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps']);
    const opt = checkOptimizer(optimizer);
    this.mode = o.mode === undefined ? 'min' : checkEnum('mode', o.mode, ['min', 'max'] as const);
    this.factor = numberOr('factor', o.factor, 0.1, { min: 0, max: 1, maxExclusive: true });
    this.patience = o.patience === undefined ? 10 : checkInt('patience', o.patience, { min: 0 });
    this.threshold = numberOr('threshold', o.threshold, 1e-4, { min: 0 });
    this.thresholdMode = o.thresholdMode === undefined ? 'rel' : checkEnum('thresholdMode', o.thresholdMode, ['rel', 'abs'] as const);
    this.cooldown = o.cooldown === undefined ? 0 : checkInt('cooldown', o.cooldown, { min: 0 });
    this.minLrs = perGroup('minLr', (o.minLr === undefined ? 0 : o.minLr), opt.paramGroups.length, { min: 0 });
    this.eps = numberOr('eps', o.eps, 1e-8, { min: 0 });
    this.optimizer = opt;
    this.best = this.modeWorse();
    this.lastLr = groupsOf(opt).map((g) => g.lr);
  }

  private modeWorse(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }

  /** Whether `a` improves on `best` under the mode and threshold rule. */
  isBetter(a: number, best: number): boolean {
    checkAnyNumber('a', a);
    checkAnyNumber('best', best);
    if (this.mode === 'min' && this.thresholdMode === 'rel') return a < best * (1 - this.threshold);
    if (this.mode === 'min') return a < best - this.threshold;
    if (this.thresholdMode === 'rel') return a > best * (this.threshold + 1);
    return a > best + this.threshold;
  }

  /** True while cooling down after a reduction. */
  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /** Records a metric value (a number; NaN counts as no improvement) and reduces the rate if it has plateaued. */
  step(metric: number): void {
    const current = checkAnyNumber('metric', metric);
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      groupsOf(this.optimizer).forEach((g, i) => {
        const old = g.lr;
        const next = Math.max(old * this.factor, this.minLrs[i]);
        if (old - next > this.eps) g.lr = next;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = groupsOf(this.optimizer).map((g) => g.lr);
  }

  /** The current learning rates, one per parameter group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** Plain-object state (options and counters). */
  stateDict(): SchedulerStateDict {
    return {
      mode: this.mode, factor: this.factor, patience: this.patience, threshold: this.threshold, thresholdMode: this.thresholdMode,
      cooldown: this.cooldown, minLrs: [...this.minLrs], eps: this.eps, best: this.best, numBadEpochs: this.numBadEpochs,
      cooldownCounter: this.cooldownCounter, lastEpoch: this.lastEpoch, lastLr: [...this.lastLr],
    };
  }

  /** Loads a state from {@link stateDict}, validated before anything changes. */
  loadStateDict(stateDict: SchedulerStateDict): void {
    const sd = checkPlainObject('stateDict', stateDict);
    const keys = Object.keys(this.stateDict());
    checkKnownKeys('stateDict', sd, keys);
    for (const k of keys) required(`stateDict.${k}`, sd[k] === null && k === 'best' ? 0 : sd[k]);
    const n = this.optimizer.paramGroups.length;
    const mode = checkEnum('stateDict.mode', sd.mode, ['min', 'max'] as const);
    const v = {
      mode,
      factor: checkNumber('stateDict.factor', sd.factor, { min: 0, max: 1, maxExclusive: true }),
      patience: checkInt('stateDict.patience', sd.patience, { min: 0 }),
      threshold: checkNumber('stateDict.threshold', sd.threshold, { min: 0 }),
      thresholdMode: checkEnum('stateDict.thresholdMode', sd.thresholdMode, ['rel', 'abs'] as const),
      cooldown: checkInt('stateDict.cooldown', sd.cooldown, { min: 0 }),
      minLrs: checkNumberArray('stateDict.minLrs', sd.minLrs, n),
      eps: checkNumber('stateDict.eps', sd.eps, { min: 0 }),
      best: sd.best === null ? (mode === 'min' ? Infinity : -Infinity) : checkAnyNumber('stateDict.best', sd.best),
      numBadEpochs: checkInt('stateDict.numBadEpochs', sd.numBadEpochs, { min: 0 }),
      cooldownCounter: checkInt('stateDict.cooldownCounter', sd.cooldownCounter, { min: 0 }),
      lastEpoch: checkInt('stateDict.lastEpoch', sd.lastEpoch, { min: 0 }),
      lastLr: checkNumberArray('stateDict.lastLr', sd.lastLr, n),
    };
    Object.assign(this, v);
  }
}
