import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  HistogramObserver,
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  MovingAveragePerChannelMinMaxObserver,
  PerChannelMinMaxObserver,
  PercentileObserver,
  percentileOf,
} from '../../lib/quant/observers';
import { qparamsFromMinMax, resolveQConfig, roundHalfEven } from '../../lib/quant/qparams';

interface Input { data: number[]; shape: number[] }
interface Case {
  kind: string;
  options: Record<string, unknown>;
  inputSet: number;
  scales: number[];
  zeroPoints: number[];
  minVal?: number[];
  maxVal?: number[];
  histogram?: number[] | null;
  searched?: number[];
  tie?: boolean;
  unmodified113?: boolean;
}

const fixture = JSON.parse(readFileSync(join(__dirname, '../fixtures/quant/observers.json'), 'utf8')) as { inputSets: Input[][]; cases: Case[] };

const ctors: Record<string, new (o: never) => { observe(x: unknown): void; calculateQParams(): unknown }> = {
  MinMaxObserver: MinMaxObserver as never,
  MovingAverageMinMaxObserver: MovingAverageMinMaxObserver as never,
  PerChannelMinMaxObserver: PerChannelMinMaxObserver as never,
  MovingAveragePerChannelMinMaxObserver: MovingAveragePerChannelMinMaxObserver as never,
  HistogramObserver: HistogramObserver as never,
  PercentileObserver: PercentileObserver as never,
};

function run(c: Case) {
  const obs = new ctors[c.kind](c.options as never);
  for (const x of fixture.inputSets[c.inputSet]) obs.observe({ data: new Float32Array(x.data), shape: x.shape });
  return obs;
}

function label(c: Case, i: number): string {
  return `${i} ${c.kind} ${JSON.stringify(c.options)}${c.tie ? ' (.5 tie)' : ''}${c.unmodified113 ? ' (unmodified 1.13)' : ''}`;
}

describe('observers match PyTorch 1.13 exactly', () => {
  fixture.cases.forEach((c, i) => {
    it(label(c, i), () => {
      const obs = run(c) as unknown as Record<string, unknown> & { calculateQParams(): Record<string, unknown> };
      const q = obs.calculateQParams();
      if (c.kind.includes('PerChannel')) {
        expect(Array.from(q.scales as Float32Array)).toEqual(c.scales);
        expect(Array.from(q.zeroPoints as Int32Array)).toEqual(c.zeroPoints);
        expect(Array.from(obs.minVals as Float32Array)).toEqual(c.minVal);
        expect(Array.from(obs.maxVals as Float32Array)).toEqual(c.maxVal);
      } else {
        if (c.minVal) {
          expect(obs.minVal).toBe(c.minVal[0]);
          expect(obs.maxVal).toBe(c.maxVal![0]);
        }
        if (c.histogram) expect(Array.from(obs.histogram as Float32Array)).toEqual(c.histogram);
        if (c.searched) expect((obs as unknown as HistogramObserver).nonLinearParamSearch()).toEqual(c.searched);
        expect(q.scale).toBe(c.scales[0]);
        expect(q.zeroPoint).toBe(c.zeroPoints[0]);
      }
    });
  });

  it('covers every observer, qscheme, dtype, reduceRange and the .5 ties', () => {
    const kinds = new Set(fixture.cases.map((c) => c.kind));
    expect(kinds.size).toBe(6);
    expect(fixture.cases.filter((c) => c.tie).length).toBeGreaterThanOrEqual(8);
    expect(fixture.cases.some((c) => c.options.reduceRange === true && c.options.quantMin !== undefined)).toBe(true);
  });
});

