// The whole vitest suite under user-mode emulation: arm64 Node under qemu-aarch64-static for three
// CPU models, armv7 Node under qemu-arm-static, and the host's x64 Node under qemu-x86_64-static for
// two older x86 models. Correctness only (tests see NNSLIM_TEST_EMULATED=1: smaller sizes, no timing).
// Two runs at a time (each is one vitest worker), each run's output printed whole when it ends.
//
// Used by scripts/run-tests.js: require('./tests/emulated').emulatedSuites(ctx).
// Also `node scripts/tests/emulated.js [name-substring...]` runs just those runs.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ARM, armNode, armNodeVersion, armRolldown } = require('./arm-node');

const root = path.join(__dirname, '..', '..');

// What cpuInfo() must report on each emulated CPU: the best ISA level, and per kernel family the
// ISA suffix of the kernel name (`<name>__<suffix>`). qemu raises SIGILL on an instruction the
// model lacks, so a wrong dispatch also fails loudly. Change a row here when kernels change.
const EXPECT = {
  'arm64 cortex-a53': { bestIsa: 'neon', kernels: { sgemm: 'neon', spmm: 'neon', batchnorm: 'neon', qgemm: 'neon', quantize: 'neon' } },
  'arm64 cortex-a76': { bestIsa: 'dotprod', kernels: { sgemm: 'neon', spmm: 'neon', batchnorm: 'neon', qgemm: 'neondot', quantize: 'neon' } },
  'arm64 max': { bestIsa: 'i8mm', kernels: { sgemm: 'neon', spmm: 'neon', batchnorm: 'neon', qgemm: 'neoni8mm', quantize: 'neon' } },
  // armv7 (NEON + VFPv4): NEON kernels except quantize (armv7 NEON has no round-half-to-even conversion).
  'armv7 cortex-a15': { bestIsa: 'neon', kernels: { sgemm: 'neonfma', spmm: 'neon', batchnorm: 'neon', qgemm: 'neon_mull', quantize: 'scalar' } },
  'x64 qemu64': { bestIsa: 'scalar', kernels: { sgemm: 'scalar', spmm: 'scalar', batchnorm: 'scalar', qgemm: 'scalar', quantize: 'scalar' } },
  'x64 Haswell': { bestIsa: 'avx2', kernels: { sgemm: 'avx2', spmm: 'avx2', batchnorm: 'avx2', qgemm: 'avx2', quantize: 'avx2' } },
};

// Test files that cannot run under emulation, with the reason (printed in the runner output).
// Keep empty unless a test is genuinely impossible there.
const EXCLUDED = {};

// Haswell-v4 minus the system features TCG does not emulate (qemu warns once per thread otherwise).
const HASWELL = 'Haswell-v4,-pcid,-x2apic,-tsc-deadline,-invpcid,-spec-ctrl';

/** The runs: name, emulator argv prefix, node binary, extra env. Null node = cannot run (reason given). */
function planRuns(have) {
  const runs = [];
  const missing = [];
  for (const [arch, cpus, label] of [['arm64', ['cortex-a53', 'cortex-a76', 'max'], 'arm64'], ['arm', ['cortex-a15'], 'armv7']]) {
    const t = ARM[arch];
    const prebuild = path.join(root, 'prebuilds', `linux-${arch}`);
    let why = null;
    if (!have(t.qemu)) why = 'needs qemu-user-static';
    else if (!fs.existsSync(t.sysroot)) why = `needs ${t.sysroot} (the cross g++ packages)`;
    else if (!fs.existsSync(prebuild)) why = `needs prebuilds/linux-${arch} (npm run prebuild:all)`;
    let node = null;
    if (!why) {
      node = armNode(arch);
      if (!node) why = `could not install ${t.pkg} from the npm registry`;
      else if (!armRolldown(arch)) why = `could not install @rolldown/${t.rolldown} (vitest's bundler for ${arch})`;
    }
    for (const cpu of cpus) {
      const name = `${label} ${cpu}`;
      if (why) missing.push([name, why]);
      // node-compat.mjs: what vite needs from Node >= 20.12 for the armv7 Node 20.11 (a no-op on newer Node).
      else runs.push({ name, prefix: [t.qemu, '-L', t.sysroot], node, nodeArgs: arch === 'arm' ? ['--import', path.join(__dirname, 'node-compat.mjs')] : [], env: { QEMU_CPU: cpu, PREBUILDS_ONLY: '1' } });
    }
  }
  for (const [name, cpu] of [['x64 qemu64', 'qemu64'], ['x64 Haswell', HASWELL]]) {
    if (!have('qemu-x86_64-static')) missing.push([name, 'needs qemu-user-static']);
    // x64 loads build/Release (the addon npm install built for this machine), like the native runs.
    else runs.push({ name, prefix: ['qemu-x86_64-static', '-cpu', cpu], node: process.execPath, nodeArgs: [], env: {} });
  }
  return { runs, missing };
}

