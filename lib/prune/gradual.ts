/**
 * Gradual magnitude pruning during training (Zhu & Gupta; tfmot's `prune_low_magnitude` with a
 * pruning schedule), over the Linear layers of a model.
 */
import { checkEnum, checkInt, checkNumber, checkOptions, rangeError, typeError } from '../errors';
import { globalUnstructured, l1Unstructured } from './masks';
import { applyMasks, checkModel, getMask, linearLayers, setMask } from './model';
import type { LayeredModel } from './model';
import type { PruningSchedule } from './schedules';

/** Options of {@link GradualPruner}. */
export interface GradualPrunerOptions {
  /** 'layer' (default, like tfmot): each Linear reaches the target sparsity; 'global': all of them together. */
  scope?: 'layer' | 'global';
}

/** What {@link GradualPruner.step} did. */
export interface GradualPruneStep {
  /** The schedule step that was evaluated. */
  step: number;
  /** Whether masks were updated at this step. */
  pruned: boolean;
  /** The schedule's target sparsity at this step (float32). */
  sparsity: number;
}

const f = Math.fround;

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function countZeros(m: Uint8Array | undefined): number {
  if (m === undefined) return 0;
  let z = 0;
  for (let i = 0; i < m.length; i++) z += 1 - m[i];
  return z;
}

/**
 * Weights tfmot keeps out of `n` at target sparsity `s`: `max(1, round(float32(n) * (1 - s)))`
 * in float32, rounding half to even (`tf.math.round`).
 */
export function keptCount(n: number, s: number): number {
  checkInt('n', n, { min: 0 });
  checkNumber('s', s, { min: 0, max: 1 });
  return Math.min(n, Math.max(1, roundHalfEven(f(f(n) * f(1 - f(s))))));
}

/**
 * Applies a pruning schedule ({@link ConstantSparsity}, {@link PolynomialDecay} or any object
 * with `call(step) -> { shouldPrune, sparsity }`) to a model's Linear weights during training.
 * Call {@link step} once per optimizer step, after `optimizer.step()`.
 *
 * At a step where the schedule says `shouldPrune`, each Linear (scope 'layer') or all of them
 * (scope 'global') is pruned by magnitude until `n - keptCount(n, sparsity)` of its `n`
 * weights are pruned: sparsity of the ORIGINAL weight count, like tfmot (not of the
 * remaining ones, as repeated `prune.magnitude` calls would do). Pruned weights stay pruned
 * (masks compose; if a layer is already sparser than the target nothing is pruned). Unlike
 * tfmot, exactly that many weights are pruned, ties at the threshold pruning the lower index
 * first (tfmot keeps every weight equal to the threshold). Every step also re-applies the
 * masks ({@link applyMasks}), so weights moved by momentum or weight decay return to 0.
 *
 * The masks use the hooks of `prune.magnitude`; call `prune.remove(model)` after training to
 * make the pruning permanent.
 *
 * @example
 * const schedule = new prune.PolynomialDecay({ initialSparsity: 0, finalSparsity: 0.9, beginStep: 0, endStep: 1000, frequency: 100 });
 * const pruner = new prune.GradualPruner(model, schedule);
 * for (const batch of batches) {
 *   optimizer.zeroGrad();
 *   // forward, loss, backward ...
 *   optimizer.step();
 *   pruner.step();
 * }
 * prune.remove(model);
 */
export class GradualPruner {
  readonly model: LayeredModel;
  readonly schedule: PruningSchedule;
  readonly scope: 'layer' | 'global';
  /** Steps taken so far; the next {@link step} evaluates the schedule at this step. */
  stepCount = 0;
  /** The sparsity of the last mask update (0 before any). */
  lastSparsity = 0;

  constructor(model: LayeredModel, schedule: PruningSchedule, opts?: GradualPrunerOptions) {
    this.model = checkModel('model', model);
    if (schedule === null || typeof schedule !== 'object' || typeof (schedule as PruningSchedule).call !== 'function') {
      throw typeError('schedule', 'a pruning schedule with call(step) (e.g. prune.PolynomialDecay)', schedule);
    }
    this.schedule = schedule;
    const o = checkOptions<GradualPrunerOptions>('options', opts);
    this.scope = o.scope === undefined ? 'layer' : checkEnum('options.scope', o.scope, ['layer', 'global'] as const);
  }

  /** Evaluates the schedule at {@link stepCount}, prunes when it says so, re-applies the masks and advances the step. */
  step(): GradualPruneStep {
    const step = this.stepCount;
    const d = this.schedule.call(step);
    if (d === null || typeof d !== 'object' || typeof d.shouldPrune !== 'boolean' || typeof d.sparsity !== 'number') {
      throw typeError('schedule.call(step)', 'a { shouldPrune: boolean, sparsity: number in [0, 1) }', d);
    }
    if (!(d.sparsity >= 0 && d.sparsity < 1)) throw rangeError('schedule.call(step).sparsity', 'a number in [0, 1)', d.sparsity);
    if (d.shouldPrune) {
      this.pruneTo(d.sparsity);
      this.lastSparsity = d.sparsity;
    }
    applyMasks(this.model);
    this.stepCount++;
    return { step, pruned: d.shouldPrune, sparsity: d.sparsity };
  }

  /** Prunes to `sparsity` of the original weight count now, regardless of the schedule. */
  pruneTo(sparsity: number): void {
    if (typeof sparsity !== 'number') throw typeError('sparsity', 'a number in [0, 1)', sparsity);
    if (!(sparsity >= 0 && sparsity < 1)) throw rangeError('sparsity', 'a number in [0, 1)', sparsity);
    const layers = linearLayers(this.model);
    const current = layers.map((l) => getMask(l.layer));
    if (this.scope === 'global') {
      let n = 0;
      let pruned = 0;
      layers.forEach((l, i) => {
        n += l.layer.weight.data.length;
        pruned += countZeros(current[i]);
      });
      const more = Math.max(0, n - keptCount(n, sparsity) - pruned);
      const next = globalUnstructured(layers.map((l) => l.layer.weight.data), { amount: more, masks: current });
      layers.forEach((l, i) => setMask(l.layer, next[i]));
      return;
    }
    const next = layers.map((l, i) => {
      const n = l.layer.weight.data.length;
      const more = Math.max(0, n - keptCount(n, sparsity) - countZeros(current[i]));
      return l1Unstructured(l.layer.weight.data, { amount: more, mask: current[i] });
    });
    layers.forEach((l, i) => setMask(l.layer, next[i]));
  }
}
