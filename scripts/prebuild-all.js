#!/usr/bin/env node
// `npm run prebuild:all`: N-API prebuilds for linux-x64 (native), linux-arm64 and linux-arm
// (armv7, hard float) cross-compiled with Debian's g++-aarch64-linux-gnu and
// g++-arm-linux-gnueabihf. Builds the cross targets first and x64 last, so build/ ends up
// holding the host's addon again. Prints the glibc floor of each prebuild.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const only = process.argv.slice(2);

const targets = [
  { arch: 'arm64', triple: 'aarch64-linux-gnu' },
  { arch: 'arm', triple: 'arm-linux-gnueabihf' },
  { arch: 'x64', triple: null },
].filter((t) => only.length === 0 || only.includes(t.arch));

function have(tool) {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

/** Highest GLIBC_x.y symbol version a shared object needs (objdump -T). */
function glibcFloor(file, objdump) {
  const r = spawnSync(objdump, ['-T', file], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const versions = [...r.stdout.matchAll(/GLIBC_(\d+)\.(\d+)(?:\.(\d+))?/g)].map((m) => [+m[1], +m[2], +(m[3] || 0)]);
  versions.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  const v = versions[versions.length - 1];
  return v ? `${v[0]}.${v[1]}${v[2] ? `.${v[2]}` : ''}` : 'none';
}

let failed = false;
const prebuildify = path.join(root, 'node_modules', 'prebuildify', 'bin.js');
for (const t of targets) {
  // node-gyp compiles one file at a time unless JOBS says otherwise.
  const env = { JOBS: String(os.availableParallelism()), ...process.env };
  const args = [prebuildify, '--napi', '--strip'];
  if (t.triple) {
    if (!have(`${t.triple}-g++`)) {
      console.error(`prebuild ${t.arch}: ${t.triple}-g++ is missing (apt-get install g++-${t.triple})`);
      failed = true;
      continue;
    }
    Object.assign(env, {
      CC: `${t.triple}-gcc`, CXX: `${t.triple}-g++`, LINK: `${t.triple}-g++`, AR: `${t.triple}-ar`,
      CC_host: 'gcc', CXX_host: 'g++', LINK_host: 'g++',
    });
    args.push('--arch', t.arch, '--strip-bin', `${t.triple}-strip`);
  }
  console.log(`\n=== prebuild linux-${t.arch}`);
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env });
  const dir = path.join(root, 'prebuilds', `linux-${t.arch}`);
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.node')) : [];
  if (r.status !== 0 || files.length === 0) {
    console.error(`prebuild ${t.arch} failed`);
    failed = true;
    continue;
  }
  const objdump = t.triple ? `${t.triple}-objdump` : 'objdump';
  for (const f of files) console.log(`prebuilds/linux-${t.arch}/${f}: needs GLIBC ${glibcFloor(path.join(dir, f), objdump)}`);
}
process.exit(failed ? 1 : 0);
