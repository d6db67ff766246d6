'use strict';
// Suite `arm-estimate`: a paper estimate, not a measurement. From the committed description of
// each NEON kernel's inner loop (bench/arm-kernels.json: instructions per iteration by class,
// MACs per iteration) and each core's issue width and pipe throughputs (from Arm's public
// software optimization guides), the cycles per iteration are bounded below by
//   max( instrs / decode width,  max over sets S of pipes: sum of pipe-cycles of the classes
//        that can only use pipes in S, divided by |S| )
// where an instruction of a class with throughput t on pipes P costs |P| / t pipe-cycles.
// MACs / cycles x clock is the implied rate; latency, cache misses, branch mispredicts and
// thermal throttling are ignored, so real kernels land below it.
const fs = require('node:fs');
const path = require('node:path');
const { table, fmt, fmtPercent } = require('./lib/markdown');

const id = 'arm-estimate';
const title = 'ARM paper estimate (NEON kernels, not measured)';

/** Lower bound on cycles per iteration of `kernel` on `core`; null when the core lacks an instruction class. */
function cyclesPerIteration(kernel, core) {
  const classes = Object.entries(kernel.mix).filter(([cls]) => cls !== 'int');
  for (const [cls] of classes) {
    if ((core.lacks || []).includes(cls)) return null;
    if (!core.pipes[cls]) throw new RangeError(`core ${core.name} has no pipe figure for ${cls}`);
  }
  const pipes = [...new Set(Object.values(core.pipes).flatMap(([p]) => p))];
  let bound = kernel.instrs / core.decode;
  const binding = { what: 'decode', cycles: bound };
  for (let mask = 1; mask < 1 << pipes.length; ++mask) {
    const set = pipes.filter((_, i) => mask & (1 << i));
    let work = 0;
    for (const [cls, count] of classes) {
      const [p, tput] = core.pipes[cls];
      if (p.every((x) => set.includes(x))) work += (count * p.length) / tput;
    }
    const c = work / set.length;
    if (c > bound + 1e-9) {
      bound = c;
      binding.what = set.join('+');
      binding.cycles = c;
    }
  }
  return { cycles: bound, limit: binding.what };
}

/** Rows of the estimate: one per kernel and core. */
function estimate(desc) {
  const rows = [];
  for (const k of desc.kernels) {
    for (const core of desc.cores) {
      const r = cyclesPerIteration(k, core);
      const peak = core.peak[k.dtype];
      if (!r) {
        rows.push({ kernel: k.name, core: core.name, cycles: null, macsPerCycle: null, gops: null, peakGops: 2 * peak.macsPerCycle * core.ghz, limit: 'instruction not on this core' });
        continue;
      }
      const macsPerCycle = k.macs / r.cycles;
      rows.push({
        kernel: k.name, core: core.name, cycles: r.cycles, macsPerCycle, limit: r.limit,
        gops: 2 * macsPerCycle * core.ghz, peakGops: 2 * peak.macsPerCycle * core.ghz,
      });
    }
  }
  return rows;
}

function render(desc, rows) {
  const mixText = (m) => Object.entries(m).map(([c, n]) => `${n} ${c}`).join(', ');
  const lines = [`## ${title}`, ''];
  lines.push(
    'An estimate on paper, **not a measurement**: no ARM hardware ran these numbers. Each NEON kernel\'s',
    'inner iteration is described in `bench/arm-kernels.json` (instruction classes counted in the g++ 12 -O3',
    'disassembly or from the intrinsics, column "from"); `bench/arm-estimate.js` bounds its cycles by the',
    'decode width and by the busiest set of execution pipes, with per-class throughputs taken from the',
    'public optimization guides named below, and converts MACs per cycle into GOP/s (1 MAC = 2 ops) at the',
    'stated clock. It ignores latency chains, cache misses, the epilogue and packing, so real kernels run',
    'below these figures; int8 rates count int8 MACs, fp32 rates fp32 FMAs. The per-class pipe figures are',
    'transcribed by hand into `bench/arm-kernels.json` and have not been checked on hardware.',
    '',
    '### Inner loops',
    '',
    table(['kernel', 'ISA', 'iteration', 'MACs', 'instructions (by class)', 'from'],
      desc.kernels.map((k) => [`\`${k.name}\``, k.isa, k.iteration, k.macs, `${k.instrs}: ${mixText(k.mix)}${k.note ? ` (${k.note})` : ''}`, k.from])),
    '',
    '### Cores',
    '',
    table(['core', 'clock', 'decode / cycle', 'fp32 peak', 'int8 peak', 'pipe figures from'],
      desc.cores.map((c) => [c.name, `${c.ghz} GHz`, c.decode,
        `${fmt(2 * c.peak.fp32.macsPerCycle * c.ghz)} GFLOP/s (${c.peak.fp32.how})`,
        `${fmt(2 * c.peak.int8.macsPerCycle * c.ghz)} GOP/s (${c.peak.int8.how})`, c.source])),
    '',
    '### Implied throughput per core',
    '',
    table(['kernel', 'core', { title: 'cycles / iteration', align: 'right' }, 'bound by', { title: 'MACs / cycle', align: 'right' },
      { title: 'GOP/s', align: 'right' }, { title: 'core peak GOP/s', align: 'right' }, { title: 'of peak', align: 'right' }],
    rows.map((r) => [`\`${r.kernel}\``, r.core, r.cycles === null ? '—' : fmt(r.cycles), r.limit,
      r.macsPerCycle === null ? '—' : fmt(r.macsPerCycle), r.gops === null ? '—' : fmt(r.gops), fmt(r.peakGops),
      r.gops === null ? '—' : fmtPercent(r.gops / r.peakGops)])),
    '',
    'The armv7 kernels (`__neonfma`, `__neon_mull`) are what a 32-bit OS runs (Raspberry Pi OS armhf on a Pi 4);',
    'a 64-bit OS on the same core runs the aarch64 ones. For the streaming batchnorm kernel the figure is the',
    'in-cache ceiling; from DRAM it is bandwidth-bound (8 bytes moved per element).',
  );
  return lines.join('\n');
}

function load(root) {
  return JSON.parse(fs.readFileSync(path.join(root, 'bench', 'arm-kernels.json'), 'utf8'));
}

async function run(ctx) {
  const desc = load(ctx.root);
  const rows = estimate(desc);
  return { id, title, markdown: render(desc, rows), data: { rows } };
}

module.exports = { id, title, run, cyclesPerIteration, estimate, render, load };
