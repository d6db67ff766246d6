// The glibc / libstdc++ floor of every prebuild present (prebuilds/linux-*/*.node), read
// from the dynamic symbol versions (objdump -T, or the cross objdump of the target).
// Fails when a prebuild needs a newer GLIBC or GLIBCXX than the documented floor.
// Used by scripts/run-tests.js; also runnable alone: node scripts/tests/glibc.js
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

// The bound README.md documents: glibc 2.28 and the libstdc++ of GCC 8 (Debian 10, Ubuntu 20.04, RHEL 8).
const MAX = { GLIBC: [2, 28], GLIBCXX: [3, 4, 25], CXXABI: [1, 3, 11] };
const OBJDUMP = { x64: 'x86_64-linux-gnu-objdump', arm64: 'aarch64-linux-gnu-objdump', arm: 'arm-linux-gnueabihf-objdump' };

function cmp(a, b) {
  for (let i = 0; i < Math.max(a.length, b.length); ++i) {
    const d = (a[i] || 0) - (b[i] || 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Highest version of each of GLIBC / GLIBCXX / CXXABI in `objdump -T` output, with one symbol that needs it. */
function floors(dump) {
  const out = {};
  for (const line of dump.split('\n')) {
    const m = /\b(GLIBC|GLIBCXX|CXXABI)_(\d+(?:\.\d+)*)\)?\s+(\S+)\s*$/.exec(line);
    if (!m) continue;
    const v = m[2].split('.').map(Number);
    if (!out[m[1]] || cmp(v, out[m[1]].v) > 0) out[m[1]] = { v, symbol: m[3] };
  }
  return out;
}

function objdumpFor(arch) {
  for (const tool of arch === process.arch ? ['objdump', OBJDUMP[arch]] : [OBJDUMP[arch]]) {
    if (tool && spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0) return tool;
  }
  return null;
}

/**
 * Checks every prebuild under root/prebuilds. record(name, passed, failed, note) and
 * skip(name, why) are run-tests.js's reporters. Returns the floors found, by prebuild.
 */
function checkPrebuilds({ root, record, skip }) {
  const dir = path.join(root, 'prebuilds');
  const found = {};
  const targets = fs.existsSync(dir) ? fs.readdirSync(dir).filter((d) => d.startsWith('linux-')) : [];
  if (targets.length === 0) {
    skip('glibc floor', 'no prebuilds/linux-* (npm run prebuild / prebuild:all)');
    return found;
  }
  for (const t of targets) {
    const arch = t.slice('linux-'.length);
    for (const f of fs.readdirSync(path.join(dir, t)).filter((x) => x.endsWith('.node'))) {
      const rel = `prebuilds/${t}/${f}`;
      const objdump = objdumpFor(arch);
      if (!objdump) {
        skip(`glibc floor ${rel}`, `no objdump for ${arch} (binutils for the target)`);
        continue;
      }
      const r = spawnSync(objdump, ['-T', path.join(dir, t, f)], { encoding: 'utf8', maxBuffer: 1 << 26 });
      if (r.status !== 0) {
        record(`glibc floor ${rel}`, 0, 1, `${objdump} -T failed: ${(r.stderr || '').trim()}`);
        continue;
      }
      const fl = floors(r.stdout);
      found[rel] = fl;
      const parts = [];
      let bad = 0;
      for (const key of ['GLIBC', 'GLIBCXX', 'CXXABI']) {
        if (!fl[key]) continue;
        const over = cmp(fl[key].v, MAX[key]) > 0;
        bad += over ? 1 : 0;
        parts.push(`${key}_${fl[key].v.join('.')}${over ? ` > ${MAX[key].join('.')} (${fl[key].symbol})` : ''}`);
      }
      if (!fl.GLIBC) {
        bad += 1;
        parts.push('no GLIBC symbol versions found');
      }
      console.log(`${rel}: needs ${parts.join(', ')}`);
      record(`glibc floor ${rel}`, bad ? 0 : 1, bad, parts.join(', '));
    }
  }
  return found;
}

module.exports = { checkPrebuilds, floors, MAX };

if (require.main === module) {
  let failed = 0;
  const root = path.join(__dirname, '..', '..');
  checkPrebuilds({
    root,
    record: (name, p, f, note) => {
      failed += f;
      console.log(`${f ? 'FAIL' : 'ok  '} ${name}${note ? ` (${note})` : ''}`);
    },
    skip: (name, why) => console.log(`skip ${name}: ${why}`),
  });
  process.exit(failed ? 1 : 0);
}
