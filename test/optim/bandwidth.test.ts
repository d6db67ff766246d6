import { describe, expect, it } from 'vitest';
import { Parameter } from '../../lib/nn/parameter';
import { Adam, AdamW, RMSprop, SGD, type Optimizer } from '../../lib/optim';
import { emulated, scaled } from '../helpers/emu';

/**
 * Throughput of the update loops on a 10M-element parameter. Prints GB/s (float32 bytes read + written
 * per step) next to a plain JS streaming loop measured in the same process. The assertion is only a
 * loose floor (catches a deoptimised, allocating or generic path); the machine may be shared.
 */
describe('update-loop bandwidth on 10M parameters', () => {
  const N = scaled(10_000_000, 300_001);
  const p = new Parameter(new Float32Array(N));
  for (let i = 0; i < N; i++) {
    p.data[i] = Math.sin(i);
    p.grad[i] = 0.01 * Math.cos(i);
  }

  /** Seconds per call: [wall clock, CPU time of this process] (CPU time is less disturbed by a shared machine). */
  function time(fn: () => void, reps: number): [number, number] {
    fn();
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let r = 0; r < reps; r++) fn();
    const wall = Number(process.hrtime.bigint() - t0) / 1e9 / reps;
    const c = process.cpuUsage(c0);
    return [wall, (c.user + c.system) / 1e6 / reps];
  }

  const cases: Array<[string, () => Optimizer, number]> = [
    // [name, factory, float32 arrays streamed per step (reads + writes)]
    ['SGD', () => new SGD([p], { lr: 1e-6 }), 3],
    ['SGD momentum', () => new SGD([p], { lr: 1e-6, momentum: 0.9 }), 5],
    ['Adam', () => new Adam([p], { lr: 1e-6 }), 7],
    ['AdamW', () => new AdamW([p], { lr: 1e-6 }), 7],
    ['RMSprop', () => new RMSprop([p], { lr: 1e-6 }), 5],
  ];

  it('reports GB/s per optimizer', () => {
    const a = new Float32Array(N);
    const b = new Float32Array(N).fill(1);
    const gb = (bytes: number, s: number) => (bytes / s / 1e9).toFixed(2);
    const [bw, bc] = time(() => {
      for (let i = 0; i < N; i++) a[i] = b[i] * 0.5 + a[i];
    }, 3);
    const lines = [`baseline a[i] = b[i]*0.5 + a[i]: ${gb(12 * N, bw)} GB/s wall, ${gb(12 * N, bc)} GB/s CPU time`];
    for (const [name, make, arrays] of cases) {
      const opt = make();
      const [wall, cpu] = time(() => opt.step(), 3);
      const bytes = arrays * 4 * N;
      lines.push(`${name}: ${(wall * 1e3).toFixed(1)} ms/step, ${gb(bytes, wall)} GB/s wall, ${gb(bytes, cpu)} GB/s CPU time`);
      if (!emulated) expect(bytes / wall / 1e9).toBeGreaterThan(0.05);
      expect(p.data.every(Number.isFinite)).toBe(true);
    }
    console.log(lines.join('\n'));
  });
});
