import { describe, expect, it } from 'vitest';
import { advance, close, loadFixture, momenta, type SchedCase, setup } from './helpers';

const fx = loadFixture<{ cases: SchedCase[] }>('schedulers.json');

/** LRs are doubles computed like Python; libm cos/pow may differ from V8's by an ulp. */
const REL = 1e-12;
const ABS = 1e-18;

describe('LR schedulers match PyTorch 1.13', () => {
  let exact = 0;
  let total = 0;
  let maxRel = 0;
  for (const c of fx.cases) {
    it(`${c.name} (${c.scheduler}, ${c.lrs.length - 1} steps)`, () => {
      const { opt, sched } = setup(c);
      const check = (i: number) => {
        const got = sched.getLastLr();
        const want = c.lrs[i];
        expect(got.length).toBe(want.length);
        got.forEach((v, k) => {
          total++;
          if (Object.is(v, want[k])) {
            exact++;
            return;
          }
          maxRel = Math.max(maxRel, Math.abs(v - want[k]) / Math.abs(want[k]));
          if (!close(v, want[k], REL, ABS)) expect.fail(`${c.name}: after step ${i}, group ${k}: got ${v}, PyTorch ${want[k]}`);
        });
        opt.paramGroups.forEach((g, k) => expect(close(g.lr, want[k], REL, ABS)).toBe(true));
        if (c.momentum) {
          momenta(opt).forEach((m, k) => {
            if (!close(m, c.momentum![i][k], REL, ABS)) expect.fail(`${c.name}: momentum after step ${i}, group ${k}: got ${m}, PyTorch ${c.momentum![i][k]}`);
          });
        }
      };
      check(0);
      for (let i = 0; i < c.lrs.length - 1; i++) {
        opt.step();
        advance(c, sched, i);
        check(i + 1);
      }
    });
  }
  it('reports exact agreement', () => {
    console.log(`scheduler parity: ${exact}/${total} learning rates identical to PyTorch's doubles, max relative difference ${maxRel.toExponential(2)}`);
    expect(exact / total).toBeGreaterThan(0.9);
  });
});
