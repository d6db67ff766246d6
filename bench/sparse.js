'use strict';
// Suite "sparse": nnslim's CSR SpMM (Y[M x N] = X[M x K] * W^T, W sparse N x K, the nn.Linear
// layout) against nnslim's dense float32 GEMM on the same pruned weights and Eigen's row-major
// SparseMatrix times a dense matrix, at 1 thread, random unstructured sparsity. Each contender
// runs in its own child process (this file is also the nnslim trial: `node bench/sparse.js
// --trial '<settings>'`), rounds interleaved. Returns the markdown of its BENCHMARKS.md section.
const path = require('node:path');
const { runTrial, emit, readSettings, cpuMs } = require('./lib/trial');
const { compileCxx, ensureNnslim } = require('./lib/build');
const { combineRounds, median, ratio } = require('./lib/stats');
const { table, fmt, fmtRatio, fmtPercent, DASH } = require('./lib/markdown');
const { waitForQuiet, foreignLoad } = require('./lib/load');

const ID = 'sparse';
const TITLE = 'CSR sparse matmul (SpMM)';

// BERT-base / GPT-2 small Linear weights [N x K]: attention 768x768, MLP down-projection 3072x768
// (N = 3072 outputs of K = 768 inputs); M = batch x tokens.
const WEIGHTS = [[768, 768], [3072, 768]];
const M_VALUES = [1, 8, 64];
const SPARSITIES = [0.5, 0.7, 0.8, 0.9, 0.95];
// Extra points used only to locate the break-even sparsity.
const EXTRA_SPARSITIES = [0, 0.3];

function configs(quick) {
  const out = [];
  const weights = quick ? [[768, 768]] : WEIGHTS;
  const sp = quick ? [0.5, 0.9] : [...EXTRA_SPARSITIES, ...SPARSITIES];
  for (const [n, k] of weights) for (const m of M_VALUES) for (const s of sp) out.push({ m, k, n, s });
  return out;
}
const key = ({ m, k, n, s }) => `${m}x${k}x${n}@${s}`;
const parseKey = (text) => {
  const r = /^(\d+)x(\d+)x(\d+)@([\d.]+)$/.exec(text);
  return { m: Number(r[1]), k: Number(r[2]), n: Number(r[3]), s: Number(r[4]) };
};

function settingsFor(quick) {
  return quick
    ? { timeMs: 40, minIters: 3, warmupMs: 10, rounds: 1, quietWaitMs: 0 }
    : { timeMs: 150, minIters: 5, warmupMs: 30, rounds: 3, quietWaitMs: 1000 };
}

// ---- child: the nnslim trial ----------------------------------------------------------------
function lcg(seed) {
  let s = BigInt.asUintN(64, BigInt(seed));
  return () => {
    s = BigInt.asUintN(64, s * 6364136223846793005n + 1442695040888963407n);
    return Number(s >> 40n) / 16777216;
  };
}

async function trialMain() {
  const { timeCall } = require('./lib/timing');
  const settings = readSettings(process.argv.slice(1));
  const nnslim = require(path.join(settings.root, 'dist', 'index.js'));
  nnslim.setNumThreads(settings.threads);
  const info = nnslim.cpuInfo();
  const results = [];
  for (const [idx, text] of settings.configs.entries()) {
    const { m, k, n, s } = parseKey(text);
    const rnd = lcg(0x5eed0000 + idx);
    const w = new Float32Array(n * k);
    const mask = new Uint8Array(n * k);
    for (let i = 0; i < w.length; i++) {
      w[i] = rnd() * 2 - 1;
      mask[i] = rnd() >= s ? 1 : 0;
      if (!mask[i]) w[i] = 0;
    }
    const x = new nnslim.Tensor(Float32Array.from({ length: m * k }, () => rnd() * 2 - 1), [m, k]);
    const wt = new nnslim.Tensor(w, [n, k]);
    const csr = nnslim.sparse.CsrMatrix.fromDense(wt, { mask });
    const packed = csr.pack();
    const outS = new nnslim.Tensor(new Float32Array(m * n), [m, n]);
    const outD = new nnslim.Tensor(new Float32Array(m * n), [m, n]);
    const sparse = await timeCall(() => nnslim.sparse.spmm(x, packed, { out: outS }), settings);
    const dense = await timeCall(() => nnslim.matmul(x, wt, { transB: true, out: outD }), settings);
    let err = 0;
    let mag = 0;
    for (let i = 0; i < outD.data.length; i++) {
      err = Math.max(err, Math.abs(outS.data[i] - outD.data[i]));
      mag = Math.max(mag, Math.abs(outD.data[i]));
    }
    results.push({ key: text, nnz: csr.nnz, sparseMs: sparse.medianMs, denseMs: dense.medianMs, relErr: err / (mag || 1) });
  }
  emit({ contender: 'nnslim', threads: settings.threads, isa: info.isa, kernels: info.kernels, cpuMs: cpuMs(), results });
}

