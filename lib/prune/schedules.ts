/**
 * Pruning schedules as pure functions of the training step, after tfmot's
 * `tfmot.sparsity.keras.ConstantSparsity` and `PolynomialDecay` (float32 arithmetic like TF).
 */
import { checkInt, checkNumber, checkOptions, rangeError } from '../errors';

const f = Math.fround;

/** What a schedule says for one step. */
export interface PruningDecision {
  /** Whether masks should be updated at this step. */
  shouldPrune: boolean;
  /** Target sparsity at this step (a float32 value). */
  sparsity: number;
}

/** A pruning schedule: a pure function of the step. */
export interface PruningSchedule {
  call(step: number): PruningDecision;
}

/**
 * tfmot's `_should_prune_in_step`:
 * `step >= beginStep && (step <= endStep || endStep < 0) && (step - beginStep) mod frequency == 0`
 * (floor modulo).
 */
export function shouldPruneInStep(step: number, beginStep: number, endStep: number, frequency: number): boolean {
  checkInt('step', step);
  checkInt('beginStep', beginStep, { min: 0 });
  checkInt('endStep', endStep, { min: -1 });
  checkInt('frequency', frequency, { min: 1 });
  const inRange = step >= beginStep && (step <= endStep || endStep < 0);
  const d = step - beginStep;
  const mod = ((d % frequency) + frequency) % frequency;
  return inRange && mod === 0;
}

function checkSparsity(name: string, v: unknown): number {
  const s = checkNumber(name, v);
  if (!(s >= 0 && s < 1)) throw rangeError(name, 'a sparsity in [0, 1)', s);
  return s;
}

/** tfmot's `_validate_step`. */
function checkSteps(o: { beginStep?: unknown; endStep?: unknown; frequency?: unknown }, allowNegative1: boolean, defaultEnd: number | undefined): [number, number, number] {
  const begin = checkInt('options.beginStep', (o.beginStep === undefined ? 0 : o.beginStep), { min: 0 });
  const endRaw = o.endStep === undefined ? defaultEnd : o.endStep;
  if (endRaw === undefined) throw rangeError('options.endStep', 'an integer >= options.beginStep', undefined);
  const end = checkInt('options.endStep', endRaw, { min: -1 });
  if (end === -1 && !allowNegative1) throw rangeError('options.endStep', 'an integer >= options.beginStep (-1 is not allowed here)', end);
  if (end !== -1 && end < begin) throw rangeError('options.endStep', `-1 or an integer >= options.beginStep (${begin})`, end);
  const freq = checkInt('options.frequency', (o.frequency === undefined ? 100 : o.frequency), { min: 1 });
  return [begin, end, freq];
}

function checkStep(step: unknown): number {
  return checkInt('step', step);
}

/** Options of {@link ConstantSparsity}. */
export interface ConstantSparsityOptions {
  /** Sparsity to prune to, in [0, 1). */
  targetSparsity: number;
  /** First step at which to prune (>= 0). Default 0. */
  beginStep?: number;
  /** Last step at which to prune; -1 (default) prunes forever. */
  endStep?: number;
  /** Prune every `frequency` steps (>= 1). Default 100. */
  frequency?: number;
}

/**
 * tfmot's `ConstantSparsity`: `call(step)` returns
 * `{ shouldPrune: shouldPruneInStep(step, beginStep, endStep, frequency), sparsity: float32(targetSparsity) }`.
 *
 * @example
 * const s = new ConstantSparsity({ targetSparsity: 0.5, beginStep: 1000, frequency: 100 });
 * s.call(1100); // { shouldPrune: true, sparsity: 0.5 }
 */
export class ConstantSparsity implements PruningSchedule {
  readonly targetSparsity: number;
  readonly beginStep: number;
  readonly endStep: number;
  readonly frequency: number;

  constructor(opts: ConstantSparsityOptions) {
    const o = checkOptions<ConstantSparsityOptions>('options', opts);
    this.targetSparsity = checkSparsity('options.targetSparsity', o.targetSparsity);
    [this.beginStep, this.endStep, this.frequency] = checkSteps(o, true, -1);
  }

  call(step: number): PruningDecision {
    const s = checkStep(step);
    return { shouldPrune: shouldPruneInStep(s, this.beginStep, this.endStep, this.frequency), sparsity: f(this.targetSparsity) };
  }
}

/** Options of {@link PolynomialDecay}. */
export interface PolynomialDecayOptions {
  /** Sparsity at `beginStep`, in [0, 1). */
  initialSparsity: number;
  /** Sparsity at and after `endStep`, in [0, 1). */
  finalSparsity: number;
  /** First step at which to prune (>= 0). Default 0. */
  beginStep?: number;
  /** Step at which `finalSparsity` is reached (required, > beginStep). */
  endStep: number;
  /** Exponent of the decay. Default 3 (Zhu & Gupta). */
  power?: number;
  /** Prune every `frequency` steps. Default 100. */
  frequency?: number;
}

/**
 * tfmot's `PolynomialDecay` (Zhu & Gupta gradual pruning). In float32, as tfmot computes it:
 *
 * ```
 * p        = min(1, max(0, (step - beginStep) / (endStep - beginStep)))
 * sparsity = (initialSparsity - finalSparsity) * (1 - p)^power + finalSparsity
 * ```
 *
 * with `shouldPrune = shouldPruneInStep(step, beginStep, endStep, frequency)` (so no pruning after
 * `endStep`). Unlike tfmot, `endStep == beginStep` is rejected (tfmot divides 0 by 0 there).
 *
 * @example
 * const s = new PolynomialDecay({ initialSparsity: 0, finalSparsity: 0.9, beginStep: 0, endStep: 1000 });
 * s.call(500); // { shouldPrune: true, sparsity: 0.7875 (float32) }
 */
export class PolynomialDecay implements PruningSchedule {
  readonly initialSparsity: number;
  readonly finalSparsity: number;
  readonly beginStep: number;
  readonly endStep: number;
  readonly power: number;
  readonly frequency: number;

  constructor(opts: PolynomialDecayOptions) {
    const o = checkOptions<PolynomialDecayOptions>('options', opts);
    this.initialSparsity = checkSparsity('options.initialSparsity', o.initialSparsity);
    this.finalSparsity = checkSparsity('options.finalSparsity', o.finalSparsity);
    [this.beginStep, this.endStep, this.frequency] = checkSteps(o, false, undefined);
    if (this.endStep === this.beginStep) throw rangeError('options.endStep', `an integer > options.beginStep (${this.beginStep})`, this.endStep);
    this.power = o.power === undefined ? 3 : checkNumber('options.power', o.power);
  }

  call(step: number): PruningDecision {
    const s = checkStep(step);
    let p = f(f(s - this.beginStep) / f(this.endStep - this.beginStep));
    p = Math.min(1, Math.max(0, p));
    // tfmot subtracts the Python floats in double, then TF converts each operand to float32.
    const sparsity = f(f(f(this.initialSparsity - this.finalSparsity) * f(Math.pow(f(1 - p), f(this.power)))) + f(this.finalSparsity));
    return { shouldPrune: shouldPruneInStep(s, this.beginStep, this.endStep, this.frequency), sparsity };
  }
}
