import { describe, expect, it } from 'vitest';
import { Parameter } from '../../lib/nn/parameter';
import { lr, SGD, Adam, type OptimizerStateDict } from '../../lib/optim';
import { advance, close, type GroupSpec, type Kind, loadFixture, makeOptimizer, makeScheduler, momenta, params, type SchedCase, setup } from './helpers';

interface OptCase {
  name: string;
  optimizer: Kind;
  options: Record<string, unknown>;
  groups: GroupSpec[] | null;
  init: number[][];
  steps: Array<{ grads: number[][]; params: number[][] }>;
  schedule?: { scheduler: string; options: Record<string, unknown> };
}

const optFx = loadFixture<{ meta: { sizes: number[] }; cases: OptCase[] }>('optimizers.json');
const schedFx = loadFixture<{ cases: SchedCase[] }>('schedulers.json');

/** JSON round trip, with Float32Array buffers written as number arrays. */
function viaJson<T>(v: T): T {
  return JSON.parse(JSON.stringify(v, (_k, x) => (x instanceof Float32Array ? Array.from(x) : x))) as T;
}

describe('optimizer stateDict round trip (save mid-run, load into a fresh optimizer, continue)', () => {
  const SPLIT = 8;
  for (const c of optFx.cases) {
    it(c.name, () => {
      const ps = params(optFx.meta.sizes, c.init);
      const a = makeOptimizer(c.optimizer, c.options, c.groups, ps);
      const sa = c.schedule ? makeScheduler(a, c.schedule.scheduler, c.schedule.options) : null;
      for (let s = 0; s < SPLIT; s++) {
        ps.forEach((p, k) => p.grad.set(c.steps[s].grads[k]));
        a.step();
        sa?.step();
      }
      const sd = a.stateDict();
      // buffers are copies
      for (const entry of Object.values(sd.state)) {
        for (const v of Object.values(entry)) if (v instanceof Float32Array) v.fill(123);
      }
      const saved = viaJson(a.stateDict());
      const schedSaved = sa ? viaJson(sa.stateDict()) : null;
      const qs = ps.map((p) => new Parameter(p.data.slice()));
      const b = makeOptimizer(c.optimizer, { lr: 0.5 }, c.groups ? c.groups.map((g) => ({ params: g.params })) : null, qs);
      const sb = c.schedule ? makeScheduler(b, c.schedule.scheduler, c.schedule.options) : null;
      b.loadStateDict(saved);
      sb?.loadStateDict(schedSaved!);
      expect(viaJson(b.stateDict())).toEqual(saved);
      for (let s = SPLIT; s < c.steps.length; s++) {
        qs.forEach((p, k) => p.grad.set(c.steps[s].grads[k]));
        b.step();
        sb?.step();
        qs.forEach((p, k) => expect(Array.from(p.data)).toEqual(c.steps[s].params[k]));
      }
    });
  }

  it('plain JSON.stringify of a state dict (no replacer) loads back exactly', () => {
    const ps = params([5, 3], [[1, 2, 3, 4, 5], [6, 7, 8]]);
    const a = new Adam(ps, { lr: 0.1, amsgrad: true });
    ps.forEach((p) => p.grad.fill(0.25));
    a.step();
    const b = new Adam(params([5, 3]), { lr: 0.1, amsgrad: true });
    b.loadStateDict(JSON.parse(JSON.stringify(a.stateDict())));
    expect(viaJson(b.stateDict())).toEqual(viaJson(a.stateDict()));
    expect(b.stateDict().state['0'].expAvg).toBeInstanceOf(Float32Array);
  });

  it('a failed load leaves the optimizer unchanged', () => {
    const ps = params([4, 3], [[1, 2, 3, 4], [5, 6, 7]]);
    const opt = new Adam(ps, { lr: 0.1 });
    ps.forEach((p) => p.grad.fill(0.5));
    opt.step();
    const before = viaJson(opt.stateDict());
    const bad = viaJson(opt.stateDict());
    bad.paramGroups[0].lr = 0.2;
    (bad.state['1'] as Record<string, unknown>).expAvg = [1, 2];
    expect(() => opt.loadStateDict(bad)).toThrow(RangeError);
    expect(() => opt.loadStateDict(bad)).toThrow(/stateDict\.state\[1\]\.expAvg\.length/);
    expect(viaJson(opt.stateDict())).toEqual(before);
  });

  it('validates the structure of a state dict', () => {
    const ps = params([2, 2]);
    const opt = new SGD(ps, { lr: 0.1, momentum: 0.9 });
    opt.step();
    const good = opt.stateDict();
    const cases: Array<[unknown, ErrorConstructor, RegExp]> = [
      [null, TypeError, /stateDict/],
      [{ ...good, paramGroups: [] }, RangeError, /stateDict\.paramGroups\.length/],
      [{ ...good, paramGroups: [{ ...good.paramGroups[0], params: [0] }] }, RangeError, /stateDict\.paramGroups\[0\]\.params\.length/],
      [{ ...good, paramGroups: [{ ...good.paramGroups[0], momentum: 2 }] }, RangeError, /stateDict\.paramGroups\[0\]\.momentum/],
      [{ ...good, paramGroups: [{ ...good.paramGroups[0], bogus: 1 }] }, RangeError, /stateDict\.paramGroups\[0\]\.bogus/],
      [{ ...good, state: { 7: good.state['0'] } }, RangeError, /stateDict\.state/],
      [{ ...good, state: { 0: { momentumBuffer: 'x' } } }, TypeError, /stateDict\.state\[0\]\.momentumBuffer/],
      [{ ...good, state: { 0: { momentumBuffer: [1, 'a'] } } }, TypeError, /stateDict\.state\[0\]\.momentumBuffer\[1\]/],
      [{ ...good, state: { 0: { other: [1, 2] } } }, RangeError, /stateDict\.state\[0\]\.other/],
      [{ paramGroups: good.paramGroups }, TypeError, /stateDict\.state/],
    ];
    for (const [sd, E, re] of cases) {
      expect(() => opt.loadStateDict(sd as OptimizerStateDict)).toThrow(E);
      expect(() => opt.loadStateDict(sd as OptimizerStateDict)).toThrow(re);
    }
    const adam = new Adam(ps);
    adam.step();
    const asd = viaJson(adam.stateDict());
    (asd.state['0'] as Record<string, unknown>).step = 1.5;
    expect(() => adam.loadStateDict(asd)).toThrow(/stateDict\.state\[0\]\.step/);
  });
});

