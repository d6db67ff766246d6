import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng, Tensor, nn } from '../../lib';

const fixtures = path.join(__dirname, '..', 'fixtures', 'nn');
const load = (name: string) => JSON.parse(readFileSync(path.join(fixtures, name), 'utf8'));

function close(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol = 1e-6): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    const tol = atol + rtol * Math.abs(b[i]);
    if (!(Math.abs(a[i] - b[i]) <= tol)) throw new Error(`element ${i}: ${a[i]} vs ${b[i]} (tol ${tol})`);
  }
}

describe('erf', () => {
  it('matches known values', () => {
    expect(nn.erf(0)).toBe(0);
    expect(nn.erf(1)).toBeCloseTo(0.8427007929497149, 14);
    expect(nn.erf(-0.5)).toBeCloseTo(-0.5204998778130465, 14);
    expect(nn.erf(2.5)).toBeCloseTo(0.9995930479825550, 14);
    expect(nn.erf(3)).toBeCloseTo(0.9999779095030014, 14);
    expect(nn.erf(7)).toBe(1);
    expect(nn.erf(-Infinity)).toBe(-1);
    expect(nn.erf(NaN)).toBeNaN();
  });
});

describe('ReLU', () => {
  it('forward and backward', () => {
    const r = new nn.ReLU();
    const x = new Tensor(new Float32Array([-1, 0, 2, -3, 4, 0.5]), [2, 3]);
    const y = r.forward(x);
    expect(Array.from(y.data)).toEqual([0, 0, 2, 0, 4, 0.5]);
    expect(y.shape).toEqual([2, 3]);
    const g = r.backward(new Tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]));
    expect(Array.from(g.data)).toEqual([0, 0, 3, 0, 5, 6]);
  });
  it('validates', () => {
    const r = new nn.ReLU();
    expect(() => r.forward([1, 2] as never)).toThrow(TypeError);
    expect(() => r.backward(Tensor.zeros([1]))).toThrow(/forward/);
    r.forward(Tensor.zeros([2, 2]));
    expect(() => r.backward(Tensor.zeros([4]))).toThrow(RangeError);
    r.eval();
    r.forward(Tensor.zeros([2, 2]));
    expect(() => r.backward(Tensor.zeros([2, 2]))).toThrow(/training mode/);
    expect(() => r.train('yes' as never)).toThrow(TypeError);
  });
});

describe('GELU', () => {
  it('matches PyTorch (exact erf form) forward and backward', () => {
    const f = load('gelu.json');
    const g = new nn.GELU();
    const x = new Tensor(Float32Array.from(f.x), [f.x.length]);
    close(g.forward(x).data, f.y, 1e-7, 1e-6);
    close(g.backward(new Tensor(Float32Array.from(f.gradOut), [f.x.length])).data, f.gradIn, 1e-6, 1e-5);
  });
  it('backward agrees with finite differences', () => {
    const g = new nn.GELU();
    const xs = [-2.3, -0.7, 0, 0.4, 1.9];
    const x = new Tensor(Float32Array.from(xs), [5]);
    g.forward(x);
    const d = g.backward(new Tensor(new Float32Array(5).fill(1), [5])).data;
    xs.forEach((v, i) => {
      const h = 1e-4;
      const f = (t: number) => 0.5 * t * (1 + nn.erf(t / Math.SQRT2));
      expect(d[i]).toBeCloseTo((f(v + h) - f(v - h)) / (2 * h), 4);
    });
  });
});

