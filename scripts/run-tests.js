#!/usr/bin/env node
// `npm test`: every suite, one summary line `N passed, M failed[, K skipped]` at the end.
//   vitest (TS API) at the best ISA level and again with each lower x86 level forced, the
//   stress suite once (scripts/tests/stress.js), the vitest suite against an ASan + UBSan
//   addon (scripts/tests/sanitized-vitest.js),
//   C++ kernel tests (ctest) natively, under ASan + UBSan, and cross-compiled for aarch64
//   under qemu-aarch64-static for three CPU models (and armv7 under qemu-arm); with CI=true (or
//   --emulated) also the vitest suite under qemu (arm64 x3 CPU models, armv7, x86 qemu64 and
//   Haswell: scripts/tests/emulated.js) and the packed tarball installed without a compiler
//   (scripts/tests/tarball.js); the libFuzzer harnesses (scripts/tests/fuzz.js).
// Options: --quick (vitest + native ctest only), --native-only (C++ suites only), --no-fuzz,
//          --emulated / --no-emulated (the emulated runs and the tarball test; default: on in CI).
// A suite whose tools are missing is skipped locally; with CI=true it counts as failed.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const args = new Set(process.argv.slice(2));
const strict = process.env.CI === 'true' || process.env.NNSLIM_TEST_STRICT === '1';
const jobs = String(Math.max(1, Math.min(os.availableParallelism ? os.availableParallelism() : os.cpus().length, 4)));
const SHARDS = 4;
const totals = { passed: 0, failed: 0, skipped: 0 };
const summary = [];

const started = Date.now();
function log(msg) {
  process.stdout.write(`\n=== [+${Math.round((Date.now() - started) / 1000)} s] ${msg}\n`);
}

function sh(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: opts.capture ? ['ignore', 'pipe', 'pipe'] : 'inherit', encoding: 'utf8', env: { ...process.env, ...(opts.env || {}) }, maxBuffer: 1 << 28 });
  if (opts.capture) {
    process.stdout.write(r.stdout || '');
    process.stderr.write(r.stderr || '');
  }
  return r;
}