// ---- parent ----------------------------------------------------------------------------------
async function run(ctx) {
  const { root, quick, log } = ctx;
  const timing = { ...settingsFor(quick) };
  if (ctx.rounds) timing.rounds = ctx.rounds;
  const grid = configs(quick);
  const keys = grid.map(key);
  const notes = [];
  const buildDir = path.join(root, 'bench', '.build');
  const contenders = [];
  const info = {};

  const nb = ensureNnslim(root, { rebuild: ctx.build !== false, log });
  if (!nb.ok) notes.push(`nnslim could not be built: ${nb.error.split('\n')[0]}`);
  else {
    const settings = { root, threads: 1, configs: keys, timeMs: timing.timeMs, minIters: timing.minIters, warmupMs: timing.warmupMs };
    contenders.push({ id: 'nnslim', make: () => ({ cmd: process.execPath, args: [__filename, '--trial', JSON.stringify(settings)], env: {} }) });
  }
  const eigenVariants = [
    { id: 'eigen', label: 'Eigen (-O3)', flags: ['-O3', '-I/usr/include/eigen3'] },
    { id: 'eigen-native', label: 'Eigen (-O3 -march=native)', flags: ['-O3', '-march=native', '-I/usr/include/eigen3'] },
  ];
  for (const v of eigenVariants) {
    const c = compileCxx({ src: path.join(root, 'bench', 'peers', 'eigen_spmm.cc'), outDir: buildDir, name: `eigen_spmm_${v.id}`, flags: v.flags });
    if (!c.ok) {
      notes.push(`${v.label} skipped: bench/peers/eigen_spmm.cc did not build (Debian's libeigen3-dev: \`apt-get install libeigen3-dev\`): ${c.error.split('\n')[0]}`);
      continue;
    }
    info[v.id] = v;
    contenders.push({ id: v.id, make: () => ({ cmd: c.exe, args: [String(timing.timeMs), String(timing.minIters), String(timing.warmupMs), ...keys.filter((k) => !/@0$/.test(k))], env: {} }) });
  }

  const raw = {};
  const meta = {};
  const nnz = {};
  const foreign = [];
  for (let r = 0; r < timing.rounds; r++) {
    const order = contenders.map((_, i) => contenders[(i + r) % contenders.length]);
    for (const c of order) {
      if (timing.quietWaitMs > 0) await waitForQuiet({ maxWaitMs: timing.quietWaitMs });
      const load = foreignLoad();
      const started = Date.now();
      const res = await runTrial({ ...c.make(), timeoutMs: 20 * 60_000 });
      const others = load.stop(res.ok ? res.result.cpuMs : NaN);
      if (Number.isFinite(others)) foreign.push(others);
      log(`sparse round ${r + 1}/${timing.rounds} ${c.id.padEnd(13)} ${((Date.now() - started) / 1000).toFixed(1)} s${res.ok ? '' : `  FAILED: ${res.error.split('\n')[0]}`}`);
      if (!res.ok) {
        notes.push(`${c.id} failed in round ${r + 1}: ${res.error.split('\n')[0]}`);
        continue;
      }
      const ms = {};
      for (const row of res.result.results) {
        if (c.id === 'nnslim') {
          ms[`${row.key}:csr`] = row.sparseMs;
          ms[`${row.key}:dense`] = row.denseMs;
          nnz[row.key] = row.nnz;
          if (row.relErr > 1e-4) notes.push(`**nnslim CSR and dense disagree at ${row.key}** (relative ${row.relErr.toExponential(1)}).`);
        } else {
          const k = key({ m: row.m, k: row.k, n: row.n, s: row.sparsity });
          ms[`${k}:row`] = row.rowmajorMs;
          ms[`${k}:col`] = row.colmajorMs;
          nnz[`${k}:eigen`] = row.nnz;
        }
      }
      (raw[c.id] = raw[c.id] || []).push(ms);
      meta[c.id] = res.result;
    }
  }
  const comb = {};
  for (const [id, rounds] of Object.entries(raw)) comb[id] = combineRounds(rounds);
  const get = (id, k) => (comb[id] && comb[id][k] ? comb[id][k].ms : NaN);
  const gf = (cfg, ms, count) => (2 * count * cfg.m) / (ms * 1e6);

  const lines = [];
  lines.push(`## ${TITLE}: Y = X · Wᵀ, W sparse (nn.Linear layout)`);
  lines.push('');
  lines.push(`Generated by \`npm run bench${quick ? ' -- --quick' : ''}\` on ${ctx.date} (${quick ? '**quick smoke run: not for comparison**' : 'full run'}). Do not edit by hand.`);
  lines.push('');
  const nm = meta.nnslim;
  lines.push(`- **CPU**: ${ctx.machine.description}`);
  lines.push(`- **nnslim**: ISA ${nm ? nm.isa : DASH}, SpMM kernel \`${nm ? nm.kernels.spmm : DASH}\`, dense \`${nm ? nm.kernels.sgemm : DASH}\`; \`sparse.spmm(x, w.pack(), { out })\` vs \`matmul(x, w, { transB: true, out })\` on the same pruned weights`);
  lines.push('- **Eigen**: Debian libeigen3-dev, `Eigen::SparseMatrix<float, RowMajor>` W times X stored as a row-major K x M matrix (X transposed outside the timing, ' +
    'Eigen\'s best layout; the no-copy column-major view of X is 3-10x slower and not shown), built twice: `g++ -O3` (the suite\'s reference build, SSE2 only) and `g++ -O3 -march=native`');
  lines.push(`- **method**: 1 thread; random unstructured sparsity (each weight kept with probability 1 - s); one child process per contender, ${timing.rounds} round(s) interleaved; ` +
    `per configuration a median over ≥ ${timing.minIters} calls and ≥ ${timing.timeMs} ms; reported: median over rounds. GFLOP/s = 2 · nnz · M / time (for dense too, so the columns compare useful work)`);
  lines.push('');
  lines.push('### Time per call and speedups (1 thread)');
  lines.push('');
  const cols = ['W (N×K)', { title: 'M', align: 'right' }, { title: 'sparsity', align: 'right' }, { title: 'nnslim CSR µs', align: 'right' }, { title: 'GFLOP/s', align: 'right' },
    { title: 'nnslim dense µs', align: 'right' }, { title: 'CSR vs dense', align: 'right' }, { title: 'Eigen -O3 GFLOP/s', align: 'right' }, { title: 'Eigen native GFLOP/s', align: 'right' },
    { title: 'CSR / Eigen -O3', align: 'right' }, { title: 'CSR / Eigen native', align: 'right' }];
  const rows = [];
  const accept = [];
  for (const cfg of grid) {
    if (!SPARSITIES.includes(cfg.s) && !quick) continue;
    const k = key(cfg);
    const csr = get('nnslim', `${k}:csr`);
    const dense = get('nnslim', `${k}:dense`);
    const count = nnz[k];
    const e1 = get('eigen', `${k}:row`);
    const e2 = get('eigen-native', `${k}:row`);
    const c1 = nnz[`${k}:eigen`] || count;
    rows.push([`${cfg.n}×${cfg.k}`, cfg.m, fmtPercent(cfg.s), fmt(csr * 1000), fmt(gf(cfg, csr, count)), fmt(dense * 1000), fmtRatio(ratio(dense, csr)),
      fmt(gf(cfg, e1, c1)), fmt(gf(cfg, e2, c1)), fmtRatio(ratio(gf(cfg, csr, count), gf(cfg, e1, c1))), fmtRatio(ratio(gf(cfg, csr, count), gf(cfg, e2, c1)))]);
    if (cfg.s === 0.9) accept.push({ cfg, vsDense: ratio(dense, csr), vsEigen: ratio(gf(cfg, csr, count), gf(cfg, e1, c1)), vsEigenNative: ratio(gf(cfg, csr, count), gf(cfg, e2, c1)) });
  }
  lines.push(table(cols, rows));
  lines.push('');
  lines.push('### Break-even sparsity (CSR as fast as nnslim dense)');
  lines.push('');
  const beRows = [];
  for (const [n, k] of quick ? [[768, 768]] : WEIGHTS) {
    for (const m of M_VALUES) {
      const pts = [...(quick ? [] : EXTRA_SPARSITIES), ...(quick ? [0.5, 0.9] : SPARSITIES)]
        .map((s) => ({ s, r: ratio(get('nnslim', `${key({ m, k, n, s })}:dense`), get('nnslim', `${key({ m, k, n, s })}:csr`)) }))
        .filter((p) => Number.isFinite(p.r));
      let be = NaN;
      let text = DASH;
      if (pts.length && pts[0].r >= 1) text = `≤ ${fmtPercent(pts[0].s)} (CSR already ${fmtRatio(pts[0].r)} at ${fmtPercent(pts[0].s)})`;
      else {
        for (let i = 1; i < pts.length; i++) {
          if (pts[i - 1].r < 1 && pts[i].r >= 1) {
            be = pts[i - 1].s + ((1 - pts[i - 1].r) / (pts[i].r - pts[i - 1].r)) * (pts[i].s - pts[i - 1].s);
            text = `${fmtPercent(be)} (interpolated between ${fmtPercent(pts[i - 1].s)} and ${fmtPercent(pts[i].s)})`;
            break;
          }
        }
        if (!Number.isFinite(be) && pts.length) text = `> ${fmtPercent(pts[pts.length - 1].s)}`;
      }
      beRows.push([`${n}×${k}`, m, text, pts.map((p) => `${fmtPercent(p.s)}: ${fmtRatio(p.r)}`).join(', ')]);
    }
  }
  lines.push(table(['W (N×K)', { title: 'M', align: 'right' }, 'break-even sparsity', 'CSR speedup over dense by sparsity'], beRows));
  lines.push('');
  if (accept.length) {
    lines.push('At 90% sparsity: ' + accept.map((a) => `${a.cfg.n}×${a.cfg.k} M=${a.cfg.m}: ${fmtRatio(a.vsDense)} vs dense` +
      (a.cfg.m === 64 ? `, ${fmtRatio(a.vsEigen)} of Eigen -O3's GFLOP/s, ${fmtRatio(a.vsEigenNative)} of Eigen native's` : '')).join('; ') + '.');
    lines.push('');
  }
  if (foreign.length) notes.push(`Other processes kept a median ${median(foreign).toFixed(2)} CPUs busy during the trials.`);
  if (notes.length) {
    lines.push('Notes:');
    lines.push('');
    for (const n of notes) lines.push(`- ${n}`);
  }
  return { id: ID, title: TITLE, markdown: lines.join('\n'), data: { raw, nnz, notes } };
}

if (require.main === module && process.argv[2] === '--trial') {
  trialMain().catch((err) => {
    emit({ error: String(err && err.stack ? err.stack : err) });
    process.exitCode = 1;
  });
}

module.exports = { id: ID, title: TITLE, run, configs };
