import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crossEntropy, featureLoss, kdLoss, klDiv, mseLoss } from '../../lib/distill';

type Num = number | number[];
interface Ref { loss64: Num; grad64: number[]; loss32: Num; grad32: number[] }
const fx = JSON.parse(readFileSync(join(__dirname, '../fixtures/distill/losses.json'), 'utf8')) as {
  kdInputs: { student: number[]; teacher: number[]; shape: number[]; magnitude: number; labels: number[] }[];
  kd: (Ref & { input: number; temperature: number; alpha: number; withLabels: boolean })[];
  klDiv: (Ref & { input: number[]; target: number[]; shape: number[]; reduction: 'none' | 'sum' | 'mean' | 'batchmean'; logTarget: boolean })[];
  crossEntropy: (Ref & { logits: number[]; shape: number[]; labels: number[]; reduction: 'none' | 'sum' | 'mean'; labelSmoothing: number; ignoreIndex: number | null; magnitude: number })[];
  mse: (Ref & { a: number[]; b: number[]; shape: number[]; reduction: 'none' | 'sum' | 'mean' })[];
  feature: (Ref & { student: number[]; teacher: number[]; shape: number[]; kind: 'mse' | 'cosine'; weight: number })[];
};

const T = (data: number[], shape: number[]) => ({ data: new Float32Array(data), shape });

/** Max of |a - b| / (atol + rtol * |b|) over the elements; <= 1 means close. */
function closeness(a: ArrayLike<number> | number, b: ArrayLike<number> | number, rtol: number, atol: number): number {
  const av = typeof a === 'number' ? [a] : Array.from(a);
  const bv = typeof b === 'number' ? [b] : Array.from(b);
  expect(av.length).toBe(bv.length);
  let worst = 0;
  for (let i = 0; i < av.length; i++) {
    expect(Number.isFinite(av[i])).toBe(true);
    worst = Math.max(worst, Math.abs(av[i] - bv[i]) / (atol + rtol * Math.abs(bv[i])));
  }
  return worst;
}

/** Checks against the float64 PyTorch reference tightly and the float32 one within float32 error. */
function check(r: { loss: number | Float32Array; grad: Float32Array }, ref: Ref, scale = 1) {
  // 'none' returns float32 values; reduced losses are float64 numbers.
  expect(closeness(r.loss, ref.loss64, typeof r.loss === 'number' ? 1e-9 : 2 ** -23, 1e-12 * scale)).toBeLessThanOrEqual(1);
  expect(closeness(r.grad, ref.grad64, 2 ** -23, 1e-12)).toBeLessThanOrEqual(1);
  // float32 PyTorch: rounding error of log-softmax grows with the logits' magnitude.
  expect(closeness(r.loss, ref.loss32, 1e-5, 1e-6 * scale)).toBeLessThanOrEqual(1);
  expect(closeness(r.grad, ref.grad32, 1e-4, 1e-6)).toBeLessThanOrEqual(1);
}

describe('kdLoss matches PyTorch (kl_div batchmean * T^2, cross_entropy)', () => {
  fx.kd.forEach((c, i) => {
    const x = fx.kdInputs[c.input];
    it(`${i} [${x.shape}] |x|~${x.magnitude} T=${c.temperature} alpha=${c.alpha}${c.withLabels ? ' labels' : ''}`, () => {
      const r = kdLoss(T(x.student, x.shape), T(x.teacher, x.shape), { temperature: c.temperature, alpha: c.alpha, ...(c.withLabels ? { labels: x.labels } : {}) });
      check(r, c, c.temperature * c.temperature * Math.max(1, x.magnitude / c.temperature));
    });
  });

  it('covers logits of magnitude 1e4 with finite results', () => {
    const big = fx.kd.filter((c) => fx.kdInputs[c.input].magnitude === 1e4);
    expect(big.length).toBeGreaterThan(10);
    const c = fx.kdInputs[big[0].input];
    const r = kdLoss(T(c.student, c.shape), T(c.teacher, c.shape), { temperature: 1, alpha: 0.5, labels: Int32Array.from(c.labels) });
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(r.grad.every(Number.isFinite)).toBe(true);
  });

  it('is zero with zero gradient when student equals teacher and alpha = 1', () => {
    const x = T([1, 2, 3, -1, 0, 5], [2, 3]);
    const r = kdLoss(x, x, { temperature: 3 });
    expect(r.loss).toBeCloseTo(0, 12);
    for (const g of r.grad) expect(Math.abs(g)).toBeLessThan(1e-9);
  });
});

describe('klDiv matches F.kl_div', () => {
  fx.klDiv.forEach((c, i) => {
    it(`${i} [${c.shape}] ${c.reduction}${c.logTarget ? ' logTarget' : ''}`, () => {
      check(klDiv(T(c.input, c.shape), T(c.target, c.shape), { reduction: c.reduction, logTarget: c.logTarget }), c);
    });
  });
  it("defaults to PyTorch's 'mean'", () => {
    const c = fx.klDiv.find((k) => k.reduction === 'mean' && !k.logTarget)!;
    expect(klDiv(T(c.input, c.shape), T(c.target, c.shape)).loss).toBeCloseTo(c.loss64 as number, 12);
  });
});