function have(tool) {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

function record(name, passed, failed, note = '') {
  totals.passed += passed;
  totals.failed += failed;
  summary.push(`${failed ? 'FAIL' : 'ok  '} ${name}: ${passed} passed, ${failed} failed${note ? ` (${note})` : ''}`);
}

function skip(name, why) {
  if (strict) {
    record(name, 0, 1, `cannot run: ${why}`);
  } else {
    totals.skipped += 1;
    summary.push(`skip ${name}: ${why}`);
  }
}

function vitest(name, env) {
  log(`vitest ${name}`);
  const out = path.join(os.tmpdir(), `nnslim-vitest-${process.pid}-${name.replace(/\W+/g, '_')}.json`);
  // fsModuleCache: the emulated runs reuse these TypeScript transforms.
  const r = sh(process.execPath, [path.join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--experimental.fsModuleCache', '--reporter=default', '--reporter=json', `--outputFile=${out}`], { env });
  try {
    const j = JSON.parse(fs.readFileSync(out, 'utf8'));
    let failed = j.numFailedTests;
    if (r.status !== 0 && failed === 0) failed = 1; // e.g. a suite that failed to load
    record(`vitest ${name}`, j.numPassedTests, failed);
  } catch {
    record(`vitest ${name}`, 0, 1, `no report (exit ${r.status})`);
  }
}

function ctestSuite(name, buildDir, configure, testEnvs) {
  log(`C++ kernel tests: ${name}`);
  if (!have('cmake') || !have('ctest')) return skip(`ctest ${name}`, 'cmake not installed');
  // The kernels test in 4 shards that ctest runs `jobs` at a time (single-threaded under qemu).
  let r = sh('cmake', ['-S', '.', '-B', buildDir, `-DNNSLIM_TEST_SHARDS=${SHARDS}`, ...configure]);
  if (r.status === 0) r = sh('cmake', ['--build', buildDir, '-j', jobs]);
  if (r.status !== 0) return record(`ctest ${name}`, 0, 1, 'build failed');
  for (const [label, env] of testEnvs) {
    // -V shows each test binary's own `N passed, M failed` line: count C++ test cases, not ctest entries.
    const t = spawnSync('ctest', ['--test-dir', buildDir, '-V', '-j', jobs], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 28 });
    const out = `${t.stdout || ''}${t.stderr || ''}`;
    for (const line of out.split('\n')) {
      if (/FAIL|Test +#|tests passed|tests failed|Skipped|kernel tests:|AddressSanitizer|runtime error|Segmentation|Illegal/.test(line)) console.log(line);
    }
    const m = /(\d+)% tests passed, (\d+) tests? failed out of (\d+)/.exec(out);
    if (!m) {
      record(`ctest ${name}${label}`, 0, 1, `no summary (exit ${t.status})`);
      continue;
    }
    let passed = 0, failed = 0;
    for (const c of out.matchAll(/^\d+: (\d+) passed, (\d+) failed$/gm)) {
      passed += Number(c[1]);
      failed += Number(c[2]);
    }
    const ctestFailed = Number(m[2]);
    if (ctestFailed > 0 && failed === 0) failed = ctestFailed; // crashed before printing its summary
    const skippedN = (out.match(/\*\*\*Skipped/g) || []).length;
    record(`ctest ${name}${label}`, passed, failed, `${m[3]} ctest runs${skippedN ? `, ${skippedN} ISA levels not on this host` : ''}`);
  }
}

function cpuInfo() {
  const r = spawnSync(process.execPath, ['-e', "console.log(JSON.stringify(require('./dist/index.js').cpuInfo()))"], { cwd: root, encoding: 'utf8', env: { ...process.env, NNSLIM_ISA: '' } });
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    return null;
  }
  return JSON.parse(r.stdout);
}


const nativeOnly = args.has('--native-only');
const quick = args.has('--quick');
// The whole vitest suite under qemu (arm64 x3 CPU models, armv7, x86 qemu64 and Haswell) and the
// packed-tarball install test (scripts/tests/): on in CI, else with --emulated; off with --no-emulated.
const emulated = !quick && !args.has('--no-emulated') && (strict || args.has('--emulated') || process.env.NNSLIM_TEST_EMULATED_SUITES === '1');

// First, so that build-cmake/compile_commands.json exists when test/build/sources.test.ts checks it.
// The 'kernels' test runs every test at every level this CPU supports (force_isa); the vitest
// passes below cover NNSLIM_ISA forcing end to end, so no per-level ctest copies here.
ctestSuite('native', 'build-cmake', ['-DCMAKE_BUILD_TYPE=Release', '-DNNSLIM_FORCED_ISA_TESTS=OFF'], [['', {}]]);

if (!nativeOnly) {
  const info = cpuInfo();
  if (!info) {
    record('addon load', 0, 1, 'the addon does not load: run `npm install` (or `npm run build:native`) first');
  } else {
    log(`CPU: ${info.arch}, best ISA ${info.bestIsa}, kernels ${JSON.stringify(info.kernels)}, ${info.numThreads} threads`);
    if (!quick && process.platform === 'linux') {
      // The emulated ARM runs need the cross-compiled prebuilds too.
      const cross = emulated && process.arch === 'x64' && have('aarch64-linux-gnu-g++') && have('arm-linux-gnueabihf-g++');
      log(`prebuilds (prebuildify --napi --strip)${cross ? ': linux-arm64, linux-arm, linux-x64' : ': linux-' + process.arch}`);
      const r = sh('npm', ['run', cross ? 'prebuild:all' : 'prebuild']);
      if (r.status !== 0) record('prebuild', 0, 1, 'prebuildify failed');
      log('cmake-js build of the same addon');
      const c = sh('npm', ['run', 'build:cmake']);
      if (c.status !== 0) record('cmake-js build', 0, 1, 'cmake-js failed');
      require('./tests/glibc.js').checkPrebuilds({ root, record, skip });
    }
    vitest(`isa=${info.bestIsa}`, { NNSLIM_ISA: '' });
    if (!quick) {
      // The C++ tests cover every level; the TS suite runs again at the two fallbacks users force.
      for (const isa of ['avx2', 'neon', 'scalar']) {
        if (isa !== info.bestIsa && info.supportedIsas.includes(isa)) vitest(`isa=${isa}`, { NNSLIM_ISA: isa });
      }
      require('./tests/stress.js')({ vitest });
    }
  }
}

if (!nativeOnly && !quick && process.arch === 'x64' && process.platform === 'linux') {
  const ctx = { have, record, skip };
  if (emulated) {
    log('vitest under emulation (scripts/tests/emulated.js)');
    require('./tests/emulated').emulatedSuites(ctx);
    log('packed tarball installed without a compiler (scripts/tests/tarball.js)');
    require('./tests/tarball').tarballSuite(ctx);
  } else {
    skip('vitest under emulation and tarball test', 'not run without CI=true or --emulated');
  }
}


if (!quick) {
  // One sanitized run: the 'kernels' test already loops over every level this CPU supports.
  ctestSuite('asan+ubsan', 'build-asan', ['-DCMAKE_BUILD_TYPE=RelWithDebInfo', '-DNNSLIM_SANITIZE=ON', '-DNNSLIM_FORCED_ISA_TESTS=OFF'],
    [['', { ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=1', UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1' }]]);
  if (!nativeOnly && process.platform === 'linux') require('./tests/sanitized-vitest.js')({ root, sh, have, record, skip, log, vitest, jobs });
  if (process.arch === 'x64') {
    if (!have('aarch64-linux-gnu-g++') || !have('qemu-aarch64-static')) {
      skip('ctest aarch64 (qemu)', 'needs g++-aarch64-linux-gnu and qemu-user-static');
    } else {
      ctestSuite('aarch64', 'build-aarch64', [
        '-DCMAKE_BUILD_TYPE=Release', '-DCMAKE_SYSTEM_NAME=Linux', '-DCMAKE_SYSTEM_PROCESSOR=aarch64',
        '-DCMAKE_CXX_COMPILER=aarch64-linux-gnu-g++',
        '-DCMAKE_CROSSCOMPILING_EMULATOR=qemu-aarch64-static;-L;/usr/aarch64-linux-gnu',
        // the 'kernels' test already loops over every level the emulated CPU supports
        '-DNNSLIM_FORCED_ISA_TESTS=OFF',
      // Each model runs the ISA levels it adds (a kernel behaves the same under every model that
      // has it); the ISA-free selection test, the slowest, runs under the first model only.
      ], [[' cortex-a53', { QEMU_CPU: 'cortex-a53' }],
        [' cortex-a76', { QEMU_CPU: 'cortex-a76', NNSLIM_TEST_MIN_ISA: 'dotprod', NNSLIM_TEST_FILTER: '-select_kth_matches_sort_ref' }],
        [' max', { QEMU_CPU: 'max', NNSLIM_TEST_MIN_ISA: 'i8mm', NNSLIM_TEST_FILTER: '-select_kth_matches_sort_ref' }]]);
    }
    require('./tests/armv7.js').armv7Ctest({ have, skip, ctestSuite });
  }
}

// libFuzzer harnesses, NNSLIM_FUZZ_SECONDS (default 60) each, all at once (scripts/tests/fuzz.js).
if (!quick && !args.has('--no-fuzz')) require('./tests/fuzz')({ root, log, record, skip, jobs });

log('summary');
for (const line of summary) console.log(line);
console.log(`npm test wall time: ${Math.round((Date.now() - started) / 1000)} s`);
console.log(`${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`);
process.exit(totals.failed === 0 ? 0 : 1);