function vitestArgs(reportFile) {
  const args = [path.join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run',
    // worker_threads: the forks pool would start the (ARM) node binary without the emulator.
    '--pool=threads', '--maxWorkers=1',
    // One module graph for all files: per-file re-imports cost a third of each run under qemu.
    '--no-isolate',
    // Reuse the TypeScript transforms of the native runs instead of redoing them under emulation.
    '--experimental.fsModuleCache',
    // Emulation is 5-20x slower than native (more on a loaded machine): timeouts only, nothing is timed.
    '--testTimeout=900000', '--hookTimeout=900000',
    '--reporter=dot', '--reporter=json', `--outputFile=${reportFile}`];
  for (const f of Object.keys(EXCLUDED)) args.push(`--exclude=${f}`);
  return args;
}

function startRun(run, tmp) {
  const report = path.join(tmp, `${run.name.replace(/\W+/g, '_')}.json`);
  const log = path.join(tmp, `${run.name.replace(/\W+/g, '_')}.log`);
  const env = {
    ...process.env, ...run.env,
    NNSLIM_ISA: '', NNSLIM_TEST_EMULATED: '1',
    NNSLIM_TEST_NODE_PREFIX: JSON.stringify(run.prefix),
    NNSLIM_TEST_EXPECT: JSON.stringify(EXPECT[run.name]),
    FORCE_COLOR: '0',
  };
  const t0 = Date.now();
  const fd = fs.openSync(log, 'w');
  const child = spawn(run.prefix[0], [...run.prefix.slice(1), run.node, ...run.nodeArgs, ...vitestArgs(report)], { cwd: root, env, stdio: ['ignore', fd, fd] });
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      fs.closeSync(fd);
      resolve({ run, code, signal, seconds: (Date.now() - t0) / 1000, report, log });
    });
    child.on('error', (e) => {
      fs.closeSync(fd);
      fs.appendFileSync(log, `\nspawn failed: ${e.message}\n`);
      resolve({ run, code: -1, signal: null, seconds: 0, report, log });
    });
  });
}

/** Runs `runs` two at a time; resolves to the results in order of completion. */
async function runAll(runs, tmp, onDone) {
  const queue = runs.slice();
  const results = [];
  const lane = async () => {
    while (queue.length) {
      const r = await startRun(queue.shift(), tmp);
      results.push(r);
      onDone(r);
    }
  };
  await Promise.all([lane(), lane()]);
  return results;
}

function summarize(r) {
  let passed = 0, failed = 0, skipped = 0, files = 0, note = '';
  try {
    const j = JSON.parse(fs.readFileSync(r.report, 'utf8'));
    passed = j.numPassedTests;
    failed = j.numFailedTests;
    skipped = j.numPendingTests + (j.numTodoTests || 0);
    files = j.testResults.length;
    if (r.code !== 0 && failed === 0) { failed = 1; note = `exit ${r.code ?? r.signal}`; }
  } catch {
    failed = 1;
    note = `no report (exit ${r.code ?? r.signal})`;
  }
  return { passed, failed, skipped, files, note };
}

