// Concurrency: 8 worker_threads at a time, each running mixed kernels of every family (sync and
// async) on the one shared thread pool, compared with the same calls made single-threaded in
// the main thread; 20 rounds in a row. Then processes that end with kernels in flight exit.
import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { native, type NativeAddon } from '../../lib/native';
import { nodeCommand } from '../helpers/node';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { mixedKernels } = require('./helpers/families.js') as {
  mixedKernels(a: NativeAddon, seed: number): Promise<Record<string, ArrayLike<number>>>;
};

const ROUNDS = 20;
const bytes = (x: ArrayLike<number>) => { const v = x as unknown as Uint8Array; return Buffer.from(v.buffer, v.byteOffset, v.byteLength); };
const WORKERS = 8;
const helpers = path.join(__dirname, 'helpers');

function runWorker(seeds: number[]): Promise<Map<number, Record<string, ArrayLike<number>>>> {
  return new Promise((resolve, reject) => {
    const results = new Map<number, Record<string, ArrayLike<number>>>();
    const w = new Worker(path.join(helpers, 'mixed_worker.js'), { workerData: { seeds } });
    w.on('message', (m: { seed: number; out: Record<string, ArrayLike<number>> }) => results.set(m.seed, m.out));
    w.once('error', reject);
    w.once('exit', (code) => (code === 0 && results.size === seeds.length ? resolve(results) : reject(new Error(`worker exited with ${code} after ${results.size}/${seeds.length} results`))));
  });
}

describe('worker_threads on the shared pool', () => {
  it(`${ROUNDS} rounds x ${WORKERS} workers of mixed kernels match the single-threaded results`, async () => {
    const seedsOf = (round: number, w: number) => [round * 100 + w + 1];
    // References: the same calls in the main thread with the pool limited to 1 thread.
    const threads = native.getNumThreads();
    const ref = new Map<number, Record<string, ArrayLike<number>>>();
    native.setNumThreads(1);
    try {
      for (let round = 0; round < ROUNDS; round++) {
        for (let w = 0; w < WORKERS; w++) for (const s of seedsOf(round, w)) ref.set(s, await mixedKernels(native, s));
      }
    } finally {
      native.setNumThreads(threads);
    }
    expect(native.getNumThreads()).toBe(threads);
    let compared = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // The main thread keeps calling kernels too while the workers run.
      const busy = (async () => { for (let i = 0; i < 2; i++) await mixedKernels(native, 9999); })();
      const all = await Promise.all(Array.from({ length: WORKERS }, (_, w) => runWorker(seedsOf(round, w))));
      await busy;
      for (let w = 0; w < WORKERS; w++) {
        for (const s of seedsOf(round, w)) {
          const got = all[w].get(s) as Record<string, ArrayLike<number>>;
          const want = ref.get(s) as Record<string, ArrayLike<number>>;
          expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
          for (const key of Object.keys(want)) {
            // Same kernels, same inputs: bit-identical whatever the pool does.
            expect(bytes(got[key]).equals(bytes(want[key])), `round ${round} worker ${w} seed ${s} ${key}`).toBe(true);
            compared++;
          }
        }
      }
    }
    expect(compared).toBe(ROUNDS * WORKERS * Object.keys(ref.get(1) as object).length);
  }, 600_000);
});

function runChild(mode: string, timeoutMs: number): Promise<{ code: number | null; signal: string | null; out: string; err: string; ms: number }> {
  const [cmd, argv] = nodeCommand([path.join(helpers, 'exit_child.js'), mode]);
  return new Promise((resolve) => {
    const t0 = Date.now();
    const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, out, err, ms: Date.now() - t0 }); });
  });
}

describe('a process ends with kernels in flight', () => {
  // Regressions: settling a promise during environment teardown threw an uncaught Napi::Error
  // (fixed in native/binding/worker.h: every run aborted), and so did a sync call whose worker
  // was torn down mid-call (NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS: about 1 run in 6 aborted).
  const RUNS = 6;
  for (const mode of ['exit', 'end', 'terminate']) {
    it(`${mode}: ${RUNS} runs exit cleanly (code 0, no signal), each within 30 s`, async () => {
      for (let i = 0; i < RUNS; i += 2) {
        for (const r of await Promise.all([runChild(mode, 30_000), runChild(mode, 30_000)])) {
          expect(r.signal, r.err).toBeNull();
          expect(r.code, r.err).toBe(0);
          expect(r.out).toContain(`done ${mode}`);
        }
      }
    }, 180_000);
  }
});
