import { describe, expect, it } from 'vitest';
import { Linear, ReLU, Sequential } from '../../lib/nn';
import { SGD } from '../../lib/optim';
import * as prune from '../../lib/prune';
import { Tensor } from '../../lib/tensor';

function mlp(): Sequential {
  return new Sequential(new Linear(8, 16), new ReLU(), new Linear(16, 4));
}

function trainStep(model: Sequential, opt: SGD, step: number): void {
  const x = new Tensor(new Float32Array(32).map((_, i) => Math.sin(i + step)), [4, 8]);
  opt.zeroGrad();
  model.forward(x);
  model.backward(new Tensor(new Float32Array(16).map((_, i) => Math.cos(i * step)), [4, 4]));
  opt.step();
}

describe('prune.GradualPruner', () => {
  it('follows a PolynomialDecay schedule: sparsity of the original weight count at each pruning step', () => {
    const model = mlp();
    const schedule = new prune.PolynomialDecay({ initialSparsity: 0.1, finalSparsity: 0.8, beginStep: 2, endStep: 12, frequency: 2 });
    const pruner = new prune.GradualPruner(model, schedule);
    const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 0.01 });
    for (let step = 0; step < 20; step++) {
      trainStep(model, opt, step);
      const r = pruner.step();
      const d = schedule.call(step);
      expect(r).toEqual({ step, pruned: d.shouldPrune, sparsity: d.sparsity });
      const rep = prune.sparsity(model);
      for (const l of rep.layers) {
        if (step < 2) {
          expect(l.masked).toBe(false);
          continue;
        }
        // zeros >= pruned count (a weight may be 0 on its own, it never is here)
        const target = l.numel - prune.keptCount(l.numel, pruner.lastSparsity);
        expect(l.zeros, `step ${step} layer ${l.name}`).toBe(target);
      }
    }
    expect(pruner.lastSparsity).toBeCloseTo(0.8, 6);
    expect(prune.sparsity(model).layers.map((l) => l.zeros)).toEqual([102, 51]); // 128 * 0.8 = 102.4, 64 * 0.8 = 51.2
    // Weight decay and momentum do not revive pruned weights (masks re-applied at each step).
    const masksBefore = prune.linearLayers(model).map((l) => Array.from(prune.getMask(l.layer)!));
    for (let step = 20; step < 25; step++) {
      trainStep(model, opt, step);
      pruner.step();
    }
    prune.linearLayers(model).forEach((l, k) => {
      const m = masksBefore[k];
      m.forEach((v, i) => v === 0 && expect(l.layer.weight.data[i]).toBe(0));
    });
    expect(prune.remove(model)).toBe(2);
  });

  it('ConstantSparsity in global scope prunes the model as a whole, once per frequency', () => {
    const model = mlp();
    (model.layers[2] as Linear).weight.data.fill(5); // large: global pruning takes layer 0 first
    const pruner = new prune.GradualPruner(model, new prune.ConstantSparsity({ targetSparsity: 0.5, beginStep: 1, frequency: 3 }), { scope: 'global' });
    expect(pruner.step().pruned).toBe(false);
    expect(pruner.step().pruned).toBe(true);
    const rep = prune.sparsity(model);
    expect(rep.total.zeros).toBe(96); // keep round(192 * 0.5) = 96
    expect(rep.layers.map((l) => l.zeros)).toEqual([96, 0]);
    expect(pruner.step().pruned).toBe(false);
    expect(pruner.stepCount).toBe(3);
  });

  it('keptCount follows tfmot: max(1, round(float32(n) * (1 - s))), half to even', () => {
    expect(prune.keptCount(10, 0.25)).toBe(8); // 7.5 -> 8
    expect(prune.keptCount(6, 0.25)).toBe(4); // 4.5 -> 4
    expect(prune.keptCount(3, 0.99)).toBe(1);
    expect(prune.keptCount(100, 0)).toBe(100);
  });

  it('validates its arguments', () => {
    const model = mlp();
    const s = new prune.ConstantSparsity({ targetSparsity: 0.5 });
    expect(() => new prune.GradualPruner(null as never, s)).toThrow(TypeError);
    expect(() => new prune.GradualPruner(model, {} as never)).toThrow(/schedule/);
    expect(() => new prune.GradualPruner(model, s, { scope: 'all' as never })).toThrow(/options\.scope/);
    const bad = new prune.GradualPruner(model, { call: () => ({ shouldPrune: true, sparsity: 2 }) });
    expect(() => bad.step()).toThrow(RangeError);
    expect(() => new prune.GradualPruner(model, { call: () => null } as never).step()).toThrow(TypeError);
    expect(() => new prune.GradualPruner(model, s).pruneTo(1)).toThrow(RangeError);
    expect(() => new prune.GradualPruner(model, s).pruneTo('0.5' as never)).toThrow(TypeError);
  });
});
