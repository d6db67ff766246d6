'use strict';
// What the benchmarks build on demand: nnslim itself (TypeScript and the addon, when missing
// or older than their sources), the peers' C++ programs (g++, cached by source and command),
// and onnxruntime-node in its own folder. Each step reports `{ ok, error?, ... }` and never throws.
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const ORT_VERSION = '1.22.0';

function newestMtime(paths) {
  let newest = 0;
  const visit = (p) => {
    let st;
    try {
      st = fs.statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) visit(path.join(p, e));
    else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of paths) visit(p);
  return newest;
}

function mtime(p) {
  try {
    return fs.statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26, ...opts });
  const output = `${r.stdout || ''}${r.stderr || ''}`;
  if (r.error) return { ok: false, error: `${cmd}: ${r.error.message}`, output };
  if (r.status !== 0) return { ok: false, error: `${cmd} ${args.join(' ')} exited with ${r.status}`, output };
  return { ok: true, output };
}

/** The command line that runs npm: the npm of `npm run` when there is one, else `npm` on PATH. */
function npmCommand() {
  const cli = process.env.npm_execpath;
  if (cli && /\.c?js$/.test(cli) && fs.existsSync(cli)) return [process.execPath, [cli]];
  return ['npm', []];
}

/**
 * Makes sure dist/ and build/Release/nnslim.node exist and are not older than lib/ and
 * native/ (+ binding.gyp); rebuilds what is stale unless `rebuild` is false.
 * Returns `{ ok, built: [...], stale: [...], error? }`.
 */
function ensureNnslim(root, { rebuild = true, log = () => {} } = {}) {
  const built = [];
  const stale = [];
  const distIndex = path.join(root, 'dist', 'index.js');
  const addon = path.join(root, 'build', 'Release', 'nnslim.node');
  const tsNewest = newestMtime([path.join(root, 'lib'), path.join(root, 'tsconfig.json')]);
  const nativeNewest = newestMtime([path.join(root, 'native'), path.join(root, 'binding.gyp')]);
  const [npm, npmArgs] = npmCommand();
  const prebuilds = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  const hasPrebuild = fs.existsSync(prebuilds) && fs.readdirSync(prebuilds).some((f) => f.endsWith('.node'));
  if (hasPrebuild && !fs.existsSync(addon)) {
    // node-gyp-build loads the prebuild: nothing to build.
  } else if (!fs.existsSync(addon) || mtime(addon) < nativeNewest) {
    if (fs.existsSync(addon) && !rebuild) stale.push('build/Release/nnslim.node is older than native/');
    else {
      log('building the addon (node-gyp rebuild)');
      const r = run(npm, [...npmArgs, 'run', 'build:native', '--', '-j', '2'], { cwd: root });
      if (!r.ok) return { ok: false, built, stale, error: `${r.error}\n${r.output.split('\n').slice(-15).join('\n')}` };
      built.push('addon');
    }
  }
  if (!fs.existsSync(distIndex) || mtime(distIndex) < tsNewest) {
    if (fs.existsSync(distIndex) && !rebuild) stale.push('dist/ is older than lib/');
    else {
      log('building dist/ (tsc)');
      const r = run(npm, [...npmArgs, 'run', 'build:ts'], { cwd: root });
      if (!r.ok) return { ok: false, built, stale, error: `${r.error}\n${r.output.split('\n').slice(-15).join('\n')}` };
      built.push('dist');
    }
  }
  return { ok: true, built, stale };
}

/**
 * Compiles a C++ benchmark program with g++ (or $CXX) into `outDir`, unless a binary built from
 * the same source and command line is already there. `pkgConfig` names a pkg-config package
 * whose flags are used when available, `fallbackLibs` the flags used otherwise.
 * Returns `{ ok, exe, cmd, error? }`.
 */
function compileCxx({ src, outDir, name, flags = [], pkgConfig = null, fallbackLibs = [] }) {
  const cxx = process.env.CXX || 'g++';
  let libFlags = fallbackLibs;
  if (pkgConfig) {
    const r = run('pkg-config', ['--cflags', '--libs', pkgConfig]);
    if (r.ok && r.output.trim()) libFlags = r.output.trim().split(/\s+/);
  }
  const exe = path.join(outDir, name);
  const args = ['-O2', '-std=c++17', ...flags, '-o', exe, src, ...libFlags];
  const cmd = `${cxx} ${args.join(' ')}`;
  let source;
  try {
    source = fs.readFileSync(src);
  } catch (err) {
    return { ok: false, exe, cmd, error: err.message };
  }
  const stamp = crypto.createHash('sha256').update(source).update(cmd).digest('hex');
  const stampFile = `${exe}.stamp`;
  if (fs.existsSync(exe) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) return { ok: true, exe, cmd, cached: true };
  fs.mkdirSync(outDir, { recursive: true });
  const r = run(cxx, args);
  if (!r.ok) return { ok: false, exe, cmd, error: `${r.error}\n${r.output.split('\n').slice(0, 12).join('\n')}` };
  fs.writeFileSync(stampFile, stamp);
  return { ok: true, exe, cmd, cached: false };
}

/** The onnxruntime-node version pinned by `dir`/package.json (bench/peers/ort), else ORT_VERSION. */
function pinnedOrtVersion(dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).dependencies['onnxruntime-node'] || ORT_VERSION;
  } catch {
    return ORT_VERSION;
  }
}

/**
 * Makes sure onnxruntime-node is installed in `dir` (bench/peers/ort, whose package.json and
 * lockfile pin it): when missing or of another version and `install` is true, runs `npm ci` there
 * (`npm install` of the pinned version when there is no lockfile) with
 * ONNXRUNTIME_NODE_INSTALL=skip: its CPU binaries ship inside the npm package and nothing else
 * is downloaded. Returns `{ ok, version?, installed?, error? }`.
 */
function ensureOrt(dir, { install = true, log = () => {} } = {}) {
  const version = pinnedOrtVersion(dir);
  const pkg = path.join(dir, 'node_modules', 'onnxruntime-node', 'package.json');
  const have = () => {
    try {
      return JSON.parse(fs.readFileSync(pkg, 'utf8')).version;
    } catch {
      return null;
    }
  };
  const current = have();
  if (current === version) return { ok: true, version: current, installed: false };
  if (!install) return { ok: false, error: `onnxruntime-node ${version} is not installed in ${dir} (run without --no-install)` };
  log(`installing onnxruntime-node@${version} into ${path.relative(process.cwd(), dir) || dir}`);
  fs.mkdirSync(dir, { recursive: true });
  const [npm, npmArgs] = npmCommand();
  const common = ['--prefix', dir, '--no-audit', '--no-fund'];
  const args = fs.existsSync(path.join(dir, 'package-lock.json'))
    ? ['ci', ...common]
    : ['install', ...common, '--no-save', '--no-package-lock', `onnxruntime-node@${version}`];
  const r = run(npm, [...npmArgs, ...args], { env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });
  if (!r.ok) return { ok: false, error: `${r.error}\n${r.output.split('\n').slice(-10).join('\n')}` };
  const after = have();
  if (after !== version) return { ok: false, error: `npm finished but onnxruntime-node ${version} is not in ${dir} (found ${after})` };
  return { ok: true, version: after, installed: true };
}

module.exports = { ORT_VERSION, ensureNnslim, compileCxx, ensureOrt, pinnedOrtVersion, newestMtime, npmCommand };
