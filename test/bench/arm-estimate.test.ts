import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const est = require('../../bench/arm-estimate.js');
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const core = {
  name: 'toy', ghz: 2, decode: 4,
  pipes: { fmla: [['V0', 'V1'], 2], smlal: [['V0'], 1], sxtl: [['V1'], 1], load_q: [['L'], 1], wide: [['V0', 'V1'], 1] },
  lacks: ['sdot'],
  peak: { fp32: { macsPerCycle: 8, how: '' }, int8: { macsPerCycle: 16, how: '' } },
};

describe('ARM paper estimate model', () => {
  it('bounds cycles by decode width', () => {
    const r = est.cyclesPerIteration({ instrs: 40, mix: { fmla: 2, int: 30 } }, core);
    expect(r).toEqual({ cycles: 10, limit: 'decode' });
  });

  it('bounds cycles by a single pipe and by a pipe pair', () => {
    // smlal only on V0: 6 cycles there; fmla spreads over both pipes.
    expect(est.cyclesPerIteration({ instrs: 8, mix: { smlal: 6, fmla: 2 } }, core)).toEqual({ cycles: 6, limit: 'V0' });
    // V0+V1 together: (4 smlal + 4 sxtl + 8 fmla) / 2 pipes = 8 > 4 on either pipe alone.
    expect(est.cyclesPerIteration({ instrs: 16, mix: { smlal: 4, sxtl: 4, fmla: 8 } }, core)).toEqual({ cycles: 8, limit: 'V0+V1' });
    // A class with throughput 1 on two pipes occupies both for a cycle.
    expect(est.cyclesPerIteration({ instrs: 3, mix: { wide: 3 } }, core).cycles).toBe(3);
  });

  it('reports a class the core lacks as not applicable and rejects an unknown class', () => {
    expect(est.cyclesPerIteration({ instrs: 4, mix: { sdot: 4 } }, core)).toBeNull();
    expect(() => est.cyclesPerIteration({ instrs: 4, mix: { vfoo: 4 } }, core)).toThrow(RangeError);
  });

  it('the committed description covers every class on every core, with MACs and an instruction count', () => {
    const desc = est.load(root);
    const rows = est.estimate(desc);
    expect(rows.length).toBe(desc.kernels.length * desc.cores.length);
    for (const k of desc.kernels) {
      expect(k.macs).toBeGreaterThan(0);
      const counted = Object.values(k.mix as Record<string, number>).reduce((a, b) => a + b, 0);
      expect(k.instrs).toBeGreaterThanOrEqual(counted - (k.mix.load_q ?? 0)); // paired loads count once
    }
    for (const r of rows) if (r.gops !== null) expect(r.gops).toBeLessThanOrEqual(r.peakGops + 1e-9);
    const md = est.render(desc, rows);
    expect(md).toMatch(/not a measurement/);
    expect(md).toMatch(/Cortex-A72 Software Optimization Guide/);
  });
});
