import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulated, scaled } from '../helpers/emu';
import {
  applyMask,
  computeNParamsToPrune,
  globalUnstructured,
  l1Unstructured,
  lnStructured,
  randomUnstructured,
  sparsity,
} from '../../lib/prune';

interface Step { method: 'l1' | 'ln'; amount: number; n?: number | string; dim?: number }
interface SingleCase { kind: 'single'; weight: number[]; shape: number[]; steps: Step[]; masks: number[][] }
interface GlobalCase { kind: 'global'; weights: number[][]; shapes: number[][]; preMasks: (number[] | null)[]; amount: number; masks: number[][] }
const fixture = JSON.parse(readFileSync(join(__dirname, '../fixtures/prune/masks.json'), 'utf8')) as {
  cases: (SingleCase | GlobalCase)[];
  nparams: { amount: number; size: number; k: number }[];
};
const num = (n: number | string | undefined) => (typeof n === 'string' ? Number(n) : n!);

describe('masks match torch.nn.utils.prune (1.13)', () => {
  fixture.cases.forEach((c, i) => {
    if (c.kind === 'single') {
      const desc = c.steps.map((s) => (s.method === 'l1' ? `l1(${s.amount})` : `ln(${s.amount}, n=${s.n}, dim=${s.dim})`)).join(' -> ');
      it(`${i} [${c.shape.join('x')}] ${desc}`, () => {
        const w = { data: new Float32Array(c.weight), shape: c.shape };
        let mask: Uint8Array | undefined;
        c.steps.forEach((s, k) => {
          mask = s.method === 'l1'
            ? l1Unstructured(w, { amount: s.amount, mask })
            : lnStructured(w, { amount: s.amount, n: num(s.n), dim: s.dim!, mask });
          expect(Array.from(mask), `step ${k}`).toEqual(c.masks[k]);
        });
      });
    } else {
      it(`${i} global ${c.shapes.map((s) => s.join('x')).join(', ')} amount ${c.amount}${c.preMasks.some(Boolean) ? ' after per-layer pruning' : ''}`, () => {
        const ws = c.weights.map((d, k) => ({ data: new Float32Array(d), shape: c.shapes[k] }));
        const masks = c.preMasks.map((m) => (m ? Uint8Array.from(m) : undefined));
        const out = globalUnstructured(ws, { amount: c.amount, masks });
        expect(out.map((m) => Array.from(m))).toEqual(c.masks);
      });
    }
  });

  it('computes nparams like _compute_nparams_toprune (round half to even)', () => {
    for (const { amount, size, k } of fixture.nparams) expect(computeNParamsToPrune(amount, size), `${amount} x ${size}`).toBe(k);
  });

  it('fixtures cover n = 1, 2, inf, dims 0 and 1, composition and exact .5 counts', () => {
    const steps = fixture.cases.flatMap((c) => (c.kind === 'single' ? c.steps : []));
    for (const n of [1, 2, 'Infinity']) expect(steps.some((s) => s.n === n)).toBe(true);
    for (const d of [0, 1]) expect(steps.some((s) => s.dim === d)).toBe(true);
    expect(fixture.cases.some((c) => c.kind === 'single' && c.steps.length > 1)).toBe(true);
    expect(fixture.nparams.some(({ amount, size }) => (amount * size) % 1 === 0.5)).toBe(true);
  });
});