describe('qparams arithmetic', () => {
  it('rounds half to even', () => {
    expect([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 2.4999999, -3.5].map(roundHalfEven)).toEqual([-2, -2, -0, 0, 2, 2, 4, 2, -4]);
  });

  it('zero point ties go to even: min -2.5, max 252.5, uint8 -> scale 1, zeroPoint 2', () => {
    const cfg = resolveQConfig({}, ['per_tensor_affine'], 'per_tensor_affine');
    expect(qparamsFromMinMax(-2.5, 252.5, cfg)).toEqual({ scale: 1, zeroPoint: 2 });
    expect(qparamsFromMinMax(-3.5, 251.5, cfg)).toEqual({ scale: 1, zeroPoint: 4 });
  });

  it('constructs every observer with default options', () => {
    for (const C of Object.values(ctors)) {
      const o = new (C as unknown as new () => { config: { dtype: string; quantMin: number; quantMax: number } })();
      expect(o.config).toMatchObject({ dtype: 'uint8', quantMin: 0, quantMax: 255 });
    }
    expect(new MovingAverageMinMaxObserver().averagingConstant).toBe(Math.fround(0.01));
    expect(new PercentileObserver().percentile).toBe(99.99);
    expect(new HistogramObserver().bins).toBe(2048);
  });

  it('returns PyTorch defaults before any observation', () => {
    expect(new MinMaxObserver().calculateQParams()).toEqual({ scale: 1, zeroPoint: 0 });
    expect(new HistogramObserver().calculateQParams()).toEqual({ scale: 1, zeroPoint: 0 });
    const pc = new PerChannelMinMaxObserver().calculateQParams();
    expect(Array.from(pc.scales)).toEqual([1]);
    expect(Array.from(pc.zeroPoints)).toEqual([0]);
  });

  it('reduceRange and custom ranges resolve like calculate_qmin_qmax', () => {
    expect(new MinMaxObserver({ reduceRange: true }).config).toMatchObject({ quantMin: 0, quantMax: 127 });
    expect(new MinMaxObserver({ dtype: 'int8', reduceRange: true }).config).toMatchObject({ quantMin: -64, quantMax: 63 });
    expect(new MinMaxObserver({ dtype: 'int8', quantMin: -7, quantMax: 7, reduceRange: true }).config).toMatchObject({ quantMin: -4, quantMax: 3 });
  });

  it('accepts a plain Float32Array and ignores empty input', () => {
    const o = new MinMaxObserver();
    o.observe(new Float32Array(0));
    expect(o.minVal).toBe(Infinity);
    o.observe(new Float32Array([-1, 0.5, 2]));
    expect(o.calculateQParams()).toEqual({ scale: Math.fround(Math.fround(3) / 255), zeroPoint: 85 });
  });

  it('accepts a Float32Array plus a shape, same as a { data, shape } tensor', () => {
    const data = new Float32Array([1, -2, 3, 4, 5, -6]);
    const a = new PerChannelMinMaxObserver({ chAxis: 1 });
    a.observe(data, [2, 3]);
    const b = new PerChannelMinMaxObserver({ chAxis: 1 });
    b.observe({ data, shape: [2, 3] });
    expect(a.calculateQParams()).toEqual(b.calculateQParams());
    expect(Array.from(a.minVals)).toEqual([1, -2, -6]);
    expect(() => a.observe(data, [4])).toThrow(/x\.shape/);
    expect(() => a.observe({ data, shape: [2, 3] }, [2, 3])).toThrow(TypeError);
  });

  it('percentileOf survives adversarial orders (sorted, reversed, all equal, organ pipe)', () => {
    const n = 20001;
    const sorted = Float32Array.from({ length: n }, (_, i) => i);
    const pipes = Float32Array.from({ length: n }, (_, i) => (i < n / 2 ? i : n - i));
    for (const a of [sorted, sorted.slice().reverse(), new Float32Array(n).fill(3), pipes]) {
      const ref = Float64Array.from(a).sort();
      expect(percentileOf(a.slice(), 37)).toBeCloseTo(ref[Math.floor(0.37 * (n - 1))] + (0.37 * (n - 1) % 1) * (ref[Math.floor(0.37 * (n - 1)) + 1] - ref[Math.floor(0.37 * (n - 1))]), 6);
    }
  });

  it('percentileOf interpolates linearly between ranks (numpy linear)', () => {
    expect(percentileOf(new Float32Array([4, 1, 3, 2]), 50)).toBe(2.5);
    expect(percentileOf(new Float32Array([4, 1, 3, 2]), 100)).toBe(4);
    expect(percentileOf(new Float32Array([5]), 10)).toBe(5);
    const big = Float32Array.from({ length: 10001 }, (_, i) => (i * 7919) % 10001);
    expect(percentileOf(big, 99.99)).toBeCloseTo(10000 * 0.9999, 6);
  });

  it('histogram observer handles an all-equal first batch and then a real one', () => {
    const o = new HistogramObserver();
    o.observe(new Float32Array([2, 2, 2]));
    expect(o.calculateQParams().scale).toBe(Math.fround(Math.fround(2) / 255));
    o.observe(new Float32Array([-1, 0, 1]));
    expect(o.minVal).toBe(-1);
    expect(o.maxVal).toBe(1);
  });
});

