import { describe, expect, it } from 'vitest';
import { BatchNorm1d, GELU, Linear, ReLU, Sequential } from '../../lib/nn';
import * as prune from '../../lib/prune';
import { Rng } from '../../lib/random';
import { Tensor } from '../../lib/tensor';

function build(): Sequential {
  const rng = new Rng(5);
  const bn = new BatchNorm1d(10);
  for (let i = 0; i < 10; i++) {
    bn.weight!.data[i] = rng.uniform(0.5, 1.5);
    bn.bias!.data[i] = rng.uniform(-0.5, 0.5);
    bn.runningMean![i] = rng.uniform(-0.2, 0.2);
    bn.runningVar![i] = rng.uniform(0.5, 2);
  }
  return new Sequential(new Linear(6, 10, { rng }), bn, new ReLU(), new Linear(10, 8, { rng }), new GELU(), new Linear(8, 3, { rng }));
}

const input = (rows: number, seed: number) => {
  const r = new Rng(seed);
  return new Tensor(new Float32Array(rows * 6).map(() => r.uniform(-2, 2)), [rows, 6]);
};

/** The original model with the removed neurons' activations zeroed before the next Linear. */
function masked(removed: number[], layer: number, next: number): Sequential {
  const m = build();
  const nx = m.layers[next] as Linear;
  for (let r = 0; r < nx.outFeatures; r++) for (const c of removed) nx.weight.data[r * nx.inFeatures + c] = 0;
  void layer;
  return m;
}

const close = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i]), `${i}: ${a[i]} vs ${b[i]}`).toBeLessThan(1e-5);
};

