'use strict';
// Suite "batchnorm": the fused float32 batchnorm kernels (inference apply, training forward,
// backward) on [N, C] activations, in GB/s of bytes actually moved, against a measured copy of
// the same bytes (TypedArray.prototype.set, i.e. memmove) in the same process, and the user
// call BatchNorm1d.forward (eval, train) against a copy into a new array (x.slice()). 1 thread.
// This file is also the trial: `node bench/batchnorm.js --trial '<settings>'`.
const path = require('node:path');
const { runTrial, emit, readSettings, cpuMs } = require('./lib/trial');
const { ensureNnslim } = require('./lib/build');
const { combineRounds, median, ratio } = require('./lib/stats');
const { table, fmt, fmtRatio, DASH } = require('./lib/markdown');
const { waitForQuiet, foreignLoad } = require('./lib/load');

const ID = 'batchnorm';
const TITLE = 'Fused batchnorm';

// [256, 3072]: a BERT MLP activation batch (3 MiB, cache-resident); [65536, 3072]: 768 MiB,
// streams from DRAM.
const SHAPES = [[256, 3072], [65536, 3072]];

// Timed in this order, interleaved: each pass times every task once (tinybench median), and a
// trial makes `passes` passes; a kernel and its copy baseline are never minutes apart.
const TASKS = ['copyMs', 'applyMs', 'applyReluMs', 'trainMs', 'backwardMs', 'sliceMs', 'fwdEvalMs', 'fwdTrainMs'];

function settingsFor(quick) {
  return quick
    ? { timeMs: 60, minIters: 3, warmupMs: 10, passes: 2, rounds: 1, quietWaitMs: 0 }
    : { timeMs: 150, minIters: 5, warmupMs: 30, passes: 5, rounds: 3, quietWaitMs: 1000 };
}

async function trialMain() {
  const { timeCall } = require('./lib/timing');
  const settings = readSettings(process.argv.slice(1));
  const nnslim = require(path.join(settings.root, 'dist', 'index.js'));
  const { native } = require(path.join(settings.root, 'dist', 'native.js'));
  nnslim.setNumThreads(settings.threads);
  const info = nnslim.cpuInfo();
  const results = [];
  for (const [n, c] of settings.shapes) {
    const total = n * c;
    const x = new Float32Array(total);
    for (let i = 0; i < total; i++) x[i] = ((i * 2654435761) % 1000) / 250 - 2;
    const y = new Float32Array(total);
    const dx = new Float32Array(total);
    const scale = Float32Array.from({ length: c }, (_, j) => 1 + j / c);
    const shift = Float32Array.from({ length: c }, (_, j) => j / c - 0.5);
    const mean = new Float32Array(c);
    const variance = new Float32Array(c);
    const invstd = new Float32Array(c);
    const dg = new Float32Array(c);
    const db = new Float32Array(c);
    const big = total > 1e7;
    const opts = { ...settings, timeMs: big ? Math.max(settings.timeMs, 600) : settings.timeMs, minIters: big ? 3 : settings.minIters };
    // The user's call: a BatchNorm1d with the same per-channel parameters, eval and train mode.
    const bn = new nnslim.nn.BatchNorm1d(c);
    bn.weight.data.set(scale);
    bn.bias.data.set(shift);
    const xt = new nnslim.Tensor(x, [n, c]);
    bn.forward(xt);
    const fns = {
      copyMs: () => y.set(x),
      applyMs: () => native.batchnormApply(x, y, null, scale, shift, n, c, 1, false),
      applyReluMs: () => native.batchnormApply(x, y, null, scale, shift, n, c, 1, true),
      trainMs: () => native.batchnormTrain(x, y, scale, shift, n, c, 1, 1e-5, false, mean, variance, invstd),
      backwardMs: () => native.batchnormBackward(x, y, mean, invstd, scale, n, c, 1, true, dx, dg, db),
      sliceMs: () => x.slice(),
      fwdEvalMs: () => bn.eval().forward(xt),
      fwdTrainMs: () => bn.train().forward(xt),
    };
    const perPass = Object.fromEntries(TASKS.map((k) => [k, []]));
    // [65536, 3072]: every user call faults in a fresh 768 MiB output; 3 passes keep the round short.
    const passes = big ? Math.min(3, settings.passes) : settings.passes;
    for (let pass = 0; pass < passes; pass++) {
      for (const k of TASKS) perPass[k].push((await timeCall(fns[k], opts)).medianMs);
    }
    const row = { n, c };
    for (const k of TASKS) row[k] = median(perPass[k]);
    results.push(row);
  }
  emit({ contender: 'nnslim', threads: settings.threads, isa: info.isa, kernel: info.kernels.batchnorm, cpuMs: cpuMs(), results });
}

