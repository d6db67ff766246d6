'use strict';
// Suite "gemm": nnslim's float32 GEMM in the nn.Linear layout (Y[M x N] = X[M x K] * W[N x K]^T)
// against OpenBLAS (cblas_sgemm) and onnxruntime-node (MatMul), at 1 and 2 threads, each
// configuration in its own child process, contenders interleaved round by round.
// Returns the markdown of its BENCHMARKS.md section; bench/run.js writes the file.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { runTrial } = require('./lib/trial');
const { waitForQuiet, foreignLoad } = require('./lib/load');
const { compileCxx, ensureNnslim, ensureOrt } = require('./lib/build');
const { combineRounds, geomean, gflops, ratio, median } = require('./lib/stats');
const { table, fmt, fmtRatio, fmtPercent, DASH } = require('./lib/markdown');
const { shapeKey } = require('./lib/data');

const ID = 'gemm';
const TITLE = 'float32 GEMM';

// Linear layers of BERT-base / GPT-2 small (hidden 768, MLP 3072) at batch x tokens = M,
// plus the classic square 1024^3.
const M_VALUES = [1, 8, 64, 256];
const KN_PAIRS = [[768, 768], [768, 3072], [3072, 768]];
const SQUARE = { m: 1024, k: 1024, n: 1024 };
const THREADS = [1, 2];

/** The suite's shapes `[{ m, k, n }]`: the full grid, or a small subset for --quick. */
function shapes(quick) {
  if (quick) return [{ m: 1, k: 768, n: 768 }, { m: 64, k: 768, n: 3072 }, { m: 256, k: 3072, n: 768 }, SQUARE];
  const out = [];
  for (const m of M_VALUES) for (const [k, n] of KN_PAIRS) out.push({ m, k, n });
  out.push(SQUARE);
  return out;
}

/** Timing settings of one trial, and rounds per contender. */
function settingsFor(quick) {
  return quick
    ? { timeMs: 60, minIters: 3, warmupMs: 20, rounds: 1, quietWaitMs: 0 }
    : { timeMs: 200, minIters: 5, warmupMs: 50, rounds: 5, quietWaitMs: 1000 };
}

/** The FMA peak key ('avx512', 'avx2', 'neon') that bounds a kernel at ISA level `isa`; null for scalar. */
function peakKeyForIsa(isa) {
  if (!isa) return null;
  if (/^(avx512|amx)/.test(isa)) return 'avx512';
  if (/^(avx2|avxvnni)/.test(isa)) return 'avx2';
  if (/^(neon|dotprod|i8mm|sve)/.test(isa)) return 'neon';
  return null;
}

