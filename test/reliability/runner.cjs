'use strict';
// Child process of bad_input.test.ts: runs the bad-input matrix over the built package and
// appends one JSON line per event to the file given by --out (written synchronously, so the
// parent knows which case was running if this process dies):
//   {"case": i, "path", "label"}   before case i runs
//   {"fail": ..., "path", "label", "why"}
//   {"done": true, "cases": n, "ms": t}
// Usage: node runner.cjs --out FILE [--from I] [--only PATH] [--stride K]
const fs = require('node:fs');
const path = require('node:path');
const { casesFor, snapshot, diff, dropKeys, sameResult } = require('./values.cjs');
const { resolve } = require('./surface.cjs');

const argv = process.argv.slice(2);
const outFile = argv[argv.indexOf('--out') + 1];
const from = argv.includes('--from') ? Number(argv[argv.indexOf('--from') + 1]) : 0;
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : null;
// --stride K: every K-th case of each export (its first always), for slow runs (under emulation).
const stride = argv.includes('--stride') ? Math.max(1, Number(argv[argv.indexOf('--stride') + 1]) || 1) : 1;
const root = path.join(__dirname, '..', '..');
const N = require(path.join(root, 'dist', 'index.js'));
const { table } = require('./table.cjs');
const fd = fs.openSync(outFile, 'a');
// Self-test of the crash / hang reporting: NNSLIM_BADINPUT_INJECT='{"crash":"<path> [<label>]","hang":"..."}'
const inject = process.env.NNSLIM_BADINPUT_INJECT ? JSON.parse(process.env.NNSLIM_BADINPUT_INJECT) : {};
const emit = (o) => fs.writeSync(fd, JSON.stringify(o) + '\n');

const ASYNC_TIMEOUT_MS = 10_000;

function nameRegex(name) {
  const alts = name.split('|').map((n) => n.replace(/[.*+?^${}()[\]\\]/g, '\\$&'));
  return new RegExp(`(^|[^A-Za-z0-9_])(${alts.join('|')})([^A-Za-z0-9_]|$)`);
}

function invoke(target, spec) {
  const { self, args } = spec;
  if (target.kind === 'constructor') return new target.cls(...args);
  if (target.kind === 'method') return target.fn.apply(self, args);
  if (target.kind === 'static') return target.fn.apply(target.cls, args);
  return target.fn(...args);
}