describe('Dropout', () => {
  it('is seeded, scales survivors by 1/(1-p) and is the identity in eval', () => {
    const x = new Tensor(new Float32Array(10000).fill(1), [100, 100]);
    const a = new nn.Dropout(0.25, { rng: new Rng(7) }).forward(x);
    const b = new nn.Dropout(0.25, { rng: new Rng(7) }).forward(x);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    let zeros = 0;
    for (const v of a.data) {
      if (v === 0) zeros++;
      else expect(v).toBeCloseTo(1 / 0.75, 6);
    }
    expect(zeros / 10000).toBeGreaterThan(0.22);
    expect(zeros / 10000).toBeLessThan(0.28);
    const d = new nn.Dropout(0.5).eval();
    expect(d.forward(x)).toBe(x);
  });
  it('backward uses the same mask', () => {
    const d = new nn.Dropout(0.5, { rng: new Rng(1) });
    const x = new Tensor(Float32Array.from({ length: 64 }, (_, i) => i + 1), [8, 8]);
    const y = d.forward(x);
    const g = d.backward(new Tensor(new Float32Array(64).fill(1), [8, 8]));
    for (let i = 0; i < 64; i++) expect(g.data[i]).toBe(y.data[i] === 0 ? 0 : 2);
  });
  it('p = 0 copies, p = 1 zeros, bad p throws', () => {
    const x = new Tensor(new Float32Array([1, 2, 3]), [3]);
    expect(Array.from(new nn.Dropout(0).forward(x).data)).toEqual([1, 2, 3]);
    expect(Array.from(new nn.Dropout(1).forward(x).data)).toEqual([0, 0, 0]);
    expect(() => new nn.Dropout(1.5)).toThrow(RangeError);
    expect(() => new nn.Dropout('a' as never)).toThrow(TypeError);
    expect(() => new nn.Dropout(0.5, { rng: {} as never })).toThrow(/rng/);
  });
});

describe('Flatten', () => {
  it('flattens all but the batch dimension and restores the shape in backward', () => {
    const f = new nn.Flatten();
    const x = new Tensor(new Float32Array(24), [2, 3, 4]);
    const y = f.forward(x);
    expect(y.shape).toEqual([2, 12]);
    expect(y.data).toBe(x.data);
    expect(f.backward(Tensor.zeros([2, 12])).shape).toEqual([2, 3, 4]);
    expect(() => f.backward(Tensor.zeros([2, 11]))).toThrow(RangeError);
    expect(f.forward(new Tensor(new Float32Array(5), [5])).shape).toEqual([1, 5]);
  });
});

describe('crossEntropyWithLogits', () => {
  it('matches PyTorch F.cross_entropy (mean and sum, large logits)', () => {
    const f = load('cross_entropy.json');
    for (const c of f.cases) {
      const logits = new Tensor(Float32Array.from(c.logits), [c.rows, c.classes]);
      const r = nn.crossEntropyWithLogits(logits, c.labels, { reduction: c.reduction });
      expect(Math.abs(r.loss - c.loss)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(c.loss)));
      close(r.grad.data, c.grad, 1e-7, 1e-5);
    }
  });
  it('is stable for huge logits and validates labels', () => {
    const logits = new Tensor(new Float32Array([1e30, -1e30, 0, 3e38]), [2, 2]);
    const r = nn.crossEntropyWithLogits(logits, new Int32Array([0, 1]));
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(() => nn.crossEntropyWithLogits(logits, [0, 2])).toThrow(RangeError);
    expect(() => nn.crossEntropyWithLogits(logits, [0])).toThrow(/labels.length/);
    expect(() => nn.crossEntropyWithLogits(logits, [0, 0.5])).toThrow(RangeError);
    expect(() => nn.crossEntropyWithLogits(logits, 'x' as never)).toThrow(TypeError);
    expect(() => nn.crossEntropyWithLogits(logits, [0, 1], { reduction: 'none' as never })).toThrow(RangeError);
  });
});

describe('metrics', () => {
  it('argmax and accuracy', () => {
    const t = new Tensor(new Float32Array([0, 2, 1, 5, 5, 1]), [2, 3]);
    expect(Array.from(nn.argmax(t))).toEqual([1, 0]);
    expect(nn.accuracy(t, [1, 1])).toBe(0.5);
    expect(nn.accuracy([1, 2, 3], new Int32Array([1, 2, 0]))).toBeCloseTo(2 / 3);
    expect(() => nn.accuracy(t, [1])).toThrow(RangeError);
    expect(() => nn.argmax(new Tensor(new Float32Array(8), [2, 2, 2]))).toThrow(RangeError);
  });
});
