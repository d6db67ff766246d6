import { describe, expect, it } from 'vitest';
import { native } from '../../lib/native';
import { globalUnstructured, l1Unstructured } from '../../lib/prune';
import { emulated, scaled } from '../helpers/emu';

/** Sort-based oracle of l1Unstructured / globalUnstructured: stable sort by |w| (ties: lower index first). */
function oracle(parts: Float32Array[], masks: (Uint8Array | undefined)[], k: number): Uint8Array[] {
  const out = parts.map((d, p) => (masks[p] ? Uint8Array.from(masks[p]!) : new Uint8Array(d.length).fill(1)));
  const cand: { a: number; p: number; i: number; g: number }[] = [];
  let g = 0;
  parts.forEach((d, p) => d.forEach((v, i) => { if (out[p][i] === 1) cand.push({ a: Math.abs(v), p, i, g }); g++; }));
  cand.sort((x, y) => x.a - y.a || x.g - y.g);
  for (let j = 0; j < k; j++) out[cand[j].p][cand[j].i] = 0;
  return out;
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('native magnitude selection (lib/prune/masks.ts above 32768 candidates)', () => {
  it('raw addon: kthSmallestMagnitude / magnitudePruneMask', () => {
    const x = new Float32Array([3, -1, 2, -2, 0, -0]);
    expect(native.kthSmallestMagnitude(x, 0, null)).toEqual({ value: 0, less: 0 });
    expect(native.kthSmallestMagnitude(x, 3, null)).toEqual({ value: 2, less: 3 });
    expect(native.kthSmallestMagnitude(x, 5, null)).toEqual({ value: 3, less: 5 });
    expect(native.kthSmallestMagnitude(x, 1, new Uint8Array([1, 1, 1, 1, 0, 0]))).toEqual({ value: 2, less: 1 });
    const m = new Uint8Array(6).fill(1);
    expect(native.magnitudePruneMask(x, m, 2, 1)).toBe(0);
    expect(Array.from(m)).toEqual([1, 0, 0, 1, 0, 0]);
    expect(() => native.kthSmallestMagnitude(x, 6, null)).toThrow(RangeError);
    expect(() => native.kthSmallestMagnitude(new Float32Array([NaN, 1]), 0, null)).toThrow(RangeError);
  });

  it('async variant resolves to the same result', async () => {
    const x = new Float32Array(100_000).map((_, i) => Math.sin(i));
    expect(await native.kthSmallestMagnitudeAsync(x, 5000, null)).toEqual(native.kthSmallestMagnitude(x, 5000, null));
  });

  for (const [label, gen] of [
    ['distinct', (r: () => number) => r() * 2 - 1],
    ['heavy ties', (r: () => number) => Math.floor(r() * 9 - 4) / 4],
    ['zeros and signed zeros', (r: () => number) => (r() < 0.5 ? (r() < 0.5 ? 0 : -0) : r() - 0.5)],
  ] as const) {
    it(`l1Unstructured matches a stable sort (${label}), with and without a mask`, () => {
      const r = lcg(label.length);
      const n = 70_001;
      const w = new Float32Array(n).map(() => gen(r));
      for (const amount of [0, 1, 0.3, 0.5, 0.999, n - 1, n]) {
        expect(Array.from(l1Unstructured(w, { amount })), `amount ${amount}`).toEqual(Array.from(oracle([w], [undefined], amount >= 1 || amount === 0 ? amount : roundHalfEven(amount * n))[0]));
      }
      const pre = l1Unstructured(w, { amount: 0.4 });
      const m = l1Unstructured(w, { amount: 12345, mask: pre });
      expect(Array.from(m)).toEqual(Array.from(oracle([w], [pre], 12345)[0]));
    });
  }

  it('globalUnstructured matches a stable sort over the concatenation (ties across parts)', () => {
    const r = lcg(3);
    const parts = [40_000, 1, 30_000].map((n) => new Float32Array(n).map(() => Math.floor(r() * 7) / 8));
    const pre = [undefined, undefined, l1Unstructured(parts[2], { amount: 0.2 })];
    const got = globalUnstructured(parts, { amount: 33_333, masks: pre });
    expect(got.map((m) => Array.from(m))).toEqual(oracle(parts, pre, 33_333).map((m) => Array.from(m)));
  });

  it('rejects NaN with the index, before touching masks', () => {
    const w = new Float32Array(50_000).fill(1);
    w[40_000] = NaN;
    expect(() => l1Unstructured(w, { amount: 0.5 })).toThrow(/weight\[40000\]/);
  });

  it('prunes 10M weights well under a second', () => {
    const r = lcg(11);
    // Under emulation: still several parallel chunks of 2^18 elements.
    const n = scaled(10_000_000, 1_000_000);
    const w = new Float32Array(n);
    for (let i = 0; i < n; i++) w[i] = r() * 2 - 1;
    l1Unstructured(w.subarray(0, n / 10), { amount: 0.9 }); // warm-up
    const t0 = performance.now();
    const m = l1Unstructured(w, { amount: 0.9 });
    const ms = performance.now() - t0;
    let pruned = 0;
    for (let i = 0; i < n; i++) pruned += 1 - m[i];
    expect(pruned).toBe(0.9 * n);
    console.log(`l1Unstructured on ${n} weights: ${ms.toFixed(1)} ms`);
    if (!emulated) expect(ms).toBeLessThan(1000);
  });
});
