import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BatchNorm1d } from '../../lib/nn/batchnorm';
import { Tensor } from '../../lib/tensor';

interface Step {
  mode: 'train' | 'eval';
  x: { data: number[]; shape: number[] };
  y: number[];
  gradOut: number[];
  gradIn: number[];
  gradWeight: number[] | null;
  gradBias: number[] | null;
  runningMean: number[] | null;
  runningVar: number[] | null;
  numBatchesTracked: number | null;
}
interface Case {
  name: string;
  numFeatures: number;
  options: { eps: number; momentum: number | null; affine: boolean; trackRunningStats: boolean };
  weight: number[] | null;
  bias: number[] | null;
  steps: Step[];
}

const fixture = JSON.parse(readFileSync(join(__dirname, '../fixtures/batchnorm/batchnorm1d.json'), 'utf8')) as { cases: Case[] };

/** Every element within 1e-5 relative, with an absolute floor of 1e-5 * max|want| (values near 0). */
function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, what).toBe(want.length);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) {
    const tol = 1e-5 * Math.max(Math.abs(want[i]), scale * 0.1, 1e-6);
    if (!(Math.abs(got[i] - want[i]) <= tol)) {
      throw new Error(`${what}[${i}]: ${got[i]} vs PyTorch ${want[i]} (tol ${tol})`);
    }
  }
}

describe('nn.BatchNorm1d vs PyTorch 1.13', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const bn = new BatchNorm1d(c.numFeatures, c.options);
      if (c.weight && bn.weight && c.bias && bn.bias) {
        bn.weight.data.set(c.weight);
        bn.bias.data.set(c.bias);
      }
      c.steps.forEach((s, k) => {
        const at = `${c.name} step ${k} (${s.mode})`;
        bn.train(s.mode === 'train');
        bn.weight?.zeroGrad();
        bn.bias?.zeroGrad();
        const y = bn.forward(new Tensor(Float32Array.from(s.x.data), s.x.shape));
        expect(y.shape).toEqual(s.x.shape);
        expectClose(y.data, s.y, `${at} y`);
        const dx = bn.backward(new Tensor(Float32Array.from(s.gradOut), s.x.shape));
        expectClose(dx.data, s.gradIn, `${at} gradIn`);
        if (s.gradWeight && bn.weight) expectClose(bn.weight.grad, s.gradWeight, `${at} gradWeight`);
        if (s.gradBias && bn.bias) expectClose(bn.bias.grad, s.gradBias, `${at} gradBias`);
        if (s.runningMean) expectClose(bn.runningMean as Float32Array, s.runningMean, `${at} runningMean`);
        if (s.runningVar) expectClose(bn.runningVar as Float32Array, s.runningVar, `${at} runningVar`);
        if (s.numBatchesTracked !== null) expect(bn.numBatchesTracked).toBe(s.numBatchesTracked);
      });
    });
  }
});

describe('nn.BatchNorm1d API', () => {
  it('validates its arguments', () => {
    expect(() => new BatchNorm1d(0)).toThrow(RangeError);
    expect(() => new BatchNorm1d(3, { eps: -1 })).toThrow(RangeError);
    expect(() => new BatchNorm1d(3, { momentum: 2 })).toThrow(RangeError);
    expect(() => new BatchNorm1d(3, { affine: 1 as unknown as boolean })).toThrow(TypeError);
    expect(() => new BatchNorm1d(3, { foo: 1 } as unknown as object)).toThrow(RangeError);
    const bn = new BatchNorm1d(3);
    expect(() => bn.forward(Tensor.zeros([4, 2]))).toThrow(/BatchNorm1d: expected x of shape \[N, 3\]/);
    expect(() => bn.forward(Tensor.zeros([1, 3]))).toThrow(/more than 1 value per channel/);
    expect(() => bn.backward(Tensor.zeros([4, 3]))).toThrow(/call forward/);
    bn.forward(Tensor.zeros([4, 3]));
    expect(() => bn.backward(Tensor.zeros([4, 4]))).toThrow(/gradOut/);
    expect(bn.parameters()).toHaveLength(2);
    expect(new BatchNorm1d(3, { affine: false }).parameters()).toHaveLength(0);
  });

  it('eval mode with one sample uses the running statistics; forwardAsync matches forward', async () => {
    const bn = new BatchNorm1d(4);
    bn.forward(new Tensor(Float32Array.from({ length: 32 }, (_, i) => Math.sin(i) * 3 + (i % 4)), [8, 4]));
    bn.eval();
    const x = new Tensor(Float32Array.from([1, 2, 3, 4]), [1, 4]);
    const y = bn.forward(x);
    const rm = bn.runningMean as Float32Array;
    const rv = bn.runningVar as Float32Array;
    for (let j = 0; j < 4; j++) expect(y.data[j]).toBeCloseTo((x.data[j] - rm[j]) / Math.sqrt(rv[j] + 1e-5), 5);
    const ya = await bn.forwardAsync(x);
    expect(Array.from(ya.data)).toEqual(Array.from(y.data));
  });

  it('keeps large [65536, 8] batches accurate (one-pass statistics)', () => {
    const n = 65536, c = 8;
    const x = new Float32Array(n * c);
    for (let i = 0; i < x.length; i++) x[i] = 1000 + Math.sin(i * 1.3) * (1 + (i % c));
    const bn = new BatchNorm1d(c, { momentum: 1 });
    bn.forward(new Tensor(x, [n, c]));
    for (let j = 0; j < c; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += x[i * c + j];
      const mean = s / n;
      let v = 0;
      for (let i = 0; i < n; i++) v += (x[i * c + j] - mean) ** 2;
      expect((bn.runningMean as Float32Array)[j]).toBeCloseTo(mean, 3);
      expect(Math.abs((bn.runningVar as Float32Array)[j] - v / (n - 1)) / (v / (n - 1))).toBeLessThan(1e-5);
    }
  });
});
