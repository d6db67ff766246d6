import { describe, expect, it } from 'vitest';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Tensor, matmul, matmulAsync } from '../../lib';
import { randn } from '../helpers/ref';
import { scaled } from '../helpers/emu';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

describe('matmulAsync', () => {
  it('keeps the event loop ticking during a large call', async () => {
    const n = scaled(1536, 512);
    const A = new Tensor(randn(n * n, 1), [n, n]);
    const B = new Tensor(randn(n * n, 2), [n, n]);
    let ticks = 0;
    const timer = setInterval(() => { ticks++; }, 1);
    const t0 = performance.now();
    const y = await matmulAsync(A, B);
    const elapsed = performance.now() - t0;
    clearInterval(timer);
    expect(y.shape).toEqual([n, n]);
    // The timer must have fired while the kernel ran (at least a few times per 10 ms of work).
    expect(ticks).toBeGreaterThanOrEqual(Math.min(5, Math.floor(elapsed / 10)));
    expect(ticks).toBeGreaterThan(0);
  });

  it('buffers survive a forced GC while the call is in flight', async () => {
    const m = scaled(512, 96), k = scaled(1024, 160), n = scaled(512, 96);
    const expected = matmul(new Tensor(randn(m * k, 3), [m, k]), new Tensor(randn(k * n, 4), [k, n]));
    const pending: Promise<Tensor>[] = [];
    for (let i = 0; i < 4; i++) {
      // The only references to the inputs are the ones the pending call holds.
      pending.push(matmulAsync(new Tensor(randn(m * k, 3), [m, k]), new Tensor(randn(k * n, 4), [k, n])));
      gc();
    }
    for (let i = 0; i < 20; i++) { gc(); await new Promise((r) => setImmediate(r)); }
    const results = await Promise.all(pending);
    for (const r of results) expect(Array.from(r.data)).toEqual(Array.from(expected.data));
  });

  it('rejects on bad input instead of throwing synchronously', async () => {
    await expect(matmulAsync(Tensor.from([[1]]), Tensor.from([[1, 2], [3, 4]]))).rejects.toThrow(RangeError);
  });

  it('many concurrent async calls all complete correctly', async () => {
    const A = new Tensor(randn(64 * 96, 5), [64, 96]);
    const B = new Tensor(randn(96 * 80, 6), [96, 80]);
    const ref = matmul(A, B);
    const all = await Promise.all(Array.from({ length: 32 }, () => matmulAsync(A, B)));
    for (const r of all) expect(Array.from(r.data)).toEqual(Array.from(ref.data));
  });
});

describe('worker_threads', () => {
  it('two workers call matmul concurrently with correct results', async () => {
    const script = path.join(__dirname, '..', 'helpers', 'matmul_worker.js');
    const run = (seed: number) => new Promise<{ maxErr: number; calls: number }>((resolve, reject) => {
      const w = new Worker(script, { workerData: { seed, calls: 30 } });
      w.once('message', resolve);
      w.once('error', reject);
      w.once('exit', (code) => { if (code !== 0) reject(new Error(`worker exited with ${code}`)); });
    });
    const [r1, r2] = await Promise.all([run(1), run(2)]);
    expect(r1.calls).toBe(30);
    expect(r2.calls).toBe(30);
    expect(r1.maxErr).toBeLessThan(1e-3);
    expect(r2.maxErr).toBeLessThan(1e-3);
  });
});
