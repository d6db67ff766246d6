import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeCommand } from '../helpers/node';

// Under user-mode emulation (NNSLIM_TEST_EMULATED=1) every 4th case of each export runs (its first
// always): the matrix checks validation that is the same code on every architecture.
const STRIDE = process.env.NNSLIM_TEST_EMULATED === '1' ? 4 : 1;

// The bad-input matrix (issue #8 item 1): every public export, fed wrong types, wrong TypedArray
// kinds, views at odd offsets, wrong lengths, zero sizes, NaN / Infinity / -0, fractional and huge
// sizes, detached and shared buffers, aliased outputs and out-of-range options. It runs in child
// processes (runner.cjs) so that a native crash or a hang is reported as a failure naming the case.

const root = path.join(__dirname, '..', '..');
const dir = __dirname;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { enumerate } = require(path.join(dir, 'surface.cjs'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { table } = require(path.join(dir, 'table.cjs'));

interface Event { case?: number; path?: string; label?: string; fail?: boolean; known?: boolean; why?: string; done?: boolean; cases?: number; ms?: number }

/** A child that starts no new case for this long is hung (one case takes milliseconds). */
const STALL_MS = 60_000;
/** Allowance for a child to load the package and start its first case. */
const STARTUP_MS = 120_000;
let casesTried = 0;
let matrixMs = 0;
const knownIssues: string[] = [];

/** Runs one child from case `from`; kills it when its event file stops growing for `stallMs` (a hang). */
function runChild(args: string[], out: string, stallMs: number, env: NodeJS.ProcessEnv): Promise<{ signal: NodeJS.Signals | null; status: number | null; stalled: boolean; stderr: string }> {
  return new Promise((resolve) => {
    const [cmd, argv] = nodeCommand(args);
    const child = spawn(cmd, argv, { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
    let size = -1;
    let since = Date.now();
    let stalled = false;
    const timer = setInterval(() => {
      const now = fs.existsSync(out) ? fs.statSync(out).size : 0;
      if (now !== size) { size = now; since = Date.now(); return; }
      // Before its first case the child is still loading the package (slow under emulation).
      if (Date.now() - since > (now === 0 ? Math.max(stallMs, STARTUP_MS) : stallMs)) { stalled = true; child.kill('SIGKILL'); }
    }, 100);
    child.on('exit', (status, signal) => { clearInterval(timer); resolve({ signal, status, stalled, stderr }); });
  });
}

/**
 * Runs the matrix in child processes: when a child dies (a crash) or stops making progress (a
 * hang: no new case for `stallMs`), the case it was running is reported and a new child resumes
 * after it.
 */
async function runMatrix(opts: { only?: string; stallMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ failures: string[]; cases: number; known: string[]; ms: number }> {
  const failures: string[] = [];
  const known: string[] = [];
  const stallMs = opts.stallMs ?? STALL_MS;
  const out = path.join(os.tmpdir(), `nnslim-badinput-${process.pid}-${(opts.only ?? 'all').replace(/\W/g, '_')}.jsonl`);
  let from = 0;
  for (let attempt = 0; attempt < 25; attempt++) {
    fs.writeFileSync(out, '');
    const args = [path.join(dir, 'runner.cjs'), '--out', out, '--from', String(from), ...(opts.only ? ['--only', opts.only] : ['--stride', String(STRIDE)])];
    const r = await runChild(args, out, stallMs, { ...process.env, ...opts.env });
    const events: Event[] = fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    for (const e of events) {
      if (e.fail) failures.push(`${e.path} [${e.label}]: ${e.why}`);
      if (e.known) known.push(`${e.path} [${e.label}]: ${e.why}`);
    }
    const done = events.find((e) => e.done);
    if (done) {
      fs.rmSync(out, { force: true });
      return { failures, cases: done.cases ?? 0, known, ms: done.ms ?? 0 };
    }
    const last = [...events].reverse().find((e) => e.case !== undefined);
    const how = r.stalled ? `hang (no progress for ${stallMs / 1000} s)` : r.signal ? `crash (signal ${r.signal})` : `process exit ${r.status}`;
    const tail = r.stderr.trim().split('\n').slice(-5).join(' | ');
    if (!last) {
      failures.push(`runner died before the first case: ${how}: ${tail}`);
      break;
    }
    failures.push(`${last.path} [${last.label}]: ${how}: ${tail}`);
    from = (last.case as number) + 1;
    if (attempt === 24) failures.push('too many crashes; gave up');
  }
  fs.rmSync(out, { force: true });
  return { failures, cases: from, known, ms: 0 };
}

describe('bad-input matrix', () => {
  it('covers every public export, and the table names no missing export', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exported: string[] = enumerate(require(path.join(root, 'dist', 'index.js')), path.join(root, 'dist'));
    const listed = Object.keys(table);
    expect(exported.length).toBeGreaterThan(250);
    expect(exported.filter((p) => !listed.includes(p)), 'exports without a bad-input table entry').toEqual([]);
    expect(listed.filter((p) => !exported.includes(p)), 'table entries naming no public export').toEqual([]);
  });

  it('ends every bad call in a TypeError / RangeError naming the argument (or a documented result), never a crash, hang, garbage or half-modified input', async () => {
    const { failures, cases, known, ms } = await runMatrix();
    casesTried = cases;
    matrixMs = ms;
    knownIssues.push(...known);
    expect(failures).toEqual([]);
    expect(cases).toBeGreaterThan(5000 / STRIDE);
  }, 300_000);

  // The harness itself (not the ISA): skipped in the runs with a forced lower ISA level.
  it.skipIf(Boolean(process.env.NNSLIM_ISA))('reports a crash or a hang in the child as a failure naming the export and the case, and goes on', async () => {
    const inject = { crash: 'Rng#int [n NaN]', hang: 'Rng#seed [seed fraction 1.5]' };
    const { failures, cases } = await runMatrix({ only: 'Rng#', stallMs: 4000, env: { NNSLIM_BADINPUT_INJECT: JSON.stringify(inject) } });
    expect(failures, failures.join('\n')).toHaveLength(2);
    expect(failures[0]).toMatch(/^Rng#int \[n NaN\]: crash \(signal SIGKILL\)/);
    expect(failures[1]).toMatch(/^Rng#seed \[seed fraction 1\.5\]: hang/);
    expect(cases).toBeGreaterThan(50); // the cases after both were still run
  }, 60_000);

  afterAll(() => {
    console.log(`bad-input matrix: ${casesTried} cases tried over ${Object.keys(table).length} exports in ${matrixMs} ms`);
    // Bugs in files this suite may not change (listed as `known` in the table): reported, not failed.
    if (knownIssues.length) console.log(`bad-input matrix: ${knownIssues.length} known issues:\n  ${knownIssues.join('\n  ')}`);
  });
});