describe('mask semantics', () => {
  it('prunes ties lower index first', () => {
    const w = new Float32Array([1, -1, 1, 0.5, 1]);
    expect(Array.from(l1Unstructured(w, { amount: 3 }))).toEqual([0, 0, 1, 0, 1]);
    const g = globalUnstructured([new Float32Array([2, 1]), new Float32Array([1, 3])], { amount: 1 });
    expect(g.map((m) => Array.from(m))).toEqual([[1, 0], [1, 1]]);
    const s = lnStructured({ data: new Float32Array([1, 1, 2, 1, 1, 2]), shape: [3, 2] }, { amount: 1, n: 1, dim: 0 });
    expect(Array.from(s)).toEqual([0, 0, 1, 1, 1, 1]);
  });

  it('does not modify the input mask and accepts a plain Float32Array with options.shape', () => {
    const w = new Float32Array([0.1, -3, 2, 0.5, -0.2, 4]);
    const m0 = Uint8Array.from([1, 1, 1, 1, 0, 1]);
    const m1 = l1Unstructured(w, { amount: 1, mask: m0 });
    expect(Array.from(m0)).toEqual([1, 1, 1, 1, 0, 1]);
    expect(Array.from(m1)).toEqual([0, 1, 1, 1, 0, 1]);
    const a = lnStructured(w, { amount: 1, n: 2, dim: 1, shape: [2, 3] });
    const b = lnStructured({ data: w, shape: [2, 3] }, { amount: 1, n: 2, dim: -1 });
    expect(a).toEqual(b);
  });

  it('randomUnstructured prunes the right count, composes with a mask, and is reproducible', () => {
    const w = new Float32Array(1000).map((_, i) => i);
    const m1 = randomUnstructured(w, { amount: 0.3, seed: 1 });
    expect(sparsity(m1)).toBe(0.3);
    expect(randomUnstructured(w, { amount: 0.3, seed: 1 })).toEqual(m1);
    expect(randomUnstructured(w, { amount: 0.3, seed: 2 })).not.toEqual(m1);
    const m2 = randomUnstructured(w, { amount: 0.5, seed: 3, mask: m1 });
    for (let i = 0; i < 1000; i++) if (m1[i] === 0) expect(m2[i]).toBe(0);
    expect(1000 - m2.reduce((a, b) => a + b, 0)).toBe(300 + 350);
    expect(sparsity(randomUnstructured(w, { amount: 17, seed: 9 }))).toBe(0.017);
  });

  it('applyMask zeroes in place and sparsity counts zeros', () => {
    const w = new Float32Array([1, 2, 3, 4]);
    const t = { data: w, shape: [2, 2] };
    expect(applyMask(t, Uint8Array.from([1, 0, 1, 0]))).toBe(t);
    expect(Array.from(w)).toEqual([1, 0, 3, 0]);
    expect(sparsity(w)).toBe(0.5);
    expect(sparsity(t)).toBe(0.5);
    expect(sparsity(new Uint8Array([1, 1, 1, 0]))).toBe(0.25);
    expect(sparsity(new Float32Array(0))).toBe(0);
  });

  it('amount 0 keeps everything; a count equal to the remaining entries prunes them all', () => {
    const w = new Float32Array([1, 2, 3]);
    expect(Array.from(l1Unstructured(w, { amount: 0 }))).toEqual([1, 1, 1]);
    expect(Array.from(l1Unstructured(w, { amount: 2, mask: Uint8Array.from([1, 0, 1]) }))).toEqual([0, 0, 0]);
  });

  it('selects in O(n): 10M weights', () => {
    const n = scaled(10_000_000, 1_000_000);
    const w = new Float32Array(n);
    let s = 12345;
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1103515245) + 12345) | 0;
      w[i] = (s >>> 8) / 16777216 - 0.5;
    }
    const t0 = performance.now();
    const m = l1Unstructured(w, { amount: 0.9 });
    const ms = performance.now() - t0;
    console.log(`l1Unstructured on ${n} weights: ${ms.toFixed(0)} ms`);
    expect(n - m.reduce((a, b) => a + b, 0)).toBe(0.9 * n);
    if (!emulated) expect(ms).toBeLessThan(5000);
  });
});

describe('pruning validation', () => {
  const w = new Float32Array([1, 2, 3, 4]);
  it.each([
    [() => l1Unstructured([1, 2] as never, { amount: 1 }), TypeError, /for weight but received an array/],
    [() => l1Unstructured(w, undefined as never), TypeError, /options\.amount/],
    [() => l1Unstructured(w, { amount: '1' as never }), TypeError, /options\.amount/],
    [() => l1Unstructured(w, { amount: -1 }), RangeError, /options\.amount/],
    [() => l1Unstructured(w, { amount: 1.5 }), RangeError, /options\.amount/],
    [() => l1Unstructured(w, { amount: 5 }), RangeError, /options\.amount/],
    [() => l1Unstructured(w, { amount: 4, mask: Uint8Array.from([1, 1, 0, 1]) }), RangeError, /options\.amount/],
    [() => l1Unstructured(w, { amount: 1, mask: new Uint8Array(3) }), RangeError, /options\.mask\.length/],
    [() => l1Unstructured(w, { amount: 1, mask: Uint8Array.from([1, 2, 1, 1]) }), RangeError, /options\.mask\[1\]/],
    [() => l1Unstructured(w, { amount: 1, mask: [1, 1, 1, 1] as never }), TypeError, /options\.mask/],
    [() => l1Unstructured(new Float32Array([1, NaN]), { amount: 1 }), RangeError, /weight\[1\]/],
    [() => l1Unstructured({ data: w, shape: [3] }, { amount: 1 }), RangeError, /weight\.shape/],
    [() => randomUnstructured(w, { amount: 1, seed: -1 }), RangeError, /options\.seed/],
    [() => lnStructured(w, { amount: 1, n: 2, dim: 0 }), TypeError, /options\.shape/],
    [() => lnStructured(w, { amount: 1, n: 2, dim: 0, shape: [4] }), RangeError, /weight\.shape/],
    [() => lnStructured(w, { amount: 1, n: 2, dim: 2, shape: [2, 2] }), RangeError, /options\.dim/],
    [() => lnStructured(w, { amount: 1, n: NaN, dim: 0, shape: [2, 2] }), RangeError, /options\.n/],
    [() => lnStructured(w, { amount: 1, n: '2' as never, dim: 0, shape: [2, 2] }), TypeError, /options\.n/],
    [() => lnStructured(w, { amount: 3, n: 2, dim: 0, shape: [2, 2] }), RangeError, /options\.amount/],
    [() => lnStructured({ data: w, shape: [2, 2] }, { amount: 1, n: 2, dim: 0, shape: [4, 1] }), RangeError, /options\.shape/],
    [() => globalUnstructured(w as never, { amount: 1 }), TypeError, /for weights/],
    [() => globalUnstructured([w], { amount: 1, masks: [] }), RangeError, /options\.masks\.length/],
    [() => globalUnstructured([w, 'x' as never], { amount: 1 }), TypeError, /weights\[1\]/],
    [() => applyMask(w, new Uint8Array(2)), RangeError, /mask\.length/],
    [() => sparsity('x' as never), TypeError, /weightOrMask/],
  ])('%#', (fn, type, msg) => {
    expect(fn).toThrow(type);
    expect(fn).toThrow(msg);
  });
});