describe('scheduler stateDict round trip (save mid-run, load into fresh optimizer + scheduler, continue)', () => {
  for (const c of schedFx.cases) {
    it(c.name, () => {
      const split = 17;
      const A = setup(c);
      for (let i = 0; i < split; i++) {
        A.opt.step();
        advance(c, A.sched, i);
      }
      const optSaved = viaJson(A.opt.stateDict());
      const schedSaved = viaJson(A.sched.stateDict());
      const B = setup(c);
      B.opt.loadStateDict(optSaved);
      B.sched.loadStateDict(schedSaved);
      expect(B.sched.getLastLr()).toEqual(A.sched.getLastLr());
      expect(viaJson(B.sched.stateDict())).toEqual(schedSaved);
      for (let i = split; i < c.lrs.length - 1; i++) {
        A.opt.step();
        B.opt.step();
        advance(c, A.sched, i);
        advance(c, B.sched, i);
        expect(B.sched.getLastLr()).toEqual(A.sched.getLastLr());
        expect(momenta(B.opt)).toEqual(momenta(A.opt));
        B.sched.getLastLr().forEach((v, k) => expect(close(v, c.lrs[i + 1][k], 1e-12, 1e-18)).toBe(true));
      }
    });
  }

  it('a failed scheduler load changes nothing, and errors name the entry', () => {
    const opt = new SGD(params([2]), { lr: 0.1 });
    const s = new lr.StepLR(opt, { stepSize: 3 });
    s.step();
    const before = s.stateDict();
    expect(() => s.loadStateDict({ ...before, stepSize: 0 })).toThrow(RangeError);
    expect(() => s.loadStateDict({ ...before, stepSize: 0 })).toThrow(/stateDict\.stepSize/);
    expect(() => s.loadStateDict({ ...before, gamma: 'x' })).toThrow(TypeError);
    expect(() => s.loadStateDict({ ...before, baseLrs: [0.1, 0.2] })).toThrow(/stateDict\.baseLrs\.length/);
    expect(() => s.loadStateDict({ ...before, extra: 1 })).toThrow(/stateDict\.extra/);
    const { lastEpoch: _drop, ...missing } = before;
    expect(() => s.loadStateDict(missing)).toThrow(/stateDict\.lastEpoch/);
    expect(s.stateDict()).toEqual(before);

    const seqOpt = new SGD(params([2]), { lr: 0.1 });
    const a = new lr.ConstantLR(seqOpt, { factor: 0.5, totalIters: 2 });
    const b = new lr.ExponentialLR(seqOpt, { gamma: 0.9 });
    const seq = new lr.SequentialLR(seqOpt, { schedulers: [a, b], milestones: [2] });
    seq.step();
    const sb = seq.stateDict();
    const broken = JSON.parse(JSON.stringify(sb));
    broken.schedulers[1].gamma = -1;
    expect(() => seq.loadStateDict(broken)).toThrow(/stateDict\.gamma/);
    expect(seq.stateDict()).toEqual(sb);
  });

  it('ReduceLROnPlateau survives JSON (infinite best becomes null and loads back)', () => {
    const opt = new SGD(params([2]), { lr: 0.1 });
    const s = new lr.ReduceLROnPlateau(opt, { mode: 'max' });
    const json = JSON.parse(JSON.stringify(s.stateDict()));
    expect(json.best).toBeNull();
    const t = new lr.ReduceLROnPlateau(opt);
    t.loadStateDict(json);
    expect(t.best).toBe(-Infinity);
    expect(t.mode).toBe('max');
  });
});