describe('crossEntropy matches F.cross_entropy', () => {
  fx.crossEntropy.forEach((c, i) => {
    it(`${i} [${c.shape}] |x|~${c.magnitude} ${c.reduction} eps=${c.labelSmoothing} labels=${c.labels}${c.ignoreIndex !== null ? ` ignore=${c.ignoreIndex}` : ''}`, () => {
      const opts = { reduction: c.reduction, labelSmoothing: c.labelSmoothing, ...(c.ignoreIndex !== null ? { ignoreIndex: c.ignoreIndex } : {}) };
      check(crossEntropy(T(c.logits, c.shape), Int32Array.from(c.labels), opts), c, c.magnitude);
    });
  });
  it('gives NaN for a mean over only ignored samples, like PyTorch', () => {
    expect(crossEntropy(T([1, 2], [1, 2]), [-100]).loss).toBeNaN();
  });
});

describe('mseLoss and featureLoss match PyTorch', () => {
  fx.mse.forEach((c, i) => {
    it(`mse ${i} [${c.shape}] ${c.reduction}`, () => check(mseLoss(T(c.a, c.shape), T(c.b, c.shape), { reduction: c.reduction }), c));
  });
  fx.feature.forEach((c, i) => {
    it(`feature ${i} [${c.shape}] ${c.kind} weight=${c.weight}`, () => check(featureLoss(T(c.student, c.shape), T(c.teacher, c.shape), { kind: c.kind, weight: c.weight }), c));
  });
});

describe('distill validation', () => {
  const x = T([1, 2, 3, 4, 5, 6], [2, 3]);
  it.each([
    [() => kdLoss(new Float32Array(6) as never, x, { temperature: 1 }), TypeError, /for student but received Float32Array/],
    [() => kdLoss(x, T([1, 2, 3, 4], [2, 2]), { temperature: 1 }), RangeError, /teacher\.shape/],
    [() => kdLoss(T([1, 2, 3], [3]), T([1, 2, 3], [3]), { temperature: 1 }), RangeError, /student\.shape/],
    [() => kdLoss(x, x, {} as never), TypeError, /options\.temperature/],
    [() => kdLoss(x, x, { temperature: 0 }), RangeError, /options\.temperature/],
    [() => kdLoss(x, x, { temperature: 1, labels: [0, 1] }), TypeError, /options\.alpha/],
    [() => kdLoss(x, x, { temperature: 1, alpha: 1.5 }), RangeError, /options\.alpha/],
    [() => kdLoss(x, x, { temperature: 1, alpha: 0.5, labels: [0, 3] }), RangeError, /options\.labels\[1\]/],
    [() => kdLoss(x, x, { temperature: 1, alpha: 0.5, labels: [0] }), RangeError, /options\.labels\.length/],
    [() => kdLoss(x, x, { temperature: 1, alpha: 0.5, labels: 'ab' as never }), TypeError, /options\.labels/],
    [() => kdLoss(T([1, NaN, 3, 4, 5, 6], [2, 3]), x, { temperature: 1 }), RangeError, /student\.data\[1\]/],
    [() => kdLoss({ data: new Float32Array(6), shape: [2, 2] }, x, { temperature: 1 }), RangeError, /student\.shape/],
    [() => klDiv(x, T([1, 2], [2]), {}), RangeError, /target\.shape/],
    [() => klDiv(x, x, { reduction: 'avg' as never }), RangeError, /options\.reduction/],
    [() => klDiv(x, x, { logTarget: 1 as never }), TypeError, /options\.logTarget/],
    [() => klDiv(x, T([1, 2, 3, 4, 5, NaN], [2, 3])), RangeError, /target\.data\[5\]/],
    [() => mseLoss(T([NaN], [1]), T([1], [1])), RangeError, /a\.data\[0\]/],
    [() => crossEntropy(x, [0, 1], { labelSmoothing: 2 }), RangeError, /options\.labelSmoothing/],
    [() => crossEntropy(x, [0, 1.5]), RangeError, /labels\[1\]/],
    [() => crossEntropy(x, [0, -1]), RangeError, /labels\[1\]/],
    [() => crossEntropy(x, [0, 1], { ignoreIndex: 0.5 }), RangeError, /options\.ignoreIndex/],
    [() => mseLoss(x, T([1], [1])), RangeError, /b\.shape/],
    [() => featureLoss(x, x, { kind: 'l1' as never }), RangeError, /options\.kind/],
    [() => featureLoss(x, x, { weight: NaN }), RangeError, /options\.weight/],
    [() => featureLoss(x, null as never), TypeError, /teacherFeat/],
  ])('%#', (fn, type, msg) => {
    expect(fn).toThrow(type);
    expect(fn).toThrow(msg);
  });
});