async function run(ctx) {
  const { root, quick, log } = ctx;
  const t0 = Date.now();
  const timing = { ...settingsFor(quick) };
  if (ctx.rounds) timing.rounds = ctx.rounds;
  const grid = shapes(quick);
  const keys = grid.map(shapeKey);
  const notes = [];
  const buildDir = path.join(root, 'bench', '.build');
  const trialSettings = (threads) => ({ root, threads, shapes: keys, timeMs: timing.timeMs, minIters: timing.minIters, warmupMs: timing.warmupMs });

  // Contenders -------------------------------------------------------------------------------
  const contenders = []; // { id, label, make(threads) -> { cmd, args, env } }
  const info = { nnslim: null, nnslimAvx2: null, openblas: null, ort: null };

  const nnslimBuild = ensureNnslim(root, { rebuild: ctx.build !== false, log });
  const nnslimTrial = path.join(root, 'bench', 'trials', 'nnslim_sgemm.js');
  const nnslimCmd = (threads, isa, shapeKeys) => ({
    cmd: process.execPath,
    args: [nnslimTrial, JSON.stringify({ ...trialSettings(threads), shapes: shapeKeys || keys })],
    env: { NNSLIM_ISA: isa },
  });
  if (!nnslimBuild.ok) {
    notes.push(`nnslim could not be built: ${nnslimBuild.error.split('\n')[0]}`);
  } else {
    for (const s of nnslimBuild.stale) notes.push(`nnslim: ${s} (run without --no-build to rebuild)`);
    const probe = await runTrial({ ...nnslimCmd(1, null, []), timeoutMs: 60_000 });
    if (!probe.ok) {
      notes.push(`nnslim failed to load: ${probe.error.split('\n')[0]}`);
    } else {
      info.nnslim = probe.result;
      contenders.push({ id: 'nnslim', label: `nnslim ${probe.result.isa}`, make: (t) => nnslimCmd(t, null) });
      const supported = probe.result.supportedIsas || [];
      if (probe.result.isa !== 'avx2' && supported.includes('avx2')) {
        const probe2 = await runTrial({ ...nnslimCmd(1, 'avx2', []), timeoutMs: 60_000 });
        if (probe2.ok) {
          info.nnslimAvx2 = probe2.result;
          contenders.push({ id: 'nnslim-avx2', label: 'nnslim avx2', make: (t) => nnslimCmd(t, 'avx2') });
        } else notes.push(`nnslim with NNSLIM_ISA=avx2 failed: ${probe2.error.split('\n')[0]}`);
      }
    }
  }

  const ob = compileCxx({
    src: path.join(root, 'bench', 'peers', 'openblas_sgemm.cc'),
    outDir: buildDir,
    name: 'openblas_sgemm',
    pkgConfig: 'openblas',
    fallbackLibs: ['-lopenblas'],
  });
  if (!ob.ok) {
    notes.push('OpenBLAS skipped: bench/peers/openblas_sgemm.cc did not build (install Debian\'s libopenblas-dev: `apt-get install libopenblas-dev`). ' +
      `Error: ${ob.error.split('\n').slice(1, 2).join(' ').trim() || ob.error.split('\n')[0]}`);
  } else {
    const probe = await runTrial({ cmd: ob.exe, args: ['1', '0', '1', '0', '1x1x1'], timeoutMs: 30_000 });
    if (!probe.ok) notes.push(`OpenBLAS skipped: ${probe.error.split('\n')[0]}`);
    else {
      info.openblas = probe.result;
      contenders.push({
        id: 'openblas',
        label: 'OpenBLAS',
        make: (t) => ({ cmd: ob.exe, args: [String(t), String(timing.timeMs), String(timing.minIters), String(timing.warmupMs), ...keys], env: { OPENBLAS_NUM_THREADS: t } }),
      });
    }
  }

  const ortDir = path.join(root, 'bench', 'peers', 'ort');
  const ort = ctx.skipOrt ? { ok: false, error: 'skipped (--no-ort)' } : ensureOrt(ortDir, { install: ctx.install !== false, log });
  if (!ort.ok) notes.push(`onnxruntime-node skipped: ${ort.error.split('\n')[0]}`);
  else {
    info.ort = { version: ort.version };
    const ortTrial = path.join(root, 'bench', 'peers', 'ort_matmul.js');
    contenders.push({ id: 'ort', label: 'ORT', make: (t) => ({ cmd: process.execPath, args: [ortTrial, JSON.stringify(trialSettings(t))], env: {} }) });
  }

  // FMA peak ----------------------------------------------------------------------------------
  const peak = {}; // threads -> { avx512, avx2, neon } GFLOP/s (best of the measurements)
  const fp = compileCxx({ src: path.join(root, 'bench', 'peers', 'fma_peak.cc'), outDir: buildDir, name: 'fma_peak', flags: ['-pthread'] });
  const measurePeak = async () => {
    if (!fp.ok) return;
    for (const t of THREADS) {
      const r = await runTrial({ cmd: fp.exe, args: [String(t), '50', quick ? '6' : '10'], timeoutMs: 60_000 });
      if (!r.ok) continue;
      peak[t] = peak[t] || {};
      for (const [k, v] of Object.entries(r.result.gflops)) peak[t][k] = Math.max(peak[t][k] || 0, v);
    }
  };
  if (!fp.ok) notes.push(`FMA peak not measured: bench/peers/fma_peak.cc did not build: ${fp.error.split('\n')[0]}`);
  const loadBefore = os.loadavg()[0];
  const addonPath = path.join(root, 'build', 'Release', 'nnslim.node');
  const addonStamp = () => {
    try {
      return fs.statSync(addonPath).mtimeMs;
    } catch {
      return 0;
    }
  };
  const addonBefore = addonStamp();

  // Rounds: every configuration once per round, in an order rotated each round ---------------
  const configs = [];
  for (const t of THREADS) for (const c of contenders) configs.push({ contender: c, threads: t, key: `${c.id}@${t}` });
  const raw = {}; // key -> [{ shapeKey: medianMs }] per successful round
  const relErr = {}; // key -> worst relErr
  const failures = {}; // key -> [error]
  const meta = {}; // key -> last result (without results)
  const foreign = []; // CPUs other processes kept busy during each trial
  const NOISY = 0.2; // round-to-round spread above which a cell is marked
  for (let r = 0; r < timing.rounds; r++) {
    log(`round ${r + 1}/${timing.rounds}: FMA peak`);
    await measurePeak();
    const order = configs.map((_, i) => configs[(i + r * 3) % configs.length]);
    for (const cfg of order) {
      const spec = cfg.contender.make(cfg.threads);
      if (timing.quietWaitMs > 0) await waitForQuiet({ maxWaitMs: timing.quietWaitMs });
      const load = foreignLoad();
      const started = Date.now();
      const res = await runTrial({ ...spec, timeoutMs: 10 * 60_000 });
      const others = load.stop(res.ok ? res.result.cpuMs : NaN);
      if (Number.isFinite(others)) foreign.push(others);
      log(`round ${r + 1}/${timing.rounds}  ${cfg.contender.label.padEnd(18)} ${cfg.threads}T  ${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s` +
        `${Number.isFinite(others) ? `  (others busy: ${others.toFixed(2)} CPUs)` : ''}${res.ok ? '' : `  FAILED: ${res.error.split('\n')[0]}`}`);
      if (!res.ok) {
        (failures[cfg.key] = failures[cfg.key] || []).push(res.error);
        continue;
      }
      const medians = {};
      for (const row of res.result.results) {
        const k = shapeKey(row);
        medians[k] = row.medianMs;
        if (Number.isFinite(row.gemvMedianMs)) medians[`${k}:gemv`] = row.gemvMedianMs;
        relErr[cfg.key] = Math.max(relErr[cfg.key] || 0, row.relErr);
      }
      (raw[cfg.key] = raw[cfg.key] || []).push(medians);
      const { results, ...rest } = res.result;
      meta[cfg.key] = rest;
    }
  }
  log('FMA peak');
  await measurePeak();
  const loadAfter = os.loadavg()[0];
  if (addonStamp() !== addonBefore) notes.push('**build/Release/nnslim.node changed during the run**: the nnslim numbers may mix two builds; rerun.');

  // Results -----------------------------------------------------------------------------------
  const combined = {};
  for (const [key, rounds] of Object.entries(raw)) combined[key] = combineRounds(rounds);
  const entry = (id, t, s, suffix = '') => {
    const c = combined[`${id}@${t}`];
    return c ? c[shapeKey(s) + suffix] : undefined;
  };
  const gf = (id, t, s, suffix = '') => {
    const e = entry(id, t, s, suffix);
    return e ? gflops(s.m, s.n, s.k, e.ms) : NaN;
  };
  let noisyCells = 0;
  const cell = (id, t, s) => {
    const e = entry(id, t, s);
    const noisy = e && e.rounds > 1 && e.spread > NOISY;
    if (noisy) noisyCells++;
    let text = `${fmt(gf(id, t, s))}${noisy ? ' †' : ''}`;
    if (id === 'openblas' && entry(id, t, s, ':gemv')) text += ` (sgemv ${fmt(gf(id, t, s, ':gemv'))})`;
    return text;
  };
  const has = (id) => contenders.some((c) => c.id === id);
  const WRONG = 1e-3;
  for (const [key, err] of Object.entries(relErr)) {
    if (err > WRONG) notes.push(`**${key} computed wrong results** (sampled relative error ${err.toExponential(1)}); its numbers are not meaningful.`);
  }
  for (const [key, mt] of Object.entries(meta)) {
    const wanted = Number(key.split('@')[1]);
    if (Number.isFinite(mt.numThreads) && mt.numThreads !== wanted) notes.push(`${key} ran with ${mt.numThreads} threads instead of ${wanted}.`);
    if (key.startsWith('nnslim-avx2@') && mt.isa !== 'avx2') notes.push(`${key}: NNSLIM_ISA=avx2 gave ISA level ${mt.isa}.`);
  }
  for (const [key, errs] of Object.entries(failures)) {
    notes.push(`${key} failed in ${errs.length} of ${timing.rounds} round(s): ${errs[0].split('\n')[0]}`);
  }
  const spreads = Object.values(combined).flatMap((c) => Object.values(c).map((v) => v.spread)).filter(Number.isFinite);
  const bestIsa = info.nnslim ? info.nnslim.isa : null;

  const lines = [];
  lines.push(`## ${TITLE}: Y = X · Wᵀ (nn.Linear layout)`);
  lines.push('');
  lines.push(`Generated by \`npm run bench${quick ? ' -- --quick' : ''}\` on ${ctx.date} (${quick ? '**quick smoke run: subset of shapes, short timings; not for comparison**' : 'full run'}). ` +
    'Do not edit by hand: rerun the benchmark.');
  lines.push('');
  const m = ctx.machine;
  const envRows = [
    ['CPU', m.description],
    ['SIMD flags', m.simd.join(' ') || DASH],
    ['nnslim ISA level, kernel', info.nnslim ? `${info.nnslim.isa}, \`${info.nnslim.kernel}\` (levels this CPU supports: ${(info.nnslim.supportedIsas || []).join(', ')})` : 'not available'],
  ];
  if (info.nnslimAvx2) envRows.push(['nnslim with NNSLIM_ISA=avx2', `\`${info.nnslimAvx2.kernel}\``]);
  envRows.push(
    ['threads', `${THREADS.join(' and ')}: nnslim \`setNumThreads(n)\`, OpenBLAS \`openblas_set_num_threads(n)\`, ORT \`intraOpNumThreads: n, interOpNumThreads: 1\``],
    ['Node', `${m.node} (${m.os})`],
    ['OpenBLAS', info.openblas ? `${info.openblas.config}, core ${info.openblas.corename}; \`cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, ...)\`${process.env.OPENBLAS_CORETYPE ? ` (OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE})` : ''}` : 'not available'],
    ['onnxruntime-node', info.ort ? `${info.ort.version}: one MatMul node, W as a [K, N] initializer, graphOptimizationLevel 'all', \`await session.run()\`` : 'not available'],
    ['method', `one child process per (contender, ISA, threads); ${timing.rounds} round(s), contenders interleaved; per shape a tinybench (C++: steady_clock) median over ≥ ${timing.minIters} calls and ≥ ${timing.timeMs} ms after ${timing.warmupMs} ms warm-up; reported: median over rounds. GFLOP/s = 2·M·N·K / median time`],
  );
  for (const [what, text] of envRows) lines.push(`- **${what}**: ${text}`);
  lines.push('');

  lines.push('### Throughput (GFLOP/s, higher is better)');
  lines.push('');
  const cols = [{ title: 'M', align: 'right' }, { title: 'K', align: 'right' }, { title: 'N', align: 'right' }, { title: 'threads', align: 'right' },
    { title: `nnslim${bestIsa ? ` ${bestIsa}` : ''}`, align: 'right' }];
  if (has('nnslim-avx2')) cols.push({ title: 'nnslim avx2', align: 'right' });
  cols.push({ title: 'OpenBLAS', align: 'right' }, { title: 'ORT', align: 'right' }, { title: 'nnslim / OpenBLAS', align: 'right' }, { title: 'nnslim / ORT', align: 'right' });
  const rows = [];
  const ratios = {};
  for (const t of THREADS) {
    ratios[t] = { openblas: [], ort: [] };
    for (const s of grid) {
      const a = gf('nnslim', t, s);
      const o = gf('openblas', t, s);
      const x = gf('ort', t, s);
      ratios[t].openblas.push(ratio(a, o));
      ratios[t].ort.push(ratio(a, x));
      const row = [s.m, s.k, s.n, t, cell('nnslim', t, s)];
      if (has('nnslim-avx2')) row.push(cell('nnslim-avx2', t, s));
      row.push(cell('openblas', t, s), cell('ort', t, s), fmtRatio(ratio(a, o)), fmtRatio(ratio(a, x)));
      rows.push(row);
    }
  }
  lines.push(table(cols, rows));
  lines.push('');
  const geo = THREADS.map((t) => `${t} thread${t > 1 ? 's' : ''}: ${fmtRatio(geomean(ratios[t].openblas))} of OpenBLAS, ${fmtRatio(geomean(ratios[t].ort))} of ORT`);
  lines.push(`Ratios above 1 mean nnslim is faster. Geometric mean over the ${grid.length} shapes, ${geo.join('; ')}.` +
    (noisyCells ? ` † marks the ${noisyCells} cell(s) whose rounds spread by more than ${fmtPercent(NOISY)} around their median (see the notes on load).` : ''));
  if (has('openblas') && grid.some((s) => s.m === 1)) {
    lines.push('');
    lines.push('OpenBLAS\'s sgemm does not switch to its matrix-vector path for M = 1; the harness also times `cblas_sgemv` on the same data ' +
      'and shows it in parentheses. The ratios use sgemm, the call being compared.');
  }
  lines.push('');

  lines.push(`### ${SQUARE.m}×${SQUARE.k}×${SQUARE.n} against the FMA peak`);
  lines.push('');
  const peakFor = (t, key) => (peak[t] && key && peak[t][key]) || NaN;
  const bestKey = (t) => (peak[t] ? Object.keys(peak[t]).sort((p, q) => peak[t][q] - peak[t][p])[0] : null);
  const peakRows = [];
  const peakContenders = [
    ['nnslim', `nnslim ${bestIsa || ''}`.trim(), peakKeyForIsa(bestIsa)],
    ['nnslim-avx2', 'nnslim avx2', 'avx2'],
    ['openblas', 'OpenBLAS', null],
    ['ort', 'ORT', null],
  ].filter(([id]) => has(id));
  for (const t of THREADS) {
    for (const [id, label, key] of peakContenders) {
      const k = key || bestKey(t);
      const g = gf(id, t, SQUARE);
      peakRows.push([label, t, fmt(g), k ? `${fmt(peakFor(t, k))} (${k})` : DASH, fmtPercent(ratio(g, peakFor(t, k)))]);
    }
  }
  lines.push(table([{ title: 'contender' }, { title: 'threads', align: 'right' }, { title: 'GFLOP/s', align: 'right' }, { title: 'FMA peak GFLOP/s (ISA)', align: 'right' }, { title: '% of peak', align: 'right' }], peakRows));
  lines.push('');
  lines.push('The peak is measured, not taken from a datasheet: `bench/peers/fma_peak.cc`, compiled at bench time, runs independent chains of ' +
    'vector FMAs (16 × zmm for avx512, 12 × ymm for avx2) on each of the threads and keeps the best aggregate rate of many 50 ms repetitions, ' +
    'before every round and after the last. OpenBLAS and ORT are compared with the highest measured peak. On a shared or virtual machine the 2-thread peak ' +
    'is what two threads actually got, which may be less than twice one.');
  lines.push('');

  lines.push(`### 2-thread scaling on ${SQUARE.m}×${SQUARE.k}×${SQUARE.n}`);
  lines.push('');
  const scaleRows = peakContenders.map(([id, label]) => {
    const one = gf(id, 1, SQUARE);
    const two = gf(id, 2, SQUARE);
    return [label, fmt(one), fmt(two), fmtRatio(ratio(two, one))];
  });
  const p1 = peakFor(1, bestKey(1));
  const p2 = peakFor(2, bestKey(2));
  scaleRows.push([`FMA peak (${bestKey(2) || DASH})`, fmt(p1), fmt(p2), fmtRatio(ratio(p2, p1))]);
  lines.push(table([{ title: 'contender' }, { title: '1 thread GFLOP/s', align: 'right' }, { title: '2 threads GFLOP/s', align: 'right' }, { title: '2T / 1T', align: 'right' }], scaleRows));
  lines.push('');

  const wall = (Date.now() - t0) / 1000;
  lines.push('### Notes');
  lines.push('');
  const spreadText = timing.rounds > 1
    ? `Round-to-round spread of the per-process medians ((max - min) / 2 / median): median ${fmtPercent(median(spreads))}, largest ${fmtPercent(Math.max(0, ...spreads))}.`
    : 'One round: no round-to-round spread.';
  lines.push(`- Suite wall time: ${Math.round(wall)} s. ${spreadText} 1-minute load average: ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after ` +
    `(${m.cpus} logical CPUs). Other processes kept ${fmt(median(foreign), 1)} CPUs busy during a trial (median over trials; most: ${fmt(Math.max(0, ...foreign), 1)})` +
    `${timing.quietWaitMs ? `, after a wait of up to ${timing.quietWaitMs / 1000} s for a quiet moment before each trial` : ''}; on a loaded machine the numbers move.`);
  lines.push('- nnslim calls `matmul(x, w, { transB: true, out })` with a preallocated `out`; OpenBLAS writes into a preallocated C; ORT allocates its output on every `run()` and goes through a Promise, which weighs on the smallest shapes. ORT pre-packs its constant W once at session creation.');
  lines.push('- Each child spot-checks 16 output entries against a double-precision dot product; a contender whose error exceeds 1e-3 (relative to Σ|x·w|) is flagged here.');
  for (const n of notes) lines.push(`- ${n}`);

  return {
    id: ID,
    title: TITLE,
    markdown: lines.join('\n'),
    data: { shapes: keys, timing, info, peak, combined, relErr, failures, meta, foreign, notes, wallSeconds: wall },
    wallSeconds: wall,
  };
}

module.exports = { id: ID, title: TITLE, run, shapes, settingsFor, peakKeyForIsa };
