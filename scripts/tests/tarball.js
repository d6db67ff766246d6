// The packed package as a user gets it: `npm pack`, then install the tarball into a scratch project
// on a PATH with no compiler (only node, npm and sh), so that the install script (node-gyp-build)
// must find a prebuild: its fallback, `node-gyp rebuild`, cannot work there. Then, per architecture
// (x64 natively, arm64 and armv7 under qemu), the install script runs again with that
// architecture's node, and a script requires nnslim, checks cpuInfo().arch, that the addon loaded
// is prebuilds/linux-<arch>/, and a small matmul against a naive loop.
//
// Used by scripts/run-tests.js after prebuild:all: require('./tests/tarball').tarballSuite(ctx).
// Also `node scripts/tests/tarball.js` on its own.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ARM, armNode } = require('./arm-node');

const root = path.join(__dirname, '..', '..');

// Runs in the scratch project with each architecture's node; prints one JSON line.
const CHECK = `'use strict';
const path = require('node:path');
const nnslim = require('nnslim');
const addon = require('node-gyp-build').path(path.dirname(require.resolve('nnslim/package.json')));
const m = 7, k = 19, n = 13;
let s = 1;
const rand = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 2 ** 32 - 0.5; };
const a = Float32Array.from({ length: m * k }, rand), b = Float32Array.from({ length: k * n }, rand);
const y = nnslim.matmul(new nnslim.Tensor(a, [m, k]), new nnslim.Tensor(b, [k, n]));
let maxErr = 0;
for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
  let acc = 0;
  for (let p = 0; p < k; p++) acc += a[i * k + p] * b[p * n + j];
  maxErr = Math.max(maxErr, Math.abs(acc - y.data[i * n + j]));
}
const info = nnslim.cpuInfo();
console.log(JSON.stringify({ arch: info.arch, processArch: process.arch, isa: info.isa, sgemm: info.kernels.sgemm, addon, maxErr, shape: y.shape }));
`;

function run(cmd, args, opts) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26, ...opts });
  return { status: r.status, out: `${r.stdout || ''}${r.stderr || ''}${r.error ? r.error.message : ''}`, stdout: r.stdout || '' };
}

/** npm's own entry point, next to this node (npm is run with the host node, never an emulated one). */
function npmCli() {
  const beside = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
  if (fs.existsSync(beside)) return beside;
  return fs.realpathSync(spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim());
}

/** A bin folder with only node (the given one, or a qemu wrapper), npm and sh; and an env without npm/compiler settings. */
function bareEnv(dir, node, prefix) {
  fs.mkdirSync(dir, { recursive: true });
  const nodeBin = path.join(dir, 'node');
  if (prefix) {
    // #!/bin/sh wrapper: shebangs (`#!/usr/bin/env node`) then start the ARM node under qemu.
    const q = spawnSync('sh', ['-c', `command -v ${prefix[0]}`], { encoding: 'utf8' }).stdout.trim();
    fs.writeFileSync(nodeBin, `#!/bin/sh\nexec ${[q, ...prefix.slice(1), node].map((x) => `'${x}'`).join(' ')} "$@"\n`, { mode: 0o755 });
  } else {
    fs.symlinkSync(node, nodeBin);
  }
  fs.symlinkSync(npmCli(), path.join(dir, 'npm'));
  fs.symlinkSync('/bin/sh', path.join(dir, 'sh'));
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|NODE_|CC$|CXX$|LINK$|AR$|CC_host|CXX_host|LINK_host|PYTHON|PREBUILDS_ONLY|NNSLIM_)/i.test(k)) continue;
    env[k] = v;
  }
  env.PATH = dir;
  return env;
}


