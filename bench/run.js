#!/usr/bin/env node
'use strict';
// `npm run bench`: runs the benchmark suites (bench/<suite>.js) and writes their sections into
// BENCHMARKS.md. Each suite returns the markdown of its own section; this file keeps the
// document's frame (title, intro, how to reproduce) and replaces only the sections it reran,
// so a suite can be rerun alone and a hand-edited intro survives.
//
//   npm run bench                      every suite, full run, writes BENCHMARKS.md
//   npm run bench -- --quick           smoke run (subset of shapes, short timings); prints the
//                                      markdown and writes it to a temporary file, not BENCHMARKS.md
//   options: --suite=gemm[,..]  --rounds=N  --out=FILE  --json=FILE  --no-build  --no-install  --no-ort
//            --frame-only (run no suite: rewrite the title, intro and reproduce parts, keep the sections)
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { upsertSection, getSection } = require('./lib/markdown');
const { machine } = require('./lib/cpu');

const ROOT = path.resolve(__dirname, '..');

/**
 * Suites in report order; a suite is a bench/<id>.js exporting { id, title, run(ctx) } (see
 * bench/README.md). Ids whose file is not there are left out.
 */
const SUITES = ['gemm', 'int8', 'sparse', 'batchnorm', 'arm-estimate'].filter((id) => fs.existsSync(path.join(__dirname, `${id}.js`)));

const DEFAULT_INTRO = [
  'Throughput of nnslim\'s native kernels on the CPU, next to established libraries measured in the same',
  'run on the same machine. Every number below is produced by `npm run bench` (bench/run.js) from the',
  'committed code; sections are regenerated whole, one per suite.',
].join('\n');

function reproduce() {
  return [
    '## How to reproduce',
    '',
    '```sh',
    'npm install                      # builds the addon (node-gyp) and dist/',
    'apt-get install libopenblas-dev  # optional: the OpenBLAS peer (skipped with a note when missing)',
    'npm run bench                    # all suites -> BENCHMARKS.md (about 15 minutes)',
    'npm run bench -- --quick         # smoke run: fewer shapes, short timings, prints markdown, leaves BENCHMARKS.md alone',
    'npm run bench -- --suite=gemm    # one suite; the other sections are kept',
    '```',
    '',
    'The harness builds what it needs: the addon and dist/ when they are missing or older than their sources',
    '(`--no-build` uses stale ones as they are), the C++ peers in bench/.build/ with g++, and onnxruntime-node in bench/peers/ort/, pinned by',
    'that folder\'s package.json and lockfile (`npm ci` with `ONNXRUNTIME_NODE_INSTALL=skip`: its CPU binaries ship inside',
    'the npm package; `--no-install` or `--no-ort` to skip).',
    'These peers are benchmark-only and never dependencies of the package. Other options: `--rounds=N`,',
    '`--out=FILE`, `--json=FILE` (raw per-round results). Run on an otherwise idle machine: each configuration',
    'runs in its own child process and contenders are interleaved, but concurrent load still moves the numbers.',
  ].join('\n');
}

/** Parses argv into options; unknown flags are an error. */
function parseArgs(argv) {
  const opts = { quick: false, suites: SUITES, rounds: null, out: null, json: null, build: true, install: true, skipOrt: false };
  for (const arg of argv) {
    const [flag, value] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, null];
    if (flag === '--quick') opts.quick = true;
    else if (flag === '--suite' && value) opts.suites = value.split(',').map((s) => s.trim()).filter(Boolean);
    else if (flag === '--rounds' && value && Number.isInteger(Number(value)) && Number(value) > 0) opts.rounds = Number(value);
    else if (flag === '--out' && value) opts.out = path.resolve(value);
    else if (flag === '--json' && value) opts.json = path.resolve(value);
    else if (flag === '--no-build') opts.build = false;
    else if (flag === '--no-install') opts.install = false;
    else if (flag === '--no-ort') opts.skipOrt = true;
    else if (flag === '--frame-only') opts.suites = [];
    else if (flag === '--help' || flag === '-h') opts.help = true;
    else throw new RangeError(`unknown or malformed option ${arg} (see the header of bench/run.js)`);
  }
  for (const s of opts.suites) {
    if (!SUITES.includes(s)) throw new RangeError(`unknown suite ${s}; known: ${SUITES.join(', ')}`);
  }
  return opts;
}

/**
 * The new document: `previous` (the current file, or '') with the title, the intro (kept when
 * present), each suite section in `sections` ({ id, markdown }) and the reproduce section.
 */
function renderDocument(previous, sections) {
  let doc = previous && previous.trim() ? previous : '# nnslim benchmarks\n';
  if (getSection(doc, 'intro') === null) doc = upsertSection(doc, 'intro', DEFAULT_INTRO);
  for (const s of sections) doc = upsertSection(doc, s.id, s.markdown, { before: 'reproduce' });
  doc = upsertSection(doc, 'reproduce', reproduce());
  return doc.endsWith('\n') ? doc : `${doc}\n`;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    const header = fs.readFileSync(__filename, 'utf8').split('\n').slice(2);
    const end = header.findIndex((l) => !l.startsWith('//'));
    process.stdout.write(`${header.slice(0, end).map((l) => l.replace(/^\/\/ ?/, '')).join('\n')}\n`);
    return;
  }
  const started = Date.now();
  const log = (msg) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}\n`);
  const ctx = {
    root: ROOT,
    quick: opts.quick,
    rounds: opts.rounds,
    build: opts.build,
    install: opts.install,
    skipOrt: opts.skipOrt,
    date: `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    machine: machine(),
    log,
  };
  const results = [];
  const failed = [];
  for (const id of opts.suites) {
    log(`suite ${id}`);
    try {
      const suite = require(path.join(__dirname, `${id}.js`));
      results.push(await suite.run(ctx));
    } catch (err) {
      // Keep the section the file already has; say so and fail the command at the end.
      failed.push(id);
      log(`suite ${id} failed, its section is left as it was: ${err && err.stack ? err.stack : err}`);
    }
  }
  const out = opts.out || (opts.quick ? path.join(os.tmpdir(), 'nnslim-BENCHMARKS.quick.md') : path.join(ROOT, 'BENCHMARKS.md'));
  const previous = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
  fs.writeFileSync(out, renderDocument(previous, results.map((r) => ({ id: r.id, markdown: r.markdown }))));
  if (opts.json) fs.writeFileSync(opts.json, `${JSON.stringify({ date: ctx.date, machine: ctx.machine, quick: opts.quick, suites: results.map((r) => ({ id: r.id, ...r.data })) }, null, 2)}\n`);
  if (opts.quick) process.stdout.write(`${results.map((r) => r.markdown).join('\n\n')}\n\n`);
  log(`wrote ${path.relative(process.cwd(), out) || out} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (failed.length) {
    log(`failed suites: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`bench: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 1;
  });
}

module.exports = { parseArgs, renderDocument, SUITES, DEFAULT_INTRO };
