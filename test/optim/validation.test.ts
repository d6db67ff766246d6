import { describe, expect, it } from 'vitest';
import { Parameter } from '../../lib/nn/parameter';
import { Adam, AdamW, lr, RMSprop, SGD, type Optimizer } from '../../lib/optim';
import { params } from './helpers';

type Case = [string, () => unknown, ErrorConstructor, RegExp];

function expectError(fn: () => unknown, E: ErrorConstructor, re: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${E.name} matching ${re}`).toBeInstanceOf(E);
  expect((err as Error).message).toMatch(re);
  expect((err as { code?: string }).code).toMatch(/^ERR_NNSLIM_/);
}

function run(cases: Case[]): void {
  for (const [title, fn, E, re] of cases) it(title, () => expectError(fn, E, re));
}

const ps = () => params([3, 2]);

describe('optimizer option validation', () => {
  const p = new Parameter(new Float32Array(3));
  run([
    ['params not an array', () => new SGD('x' as never), TypeError, /params/],
    ['empty params', () => new SGD([]), RangeError, /params/],
    ['non-Parameter element', () => new SGD([p, {} as never]), TypeError, /params\[0\]\.params\[1\]/],
    ['options not an object', () => new SGD([p], 3 as never), TypeError, /options/],
    ['unknown option', () => new SGD([p], { step_size: 1 } as never), RangeError, /options\.step_size/],
    ['negative lr', () => new SGD([p], { lr: -1 }), RangeError, /options\.lr/],
    ['string lr', () => new SGD([p], { lr: '0.1' as never }), TypeError, /options\.lr/],
    ['NaN lr', () => new SGD([p], { lr: NaN }), RangeError, /options\.lr/],
    ['momentum 1', () => new SGD([p], { momentum: 1 }), RangeError, /options\.momentum/],
    ['negative momentum', () => new SGD([p], { momentum: -0.1 }), RangeError, /options\.momentum/],
    ['nesterov without momentum', () => new SGD([p], { nesterov: true }), RangeError, /options\.nesterov/],
    ['nesterov with dampening', () => new SGD([p], { nesterov: true, momentum: 0.9, dampening: 0.1 }), RangeError, /options\.nesterov/],
    ['nesterov not boolean', () => new SGD([p], { nesterov: 1 as never }), TypeError, /options\.nesterov/],
    ['negative weightDecay', () => new SGD([p], { weightDecay: -1e-4 }), RangeError, /options\.weightDecay/],
    ['maximize not boolean', () => new Adam([p], { maximize: 'yes' as never }), TypeError, /options\.maximize/],
    ['betas not an array', () => new Adam([p], { betas: 0.9 as never }), TypeError, /options\.betas/],
    ['betas wrong length', () => new Adam([p], { betas: [0.9] as never }), RangeError, /options\.betas\.length/],
    ['beta2 = 1', () => new Adam([p], { betas: [0.9, 1] }), RangeError, /options\.betas\[1\]/],
    ['beta1 < 0', () => new AdamW([p], { betas: [-0.1, 0.9] }), RangeError, /options\.betas\[0\]/],
    ['negative eps', () => new Adam([p], { eps: -1 }), RangeError, /options\.eps/],
    ['amsgrad not boolean', () => new AdamW([p], { amsgrad: 0 as never }), TypeError, /options\.amsgrad/],
    ['RMSprop alpha > 1', () => new RMSprop([p], { alpha: 1.5 }), RangeError, /options\.alpha/],
    ['RMSprop momentum 1', () => new RMSprop([p], { momentum: 1 }), RangeError, /options\.momentum/],
    ['RMSprop centered not boolean', () => new RMSprop([p], { centered: 1 as never }), TypeError, /options\.centered/],
    ['group option out of range', () => new SGD([{ params: [p], lr: -1 }]), RangeError, /params\[0\]\.lr/],
    ['group unknown option', () => new SGD([{ params: [p], bogus: 1 } as never]), RangeError, /params\[0\]\.bogus/],
    ['group params not an array', () => new SGD([{ params: 'x' as never }]), TypeError, /params\[0\]\.params/],
    ['parameter in two groups', () => new SGD([{ params: [p] }, { params: [p] }]), RangeError, /params\[1\]\.params\[0\]/],
    ['group not an object', () => new Adam([{ params: [p] }, 3 as never]), TypeError, /params\[1\]/],
  ]);

  it('addParamGroup validates and fills defaults', () => {
    const [a, b] = ps();
    const opt = new SGD([a], { lr: 0.1, momentum: 0.9 });
    expectError(() => opt.addParamGroup({ params: [a] }), RangeError, /group\.params\[0\]/);
    expectError(() => opt.addParamGroup({ params: [b], lr: -2 }), RangeError, /group\.lr/);
    expect(opt.paramGroups.length).toBe(1);
    opt.addParamGroup({ params: b, lr: 0.01 });
    expect(opt.paramGroups[1]).toMatchObject({ lr: 0.01, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false, maximize: false });
    expect(opt.paramGroups[1].params).toEqual([b]);
  });

  it('step() validates written group options and grads before touching any parameter', () => {
    const [a, b] = params([3, 2], [[1, 2, 3], [4, 5]]);
    const opt = new SGD([{ params: [a] }, { params: [b] }], { lr: 0.1, momentum: 0.5 });
    a.grad.fill(1);
    b.grad.fill(1);
    opt.paramGroups[1].lr = -0.1;
    expectError(() => opt.step(), RangeError, /paramGroups\[1\]\.lr/);
    expect(Array.from(a.data)).toEqual([1, 2, 3]);
    opt.paramGroups[1].lr = 0.1;
    (opt.paramGroups[0] as { momentum: unknown }).momentum = 'x';
    expectError(() => opt.step(), TypeError, /paramGroups\[0\]\.momentum/);
    opt.paramGroups[0].momentum = 0.5;
    b.grad = new Float32Array(5);
    expectError(() => opt.step(), RangeError, /paramGroups\[1\]\.params\[0\]\.grad\.length/);
    expect(Array.from(a.data)).toEqual([1, 2, 3]);
    expect(opt.stateDict().state).toEqual({});
  });
});

describe('optimizer behaviour', () => {
  it('zeroGrad zeroes every gradient', () => {
    const q = ps();
    q.forEach((p) => p.grad.fill(3));
    new Adam(q).zeroGrad();
    q.forEach((p) => expect(Array.from(p.grad).every((v) => v === 0)).toBe(true));
  });

  it('accepts any iterable of parameters (e.g. a generator)', () => {
    const q = ps();
    function* gen() {
      yield* q;
    }
    const opt = new SGD(gen(), { lr: 0.1 });
    expect(opt.paramGroups[0].params).toEqual(q);
    const opt2 = new Adam([{ params: new Set(q) }]);
    expect(opt2.paramGroups[0].params.length).toBe(2);
  });

  it('skips parameters with requiresGrad = false', () => {
    const [a, b] = params([2, 2], [[1, 1], [1, 1]]);
    b.requiresGrad = false;
    a.grad.fill(1);
    b.grad.fill(1);
    const opt = new SGD([a, b], { lr: 0.5 });
    opt.step();
    expect(Array.from(a.data)).toEqual([0.5, 0.5]);
    expect(Array.from(b.data)).toEqual([1, 1]);
  });

  it('exposes defaults (AdamW weightDecay 1e-2) and writable group options', () => {
    const opt = new AdamW(ps());
    expect(opt.defaults).toEqual({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false });
    expect(new Adam(ps()).defaults.weightDecay).toBe(0);
    expect(new RMSprop(ps()).defaults).toMatchObject({ lr: 1e-2, alpha: 0.99 });
    opt.paramGroups[0].lr = 0.5;
    opt.paramGroups[0].betas = [0.5, 0.5];
    const [p] = opt.paramGroups[0].params;
    p.grad.fill(1);
    p.data.fill(0);
    opt.step();
    // first Adam step moves by lr (times the decoupled decay of a zero parameter, which is zero)
    expect(Math.abs(p.data[0] + 0.5)).toBeLessThan(1e-6);
  });
});

describe('scheduler option validation', () => {
  const mk = (): Optimizer => new SGD(ps(), { lr: 0.1, momentum: 0.9 });
  const mk2 = (): Optimizer => {
    const [a, b] = ps();
    return new SGD([{ params: [a] }, { params: [b], lr: 0.2 }], { lr: 0.1, momentum: 0.9 });
  };
  run([
    ['not an optimizer', () => new lr.StepLR({} as never, { stepSize: 1 }), TypeError, /optimizer/],
    ['StepLR stepSize missing', () => new lr.StepLR(mk(), {} as never), RangeError, /stepSize/],
    ['StepLR stepSize not integer', () => new lr.StepLR(mk(), { stepSize: 2.5 }), RangeError, /stepSize/],
    ['StepLR stepSize 0', () => new lr.StepLR(mk(), { stepSize: 0 }), RangeError, /stepSize/],
    ['StepLR stepSize string', () => new lr.StepLR(mk(), { stepSize: '3' as never }), TypeError, /stepSize/],
    ['StepLR unknown option', () => new lr.StepLR(mk(), { stepSize: 3, step_size: 3 } as never), RangeError, /options\.step_size/],
    ['StepLR gamma string', () => new lr.StepLR(mk(), { stepSize: 3, gamma: 'x' as never }), TypeError, /gamma/],
    ['lastEpoch not integer', () => new lr.StepLR(mk(), { stepSize: 3, lastEpoch: 0.5 }), RangeError, /lastEpoch/],
    ['lastEpoch without initialLr', () => new lr.StepLR(mk(), { stepSize: 3, lastEpoch: 4 }), Error, /initialLr/],
    ['MultiStepLR milestones not array', () => new lr.MultiStepLR(mk(), { milestones: 3 as never }), TypeError, /milestones/],
    ['MultiStepLR negative milestone', () => new lr.MultiStepLR(mk(), { milestones: [2, -1] }), RangeError, /milestones\[1\]/],
    ['ExponentialLR gamma missing', () => new lr.ExponentialLR(mk(), {} as never), RangeError, /gamma/],
    ['CosineAnnealingLR tMax missing', () => new lr.CosineAnnealingLR(mk(), {} as never), RangeError, /tMax/],
    ['CosineAnnealingLR tMax 0', () => new lr.CosineAnnealingLR(mk(), { tMax: 0 }), RangeError, /tMax/],
    ['CosineAnnealingLR T_max spelling', () => new lr.CosineAnnealingLR(mk(), { T_max: 5 } as never), RangeError, /options\.T_max/],
    ['WarmRestarts t0 fractional', () => new lr.CosineAnnealingWarmRestarts(mk(), { t0: 1.5 }), RangeError, /t0/],
    ['WarmRestarts tMult 0', () => new lr.CosineAnnealingWarmRestarts(mk(), { t0: 2, tMult: 0 }), RangeError, /tMult/],
    ['WarmRestarts negative epoch', () => new lr.CosineAnnealingWarmRestarts(mk(), { t0: 2 }).step(-1), RangeError, /epoch/],
    ['LinearLR startFactor 0', () => new lr.LinearLR(mk(), { startFactor: 0 }), RangeError, /startFactor/],
    ['LinearLR endFactor 2', () => new lr.LinearLR(mk(), { endFactor: 2 }), RangeError, /endFactor/],
    ['LinearLR totalIters 0', () => new lr.LinearLR(mk(), { totalIters: 0 }), RangeError, /totalIters/],
    ['ConstantLR factor > 1', () => new lr.ConstantLR(mk(), { factor: 1.5 }), RangeError, /factor/],
    ['PolynomialLR power < 0', () => new lr.PolynomialLR(mk(), { power: -1 }), RangeError, /power/],
    ['LambdaLR lrLambda missing', () => new lr.LambdaLR(mk(), {} as never), RangeError, /lrLambda/],
    ['LambdaLR lrLambda not a function', () => new lr.LambdaLR(mk(), { lrLambda: 3 as never }), TypeError, /lrLambda/],
    ['LambdaLR wrong count', () => new lr.LambdaLR(mk2(), { lrLambda: [() => 1] }), RangeError, /lrLambda\.length/],
    ['LambdaLR returns a string', () => new lr.LambdaLR(mk(), { lrLambda: (() => 'x') as never }), TypeError, /lrLambda/],
    ['OneCycleLR totalSteps missing', () => new lr.OneCycleLR(mk(), { maxLr: 0.1 }), RangeError, /totalSteps/],
    ['OneCycleLR epochs without stepsPerEpoch', () => new lr.OneCycleLR(mk(), { maxLr: 0.1, epochs: 3 }), RangeError, /stepsPerEpoch/],
    ['OneCycleLR maxLr missing', () => new lr.OneCycleLR(mk(), { totalSteps: 10 } as never), RangeError, /maxLr/],
    ['OneCycleLR pctStart > 1', () => new lr.OneCycleLR(mk(), { maxLr: 0.1, totalSteps: 10, pctStart: 1.5 }), RangeError, /pctStart/],
    ['OneCycleLR annealStrategy', () => new lr.OneCycleLR(mk(), { maxLr: 0.1, totalSteps: 10, annealStrategy: 'exp' as never }), RangeError, /annealStrategy/],
    ['OneCycleLR maxLr per-group length', () => new lr.OneCycleLR(mk2(), { maxLr: [0.1], totalSteps: 10 }), RangeError, /maxLr\.length/],
    ['CyclicLR mode', () => new lr.CyclicLR(mk(), { baseLr: 0.01, maxLr: 0.1, mode: 'sine' as never }), RangeError, /mode/],
    ['CyclicLR baseLr missing', () => new lr.CyclicLR(mk(), { maxLr: 0.1 } as never), RangeError, /baseLr/],
    ['CyclicLR scaleFn', () => new lr.CyclicLR(mk(), { baseLr: 0.01, maxLr: 0.1, scaleFn: 1 as never }), TypeError, /scaleFn/],
    ['CyclicLR scaleMode', () => new lr.CyclicLR(mk(), { baseLr: 0.01, maxLr: 0.1, scaleMode: 'epoch' as never }), RangeError, /scaleMode/],
    ['CyclicLR stepSizeUp 0', () => new lr.CyclicLR(mk(), { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 0 }), RangeError, /stepSizeUp/],
    ['Plateau factor 1', () => new lr.ReduceLROnPlateau(mk(), { factor: 1 }), RangeError, /factor/],
    ['Plateau mode', () => new lr.ReduceLROnPlateau(mk(), { mode: 'mid' as never }), RangeError, /mode/],
    ['Plateau thresholdMode', () => new lr.ReduceLROnPlateau(mk(), { thresholdMode: 'pct' as never }), RangeError, /thresholdMode/],
    ['Plateau patience negative', () => new lr.ReduceLROnPlateau(mk(), { patience: -1 }), RangeError, /patience/],
    ['Plateau cooldown fractional', () => new lr.ReduceLROnPlateau(mk(), { cooldown: 0.5 }), RangeError, /cooldown/],
    ['Plateau minLr per-group length', () => new lr.ReduceLROnPlateau(mk(), { minLr: [0, 0, 0] }), RangeError, /minLr\.length/],
    ['Plateau metric not a number', () => new lr.ReduceLROnPlateau(mk()).step('1' as never), TypeError, /metric/],
    ['SequentialLR milestones count', () => {
      const o = mk();
      return new lr.SequentialLR(o, { schedulers: [new lr.ConstantLR(o), new lr.ExponentialLR(o, { gamma: 0.9 })], milestones: [] });
    }, RangeError, /milestones\.length/],
    ['SequentialLR other optimizer', () => {
      const o = mk();
      return new lr.SequentialLR(o, { schedulers: [new lr.ConstantLR(o), new lr.ExponentialLR(mk(), { gamma: 0.9 })], milestones: [3] });
    }, RangeError, /schedulers\[1\]/],
    ['SequentialLR plateau inside', () => {
      const o = mk();
      return new lr.SequentialLR(o, { schedulers: [new lr.ConstantLR(o), new lr.ReduceLROnPlateau(o) as never], milestones: [3] });
    }, TypeError, /schedulers\[1\]/],
    ['ChainedScheduler empty', () => new lr.ChainedScheduler([]), RangeError, /schedulers/],
    ['step(epoch) on a chainable scheduler', () => {
      const s = new lr.StepLR(mk(), { stepSize: 2 });
      (s.step as (e: number) => void).call(s, 5);
    }, RangeError, /step/],
  ]);

  it('failed constructions leave the optimizer untouched', () => {
    const o = mk();
    const before = JSON.stringify(o.stateDict());
    expect(() => new lr.OneCycleLR(o, { maxLr: 0.1, totalSteps: 10, annealStrategy: 'x' as never })).toThrow(RangeError);
    expect(() => new lr.CyclicLR(o, { baseLr: 0.01, maxLr: 0.1, maxMomentum: 2 })).toThrow(/maxMomentum/);
    expect(() => new lr.StepLR(o, { stepSize: -1 })).toThrow(RangeError);
    expect(JSON.stringify(o.stateDict())).toBe(before);
  });

  it('OneCycleLR refuses to step past totalSteps without changing state', () => {
    const o = mk();
    const s = new lr.OneCycleLR(o, { maxLr: 0.1, totalSteps: 3 });
    for (let i = 0; i < 3; i++) s.step();
    const sd = s.stateDict();
    expectError(() => s.step(), RangeError, /step/);
    expect(s.stateDict()).toEqual(sd);
  });
});

describe('scheduler behaviour', () => {
  it('the initial step sets initialLr and lastEpoch 0 like PyTorch', () => {
    const o = new SGD([{ params: [params([2])[0]] }, { params: [params([2])[0]], lr: 0.05 }], { lr: 0.1 });
    const s = new lr.ExponentialLR(o, { gamma: 0.5 });
    expect(s.lastEpoch).toBe(0);
    expect(o.paramGroups.map((g) => g.initialLr)).toEqual([0.1, 0.05]);
    expect(s.getLastLr()).toEqual([0.1, 0.05]);
    s.step();
    expect(o.paramGroups.map((g) => g.lr)).toEqual([0.05, 0.025]);
    // getLastLr returns a copy
    s.getLastLr()[0] = 9;
    expect(s.getLastLr()[0]).toBe(0.05);
  });

  it('OneCycleLR drives Adam betas[0] and keeps betas[1]', () => {
    const o = new Adam(ps(), { betas: [0.9, 0.98] });
    const s = new lr.OneCycleLR(o, { maxLr: 0.01, totalSteps: 10 });
    expect(o.paramGroups[0].betas).toEqual([0.95, 0.98]);
    s.step();
    expect(o.paramGroups[0].betas[1]).toBe(0.98);
    expect(o.paramGroups[0].betas[0]).toBeLessThan(0.95);
    expect(o.paramGroups[0]).toMatchObject({ maxLr: 0.01, initialLr: 0.01 / 25, minLr: 0.01 / 25 / 1e4, maxMomentum: 0.95, baseMomentum: 0.85 });
  });

  it('CyclicLR cycles Adam betas[0] as PyTorch 2 does', () => {
    const o = new Adam(ps());
    const s = new lr.CyclicLR(o, { baseLr: 0.001, maxLr: 0.01, stepSizeUp: 2 });
    expect(o.paramGroups[0].betas[0]).toBe(0.9);
    s.step();
    expect(o.paramGroups[0].betas[0]).toBeCloseTo(0.85, 12);
  });

  it('ChainedScheduler accepts { schedulers } and reports lastEpoch of the last one', () => {
    const o = new SGD(ps(), { lr: 1 });
    const c = new lr.ChainedScheduler({ schedulers: [new lr.ConstantLR(o, { factor: 0.5, totalIters: 1 }), new lr.ExponentialLR(o, { gamma: 0.5 })] });
    c.step();
    expect(c.lastEpoch).toBe(1);
    expect(c.getLastLr()[0]).toBe(0.5);
  });
});
