import { describe, expect, it } from 'vitest';
import { close, type GroupSpec, type Kind, loadFixture, makeOptimizer, makeScheduler, params } from './helpers';

interface OptCase {
  name: string;
  optimizer: Kind;
  options: Record<string, unknown>;
  groups: GroupSpec[] | null;
  init: number[][];
  steps: Array<{ grads: number[][]; params: number[][] }>;
  schedule?: { scheduler: string; options: Record<string, unknown> };
}

const fx = loadFixture<{ meta: { sizes: number[] }; cases: OptCase[] }>('optimizers.json');

const REL = 1e-6;
const ABS = 1e-7;

describe('optimizer trajectories match float32 PyTorch (foreach=False)', () => {
  let exact = 0;
  let total = 0;
  for (const c of fx.cases) {
    it(c.name, () => {
      const ps = params(fx.meta.sizes, c.init);
      const opt = makeOptimizer(c.optimizer, c.options, c.groups, ps);
      const sched = c.schedule ? makeScheduler(opt, c.schedule.scheduler, c.schedule.options) : null;
      let ce = 0;
      let ct = 0;
      let firstMiss = '';
      c.steps.forEach((s, step) => {
        ps.forEach((p, k) => p.grad.set(s.grads[k]));
        opt.step();
        sched?.step();
        ps.forEach((p, k) => {
          const want = s.params[k];
          for (let i = 0; i < want.length; i++) {
            total++;
            ct++;
            if (Object.is(p.data[i], want[i])) {
              exact++;
              ce++;
              continue;
            }
            if (!firstMiss) firstMiss = `step ${step + 1} param ${k}[${i}]`;
            if (!close(p.data[i], want[i], REL, ABS)) {
              expect.fail(`${c.name}: step ${step + 1}, param ${k}[${i}]: got ${p.data[i]}, PyTorch ${want[i]}`);
            }
          }
        });
      });
      if (process.env.NNSLIM_OPTIM_VERBOSE) console.log(`${c.name}: ${ce}/${ct} bit-identical; first difference ${firstMiss || 'none'}`);
    });
  }
  it('reports bit-exact agreement', () => {
    // Informational: the fused-multiply-add emulation makes nearly every element bit-identical.
    console.log(`optimizer parity: ${exact}/${total} elements bit-identical to PyTorch`);
    expect(exact / total).toBeGreaterThan(0.99);
  });
});