function tarballSuite(ctx) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nnslim-tarball-'));
  try {
    // 1. npm pack (dist/ is built by `npm test`; --ignore-scripts skips the prepare rebuild).
    const packDir = path.join(tmp, 'pack');
    fs.mkdirSync(packDir);
    const p = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], { cwd: root });
    let meta;
    try { meta = JSON.parse(p.stdout)[0]; } catch { meta = null; }
    if (p.status !== 0 || !meta) return ctx.record('tarball: npm pack', 0, 1, p.out.trim().split('\n').slice(-3).join(' | '));
    const files = meta.files.map((f) => f.path);
    const tgz = path.join(packDir, meta.filename);
    const bad = files.filter((f) => /^(build|build-[^/]*|node_modules|prebuilds\/[^/]+\/[^/]+\.(o|a))\//.test(f) || /(^|\/)node_modules\//.test(f));
    const wanted = ['linux-x64', 'linux-arm64', 'linux-arm'].map((d) => files.find((f) => f.startsWith(`prebuilds/${d}/`) && f.endsWith('.node')) || `(missing prebuilds/${d}/*.node)`);
    const missing = wanted.filter((f) => f.startsWith('(missing'));
    for (const need of ['package.json', 'dist/index.js', 'dist/index.mjs', 'dist/index.d.ts', 'binding.gyp']) if (!files.includes(need)) missing.push(`(missing ${need})`);
    console.log(`${meta.filename}: ${files.length} files, ${(meta.size / 1024).toFixed(0)} KiB packed; prebuilds: ${wanted.join(', ')}`);
    ctx.record('tarball: contents', bad.length || missing.length ? 0 : 1, bad.length || missing.length ? 1 : 0,
      [bad.length ? `must not contain ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ' ...' : ''}` : '', missing.join(', ')].filter(Boolean).join('; '));

    // 2. Install it into a scratch project where no compiler can be found.
    const proj = path.join(tmp, 'project');
    fs.mkdirSync(proj);
    fs.writeFileSync(path.join(proj, 'package.json'), '{ "name": "nnslim-scratch", "private": true }\n');
    fs.writeFileSync(path.join(proj, 'check.js'), CHECK);
    const env = bareEnv(path.join(tmp, 'bin-x64'), process.execPath, null);
    const compilers = run('/bin/sh', ['-c', 'for t in cc gcc g++ c++ clang make python3 python; do command -v $t; done; true'], { env }).out.trim();
    if (compilers) return ctx.record('tarball: install without a compiler', 0, 1, `found on the bare PATH: ${compilers}`);
    const inst = run(process.execPath, [npmCli(), 'install', '--ignore-scripts=false', '--foreground-scripts', '--no-audit', '--no-fund', '--prefer-offline', tgz], { cwd: proj, env });
    const pkgDir = path.join(proj, 'node_modules', 'nnslim');
    const built = fs.existsSync(path.join(pkgDir, 'build'));
    if (inst.status !== 0 || built) {
      console.log(inst.out);
      return ctx.record('tarball: install without a compiler', 0, 1, built ? 'node-gyp-build fell back to building from source' : `npm install failed (exit ${inst.status})`);
    }
    ctx.record('tarball: install without a compiler', 1, 0);

    // 3. Per architecture: the install script again with that node, then load + compute.
    const targets = [['x64', process.execPath, null]];
    for (const arch of ['arm64', 'arm']) {
      const t = ARM[arch];
      if (!ctx.have(t.qemu) || !fs.existsSync(t.sysroot)) { ctx.skip(`tarball: linux-${arch}`, `needs ${t.qemu} and ${t.sysroot}`); continue; }
      const node = armNode(arch);
      if (!node) { ctx.skip(`tarball: linux-${arch}`, `could not install ${t.pkg}`); continue; }
      targets.push([arch, node, [t.qemu, '-L', t.sysroot]]);
    }
    for (const [arch, node, prefix] of targets) {
      const name = `tarball: linux-${arch}`;
      const archEnv = prefix ? bareEnv(path.join(tmp, `bin-${arch}`), node, prefix) : env;
      if (prefix) {
        // npm (host node) runs the package's install script, whose `node` is now the ARM one.
        const rb = run(process.execPath, [npmCli(), 'rebuild', 'nnslim', '--ignore-scripts=false', '--foreground-scripts'], { cwd: proj, env: archEnv });
        if (rb.status !== 0 || fs.existsSync(path.join(pkgDir, 'build'))) {
          console.log(rb.out);
          ctx.record(name, 0, 1, `install script (node-gyp-build) failed under ${arch} node`);
          continue;
        }
      }
      const r = run(path.join(archEnv.PATH, 'node'), ['check.js'], { cwd: proj, env: archEnv });
      let j = null;
      try { j = JSON.parse(r.stdout.trim().split('\n').pop()); } catch { /* reported below */ }
      const problems = [];
      if (r.status !== 0 || !j) problems.push(`check.js failed (exit ${r.status}): ${r.out.trim().split('\n').slice(-3).join(' | ')}`);
      else {
        if (j.arch !== arch || j.processArch !== arch) problems.push(`cpuInfo().arch ${j.arch}, process.arch ${j.processArch}`);
        if (!j.addon.startsWith(path.join(pkgDir, 'prebuilds', `linux-${arch}`) + path.sep)) problems.push(`loaded ${j.addon}`);
        if (!(j.maxErr < 1e-5) || j.shape.join('x') !== '7x13') problems.push(`matmul max error ${j.maxErr}, shape ${j.shape}`);
      }
      console.log(`${name}: ${j ? `${path.relative(proj, j.addon)}, isa ${j.isa}, ${j.sgemm}, matmul max error ${j.maxErr.toExponential(1)}` : 'no result'}`);
      ctx.record(name, problems.length ? 0 : 1, problems.length ? 1 : 0, problems.join('; '));
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const totals = { passed: 0, failed: 0 };
  const ctx = {
    have: (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0,
    record: (name, p, f, note) => { totals.passed += p; totals.failed += f; console.log(`${f ? 'FAIL' : 'ok  '} ${name}: ${p} passed, ${f} failed${note ? ` (${note})` : ''}`); },
    skip: (name, why) => { totals.failed += 1; console.log(`FAIL ${name}: cannot run: ${why}`); },
  };
  tarballSuite(ctx);
  console.log(`${totals.passed} passed, ${totals.failed} failed`);
  process.exit(totals.failed ? 1 : 0);
}

module.exports = { tarballSuite };
