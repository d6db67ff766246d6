'use strict';
// One trial per child process (the better-sqlite3 way): the parent spawns a fresh process for
// each contender configuration (ISA level, thread count), passes its settings through argv and
// the environment, and reads back one JSON line tagged with MARKER. Nothing the trial loads
// (the addon's thread pool, OpenBLAS's, onnxruntime's) outlives it.
const { spawn } = require('node:child_process');

const MARKER = '@@nnslim-bench-result@@';

/** Called in a child: prints `result` as the tagged JSON line the parent looks for. */
function emit(result) {
  process.stdout.write(`\n${MARKER} ${JSON.stringify(result)}\n`);
}

/** Finds the last tagged JSON line in a child's stdout; throws when there is none or it is malformed. */
function parseTrialOutput(stdout) {
  const lines = String(stdout).split('\n').filter((l) => l.startsWith(MARKER));
  if (lines.length === 0) throw new Error('the trial printed no result line');
  return JSON.parse(lines[lines.length - 1].slice(MARKER.length).trim());
}

/** Last `n` non-empty lines of a text, for error messages. */
function tail(text, n = 8) {
  return String(text || '').split('\n').filter((l) => l.trim() !== '').slice(-n).join('\n');
}

/**
 * Runs one trial: `{ cmd, args, env, cwd, timeoutMs }` -> Promise of `{ ok, result, error,
 * wallMs }`. `env` is added to the parent's environment (a value of null removes a variable).
 * Never rejects: a crash, a timeout or a missing result line is `{ ok: false, error }`.
 */
function runTrial({ cmd, args = [], env = {}, cwd, timeoutMs = 300_000 }) {
  const fullEnv = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === null || v === undefined) delete fullEnv[k];
    else fullEnv[k] = String(v);
  }
  const t0 = Date.now();
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let child;
    try {
      child = spawn(cmd, args, { cwd, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      resolve({ ok: false, error: `could not start ${cmd}: ${err.message}`, wallMs: 0 });
      return;
    }
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, error: `could not start ${cmd}: ${err.message}`, wallMs: Date.now() - t0 });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallMs = Date.now() - t0;
      if (timedOut) {
        resolve({ ok: false, error: `timed out after ${timeoutMs} ms`, wallMs });
        return;
      }
      try {
        const result = parseTrialOutput(stdout);
        if (code !== 0) throw new Error(`exited with ${signal || code}`);
        if (result && result.error) throw new Error(result.error);
        resolve({ ok: true, result, wallMs });
      } catch (err) {
        const detail = tail(stderr) || tail(stdout);
        resolve({ ok: false, error: `${err.message}${code ? ` (exit ${signal || code})` : ''}${detail ? `: ${detail}` : ''}`, wallMs });
      }
    });
  });
}

/** Child side: CPU time of this whole process (all threads) so far, in ms. */
function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Child side: reads the JSON settings the parent put in argv[2]. */
function readSettings(argv = process.argv) {
  if (!argv[2]) throw new Error('usage: node <trial.js> \'<settings JSON>\'');
  return JSON.parse(argv[2]);
}

module.exports = { MARKER, emit, parseTrialOutput, runTrial, readSettings, cpuMs, tail };
