import { describe, expect, it } from 'vitest';
import { Parameter } from '../../lib/nn/parameter';
import { Adam, AdamW, RMSprop, type Optimizer } from '../../lib/optim';
import { NATIVE_MIN_ELEMENTS } from '../../lib/optim/optimizer';
import { emulated, scaled } from '../helpers/emu';

/**
 * The fused native updates (parameters >= NATIVE_MIN_ELEMENTS) against the TypeScript loops. The updates are
 * element-wise, so one large parameter (native path) must equal the same values split into parameters of
 * fewer than NATIVE_MIN_ELEMENTS elements (TypeScript path), bit for bit, step after step.
 */
// Above two native chunks (65536 elements each), so the parallel split is exercised too.
const N = scaled(100_003, 70_001);
const PIECE = NATIVE_MIN_ELEMENTS - 96;

let seed = 12345;
function rand(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 2 ** 32;
}
function randn(): number {
  return Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
}
function fillGrad(g: Float32Array): void {
  for (let i = 0; i < g.length; i++) {
    const r = rand();
    g[i] = r < 0.02 ? 0 : r < 0.06 ? randn() * 1e-22 : randn() * 0.1; // some squares underflow to denormals
  }
}

type Make = (params: Parameter[]) => Optimizer;

// Two steps under emulation: still past the first step (bias correction, amsgrad's running max).
function compare(make: Make, steps = scaled(3, 2)): void {
  const init = new Float32Array(N);
  for (let i = 0; i < N; i++) init[i] = randn();
  const big = new Parameter(init.slice());
  const pieces: Parameter[] = [];
  for (let s = 0; s < N; s += PIECE) pieces.push(new Parameter(init.slice(s, Math.min(N, s + PIECE))));
  const optBig = make([big]);
  const optPieces = make(pieces);
  for (let t = 0; t < steps; t++) {
    fillGrad(big.grad);
    for (let j = 0, s = 0; j < pieces.length; s += pieces[j].grad.length, j++) pieces[j].grad.set(big.grad.subarray(s, s + pieces[j].grad.length));
    optBig.step();
    optPieces.step();
    const joined = new Float32Array(N);
    for (let j = 0, s = 0; j < pieces.length; s += pieces[j].data.length, j++) joined.set(pieces[j].data, s);
    expect(Buffer.compare(Buffer.from(big.data.buffer, big.data.byteOffset, big.data.byteLength), Buffer.from(joined.buffer))).toBe(0);
  }
  // the optimizer state too
  const sb = optBig.stateDict().state[0] as Record<string, unknown>;
  for (const key of Object.keys(sb)) {
    if (!(sb[key] instanceof Float32Array)) continue;
    const joined = new Float32Array(N);
    pieces.forEach((_, j) => joined.set((optPieces.stateDict().state[j] as Record<string, Float32Array>)[key], j * PIECE));
    expect(Buffer.compare(Buffer.from((sb[key] as Float32Array).buffer), Buffer.from(joined.buffer)), key).toBe(0);
  }
}

describe('native optimizer updates equal the TypeScript path bit for bit', () => {
  for (const amsgrad of [false, true])
    for (const maximize of [false, true])
      for (const weightDecay of [0, 1e-2]) {
        const o = { lr: 1e-3, amsgrad, maximize, weightDecay };
        it(`Adam ${JSON.stringify(o)}`, () => compare((p) => new Adam(p, o)));
        it(`AdamW ${JSON.stringify(o)}`, () => compare((p) => new AdamW(p, { ...o, betas: [0.8, 0.99] })));
      }
  for (const centered of [false, true])
    for (const momentum of [0, 0.9])
      for (const maximize of [false, true])
        for (const weightDecay of [0, 1e-2]) {
          const o = { lr: 1e-2, centered, momentum, maximize, weightDecay };
          it(`RMSprop ${JSON.stringify(o)}`, () => compare((p) => new RMSprop(p, o)));
        }
});

describe('native optimizer updates on 10M parameters', () => {
  it('reports ns/element, native vs TypeScript', () => {
    // Under emulation a smoke run of the same code (emulated time says nothing).
    const M = scaled(10_000_000, 70_001);
    const big = new Parameter(new Float32Array(M));
    for (let i = 0; i < M; i++) {
      big.data[i] = Math.sin(i);
      big.grad[i] = 0.01 * Math.cos(i);
    }
    const pieces: Parameter[] = [];
    for (let s = 0; s < M; s += PIECE) {
      const q = new Parameter(big.data.slice(s, Math.min(M, s + PIECE)));
      q.grad.set(big.grad.subarray(s, s + q.grad.length));
      pieces.push(q);
    }
    const time = (opt: Optimizer): number => {
      opt.step();
      const reps = scaled(3, 1);
      const t0 = process.hrtime.bigint();
      for (let r = 0; r < reps; r++) opt.step();
      return Number(process.hrtime.bigint() - t0) / reps / M;
    };
    const cases: Array<[string, Make]> = [
      ['Adam', (p) => new Adam(p, { lr: 1e-6 })],
      ['AdamW', (p) => new AdamW(p, { lr: 1e-6 })],
      ['Adam amsgrad', (p) => new Adam(p, { lr: 1e-6, amsgrad: true })],
      ['RMSprop', (p) => new RMSprop(p, { lr: 1e-6 })],
      ['RMSprop centered momentum', (p) => new RMSprop(p, { lr: 1e-6, centered: true, momentum: 0.9 })],
    ];
    const lines: string[] = [];
    for (const [name, make] of cases) {
      const nat = time(make([big]));
      const ts = time(make(pieces));
      lines.push(`${name}: native ${nat.toFixed(2)} ns/element, TypeScript ${ts.toFixed(2)} ns/element`);
      expect(big.data.every(Number.isFinite)).toBe(true);
      if (!emulated) expect(nat).toBeLessThan(1000); // loose sanity bound only; the machine may be shared
    }
    console.log(lines.join('\n'));
  }, 120_000);
});
