// The whole vitest suite against an AddressSanitizer + UndefinedBehaviorSanitizer build of the
// addon. The addon is built in build-asan/ (the tree the sanitized ctest suite already built
// the kernels in, same flags), into build-asan/addon/nnslim.node, and loaded through
// NNSLIM_ADDON_PATH with g++'s libasan preloaded into an uninstrumented Node. build/Release and
// prebuilds/ stay as they are. Leak checking is off (V8 itself is not leak-clean); any ASan
// report or UBSan runtime error aborts the test process, which fails its file.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

// Tests made lighter or left out when NNSLIM_TEST_SANITIZED=1 (printed with the result).
const EXCLUSIONS = [];

function nodeHeaders(root) {
  const candidates = [
    path.resolve(path.dirname(process.execPath), '..', 'include', 'node'),
    process.env.npm_config_nodedir && path.join(process.env.npm_config_nodedir, 'include', 'node'),
    path.join(os.homedir(), '.cmake-js', `node-${process.arch}`, process.version, 'include', 'node'),
    path.join(os.homedir(), '.cache', 'node-gyp', process.versions.node, 'include', 'node'),
  ].filter(Boolean);
  for (const dir of candidates) if (fs.existsSync(path.join(dir, 'node_api.h'))) return dir;
  // Let cmake-js find (or fetch) them, as `npm run build:cmake` does.
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js'), 'print-configure'], { cwd: root, encoding: 'utf8' });
  const m = /-DCMAKE_JS_INC=([^'\n]+)/.exec(`${r.stdout}${r.stderr}`);
  return m ? m[1].split(';')[0] : null;
}

function runtime(lib) {
  const r = spawnSync(process.env.CXX || 'g++', [`-print-file-name=${lib}`], { encoding: 'utf8' });
  const p = (r.stdout || '').trim();
  return r.status === 0 && path.isAbsolute(p) && fs.existsSync(p) ? p : null;
}

module.exports = function sanitizedVitest({ root, sh, have, record, skip, log, vitest, jobs }) {
  const name = 'vitest asan+ubsan addon';
  log(name);
  if (!have('cmake') || !have('g++')) return skip(name, 'needs cmake and g++');
  const libasan = runtime('libasan.so');
  if (!libasan) return skip(name, "g++'s libasan.so not found (apt-get install libasan8)");
  const inc = nodeHeaders(root);
  if (!inc) return skip(name, 'Node headers (node_api.h) not found');
  const t0 = Date.now();
  const buildDir = path.join(root, 'build-asan');
  const addonDir = path.join(buildDir, 'addon');
  const cmakeJsVersion = require(path.join(root, 'node_modules', 'cmake-js', 'package.json')).version;
  let r = sh('cmake', ['-S', '.', '-B', buildDir, '-DCMAKE_BUILD_TYPE=RelWithDebInfo', '-DNNSLIM_SANITIZE=ON', '-DNNSLIM_FORCED_ISA_TESTS=OFF',
    `-DCMAKE_JS_VERSION=${cmakeJsVersion}`, `-DCMAKE_JS_INC=${inc}`, '-DCMAKE_JS_SRC=', '-DCMAKE_JS_LIB=', `-DCMAKE_LIBRARY_OUTPUT_DIRECTORY=${addonDir}`], { capture: true });
  if (r.status === 0) r = sh('cmake', ['--build', buildDir, '--target', 'nnslim', '-j', jobs]);
  const addon = path.join(addonDir, 'nnslim.node');
  if (r.status !== 0 || !fs.existsSync(addon)) return record(name, 0, 1, 'sanitized addon build failed');
  const buildSeconds = Math.round((Date.now() - t0) / 1000);

  const env = {
    LD_PRELOAD: [libasan, process.env.LD_PRELOAD].filter(Boolean).join(':'),
    NNSLIM_ADDON_PATH: addon,
    NNSLIM_TEST_SANITIZED: '1',
    NNSLIM_ISA: '',
    ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1:allow_user_segv_handler=1',
    UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
  };
  // Preflight: the run really loads the instrumented addon with the runtime in place.
  const probe = spawnSync(process.execPath, ['-e', `
    const n = require(${JSON.stringify(path.join(root, 'dist', 'index.js'))});
    const maps = require('fs').readFileSync('/proc/self/maps', 'utf8');
    console.log(JSON.stringify({ asan: maps.includes('libasan'), addon: maps.includes(${JSON.stringify(addon)}), isa: n.cpuInfo().isa }));`],
  { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });
  let ok = false;
  try {
    const p = JSON.parse(probe.stdout);
    ok = p.asan && p.addon;
    console.log(`sanitized addon ${addon} (built in ${buildSeconds} s), libasan ${libasan}, isa ${p.isa}`);
  } catch { /* reported below */ }
  if (!ok) return record(name, 0, 1, `preflight: the sanitized addon did not load (${(probe.stderr || '').split('\n')[0]})`);
  console.log(`exclusions under NNSLIM_TEST_SANITIZED=1: ${EXCLUSIONS.length ? EXCLUSIONS.join('; ') : 'none'}`);
  const t1 = Date.now();
  vitest('asan+ubsan addon', env);
  console.log(`sanitized vitest wall time: ${Math.round((Date.now() - t1) / 1000)} s (+ ${buildSeconds} s addon build)`);
};
