// Leak stress: 1e6 synchronous calls and 1e5 async calls (64 in flight, GC forced while they
// are pending) of every kernel family, each family in its own `node --expose-gc` process.
// RSS after warm-up and a forced GC must not grow by more than RSS_BOUND (stated in SECURITY.md).
import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { nodeCommand } from '../helpers/node';

const MiB = 1024 * 1024;
export const RSS_BOUND = 32 * MiB;
const SYNC_CALLS = 1_000_000;
const ASYNC_CALLS = 100_000;
const child = path.join(__dirname, 'helpers', 'rss_child.js');

interface Report {
  family: string; syncCalls: number; asyncCalls: number; kept: number;
  rssBefore: number; rssAfter: number; syncSeconds: number; asyncSeconds: number;
}

function run(args: string[]): Promise<Report> {
  const [cmd, argv] = nodeCommand(['--expose-gc', child, ...args]);
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('close', (code, signal) => {
      if (code !== 0) return reject(new Error(`rss child ${args.join(' ')} exited with ${code ?? signal}: ${err}`));
      resolve(JSON.parse(out.trim().split('\n').pop() as string) as Report);
    });
  });
}

const families = ['sgemm', 'qgemm', 'sparse', 'batchnorm', 'select', 'optim'];
// Two children at a time (CI has 2 cores); each measures only its own process.
const reports = new Map<string, Promise<Report>>();
function report(family: string): Promise<Report> {
  if (!reports.has(family)) {
    const i = families.indexOf(family);
    const previous = i >= 2 ? report(families[i - 2]).catch(() => undefined) : Promise.resolve();
    reports.set(family, previous.then(() => run([family, String(SYNC_CALLS), String(ASYNC_CALLS)])));
  }
  return reports.get(family) as Promise<Report>;
}

describe('RSS stays flat under 1e6 sync / 1e5 async calls per kernel family', () => {
  for (const family of families) report(family).catch(() => undefined);

  for (const family of families) {
    it(family, async () => {
      const r = await report(family);
      const growth = r.rssAfter - r.rssBefore;
      console.log(`${family}: ${r.syncCalls} sync in ${r.syncSeconds.toFixed(1)} s, ${r.asyncCalls} async in ${r.asyncSeconds.toFixed(1)} s, ` +
        `RSS ${(r.rssBefore / MiB).toFixed(1)} -> ${(r.rssAfter / MiB).toFixed(1)} MiB (${(growth / MiB).toFixed(1)} MiB)`);
      expect(r.syncCalls).toBe(SYNC_CALLS);
      if (family !== 'optim') expect(r.asyncCalls).toBe(ASYNC_CALLS); // optim has no async form
      expect(growth).toBeLessThan(RSS_BOUND);
    }, 300_000);
  }

  it('the measurement sees a leak of 64 bytes per call (control)', async () => {
    // Same harness, keeping a 64-byte Uint8Array per call alive: must exceed the bound.
    const r = await run(['sgemm', '400000', '0', '64']);
    expect(r.kept).toBe(400000);
    expect(r.rssAfter - r.rssBefore).toBeGreaterThan(RSS_BOUND);
  }, 300_000);
});
