'use strict';
// Bad-input table: optim and optim.lr.
module.exports = (def, { noArgs, E }) => {
  const optimizers = {
    SGD: { opts: { lr: 'num[0,inf)', momentum: 'num[0,inf)', dampening: 'num', weightDecay: 'num[0,inf)', nesterov: 'bool', maximize: 'bool' }, base: { lr: 0.1, momentum: 0.9 } },
    Adam: { opts: { lr: 'num[0,inf)', betas: 'arr', eps: 'num[0,inf)', weightDecay: 'num[0,inf)', amsgrad: 'bool', maximize: 'bool' }, base: { lr: 0.01, amsgrad: true } },
    AdamW: { opts: { lr: 'num[0,inf)', betas: 'arr', eps: 'num[0,inf)', weightDecay: 'num[0,inf)', amsgrad: 'bool', maximize: 'bool' }, base: { lr: 0.01 } },
    RMSprop: { opts: { lr: 'num[0,inf)', alpha: 'num[0,inf)', eps: 'num[0,inf)', weightDecay: 'num[0,inf)', momentum: 'num[0,inf)', centered: 'bool', maximize: 'bool' }, base: { lr: 0.01, momentum: 0.5, centered: true } },
  };
  const entries = [...Object.entries(optimizers), ['Optimizer', { ...optimizers.SGD, concrete: 'SGD' }]];
  for (const [name, o] of entries) {
    const C = (h) => h.N.optim[o.concrete || name];
    const mk = (h, params = h.params()) => new (C(h))(params, { ...o.base });
    const big = (h) => { const p = new h.N.nn.Parameter(new Float32Array(5000).fill(0.5)); p.grad.fill(0.1); return p; };
    if (name !== 'Optimizer') {
      def(`optim.${name}`, () => ({ call: (h) => ({ args: [h.params(), { ...o.base }] }), slots: ['params:obj', 'options:opts?'], opts: { 1: o.opts },
        extra: [
          E('range|type', 'params', 'no parameters', () => ({ args: [[], { ...o.base }] })),
          E('type', 'params[1]', 'a Float32Array among the parameters', (h) => ({ args: [[h.param(), h.f32(3)], { ...o.base }] })),
          E('range', 'params', 'the same parameter twice', (h) => { const p = h.param(); return { args: [[p, p], { ...o.base }] }; }),
          E('range', 'lr', 'group with a negative lr', (h) => ({ args: [[{ params: [h.param()], lr: -1 }], { ...o.base }] })),
          ...(o.opts.betas ? [E('range', 'betas', 'beta1 = 1', (h) => ({ args: [h.params(), { betas: [1, 0.999] }] })), E('range', 'betas', 'three betas', (h) => ({ args: [h.params(), { betas: [0.9, 0.99, 0.9] }] }))] : []),
        ] }));
    }
    const p = `optim.${name}#`;
    def(`${p}step`, () => ({ call: (h) => ({ self: mk(h), args: [] }),
      extra: [
        E('type|range', 'params|data|grad', 'parameter data detached after construction (native path)', (h) => { const q = big(h); const opt = mk(h, [q]); structuredClone(q.data.buffer, { transfer: [q.data.buffer] }); return { self: opt, args: [] }; }),
        E('type|range', 'params|data|grad', 'gradient replaced by a detached array', (h) => { const q = big(h); const opt = mk(h, [q]); q.grad = h.detached(5000); return { self: opt, args: [] }; }),
        E('range', 'grad', 'gradient replaced by a shorter array', (h) => { const q = big(h); const opt = mk(h, [q]); q.grad = new Float32Array(10); return { self: opt, args: [] }; }),
        E('type', 'params|grad', 'gradient replaced by a Float64Array', (h) => { const q = big(h); const opt = mk(h, [q]); q.grad = new Float64Array(5000); return { self: opt, args: [] }; }),
        E('ok', 'grad', 'gradient aliasing the data (native size)', (h) => { const q = big(h); q.grad = q.data; return { self: mk(h, [q]), args: [] }; }),
        E('ok', 'data', 'data on a SharedArrayBuffer (native size)', (h) => { const q = big(h); const s = new Float32Array(new SharedArrayBuffer(20000)); s.set(q.data); q.data = s; return { self: mk(h, [q]), args: [] }; }),
        E('ok', 'data', 'data at an odd offset (native size)', (h) => { const q = big(h); const buf = new Float32Array(5003); buf.set(q.data, 3); q.data = buf.subarray(3); return { self: mk(h, [q]), args: [] }; }),
      ] }));
    def(`${p}zeroGrad`, noArgs((h) => mk(h)));
    def(`${p}stateDict`, noArgs((h) => h.stepped(mk(h))));
    const sd = (h) => h.stepped(mk(h)).stateDict();
    def(`${p}loadStateDict`, () => ({ call: (h) => ({ self: mk(h), args: [sd(h)] }), slots: ['stateDict:obj'],
      extra: [
        E('range|type', 'paramGroups', 'paramGroups missing', (h) => { const s = sd(h); delete s.paramGroups; return { self: mk(h), args: [s] }; }),
        E('range', 'paramGroups', 'one group too many', (h) => { const s = sd(h); s.paramGroups.push({ ...s.paramGroups[0], params: [9] }); return { self: mk(h), args: [s] }; }),
        E('range', 'lr', 'negative lr in a group', (h) => { const s = sd(h); s.paramGroups[0].lr = -1; return { self: mk(h), args: [s] }; }),
        E('range|type', 'state', 'state buffer of the wrong length (last parameter)', (h) => { const s = sd(h); const k = Object.keys(s.state).pop(); const e = s.state[k]; for (const f of Object.keys(e)) if (e[f] instanceof Float32Array) e[f] = new Float32Array(1); return { self: h.stepped(mk(h)), args: [s] }; }),
        E('range|type', 'state', 'state for an unknown parameter index', (h) => { const s = sd(h); s.state['7'] = s.state['0']; return { self: h.stepped(mk(h)), args: [s] }; }),
      ] }));
    def(`${p}addParamGroup`, () => ({ call: (h) => ({ self: mk(h), args: [{ params: [h.param()], lr: 0.5 }] }), slots: ['group|paramGroup:obj'],
      opts: { 0: { params: 'obj!', lr: 'num[0,inf)' } },
      extra: [E('range', 'params', 'a parameter already in a group', (h) => { const ps = h.params(); return { self: mk(h, ps), args: [{ params: [ps[0]] }] }; })] }));
  }

  // schedulers: [name, options, option kinds]
  const scheds = {
    StepLR: [{ stepSize: 2, gamma: 0.5 }, { stepSize: 'int[1,inf)!', gamma: 'num', lastEpoch: 'int[-1,inf)' }],
    MultiStepLR: [{ milestones: [2, 4], gamma: 0.5 }, { milestones: 'arr!', gamma: 'num', lastEpoch: 'int[-1,inf)' }],
    ConstantLR: [{ factor: 0.5, totalIters: 3 }, { factor: 'num[0,1]', totalIters: 'int[0,inf)', lastEpoch: 'int[-1,inf)' }],
    LinearLR: [{ startFactor: 0.5, endFactor: 1, totalIters: 3 }, { startFactor: 'num(0,1]', endFactor: 'num[0,1]', totalIters: 'int[0,inf)', lastEpoch: 'int[-1,inf)' }],
    ExponentialLR: [{ gamma: 0.9 }, { gamma: 'num!', lastEpoch: 'int[-1,inf)' }],
    PolynomialLR: [{ totalIters: 5, power: 2 }, { totalIters: 'int[0,inf)', power: 'num', lastEpoch: 'int[-1,inf)' }],
    CosineAnnealingLR: [{ tMax: 5, etaMin: 0.001 }, { tMax: 'num!', etaMin: 'num', lastEpoch: 'int[-1,inf)' }],
    CosineAnnealingWarmRestarts: [{ t0: 3, tMult: 2, etaMin: 0.001 }, { t0: 'int[1,inf)!', tMult: 'int[1,inf)', etaMin: 'num', lastEpoch: 'int[-1,inf)' }],
    LambdaLR: [{ lrLambda: (e) => 0.9 ** e }, { lrLambda: 'fn!', lastEpoch: 'int[-1,inf)' }],
    CyclicLR: [{ baseLr: 0.01, maxLr: 0.1, stepSizeUp: 2 }, { baseLr: 'num!', maxLr: 'num!', stepSizeUp: 'num(0,inf)', stepSizeDown: 'num(0,inf)', mode: 'enum:triangular|triangular2|exp_range',
      gamma: 'num', scaleFn: 'fn', scaleMode: 'enum:cycle|iterations', cycleMomentum: 'bool', baseMomentum: 'num', maxMomentum: 'num', lastEpoch: 'int[-1,inf)' }],
    OneCycleLR: [{ maxLr: 0.1, totalSteps: 10 }, { maxLr: 'num!', totalSteps: 'int[1,inf)', pctStart: 'num[0,1]', annealStrategy: 'enum:cos|linear', cycleMomentum: 'bool',
      baseMomentum: 'num', maxMomentum: 'num', divFactor: 'num(0,inf)', finalDivFactor: 'num(0,inf)', threePhase: 'bool', lastEpoch: 'int[-1,inf)' }],
  };
  const CYCLIC_MOMENTUM = new Set(['CyclicLR', 'OneCycleLR']);
  const optFor = (h, name) => (CYCLIC_MOMENTUM.has(name) ? new h.N.optim.SGD(h.params(), { lr: 0.1, momentum: 0.9 }) : h.sgd());
  const names = [...Object.keys(scheds), 'LRScheduler'];
  for (const name of names) {
    const real = name === 'LRScheduler' ? 'StepLR' : name;
    const [base, kinds] = scheds[real];
    const mk = (h) => new h.N.optim.lr[real](optFor(h, real), { ...base });
    const p = `optim.lr.${name}`;
    if (name !== 'LRScheduler') {
      const allOptional = Object.values(kinds).every((k) => !k.endsWith('!'));
      def(p, () => ({ call: (h) => ({ args: [optFor(h, name), { ...base }] }), slots: ['optimizer:obj', `options:opts${allOptional ? '?' : ''}`], opts: { 1: kinds },
        // options that take a number or one number (function) per parameter group: an empty array is a wrong length
        expectRe: [[/^options\.\w+ array$/, 'type|range']],
        extra: [E('state|range', 'lastEpoch|initialLr', 'resuming without initialLr', (h) => ({ args: [optFor(h, name), { ...base, lastEpoch: 3 }] }))] }));
    }
    def(`${p}#step`, () => (name === 'CosineAnnealingWarmRestarts'
      ? { call: (h) => ({ self: mk(h), args: [1.5] }), slots: ['epoch:num[0,inf)?'] }
      : { call: (h) => ({ self: mk(h), args: [] }) }));
    def(`${p}#stepTo`, () => ({ call: (h) => ({ self: mk(h), args: [3] }), slots: [real === 'CosineAnnealingWarmRestarts' ? 'epoch:num[0,inf)' : 'epoch:int[0,inf)'] }));
    def(`${p}#getLastLr`, noArgs(mk));
    def(`${p}#stateDict`, noArgs(mk));
    def(`${p}#loadStateDict`, () => ({ call: (h) => { const s = mk(h); s.step(); return { self: mk(h), args: [s.stateDict()] }; }, slots: ['stateDict:obj'],
      extra: [E('range|type', 'lastEpoch', 'negative lastEpoch', (h) => { const s = mk(h).stateDict(); s.lastEpoch = -5; return { self: mk(h), args: [s] }; }),
        E('range|type', 'lastEpoch', 'string lastEpoch', (h) => { const s = mk(h).stateDict(); s.lastEpoch = '3'; return { self: mk(h), args: [s] }; }),
        E('range|type', 'baseLrs', 'baseLrs of the wrong length', (h) => { const s = mk(h).stateDict(); s.baseLrs = [0.1, 0.2, 0.3]; return { self: mk(h), args: [s] }; })] }));
  }
  const seqMk = (h) => { const o = h.sgd(); return new h.N.optim.lr.SequentialLR(o, { schedulers: [new h.N.optim.lr.ConstantLR(o, { factor: 0.5, totalIters: 2 }), new h.N.optim.lr.ExponentialLR(o, { gamma: 0.9 })], milestones: [2] }); };
  def('optim.lr.SequentialLR', () => ({ call: (h) => { const o = h.sgd(); return { args: [o, { schedulers: [new h.N.optim.lr.ConstantLR(o, { factor: 0.5, totalIters: 2 }), new h.N.optim.lr.ExponentialLR(o, { gamma: 0.9 })], milestones: [2] }] }; },
    slots: ['optimizer:obj', 'options:opts'], opts: { 1: { schedulers: 'arr!', milestones: 'arr!', lastEpoch: 'int[-1,inf)' } },
    extra: [E('range', 'milestones', 'milestones of the wrong count', (h) => { const o = h.sgd(); return { args: [o, { schedulers: [new h.N.optim.lr.ExponentialLR(o, { gamma: 0.9 })], milestones: [2] }] }; }),
      E('range', 'schedulers', 'scheduler of another optimizer', (h) => { const o = h.sgd(); return { args: [o, { schedulers: [new h.N.optim.lr.ExponentialLR(o, { gamma: 0.9 }), new h.N.optim.lr.ExponentialLR(h.sgd(), { gamma: 0.9 })], milestones: [2] }] }; })] }));
  const chMk = (h) => { const o = h.sgd(); return new h.N.optim.lr.ChainedScheduler([new h.N.optim.lr.ConstantLR(o, { factor: 0.5, totalIters: 2 }), new h.N.optim.lr.ExponentialLR(o, { gamma: 0.9 })]); };
  def('optim.lr.ChainedScheduler', () => ({ call: (h) => { const o = h.sgd(); return { args: [[new h.N.optim.lr.ConstantLR(o, { factor: 0.5, totalIters: 2 }), new h.N.optim.lr.ExponentialLR(o, { gamma: 0.9 })]] }; },
    slots: ['schedulers:obj'], extra: [E('type', 'schedulers[0]', 'a number among the schedulers', () => ({ args: [[5]] })), E('range|type', 'schedulers', 'empty list', () => ({ args: [[]] }))] }));
  const rMk = (h) => new h.N.optim.lr.ReduceLROnPlateau(h.sgd(), { patience: 1 });
  def('optim.lr.ReduceLROnPlateau', () => ({ call: (h) => ({ args: [h.sgd(), { mode: 'min', factor: 0.5, patience: 1 }] }), slots: ['optimizer:obj', 'options:opts?'],
    opts: { 1: { mode: 'enum:min|max', factor: 'num[0,1)', patience: 'int[0,inf)', threshold: 'num[0,inf)', thresholdMode: 'enum:rel|abs', cooldown: 'int[0,inf)', minLr: 'num[0,inf)', eps: 'num[0,inf)' } },
    expectRe: [[/^options\.minLr array$/, 'type|range']] }));
  for (const [name, mk] of [['SequentialLR', seqMk], ['ChainedScheduler', chMk], ['ReduceLROnPlateau', rMk]]) {
    const p = `optim.lr.${name}`;
    if (name === 'ReduceLROnPlateau') {
      // PyTorch semantics: a NaN or infinite metric is never an improvement (it counts as a bad epoch)
      def(`${p}#step`, () => ({ call: (h) => ({ self: mk(h), args: [0.5] }), slots: ['metric|metrics:num'], ok: [/^metric\|metrics (NaN|Infinity|-Infinity)$/] }));
      def(`${p}#isBetter`, () => ({ call: (h) => ({ self: mk(h), args: [0.5, 0.7] }), slots: ['a:num', 'best:num'], ok: [/^(a|best) (NaN|Infinity|-Infinity)$/] }));
    } else {
      def(`${p}#step`, noArgs(mk));
    }
    def(`${p}#getLastLr`, noArgs(mk));
    def(`${p}#stateDict`, noArgs(mk));
    def(`${p}#loadStateDict`, () => ({ call: (h) => { const s = mk(h); if (name === 'ReduceLROnPlateau') s.step(1); else s.step(); return { self: mk(h), args: [s.stateDict()] }; }, slots: ['stateDict:obj'],
      extra: [E('range|type', 'lastEpoch', 'string lastEpoch', (h) => { const s = mk(h).stateDict(); s.lastEpoch = '3'; return { self: mk(h), args: [s] }; })] }));
  }
};