async function settle(value) {
  if (!value || typeof value.then !== 'function') return value;
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('HANG: promise did not settle in 10 s')), ASYNC_TIMEOUT_MS); });
  try {
    return await Promise.race([value, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs one call; returns { ok, value } or { ok: false, err }. */
async function run(target, spec) {
  N.manualSeed(0);
  try {
    return { ok: true, value: await settle(invoke(target, spec)) };
  } catch (err) {
    if (err && /^HANG/.test(err.message)) throw err;
    return { ok: false, err };
  }
}

/** Cases of one table entry: [{ label, build(h) -> spec, expect, name }]. */
function entryCases(entry, h) {
  const out = [{ label: 'valid call', build: entry.call, expect: 'ok' }];
  const slots = entry.slots || [];
  // Shape mismatches between arguments (zero sizes, other ranks) may be reported on either argument.
  const allNames = slots.filter(Boolean).map((s) => s.split(':')[0]).join('|');
  const SHAPE_CASE = /zero rows|zero columns|rank [13]|shape \[2\^31|contents|length [+-] 1|empty/;
  slots.forEach((slot, i) => {
    if (!slot) return;
    const [slotName, kind] = slot.split(/:(.*)/s);
    const keys0 = entry.opts && entry.opts[i];
    // a missing or malformed options object may be reported through one of its keys
    const name = keys0 ? `${slotName}|${Object.keys(keys0).join('|')}` : slotName;
    for (const c of casesFor(kind, N.Tensor)) {
      // a missing required options object may be reported through the first required key it lacks
      if (kind === 'opts' && c.label === 'undefined') c.expect = 'type|range';
      out.push({ label: `${slotName} ${c.label}`, expect: c.expect, name: SHAPE_CASE.test(c.label) ? `${name}|${allNames}` : name, build: (hh, asRef) => {
        const spec = entry.call(hh);
        const valid = spec.args[i];
        const expect = typeof c.expect === 'function' ? c.expect(valid) : c.expect;
        spec.args = spec.args.slice();
        while (spec.args.length <= i) spec.args.push(undefined);
        spec.args[i] = asRef ? (c.ref ? c.ref(valid) : valid) : c.make(valid);
        spec.expect = expect;
        return spec;
      } });
    }
    const keys = entry.opts && entry.opts[i];
    if (keys) {
      for (const [key, kkind] of Object.entries(keys)) {
        const required = kkind.endsWith('!');
        for (const c of casesFor(required ? kkind.slice(0, -1) : kkind.endsWith('?') ? kkind : `${kkind}?`, N.Tensor)) {
          // a missing required option may be reported as a TypeError or a RangeError
          const cexpect = required && c.label === 'undefined' ? 'type|range' : c.expect;
          out.push({ label: `${slotName}.${key} ${c.label}`, expect: cexpect, name: SHAPE_CASE.test(c.label) ? `${key}|${allNames}` : key, build: (hh, asRef) => {
            const spec = entry.call(hh);
            const base = spec.args[i] && typeof spec.args[i] === 'object' ? spec.args[i] : {};
            const validValue = base[key] !== undefined ? base[key] : entry.optValid && entry.optValid[i] && entry.optValid[i][key] ? entry.optValid[i][key](hh, spec) : undefined;
            spec.args = spec.args.slice();
            while (spec.args.length <= i) spec.args.push(undefined);
            spec.args[i] = { ...base, [key]: asRef ? (c.ref ? c.ref(validValue) : validValue) : c.make(validValue) };
            spec.expect = typeof cexpect === 'function' ? cexpect(validValue) : cexpect;
            return spec;
          } });
        }
      }
    }
  });
  for (const x of entry.extra || []) out.push({ label: x.label, expect: x.expect, name: x.name, build: x.call });
  return out;
}

const KINDS = {
  type: { cls: TypeError, code: 'ERR_NNSLIM_TYPE', named: true },
  range: { cls: RangeError, code: 'ERR_NNSLIM_RANGE', named: true },
  state: { cls: Error, code: 'ERR_NNSLIM_STATE', named: false },
  fs: { cls: Error, code: 'ENOENT', named: false },
  format: { cls: Error, code: 'ERR_NNSLIM_FORMAT', named: false },
};

/** null when `err` is one of the expected kinds (with its code, and naming `name` where required). */
function checkError(err, kinds, name) {
  if (!(err instanceof Error)) return `threw a non-Error: ${String(err)}`;
  const got = `${err.constructor.name} (code ${err.code}): ${err.message}`;
  const match = kinds.map((k) => KINDS[k]).find((k) => k && err.code === k.code && err instanceof k.cls &&
    (k.cls !== Error || !(err instanceof TypeError || err instanceof RangeError)));
  if (!match) return `expected ${kinds.filter((k) => KINDS[k]).join(' or ')} error but got ${got}`;
  if (match.named && name && !nameRegex(name).test(err.message)) return `message does not name '${name}': ${err.message}`;
  return null;
}

async function runCase(target, entry, c, h) {
  const spec = c.build(h);
  let expect = spec.expect !== undefined ? spec.expect : c.expect;
  if (expect === null) return null; // not applicable to this valid value
  if (c.label === 'valid call' && entry.validExpect) expect = entry.validExpect;
  // per-entry overrides: expect { label: kind } and expectRe [[RegExp, kind, name?]]
  let name = c.name;
  if (entry.expect && entry.expect[c.label]) expect = entry.expect[c.label];
  const re = (entry.expectRe || []).find(([r]) => r.test(c.label));
  if (re) { expect = re[1]; if (re[2]) name = re[2]; }
  const kinds = expect === 'same' ? ['type', 'same'] : expect === 'nocrash' ? ['type', 'range', 'ok'] : expect.split('|');
  const documented = entry.ok && entry.ok.some((re) => re.test(c.label));
  const before = snapshot({ self: spec.self, args: spec.args });
  const r = await run(target, spec);
  if (expect === 'like0') {
    const ref = await run(target, c.build(h, true));
    if (r.ok !== ref.ok) return r.ok ? `returned, but the same call with 0 threw ${ref.err && ref.err.message}` : `threw ${r.err && r.err.message}, but the same call with 0 returned`;
    if (r.ok) return sameResult(r.value, ref.value, entry.ignore || []) ? null : 'result differs from the same call with 0';
    return r.err.constructor === ref.err.constructor && r.err.code === ref.err.code ? null : `threw ${r.err.message}; with 0: ${ref.err.message}`;
  }
  if (r.ok) {
    if (kinds.includes('ok') || documented) return null;
    if (kinds.includes('same')) {
      const ref = await run(target, c.build(h, true));
      if (!ref.ok) return `the same call on a plain copy threw: ${ref.err && ref.err.message}`;
      return sameResult(r.value, ref.value, entry.ignore || []) ? null : 'result differs from the same call on a plain copy (garbage)';
    }
    return `returned normally; expected ${expect}`;
  }
  if (kinds.length === 1 && kinds[0] === 'ok') return `valid call threw ${r.err && r.err.constructor && r.err.constructor.name}: ${r.err && r.err.message}`;
  // NaN / Infinity contents may surface downstream (e.g. as NaN logits): any coded error will do
  const bad = checkError(r.err, kinds, expect === 'nocrash' ? null : name);
  if (bad) return bad;
  if ((entry.partial || []).some((re) => re.test(c.label))) return null;
  const after = snapshot({ self: spec.self, args: spec.args });
  const d = diff(dropKeys(before, entry.consumes || []), dropKeys(after, entry.consumes || []));
  if (d !== null) return `threw but left its input modified at ${d}: ${r.err.message}`;
  return null;
}

async function main() {
  const t0 = Date.now();
  const h = require('./helpers.cjs')(N);
  let index = 0;
  for (const p of Object.keys(table).sort()) {
    if (only && !p.startsWith(only)) continue;
    const target = resolve(N, p);
    if (!target) continue; // the parent reports entries without an export
    const entry = table[p](h);
    let cases;
    try {
      cases = entryCases(entry, h);
    } catch (err) {
      emit({ fail: true, path: p, label: '(table)', why: `cannot build cases: ${err.stack}` });
      continue;
    }
    for (const [j, c] of cases.entries()) {
      if (j % stride !== 0) continue;
      const i = index++;
      if (i < from) continue;
      emit({ case: i, path: p, label: c.label });
      if (inject.crash === `${p} [${c.label}]`) process.kill(process.pid, 'SIGKILL'); // dies like a crash, without a core file
      if (inject.hang === `${p} [${c.label}]`) for (;;);
      let why;
      try {
        why = await runCase(target, entry, c, h);
      } catch (err) {
        why = `harness error: ${err && err.stack}`;
      }
      const known = why && (entry.known || []).find(([re]) => re.test(c.label));
      if (known) emit({ known: true, path: p, label: c.label, why: `${known[1]}: ${why}` });
      else if (why) emit({ fail: true, path: p, label: c.label, why });
    }
  }
  // files written by the io entries (table_misc.cjs)
  const os = require('node:os');
  for (const f of fs.readdirSync(os.tmpdir())) {
    if (f.startsWith(`nnslim-badinput-${process.pid}-`)) fs.rmSync(path.join(os.tmpdir(), f), { force: true });
  }
  emit({ done: true, cases: index, ms: Date.now() - t0 });
  fs.closeSync(fd);
  // Background work (e.g. the kernel pool) must not keep the process alive.
  process.exit(0);
}

main().catch((err) => {
  emit({ fail: true, path: '(runner)', label: '(runner)', why: err.stack });
  process.exit(1);
});
