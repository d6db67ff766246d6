// The fuzz suite of `npm test`: builds the libFuzzer harnesses (test/fuzz/fuzz_*.cc, clang,
// ASan + UBSan) into build-fuzz/ and runs each for NNSLIM_FUZZ_SECONDS (default 60) on a
// fresh copy of its committed seed corpus, all at once (wall-clock time each). A crash, leak, timeout or OOM
// fails that fuzzer and prints the saved input (build-fuzz/artifacts/<name>/...); reproduce
// it with `build-fuzz/fuzz_<name> <file>`, fix, and add the input as a regression test.
//   node scripts/tests/fuzz.js            run the suite alone
//   NNSLIM_FUZZ_SECONDS=10 ...            shorter runs (CI uses the default, 60)
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const FUZZERS = ['safetensors', 'csr', 'model_state'];
const PARALLEL = 3; // all at once: -max_total_time is wall time, so each still runs its full time

function clang() {
  for (const c of ['clang++', 'clang++-14']) if (spawnSync('sh', ['-c', `command -v ${c}`], { stdio: 'ignore' }).status === 0) return c;
  return null;
}

function stat(out, key) {
  const m = new RegExp(`stat::${key}:\\s+(\\d+)`).exec(out);
  return m ? Number(m[1]) : null;
}

// Runs one fuzzer; resolves to { name, ok, note }.
function runOne(root, build, name, seconds) {
  const corpus = path.join(build, 'corpus-run', name);
  const artifacts = path.join(build, 'artifacts', name);
  fs.rmSync(corpus, { recursive: true, force: true });
  fs.rmSync(artifacts, { recursive: true, force: true });
  fs.mkdirSync(artifacts, { recursive: true });
  fs.cpSync(path.join(root, 'test', 'fuzz', 'corpus', name), corpus, { recursive: true });
  const args = [`-max_total_time=${seconds}`, '-timeout=20', '-rss_limit_mb=2048', '-max_len=4096', '-print_final_stats=1',
    `-artifact_prefix=${artifacts}${path.sep}`];
  const dict = path.join(root, 'test', 'fuzz', `${name}.dict`);
  if (fs.existsSync(dict)) args.push(`-dict=${dict}`);
  args.push(corpus);
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(path.join(build, `fuzz_${name}`), args, {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=1', UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1' },
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; if (out.length > 1 << 22) out = out.slice(-(1 << 21)); });
    child.on('close', (code) => {
      const secs = Math.round((Date.now() - started) / 1000);
      const crashes = fs.readdirSync(artifacts).map((f) => path.join(artifacts, f));
      const execs = stat(out, 'number_of_executed_units');
      const ok = code === 0 && crashes.length === 0;
      if (!ok) {
        const tail = out.split('\n').filter((l) => /ERROR|SUMMARY|property violated|runtime error|#\d+ 0x|Test unit written|deadly signal/.test(l)).slice(0, 40);
        process.stdout.write(`\n--- fuzz_${name} failed (exit ${code}):\n${tail.join('\n')}\n`);
        for (const c of crashes) process.stdout.write(`crash input: ${c}\n`);
      }
      const note = ok ? `${execs ?? '?'} runs in ${secs} s, corpus ${fs.readdirSync(corpus).length} inputs`
        : `exit ${code}${crashes.length ? `, crash input ${crashes[0]}` : ''}`;
      resolve({ name, ok, note });
    });
  });
}

async function runAll(root, build, seconds) {
  const queue = [...FUZZERS];
  const results = [];
  const worker = async () => {
    while (queue.length) results.push(await runOne(root, build, queue.shift(), seconds));
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return results;
}

/**
 * The suite, for scripts/run-tests.js: ctx = { root, log, record, skip, jobs }. Synchronous
 * (runs the parallel part in a child process) like the other suites.
 */
function fuzzSuite(ctx) {
  const { root, log, record, skip } = ctx;
  log('fuzz (libFuzzer, ASan + UBSan)');
  const cxx = clang();
  if (!cxx) return skip('fuzz', 'clang++ not installed (Debian: clang libclang-rt-14-dev)');
  const build = path.join(root, 'build-fuzz');
  const started = Date.now();
  let r = spawnSync('cmake', ['-S', '.', '-B', build, '-DCMAKE_BUILD_TYPE=RelWithDebInfo', `-DCMAKE_CXX_COMPILER=${cxx}`,
    '-DNNSLIM_FUZZ=ON', '-DNNSLIM_TESTS=OFF'], { cwd: root, stdio: 'inherit' });
  if (r.status === 0) r = spawnSync('cmake', ['--build', build, '-j', String(ctx.jobs || 2)], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) return record('fuzz build', 0, 1, 'cmake build with clang failed (libclang-rt-14-dev installed?)');
  const seconds = Number(process.env.NNSLIM_FUZZ_SECONDS || 60);
  const child = spawnSync(process.execPath, [__filename, '--run', build, String(seconds)], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
  const lines = (child.stdout || '').split('\n');
  const marker = lines.findIndex((l) => l.startsWith('FUZZ-RESULTS '));
  process.stdout.write(lines.filter((_, i) => i !== marker).join('\n'));
  if (marker < 0) return record('fuzz', 0, 1, `runner failed (exit ${child.status})`);
  for (const res of JSON.parse(lines[marker].slice('FUZZ-RESULTS '.length))) record(`fuzz ${res.name}`, res.ok ? 1 : 0, res.ok ? 0 : 1, res.note);
  log(`fuzz suite: ${Math.round((Date.now() - started) / 1000)} s (build + ${FUZZERS.length} fuzzers x ${seconds} s, ${PARALLEL} at a time)`);
}

module.exports = fuzzSuite;

if (require.main === module) {
  const root = path.join(__dirname, '..', '..');
  if (process.argv[2] === '--run') {
    runAll(root, process.argv[3], Number(process.argv[4])).then((res) => {
      process.stdout.write(`\nFUZZ-RESULTS ${JSON.stringify(res)}\n`);
    });
  } else {
    let failed = 0;
    const record = (name, p, f, note) => { failed += f; console.log(`${f ? 'FAIL' : 'ok  '} ${name}${note ? ` (${note})` : ''}`); };
    fuzzSuite({ root, log: (m) => console.log(`\n=== ${m}`), record, skip: (name, why) => { failed += process.env.CI === 'true' ? 1 : 0; console.log(`skip ${name}: ${why}`); }, jobs: 2 });
    process.exit(failed ? 1 : 0);
  }
}