/** Runs the emulated suites; reports through ctx.record / ctx.skip (see scripts/run-tests.js). */
function emulatedSuites(ctx, only = []) {
  const { runs: all, missing } = planRuns(ctx.have);
  const runs = only.length ? all.filter((r) => only.some((s) => r.name.includes(s))) : all;
  for (const [name, why] of missing) if (!only.length || only.some((s) => name.includes(s))) ctx.skip(`vitest ${name} (qemu)`, why);
  if (runs.length === 0) return;
  for (const [f, why] of Object.entries(EXCLUDED)) console.log(`not run under emulation: ${f}: ${why}`);
  for (const arch of Object.keys(ARM)) {
    const r = runs.find((x) => x.prefix[0] === ARM[arch].qemu);
    if (r) console.log(`${ARM[arch].pkg}: ${r.node} (${armNodeVersion(arch, r.node)}; host ${process.version})`);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nnslim-emu-'));
  // The worker does the runs (two at a time, async); this process waits for it.
  const w = spawnSync(process.execPath, [__filename, '--worker', tmp, ...runs.map((r) => r.name)], { cwd: root, stdio: 'inherit', env: process.env });
  const total = Number(fs.existsSync(path.join(tmp, 'wall')) ? fs.readFileSync(path.join(tmp, 'wall'), 'utf8') : NaN);
  for (const run of runs) {
    const file = path.join(tmp, `${run.name.replace(/\W+/g, '_')}.result.json`);
    if (!fs.existsSync(file)) { ctx.record(`vitest ${run.name} (qemu)`, 0, 1, `did not run (worker exit ${w.status})`); continue; }
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    const s = summarize(r);
    ctx.record(`vitest ${run.name} (qemu)`, s.passed, s.failed, `${s.files} files${s.skipped ? `, ${s.skipped} skipped` : ''}, ${r.seconds.toFixed(0)} s, ${r.cpu.toFixed(0)} s CPU${s.note ? `, ${s.note}` : ''}`);
  }
  console.log(`emulated vitest runs: ${total.toFixed(0)} s wall in total (two at a time)`);
  fs.rmSync(tmp, { recursive: true, force: true });
}

/** The run's slowest test files (where emulated CI time goes), from its JSON report. */
function slowestFiles(report, count = 6) {
  try {
    const j = JSON.parse(fs.readFileSync(report, 'utf8'));
    const files = j.testResults.map((t) => [path.relative(root, t.name), (t.endTime - t.startTime) / 1000]).sort((a, b) => b[1] - a[1]);
    const sum = files.reduce((acc, f) => acc + f[1], 0);
    const first = Math.min(...j.testResults.map((t) => t.startTime));
    const last = Math.max(...j.testResults.map((t) => t.endTime));
    return `slowest files: ${files.slice(0, count).map(([f, s]) => `${f} ${s.toFixed(0)} s`).join(', ')}; ` +
      `all ${files.length} files ${sum.toFixed(0)} s of ${((last - j.startTime) / 1000).toFixed(0)} s (first file started at +${((first - j.startTime) / 1000).toFixed(0)} s)\n`;
  } catch {
    return '';
  }
}

/** CPU seconds of this process's reaped children (/proc/self/stat cutime + cstime, at 100 ticks/s). */
function childrenCpu() {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return NaN;
  }
}

async function worker(tmp, names) {
  const { runs } = planRuns((tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0);
  const chosen = runs.filter((r) => names.includes(r.name));
  const t0 = Date.now();
  let cpuSeen = childrenCpu();
  await runAll(chosen, tmp, (r) => {
    // A child's CPU time (with its own reaped children) is added when it is reaped: right before 'close'.
    const cpu = childrenCpu();
    r.cpu = cpu - cpuSeen;
    cpuSeen = cpu;
    const s = summarize(r);
    process.stdout.write(`\n=== vitest under emulation: ${r.run.name} (${r.run.prefix.join(' ')}${r.run.env.QEMU_CPU ? `, QEMU_CPU=${r.run.env.QEMU_CPU}` : ''}): ` +
      `${s.passed} passed, ${s.failed} failed${s.skipped ? `, ${s.skipped} skipped` : ''} in ${r.seconds.toFixed(0)} s (${r.cpu.toFixed(0)} s CPU)\n`);
    process.stdout.write(fs.readFileSync(r.log, 'utf8'));
    process.stdout.write(slowestFiles(r.report));
    fs.writeFileSync(path.join(tmp, `${r.run.name.replace(/\W+/g, '_')}.result.json`), JSON.stringify(r));
  });
  fs.writeFileSync(path.join(tmp, 'wall'), String((Date.now() - t0) / 1000));
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  if (argv[0] === '--worker') {
    worker(argv[1], argv.slice(2)).catch((e) => { console.error(e); process.exit(1); });
  } else {
    const totals = { passed: 0, failed: 0 };
    const ctx = {
      have: (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0,
      record: (name, p, f, note) => { totals.passed += p; totals.failed += f; console.log(`${f ? 'FAIL' : 'ok  '} ${name}: ${p} passed, ${f} failed${note ? ` (${note})` : ''}`); },
      skip: (name, why) => { totals.failed += 1; console.log(`FAIL ${name}: cannot run: ${why}`); },
    };
    emulatedSuites(ctx, argv);
    console.log(`${totals.passed} passed, ${totals.failed} failed`);
    process.exit(totals.failed ? 1 : 0);
  }
}

module.exports = { emulatedSuites, EXPECT, EXCLUDED };