describe('observer validation', () => {
  const code = (fn: () => unknown, type: typeof TypeError | typeof RangeError, msg: RegExp) => {
    expect(fn).toThrow(type);
    expect(fn).toThrow(msg);
  };
  it('rejects bad options', () => {
    code(() => new MinMaxObserver({ dtype: 'int4' as never }), RangeError, /options\.dtype/);
    code(() => new MinMaxObserver({ dtype: 8 as never }), TypeError, /options\.dtype/);
    code(() => new MinMaxObserver({ qscheme: 'per_channel_affine' as never }), RangeError, /options\.qscheme/);
    code(() => new PerChannelMinMaxObserver({ qscheme: 'per_tensor_affine' as never }), RangeError, /options\.qscheme/);
    code(() => new MinMaxObserver({ qscheme: 'per_tensor_symmetric', reduceRange: true }), RangeError, /options\.reduceRange/);
    code(() => new MinMaxObserver({ quantMin: 0 }), RangeError, /options\.quantMax/);
    code(() => new MinMaxObserver({ quantMin: 0, quantMax: 300 }), RangeError, /options\.quantMax/);
    code(() => new MinMaxObserver({ dtype: 'int8', quantMin: 1, quantMax: 3 }), RangeError, /options\.quantMin/);
    code(() => new MinMaxObserver({ eps: 0 }), RangeError, /options\.eps/);
    code(() => new MinMaxObserver({ reduceRange: 1 as never }), TypeError, /options\.reduceRange/);
    code(() => new MinMaxObserver('x' as never), TypeError, /options/);
    code(() => new MovingAverageMinMaxObserver({ averagingConstant: 2 }), RangeError, /options\.averagingConstant/);
    code(() => new PerChannelMinMaxObserver({ chAxis: 0.5 }), RangeError, /options\.chAxis/);
    code(() => new HistogramObserver({ bins: 0 }), RangeError, /options\.bins/);
    code(() => new PercentileObserver({ percentile: 0 }), RangeError, /options\.percentile/);
    code(() => new PercentileObserver({ mode: 'abs' as never }), RangeError, /options\.mode/);
  });
  it('rejects bad inputs', () => {
    const o = new MinMaxObserver();
    code(() => o.observe([1, 2] as never), TypeError, /for x but received an array/);
    code(() => o.observe({ data: new Float32Array(3), shape: [2, 2] }), RangeError, /x\.shape/);
    code(() => o.observe({ data: new Float64Array(3) as never, shape: [3] }), TypeError, /x\.data/);
    code(() => o.observe(new Float32Array([1, NaN])), RangeError, /x\[1\]/);
    code(() => new HistogramObserver().observe(new Float32Array([1, -Infinity])), RangeError, /x\[1\]/);
    const pc = new PerChannelMinMaxObserver({ chAxis: 2 });
    code(() => pc.observe({ data: new Float32Array(4), shape: [2, 2] }), RangeError, /options\.chAxis/);
    const pc2 = new PerChannelMinMaxObserver();
    pc2.observe({ data: new Float32Array(4), shape: [2, 2] });
    code(() => pc2.observe({ data: new Float32Array(6), shape: [3, 2] }), RangeError, /x\.shape\[0\]/);
  });
  it('sets error codes', () => {
    try {
      new MinMaxObserver({ dtype: 'x' as never });
    } catch (e) {
      expect((e as { code: string }).code).toBe('ERR_NNSLIM_RANGE');
    }
  });
});
