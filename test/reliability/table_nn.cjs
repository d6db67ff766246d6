'use strict';
// Bad-input table: nn.
module.exports = (def, { noArgs, E }) => {
  const modeSpec = (make) => () => ({ call: (h) => ({ self: make(h), args: [true] }), slots: ['mode:bool?'] });
  const stateless = [['ReLU', [2, 3]], ['GELU', [2, 3]], ['Flatten', [2, 3, 2]]];
  for (const [name, shape] of stateless) {
    const mk = (h) => new h.N.nn[name]();
    def(`nn.${name}`, () => ({ call: () => ({ args: [] }) }));
    def(`nn.${name}#forward`, () => ({ call: (h) => ({ self: mk(h), args: [h.t(shape)] }), slots: ['x:tensor'] }));
    def(`nn.${name}#backward`, () => ({
      call: (h) => ({ self: h.forwarded(mk(h), h.t(shape)), args: [h.t(shape)] }), slots: ['gradOut:tensor'],
      extra: [E('state', 'gradOut', 'before forward', (h) => ({ self: mk(h), args: [h.t(shape)] })),
        E('range', 'gradOut', 'other shape', (h) => ({ self: h.forwarded(mk(h), h.t(shape)), args: [h.t([5, 5])] }))],
    }));
    def(`nn.${name}#train`, modeSpec(mk));
    def(`nn.${name}#eval`, noArgs(mk));
  }
  const dropout = (h) => new h.N.nn.Dropout(0.5, { rng: new h.N.Rng(1) });
  def('nn.Dropout', () => ({ call: (h) => ({ args: [0.3, { rng: new h.N.Rng(1) }] }), slots: ['p:num[0,1]?', 'options:opts?'], opts: { 1: { rng: 'obj' } } }));
  def('nn.Dropout#forward', () => ({ call: (h) => ({ self: dropout(h), args: [h.t([2, 3])] }), slots: ['x:tensor'] }));
  def('nn.Dropout#backward', () => ({ call: (h) => ({ self: h.forwarded(dropout(h), h.t([2, 3])), args: [h.t([2, 3])] }), slots: ['gradOut:tensor'],
    extra: [E('state', 'gradOut', 'before forward', (h) => ({ self: dropout(h), args: [h.t([2, 3])] }))] }));
  def('nn.Dropout#train', modeSpec(dropout));
  def('nn.Dropout#eval', noArgs(dropout));

  def('nn.Parameter', () => ({ call: (h) => ({ args: [h.f32(6), [2, 3]] }), slots: ['data:f32*', 'shape:arr?'],
    extra: [E('range', 'shape', 'shape [-2, -3]', (h) => ({ args: [h.f32(6), [-2, -3]] })),
      E('range', 'shape', 'shape [2, 4]', (h) => ({ args: [h.f32(6), [2, 4]] })),
      E('type', 'shape', "shape ['2', 3]", (h) => ({ args: [h.f32(6), ['2', 3]] }))] }));
  def('nn.Parameter#zeroGrad', noArgs((h) => h.param()));

  const lin = (h) => h.linear(4, 3);
  def('nn.Linear', () => ({ call: (h) => ({ args: [4, 3, { bias: true, rng: new h.N.Rng(1) }] }),
    slots: ['inFeatures:int[1,2147483647]', 'outFeatures:int[1,2147483647]', 'options:opts?'], opts: { 2: { bias: 'bool', rng: 'obj' } },
    extra: [E('range', 'inFeatures', 'too many weights', () => ({ args: [2 ** 16, 2 ** 16] }))] }));
  def('nn.Linear#forward', () => ({ call: (h) => ({ self: lin(h), args: [h.t([2, 4])] }), slots: ['x:tensor2'],
    extra: [E('range', 'x', 'wrong features', (h) => ({ self: lin(h), args: [h.t([2, 5])] }))] }));
  def('nn.Linear#backward', () => ({ call: (h) => ({ self: h.forwarded(lin(h), h.t([2, 4])), args: [h.t([2, 3])] }), slots: ['gradOut:tensor2'],
    extra: [E('state', 'gradOut', 'before forward', (h) => ({ self: lin(h), args: [h.t([2, 3])] })),
      E('range', 'gradOut', 'other batch', (h) => ({ self: h.forwarded(lin(h), h.t([2, 4])), args: [h.t([3, 3])] }))] }));
  def('nn.Linear#parameters', noArgs(lin));
  def('nn.Linear#train', modeSpec(lin));
  def('nn.Linear#eval', noArgs(lin));

  const bn = (h) => h.bn(3);
  def('nn.BatchNorm1d', () => ({ call: () => ({ args: [3, { eps: 1e-5, momentum: 0.1, affine: true, trackRunningStats: true }] }),
    slots: ['numFeatures:int[1,2147483647]', 'options:opts?'],
    opts: { 1: { eps: 'num[0,inf)', momentum: 'num[0,1]|null', affine: 'bool', trackRunningStats: 'bool' } } }));
  def('nn.BatchNorm1d#forward', () => ({ call: (h) => ({ self: bn(h), args: [h.t([4, 3])] }), slots: ['x:tensor'],
    extra: [E('range', 'x', 'one value per channel', (h) => ({ self: bn(h), args: [h.t([1, 3])] })),
      E('range', 'x', 'wrong channels', (h) => ({ self: bn(h), args: [h.t([4, 2])] }))] }));
  def('nn.BatchNorm1d#forwardAsync', () => ({ call: (h) => ({ self: bn(h).eval(), args: [h.t([4, 3])] }), slots: ['x:tensor'],
    extra: [E('range', 'x', 'wrong channels', (h) => ({ self: bn(h).eval(), args: [h.t([4, 2])] }))] }));
  def('nn.BatchNorm1d#backward', () => ({ call: (h) => ({ self: h.forwarded(bn(h), h.t([4, 3])), args: [h.t([4, 3])] }), slots: ['gradOut:tensor'],
    extra: [E('state', 'gradOut', 'before forward', (h) => ({ self: bn(h), args: [h.t([4, 3])] })),
      E('range', 'gradOut', 'other shape', (h) => ({ self: h.forwarded(bn(h), h.t([4, 3])), args: [h.t([5, 3])] }))] }));
  def('nn.BatchNorm1d#parameters', noArgs(bn));
  def('nn.BatchNorm1d#resetRunningStats', noArgs(bn));
  def('nn.BatchNorm1d#train', modeSpec(bn));
  def('nn.BatchNorm1d#eval', noArgs(bn));

  const model = (h) => h.model();
  def('nn.Sequential', () => ({ call: (h) => ({ args: [h.linear(4, 5), new h.N.nn.ReLU()] }), slots: ['layers[0]:obj'],
    extra: [E('type', 'layers[1]', 'layer without forward', (h) => ({ args: [h.linear(4, 5), {}] }))] }));
  def('nn.Sequential#forward', () => ({ call: (h) => ({ self: model(h), args: [h.t([2, 4])] }), slots: ['x:tensor'] }));
  def('nn.Sequential#forwardAsync', () => ({ call: (h) => ({ self: model(h).eval(), args: [h.t([2, 4])] }), slots: ['x:tensor'] }));
  def('nn.Sequential#backward', () => ({ call: (h) => ({ self: h.forwarded(model(h), h.t([2, 4])), args: [h.t([2, 3])] }), slots: ['gradOut:tensor'],
    extra: [E('state', 'gradOut', 'before forward', (h) => ({ self: model(h), args: [h.t([2, 3])] }))] }));
  const predict = () => ({ call: (h) => ({ self: model(h), args: [h.t([5, 4]), { batchSize: 2 }] }), slots: ['x:tensor', 'options:opts?'],
    opts: { 1: { batchSize: 'int[1,inf)' } } });
  def('nn.Sequential#predict', predict);
  def('nn.Sequential#predictAsync', predict);
  def('nn.Sequential#parameters', noArgs(model));
  def('nn.Sequential#stateDict', noArgs(model));
  def('nn.Sequential#train', modeSpec(model));
  def('nn.Sequential#eval', noArgs(model));
  const sd = (h) => { const s = h.model().stateDict(); for (const v of Object.values(s)) v.data.fill(0.5); return s; };
  def('nn.Sequential#loadStateDict', () => ({ call: (h) => ({ self: model(h), args: [sd(h)] }), slots: ['state:obj'],
    extra: [
      E('range', 'state', 'missing entry', (h) => { const s = sd(h); delete s['2.bias']; return { self: model(h), args: [s] }; }),
      E('range', 'state', 'extra entry', (h) => { const s = sd(h); s['9.weight'] = h.t([1, 1]); return { self: model(h), args: [s] }; }),
      E('type', 'state', 'Float64Array entry', (h) => { const s = sd(h); s['2.bias'] = { data: new Float64Array(3), shape: [3] }; return { self: model(h), args: [s] }; }),
      E('range', 'state', 'wrong shape in the last entry', (h) => { const s = sd(h); s['2.bias'] = h.t([4]); return { self: model(h), args: [s] }; }),
      E('range', 'state', 'shape that does not match data', (h) => { const s = sd(h); s['2.bias'] = { data: new Float32Array(2), shape: [3] }; return { self: model(h), args: [s] }; }),
      E('type|range', 'state', 'detached entry', (h) => { const s = sd(h); s['2.bias'] = { data: h.detached(3), shape: [3] }; return { self: model(h), args: [s] }; }),
      E('type', 'state', 'entry is null', (h) => { const s = sd(h); s['0.weight'] = null; return { self: model(h), args: [s] }; }),
    ] }));

  // quantized and sparse layers
  def('nn.QuantizedLinear.fromFloat', () => ({
    call: (h) => ({ args: [h.linear(), { activationScale: 0.02, activationZeroPoint: 128, outputDtype: 'uint8', outputScale: 0.05, outputZeroPoint: 100 }] }),
    slots: ['linear:obj', 'options:opts'],
    opts: { 1: { activationScale: 'num(0,inf)!', activationZeroPoint: 'int[0,255]!', activationDtype: 'enum:uint8|int8', outputDtype: 'enum:float32|uint8|int8',
      outputScale: 'num(0,inf)', outputZeroPoint: 'int[0,255]', relu: 'bool', perChannel: 'bool' } },
    // outputScale / outputZeroPoint belong to a quantized output: with outputDtype 'float32' they are a RangeError
    expectRe: [[/^options\.outputDtype (undefined|upper-cased)$/, 'range|ok', 'outputDtype|outputScale|outputZeroPoint']],
    extra: [E('range', 'activationZeroPoint', 'int8 activations with zero point 128', (h) => ({ args: [h.linear(), { activationScale: 0.02, activationZeroPoint: 128, activationDtype: 'int8' }] })),
      E('type', 'linear', 'a BatchNorm1d', (h) => ({ args: [h.bn(3), { activationScale: 0.02, activationZeroPoint: 128 }] }))],
  }));
  def('nn.QuantizedLinear.fromState', () => ({
    call: (h) => ({ args: [{ weight: h.qw(), bias: h.f32(3) }, { activationScale: 0.02, activationZeroPoint: 128 }] }),
    slots: ['state:obj', 'options:opts'],
    opts: { 0: { weight: 'obj!', bias: 'f32|null' }, 1: { activationScale: 'num(0,inf)!', activationZeroPoint: 'int[0,255]!', relu: 'bool' } },
    extra: [E('type|range', 'weight', 'uint8 weight', (h) => ({ args: [{ weight: h.qt([3, 4]), bias: null }, { activationScale: 0.02, activationZeroPoint: 128 }] })),
      E('range', 'bias', 'bias of the wrong length', (h) => ({ args: [{ weight: h.qw(), bias: h.f32(4) }, { activationScale: 0.02, activationZeroPoint: 128 }] }))],
  }));
  def('nn.DynamicQuantizedLinear.fromFloat', () => ({ call: (h) => ({ args: [h.linear(), {}] }), slots: ['linear:obj', 'options:opts?'],
    opts: { 1: { perChannel: 'bool', reduceRange: 'bool', activationGranularity: 'enum:tensor|row' } } }));
  def('nn.DynamicQuantizedLinear.fromState', () => ({ call: (h) => ({ args: [{ weight: h.qw(), bias: h.f32(3) }, {}] }), slots: ['state:obj', 'options:opts?'],
    opts: { 0: { weight: 'obj!', bias: 'f32|null' }, 1: { reduceRange: 'bool', activationGranularity: 'enum:tensor|row' } } }));
  for (const [cls, mk] of [['QuantizedLinear', (h) => h.qlinear()], ['DynamicQuantizedLinear', (h) => h.dqlinear()], ['SparseLinear', (h) => h.splinear()]]) {
    def(`nn.${cls}#forward`, () => ({ call: (h) => ({ self: mk(h), args: [h.t([2, 4])] }), slots: ['x:tensor2'],
      extra: [E('range', 'x', 'wrong features', (h) => ({ self: mk(h), args: [h.t([2, 5])] }))], ignore: ['timings'] }));
    def(`nn.${cls}#forwardAsync`, () => ({ call: (h) => ({ self: mk(h), args: [h.t([2, 4])] }), slots: ['x:tensor2'],
      extra: [E('range', 'x', 'wrong features', (h) => ({ self: mk(h), args: [h.t([2, 5])] }))], ignore: ['timings'] }));
    def(`nn.${cls}#parameters`, noArgs(mk));
    def(`nn.${cls}#eval`, noArgs(mk));
    def(`nn.${cls}#train`, cls === 'SparseLinear' ? modeSpec(mk) : noArgs(mk));
  }
  def('nn.SparseLinear.fromLinear', () => ({ call: (h) => ({ args: [h.linear(), { sparsity: 0.5, batchHint: 2 }] }), slots: ['linear:obj', 'options:opts'],
    opts: { 1: { sparsity: 'num[0,1]', batchHint: 'int[1,inf)' } }, ignore: ['timings', 'choice', 'reason', 'dense', 'packed'],
    extra: [E('range', 'mask', 'mask of the wrong length', (h) => ({ args: [h.linear(), { mask: h.mask(11) }] })),
      E('type', 'mask', 'mask as Int8Array', (h) => ({ args: [h.linear(), { mask: new Int8Array(12) }] })),
      E('type|range', 'sparsity', 'both sparsity and mask', (h) => ({ args: [h.linear(), { sparsity: 0.5, mask: h.mask(12) }] })),
      E('type|range', 'sparsity', 'neither sparsity nor mask', (h) => ({ args: [h.linear(), {}] }))] }));
  def('nn.SparseLinear.fromState', () => ({
    call: (h) => ({ args: [{ csr: h.csr(), bias: h.f32(3), choice: 'sparse', timings: { sparseMs: 1, denseMs: 2, batch: 2, density: 0.5 } }] }),
    slots: ['state:obj'], opts: { 0: { csr: 'obj!', bias: 'f32|null', choice: 'enum:sparse|dense!', timings: 'obj' } },
    extra: [E('range', 'bias', 'bias of the wrong length', (h) => ({ args: [{ csr: h.csr(), bias: h.f32(4), choice: 'sparse', timings: { sparseMs: 1, denseMs: 2, batch: 2, density: 0.5 } }] }))] }));

  // functions
  def('nn.accuracy', () => ({ call: (h) => ({ args: [h.t([4, 3]), h.labels(4, 3)] }), slots: ['predictions:tensor2', 'labels:labels'],
    // predictions may also be class indices (an array or typed array), checked against labels
    expectRe: [[/^predictions (array|bare Float32Array)$/, 'type|range', 'predictions|labels']] }));
  def('nn.argmax', () => ({ call: (h) => ({ args: [h.t([4, 3])] }), slots: ['x:tensor'] }));
  def('nn.crossEntropyWithLogits', () => ({ call: (h) => ({ args: [h.t([4, 3]), h.labels(4, 3), { reduction: 'mean' }] }),
    slots: ['logits:tensor2', 'labels:labels', 'options:opts?'], opts: { 2: { reduction: 'enum:mean|sum' } } }));
  def('nn.erf', () => ({ call: () => ({ args: [0.5] }), slots: ['x:num'], ok: [/^x (NaN|Infinity|-Infinity)$/] }));
  def('nn.stateDtype', () => ({ call: (h) => ({ args: [h.f32(3)] }), slots: ['a:obj'],
    extra: [E('type', 'a', 'Float64Array', () => ({ args: [new Float64Array(3)] })), E('type', 'a', 'plain array', () => ({ args: [[1, 2]] }))] }));
  def('nn.foldBatchNorm', () => ({ call: (h) => ({ args: [h.linear(4, 3), h.bn(3).eval()] }), slots: ['linear:obj', 'bn:obj'],
    extra: [E('range', 'numFeatures', 'size mismatch', (h) => ({ args: [h.linear(4, 3), h.bn(4).eval()] })),
      E('type', 'linear', 'swapped', (h) => ({ args: [h.bn(3), h.linear(4, 3)] }))] }));
  def('nn.evaluate', () => ({ call: (h) => ({ args: [h.model(), h.t([6, 4]), h.labels(6, 3), { batchSize: 4 }] }),
    slots: ['model:obj', 'x:tensor2', 'y:labels', 'options:opts?'], opts: { 3: { batchSize: 'int[1,inf)', lossFn: 'fn' } } }));
  def('nn.fit', () => ({
    call: (h) => { const m = h.model(); return { self: undefined, args: [m, { x: h.t([6, 4]), y: h.labels(6, 3), epochs: 1, batchSize: 3, optimizer: new h.N.optim.SGD(m.parameters(), { lr: 0.1 }), verbose: false, rng: new h.N.Rng(1) }] }; },
    slots: ['model:obj', 'options:opts'],
    opts: { 1: { x: 'tensor2!', y: 'labels!', epochs: 'int[0,inf)', batchSize: 'int[1,inf)', optimizer: 'obj!', scheduler: 'obj', schedulerStep: 'enum:batch|epoch',
      schedulerMetric: 'enum:loss|valLoss|valAccuracy', lossFn: 'fn', validation: 'obj', callbacks: 'obj', shuffle: 'bool', dropLast: 'bool', rng: 'obj', verbose: 'bool', stream: 'obj' } },
    ignore: ['ms'],
    consumes: ['rng'], // the shuffling generator advances even when a batch then fails
    // fit trains in place: an error inside the training loop (here NaN logits) leaves what earlier steps did
    partial: [/contents$/],
    ok: [/^options\.callbacks (empty object|object with junk fields)$/], // no callbacks (unknown keys are ignored)
    extra: [E('range', 'y', 'y shorter than x', (h) => { const m = h.model(); return { args: [m, { x: h.t([6, 4]), y: h.labels(5, 3), optimizer: new h.N.optim.SGD(m.parameters(), { lr: 0.1 }), verbose: false }] }; })],
  }));
};