describe('prune.neurons', () => {
  const x = input(16, 1);
  for (const importance of ['l1', 'l2', 'apoz', 'meanActivation'] as const) {
    it(`${importance}: shrinks Linear, BatchNorm1d and the next Linear; output equals the masked model's`, () => {
      const model = build();
      const before = model.layers.slice();
      const report = prune.neurons(model, 0, { amount: 0.4, importance, calibration: input(32, 2) });
      expect(report.removed.length).toBe(4);
      expect(report.kept.length).toBe(6);
      expect([...report.kept, ...report.removed].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(report).toMatchObject({ layer: 0, nextLayer: 3, batchNorms: [1] });
      // Importance: the removed have the lowest scores.
      const maxRemoved = Math.max(...report.removed.map((i) => report.scores[i]));
      const minKept = Math.min(...report.kept.map((i) => report.scores[i]));
      expect(maxRemoved).toBeLessThanOrEqual(minKept);

      const l0 = model.layers[0] as Linear;
      const bn = model.layers[1] as BatchNorm1d;
      const l3 = model.layers[3] as Linear;
      expect([l0.outFeatures, l0.weight.data.length, l0.bias!.data.length]).toEqual([6, 36, 6]);
      expect([bn.numFeatures, bn.weight!.data.length, bn.runningMean!.length, bn.runningVar!.length]).toEqual([6, 6, 6, 6]);
      expect([l3.inFeatures, l3.weight.data.length]).toEqual([6, 48]);
      expect(model.layers[0]).not.toBe(before[0]);
      expect(model.layers[2]).toBe(before[2]);
      expect(model.layers[5]).toBe(before[5]);
      for (const p of [...l0.parameters(), ...bn.parameters(), ...l3.parameters()]) expect(p.grad.every((g) => g === 0)).toBe(true);
      // Row / feature / column bookkeeping.
      const orig = build();
      const o0 = orig.layers[0] as Linear;
      report.kept.forEach((k, i) => {
        expect(Array.from(l0.weight.data.subarray(i * 6, i * 6 + 6))).toEqual(Array.from(o0.weight.data.subarray(k * 6, k * 6 + 6)));
        expect(bn.runningVar![i]).toBe((orig.layers[1] as BatchNorm1d).runningVar![k]);
      });

      const ref = masked(report.removed, 0, 3);
      model.eval();
      ref.eval();
      close(model.forward(x).data, ref.forward(x).data);
      // Training mode too (BatchNorm1d batch statistics are per feature).
      model.train();
      ref.train();
      close(model.forward(x).data, ref.forward(x).data);
    });
  }

  it('l1 picks the same neurons as torch ln_structured(n=1, dim=0)', () => {
    const model = build();
    const w = (model.layers[0] as Linear).weight.data.slice();
    const mask = prune.lnStructured({ data: w, shape: [10, 6] }, { amount: 3, n: 1, dim: 0 });
    const rowsPruned = [...Array(10).keys()].filter((r) => mask[r * 6] === 0);
    expect(prune.neurons(model, 0, { amount: 3 }).removed).toEqual(rowsPruned);
  });

  it('prunes through a GELU, composes with magnitude masks, and can prune again', () => {
    const model = build();
    prune.magnitude(model, { amount: 0.5 });
    const maskBefore = Array.from(prune.getMask(model.layers[3] as Linear)!);
    const r1 = prune.neurons(model, 3, { amount: 2, importance: 'meanActivation', calibration: input(8, 3) });
    expect(r1).toMatchObject({ layer: 3, nextLayer: 5, batchNorms: [] });
    const l3 = model.layers[3] as Linear;
    const m3 = prune.getMask(l3)!;
    expect(m3.length).toBe(6 * 10);
    r1.kept.forEach((k, i) => expect(Array.from(m3.subarray(i * 10, i * 10 + 10))).toEqual(maskBefore.slice(k * 10, k * 10 + 10)));
    expect(prune.getMask(model.layers[5] as Linear)!.length).toBe(3 * 6);
    const r2 = prune.neurons(model, 0, { amount: 0.5 });
    expect((model.layers[3] as Linear).inFeatures).toBe(5);
    expect(prune.getMask(model.layers[3] as Linear)!.length).toBe(6 * 5);
    expect(r2.kept.length).toBe(5);
    model.eval();
    expect(model.forward(x).shape).toEqual([16, 3]);
    expect(prune.remove(model)).toBe(3);
  });

  it('amount 0 changes nothing', () => {
    const model = build();
    const l0 = model.layers[0];
    expect(prune.neurons(model, 0, { amount: 0 }).removed).toEqual([]);
    expect(model.layers[0]).toBe(l0);
  });

  it('validates its arguments and leaves the model untouched on error', () => {
    const model = build();
    const layers = model.layers.slice();
    expect(() => prune.neurons(null as never, 0, { amount: 1 })).toThrow(TypeError);
    expect(() => prune.neurons(model, 1, { amount: 1 })).toThrow(/layerIndex/);
    expect(() => prune.neurons(model, 6, { amount: 1 })).toThrow(/layerIndex/);
    expect(() => prune.neurons(model, 1.5, { amount: 1 })).toThrow(/layerIndex/);
    expect(() => prune.neurons(model, 5, { amount: 1 })).toThrow(/last Linear/);
    expect(() => prune.neurons(model, 0, { amount: 10 })).toThrow(/options\.amount/);
    expect(() => prune.neurons(model, 0, { amount: 11 })).toThrow(RangeError);
    expect(() => prune.neurons(model, 0, { amount: 1.5 })).toThrow(/options\.amount/);
    expect(() => prune.neurons(model, 0, { amount: 1, importance: 'l3' as never })).toThrow(/options\.importance/);
    expect(() => prune.neurons(model, 0, { amount: 1, importance: 'apoz' })).toThrow(/options\.calibration/);
    expect(() => prune.neurons(model, 0, { amount: 1, importance: 'apoz', calibration: [1, 2] as never })).toThrow(TypeError);
    expect(() => prune.neurons(model, 0, { amount: 1, importance: 'apoz', calibration: input(2, 1).reshape([3, 4]) })).toThrow(RangeError);
    const odd = new Sequential(new Linear(2, 3), { forward: (t: Tensor) => t } as never, new Linear(3, 1));
    expect(() => prune.neurons(odd, 0, { amount: 1 })).toThrow(/model\.layers\[1\]/);
    expect(model.layers).toEqual(layers);
  });
});
