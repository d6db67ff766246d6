import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConstantSparsity, PolynomialDecay, shouldPruneInStep } from '../../lib/prune';

interface Case { kind: string; options: Record<string, number>; calls: { step: number; shouldPrune: boolean; sparsity: number }[] }
const fixture = JSON.parse(readFileSync(join(__dirname, '../fixtures/prune/schedules.json'), 'utf8')) as { cases: Case[] };

describe('schedules match the tfmot formulas', () => {
  fixture.cases.forEach((c, i) => {
    it(`${i} ${c.kind} ${JSON.stringify(c.options)}`, () => {
      const s = c.kind === 'ConstantSparsity' ? new ConstantSparsity(c.options as never) : new PolynomialDecay(c.options as never);
      for (const call of c.calls) expect(s.call(call.step), `step ${call.step}`).toEqual({ shouldPrune: call.shouldPrune, sparsity: call.sparsity });
    });
  });

  it('is a pure function of the step', () => {
    const s = new PolynomialDecay({ initialSparsity: 0, finalSparsity: 0.9, endStep: 1000 });
    const a = s.call(500);
    s.call(900);
    expect(s.call(500)).toEqual(a);
    expect(a.sparsity).toBeCloseTo(0.7875, 6);
  });

  it('uses a floor modulo before beginStep', () => {
    expect(shouldPruneInStep(-100, 0, -1, 100)).toBe(false);
    expect(shouldPruneInStep(300, 100, -1, 100)).toBe(true);
    expect(shouldPruneInStep(301, 100, -1, 100)).toBe(false);
  });
});

describe('schedule validation', () => {
  it.each([
    [() => new ConstantSparsity({ targetSparsity: 1 }), RangeError, /options\.targetSparsity/],
    [() => new ConstantSparsity({ targetSparsity: '0.5' as never }), TypeError, /options\.targetSparsity/],
    [() => new ConstantSparsity({ targetSparsity: 0.5, beginStep: -1 }), RangeError, /options\.beginStep/],
    [() => new ConstantSparsity({ targetSparsity: 0.5, beginStep: 10, endStep: 5 }), RangeError, /options\.endStep/],
    [() => new ConstantSparsity({ targetSparsity: 0.5, frequency: 0 }), RangeError, /options\.frequency/],
    [() => new PolynomialDecay({ initialSparsity: 0, finalSparsity: 0.5, endStep: -1 }), RangeError, /options\.endStep/],
    [() => new PolynomialDecay({ initialSparsity: 0, finalSparsity: 0.5 } as never), RangeError, /options\.endStep/],
    [() => new PolynomialDecay({ initialSparsity: 0, finalSparsity: 0.5, beginStep: 5, endStep: 5 }), RangeError, /options\.endStep/],
    [() => new PolynomialDecay({ initialSparsity: -0.1, finalSparsity: 0.5, endStep: 5 }), RangeError, /options\.initialSparsity/],
    [() => new PolynomialDecay({ initialSparsity: 0, finalSparsity: 0.5, endStep: 5, power: Infinity }), RangeError, /options\.power/],
    [() => new ConstantSparsity({ targetSparsity: 0.5 }).call(1.5), RangeError, /for step/],
    [() => new ConstantSparsity({ targetSparsity: 0.5 }).call('1' as never), TypeError, /for step/],
    [() => new ConstantSparsity(null as never), TypeError, /for options/],
  ])('%#', (fn, type, msg) => {
    expect(fn).toThrow(type);
    expect(fn).toThrow(msg);
  });
});