async function run(ctx) {
  const { root, quick, log } = ctx;
  const timing = { ...settingsFor(quick) };
  if (ctx.rounds) timing.rounds = ctx.rounds;
  const notes = [];
  const nb = ensureNnslim(root, { rebuild: ctx.build !== false, log });
  const rounds = [];
  const foreign = [];
  let meta = null;
  if (!nb.ok) notes.push(`nnslim could not be built: ${nb.error.split('\n')[0]}`);
  else {
    const settings = { root, threads: 1, shapes: SHAPES, timeMs: timing.timeMs, minIters: timing.minIters, warmupMs: timing.warmupMs, passes: timing.passes };
    for (let r = 0; r < timing.rounds; r++) {
      if (timing.quietWaitMs > 0) await waitForQuiet({ maxWaitMs: timing.quietWaitMs });
      const load = foreignLoad();
      const res = await runTrial({ cmd: process.execPath, args: [__filename, '--trial', JSON.stringify(settings)], timeoutMs: 20 * 60_000 });
      const others = load.stop(res.ok ? res.result.cpuMs : NaN);
      if (Number.isFinite(others)) foreign.push(others);
      log(`batchnorm round ${r + 1}/${timing.rounds}${res.ok ? '' : `  FAILED: ${res.error.split('\n')[0]}`}`);
      if (!res.ok) {
        notes.push(`round ${r + 1} failed: ${res.error.split('\n')[0]}`);
        continue;
      }
      meta = res.result;
      const ms = {};
      for (const row of res.result.results) for (const k of TASKS) ms[`${row.n}x${row.c}:${k}`] = row[k];
      rounds.push(ms);
    }
  }
  const comb = combineRounds(rounds);
  const get = (n, c, k) => (comb[`${n}x${c}:${k}`] ? comb[`${n}x${c}:${k}`].ms : NaN);
  const gbs = (bytes, ms) => bytes / (ms * 1e6);
  const lines = [];
  lines.push(`## ${TITLE}: [N, C] float32, 1 thread`);
  lines.push('');
  lines.push(`Generated by \`npm run bench${quick ? ' -- --quick' : ''}\` on ${ctx.date} (${quick ? '**quick smoke run: not for comparison**' : 'full run'}). Do not edit by hand.`);
  lines.push('');
  lines.push(`- **CPU**: ${ctx.machine.description}`);
  lines.push(`- **nnslim**: ISA ${meta ? meta.isa : DASH}, kernel \`${meta ? meta.kernel : DASH}\``);
  lines.push('- **what is timed**: *kernel* rows are raw addon calls writing a preallocated `y` (the cost of the kernel); ' +
    '*user call* rows are `BatchNorm1d.forward(x)` in eval and train mode as a user calls it (validation, per-channel parameters in JS, ' +
    'a new output `Float32Array` per call, running-statistics update in train mode)');
  lines.push('- **baselines**: kernel rows vs `y.set(x)` (memmove) between the same `x` and `y` buffers the kernels use, timed in the same ' +
    'process in the same hot-cache state (each is called back to back, so [256, 3072] is cache-resident for both and [65536, 3072] streams ' +
    'from DRAM for both); user-call rows vs `x.slice()`, a copy into a new array, which pays the same fresh-allocation cost (page faults) as forward\'s new output');
  lines.push('- **bytes moved** (B = N·C·4): copy 2B (read x, write y); inference `y = x·scale + shift` 2B; training forward 3B ' +
    '(statistics pass reads x, normalize pass reads x and writes y: the batch statistics must exist before the first output); backward 5B (reduction reads x and dy, then reads x, dy and writes dx)');
  lines.push(`- **method**: ${timing.rounds} round(s), each in a fresh process; in a round every task is timed once per pass (tinybench median), ${timing.passes} interleaved passes (at most 3 on [65536, 3072]), median over passes; ` +
    'reported: median over rounds. "vs base" = GB/s / baseline GB/s; "time vs base" = baseline time / time');
  lines.push('');
  const rows = [];
  const summary = [];
  for (const [n, c] of SHAPES) {
    const B = n * c * 4;
    const item = (label, k, bytes, baseKey) => {
      const ms = get(n, c, k);
      const g = gbs(bytes, ms);
      const base = gbs(2 * B, get(n, c, baseKey));
      rows.push([`[${n}, ${c}]`, label, fmt(ms), fmt(g), baseKey === 'copyMs' ? '`y.set(x)`' : '`x.slice()`', fmt(base), fmtRatio(ratio(g, base)), fmtRatio(ratio(get(n, c, baseKey), ms))]);
      return ratio(g, base);
    };
    const a = item('kernel: inference (apply)', 'applyMs', 2 * B, 'copyMs');
    item('kernel: inference + ReLU', 'applyReluMs', 2 * B, 'copyMs');
    const t = item('kernel: training forward', 'trainMs', 3 * B, 'copyMs');
    item('kernel: backward', 'backwardMs', 5 * B, 'copyMs');
    const fe = item('user call: forward, eval', 'fwdEvalMs', 2 * B, 'sliceMs');
    const ft = item('user call: forward, train', 'fwdTrainMs', 3 * B, 'sliceMs');
    summary.push(`[${n}, ${c}]: kernel inference ${fmtRatio(a)}, training forward ${fmtRatio(t)} of the copy bandwidth (user call: ${fmtRatio(fe)} and ${fmtRatio(ft)} of an allocating copy)`);
  }
  lines.push(table(['shape', 'what', { title: 'ms', align: 'right' }, { title: 'GB/s', align: 'right' }, 'baseline', { title: 'base GB/s', align: 'right' },
    { title: 'vs base', align: 'right' }, { title: 'time vs base', align: 'right' }], rows));
  lines.push('');
  lines.push(`${summary.join('; ')}.`);
  lines.push('');
  if (foreign.length) notes.push(`Other processes kept a median ${median(foreign).toFixed(2)} CPUs busy during the trials.`);
  if (notes.length) {
    lines.push('Notes:');
    lines.push('');
    for (const n of notes) lines.push(`- ${n}`);
  }
  return { id: ID, title: TITLE, markdown: lines.join('\n'), data: { rounds, notes } };
}

if (require.main === module && process.argv[2] === '--trial') {
  trialMain().catch((err) => {
    emit({ error: String(err && err.stack ? err.stack : err) });
    process.exitCode = 1;
  });
}

module.exports = { id: ID, title: TITLE, run };
