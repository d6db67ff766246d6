import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Linear, ReLU, Sequential, fit } from '../../lib/nn';
import { Adam, SGD } from '../../lib/optim';
import * as prune from '../../lib/prune';
import { Tensor } from '../../lib/tensor';

interface Case {
  scope: 'global' | 'layer';
  weights: number[][];
  biases: number[][];
  sizes: [number, number][];
  x: number[];
  g: number[];
  steps: { amount: number; masks: number[][]; output: number[] }[];
  trainedWeights: number[][];
}
const fixture = JSON.parse(readFileSync(join(__dirname, '../fixtures/prune/model.json'), 'utf8')) as { cases: Case[] };

function build(c: Case): Sequential {
  const layers = c.sizes.flatMap(([i, o], k) => {
    const l = new Linear(i, o);
    l.weight.data.set(c.weights[k]);
    l.bias!.data.set(c.biases[k]);
    return k < c.sizes.length - 1 ? [l, new ReLU()] : [l];
  });
  return new Sequential(...layers);
}

function mlp(sizes: number[]): Sequential {
  const layers = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new Linear(sizes[i], sizes[i + 1]));
    if (i + 2 < sizes.length) layers.push(new ReLU());
  }
  return new Sequential(...layers);
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i]), `index ${i}: ${a[i]} vs ${b[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i])));
};

describe('prune.magnitude matches torch.nn.utils.prune on an MLP (1.13)', () => {
  fixture.cases.forEach((c, ci) => {
    it(`${ci} ${c.scope} ${c.steps.map((s) => s.amount).join(' -> ')}: masks, outputs, and masked SGD with momentum`, () => {
      const model = build(c);
      const x = new Tensor(new Float32Array(c.x), [4, c.sizes[0][0]]);
      for (const [k, s] of c.steps.entries()) {
        prune.magnitude(model, { amount: s.amount, scope: c.scope });
        const lins = prune.linearLayers(model);
        expect(lins.map((l) => Array.from(prune.getMask(l.layer)!)), `step ${k}`).toEqual(s.masks);
        model.eval();
        close(model.forward(x).data, s.output);
        model.train();
      }
      const opt = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
      const g = new Tensor(new Float32Array(c.g), [4, c.sizes[c.sizes.length - 1][1]]);
      for (let step = 0; step < 2; step++) {
        opt.zeroGrad();
        model.forward(x);
        model.backward(g);
        opt.step();
      }
      prune.applyMasks(model);
      prune.linearLayers(model).forEach((l, k) => close(l.layer.weight.data, c.trainedWeights[k]));
    });
  });
});

describe('prune.magnitude semantics', () => {
  it('keeps pruned weights at zero through training: gradients masked in backward, weights re-zeroed at forward', () => {
    const model = mlp([5, 7, 3]);
    prune.magnitude(model, { amount: 0.6 });
    const lin = model.layers[0] as Linear;
    const mask = prune.getMask(lin)!;
    const x = new Tensor(new Float32Array(10).map((_, i) => Math.sin(i)), [2, 5]);
    model.forward(x);
    model.backward(new Tensor(new Float32Array(6).fill(1), [2, 3]));
    for (let i = 0; i < mask.length; i++) if (mask[i] === 0) expect(lin.weight.grad[i]).toBe(0);
    // Something (weight decay, a stale momentum buffer) moves a pruned weight: the next forward zeroes it.
    const pruned = mask.indexOf(0);
    lin.weight.data[pruned] = 5;
    model.forward(x);
    expect(lin.weight.data[pruned]).toBe(0);
    lin.weight.data[pruned] = 5;
    expect(prune.applyMasks(model)).toBe(2);
    expect(lin.weight.data[pruned]).toBe(0);
  });

  it('nn.fit with applyMasks in onBatchEnd keeps the model exactly sparse (Adam, weight decay)', () => {
    const model = mlp([6, 12, 3]);
    prune.magnitude(model, { amount: 0.7, scope: 'global' });
    const x = new Tensor(new Float32Array(64 * 6).map((_, i) => Math.sin(i * 0.37)), [64, 6]);
    const y = Array.from({ length: 64 }, (_, i) => i % 3);
    let checked = 0;
    fit(model, {
      x, y, epochs: 2, batchSize: 16, optimizer: new Adam(model.parameters(), { lr: 0.01, weightDecay: 0.1 }),
      callbacks: {
        onBatchEnd: () => {
          prune.applyMasks(model);
          expect(prune.sparsity(model).total.zeros).toBe(Math.round(0.7 * 108));
          checked++;
        },
      },
    });
    expect(checked).toBe(8);
  });

  it('predictAsync honours the masks', async () => {
    const model = mlp([4, 6, 2]);
    prune.magnitude(model, { amount: 0.5 });
    const lin = model.layers[0] as Linear;
    lin.weight.data[prune.getMask(lin)!.indexOf(0)] = 100;
    const x = new Tensor(new Float32Array(8).map((_, i) => i / 8), [2, 4]);
    const y = await model.predictAsync(x);
    expect(Array.from(y.data)).toEqual(Array.from(model.predict(x).data));
    expect(lin.weight.data.includes(100)).toBe(false);
  });

  it('composes repeated calls like PruningContainer and reports sparsity per layer', () => {
    const model = mlp([10, 20, 10]);
    prune.magnitude(model, { amount: 0.5 });
    const r = prune.magnitude(model, { amount: 0.5 });
    expect(r.layers.map((l) => l.sparsity)).toEqual([0.75, 0.75]);
    expect(r.layers.map((l) => l.name)).toEqual(['0', '2']);
    expect(r.layers.every((l) => l.masked)).toBe(true);
    expect(r.total).toEqual({ numel: 400, zeros: 300, sparsity: 0.75 });
    expect(prune.sparsity(model)).toEqual(r);
    // The tensor-level overload is unchanged.
    expect(prune.sparsity(new Uint8Array([0, 1, 1, 0]))).toBe(0.5);
  });

  it('global scope prunes across layers by magnitude', () => {
    const model = mlp([4, 4, 4]);
    (model.layers[0] as Linear).weight.data.fill(0.01);
    (model.layers[2] as Linear).weight.data.fill(1);
    const r = prune.magnitude(model, { amount: 16, scope: 'global' });
    expect(r.layers.map((l) => l.zeros)).toEqual([16, 0]);
  });

  it('remove() makes pruning permanent and drops the hooks', () => {
    const model = mlp([6, 6, 2]);
    prune.magnitude(model, { amount: 0.5 });
    const lin = model.layers[0] as Linear;
    expect(Object.prototype.hasOwnProperty.call(lin, 'forward')).toBe(true);
    expect(prune.remove(model)).toBe(2);
    expect(Object.prototype.hasOwnProperty.call(lin, 'forward')).toBe(false);
    expect(prune.getMask(lin)).toBeUndefined();
    expect(prune.sparsity(model).layers[0]).toMatchObject({ sparsity: 0.5, masked: false });
    lin.weight.data.fill(1);
    lin.forward(new Tensor(new Float32Array(6), [1, 6]));
    expect(lin.weight.data.every((v) => v === 1)).toBe(true);
    expect(prune.remove(model)).toBe(0);
  });

  it('customFromMask combines a mask of your own with the existing one (custom_from_mask)', () => {
    const model = mlp([4, 3, 2]);
    const fc = model.layers[0] as Linear;
    const rows = prune.lnStructured({ data: fc.weight.data, shape: [3, 4] }, { amount: 1, n: 2, dim: 0 });
    prune.customFromMask(fc, rows);
    expect(Array.from(prune.getMask(fc)!)).toEqual(Array.from(rows));
    const cols = Uint8Array.from([0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1]);
    prune.customFromMask(fc, cols);
    expect(Array.from(prune.getMask(fc)!)).toEqual(Array.from(rows).map((v, i) => v & cols[i]));
    expect(fc.weight.data.filter((v) => v === 0).length).toBe(prune.getMask(fc)!.filter((v) => v === 0).length);
    expect(() => prune.customFromMask(fc, new Uint8Array(3))).toThrow(/mask\.length/);
    expect(() => prune.customFromMask(fc, new Uint8Array(12).fill(2))).toThrow(/mask\[0\]/);
    expect(() => prune.customFromMask(fc, [1] as never)).toThrow(TypeError);
    expect(() => prune.customFromMask({} as never, rows)).toThrow(/linear/);
  });

  it('finds Linear layers in nested layers', () => {
    const inner = mlp([3, 3]);
    const model = new Sequential(new Linear(3, 3), inner as never);
    expect(prune.linearLayers(model).map((l) => l.name)).toEqual(['0', '1.0']);
  });

  it('leaves the model untouched when an amount does not fit a layer', () => {
    const model = mlp([2, 30, 1]);
    const before = model.stateDict();
    expect(() => prune.magnitude(model, { amount: 40 })).toThrow(/options\.amount.*layer '2'/);
    expect(model.stateDict()).toEqual(before);
    expect(prune.getMask(model.layers[0] as Linear)).toBeUndefined();
  });

  it('validates its arguments', () => {
    const model = mlp([2, 2]);
    expect(() => prune.magnitude({} as never, { amount: 0.5 })).toThrow(TypeError);
    expect(() => prune.magnitude(model, null as never)).toThrow(/options/);
    expect(() => prune.magnitude(model, { amount: '0.5' as never })).toThrow(TypeError);
    expect(() => prune.magnitude(model, { amount: -1 })).toThrow(RangeError);
    expect(() => prune.magnitude(model, { amount: 1.5 })).toThrow(/options\.amount/);
    expect(() => prune.magnitude(model, { amount: 0.5, scope: 'net' as never })).toThrow(/options\.scope/);
    expect(() => prune.magnitude(model, { amount: 0.5, scope: 1 as never })).toThrow(TypeError);
    expect(() => prune.sparsity(42 as never)).toThrow(TypeError);
    expect(() => prune.applyMasks(null as never)).toThrow(/model/);
    expect(() => prune.getMask({} as never)).toThrow(/layer/);
  });
});
