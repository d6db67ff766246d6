'use strict';
// Bad-input table: prune and distill.
module.exports = (def, { noArgs, E }) => {
  const w = (h) => h.t([3, 4]);
  def('prune.l1Unstructured', () => ({ call: (h) => ({ args: [w(h), { amount: 0.5 }] }), slots: ['weight:tensor|f32', 'options|opts:opts'],
    opts: { 1: { amount: 'num[0,inf)!', mask: 'u8' } }, optValid: { 1: { mask: (h) => h.mask(12) } },
    extra: [E('range', 'amount', 'fraction above 1', (h) => ({ args: [w(h), { amount: 1.5 }] })),
      E('range', 'amount', 'count above the size', (h) => ({ args: [w(h), { amount: 13 }] }))] }));
  def('prune.randomUnstructured', () => ({ call: (h) => ({ args: [w(h), { amount: 0.5, seed: 3 }] }), slots: ['weight:tensor|f32', 'options|opts:opts'],
    opts: { 1: { amount: 'num[0,inf)!', seed: 'int[0,inf)', mask: 'u8' } }, optValid: { 1: { mask: (h) => h.mask(12) } } }));
  def('prune.lnStructured', () => ({ call: (h) => ({ args: [w(h), { amount: 1, n: 2, dim: 0 }] }), slots: ['weight:tensor|f32', 'options|opts:opts'],
    opts: { 1: { amount: 'num[0,inf)!', n: 'num[0,inf)!', dim: 'int[-2,1]!', mask: 'u8', shape: 'arr' } }, optValid: { 1: { mask: (h) => h.mask(12), shape: () => [3, 4] } },
    ok: [/^options\|opts\.n (Infinity|-Infinity)$/], extra: [E('range', 'weight', '1-D weight', (h) => ({ args: [h.t([12]), { amount: 1, n: 2, dim: 0 }] }))] }));
  def('prune.globalUnstructured', () => ({ call: (h) => ({ args: [[w(h), h.t([5])], { amount: 0.5 }] }), slots: ['weights:arr', 'options|opts:opts'],
    opts: { 1: { amount: 'num[0,inf)!', masks: 'arr' } }, optValid: { 1: { masks: (h) => [h.mask(12), h.mask(5)] } },
    extra: [E('type', 'weights[1]', 'a string among the weights', (h) => ({ args: [[w(h), 'x'], { amount: 0.5 }] })),
      E('range', 'masks', 'masks of the wrong count', (h) => ({ args: [[w(h), h.t([5])], { amount: 0.5, masks: [h.mask(12)] }] })),
      E('range', 'masks[1]', 'mask of the wrong length', (h) => ({ args: [[w(h), h.t([5])], { amount: 0.5, masks: [h.mask(12), h.mask(4)] }] }))] }));
  def('prune.applyMask', () => ({ call: (h) => ({ args: [w(h), h.mask(12)] }), slots: ['weight:tensor|f32', 'mask:u8'],
    extra: [E('range', 'mask', 'mask aliasing the weight bytes', (h) => {
      // weights 0 and the smallest denormal (bytes 0 / 1 only), so the aliased bytes form a valid mask
      const d = Float32Array.from({ length: 12 }, (_, i) => (i % 2 ? 1.401298464324817e-45 : 0));
      return { args: [new h.N.Tensor(d, [3, 4]), new Uint8Array(d.buffer, 0, 12)] };
    })] }));
  def('prune.sparsity', () => ({ call: (h) => ({ args: [h.mask(12)] }), slots: ['weightOrMask|model|weight|mask:obj'],
    extra: [E('type', 'weightOrMask|model|weight|mask', 'Float64Array', () => ({ args: [new Float64Array(4)] }))] }));
  def('prune.computeNParamsToPrune', () => ({ call: () => ({ args: [0.5, 10] }), slots: ['amount:num[0,inf)', 'size:int[0,inf)'],
    extra: [E('range', 'amount', 'fraction above 1', () => ({ args: [1.5, 10] })), E('range', 'amount', 'count above size', () => ({ args: [11, 10] }))] }));
  def('prune.keptCount', () => ({ call: () => ({ args: [10, 0.5] }), slots: ['n:int[0,inf)', 's|sparsity:num[0,1]'] }));
  def('prune.shouldPruneInStep', () => ({ call: () => ({ args: [5, 0, 10, 1] }), slots: ['step:int', 'beginStep:int[0,inf)', 'endStep:int[-1,inf)', 'frequency:int[1,inf)'] }));
  const cs = (h) => new h.N.prune.ConstantSparsity({ targetSparsity: 0.5, beginStep: 0, endStep: 10, frequency: 2 });
  def('prune.ConstantSparsity', () => ({ call: () => ({ args: [{ targetSparsity: 0.5, beginStep: 0, endStep: 10, frequency: 2 }] }), slots: ['options|opts:opts'],
    opts: { 0: { targetSparsity: 'num[0,1)!', beginStep: 'int[0,inf)', endStep: 'int[-1,inf)', frequency: 'int[1,inf)' } },
    extra: [E('range', 'endStep', 'endStep before beginStep', () => ({ args: [{ targetSparsity: 0.5, beginStep: 10, endStep: 5 }] }))] }));
  def('prune.ConstantSparsity#call', () => ({ call: (h) => ({ self: cs(h), args: [4] }), slots: ['step:int'] }));
  const pd = (h) => new h.N.prune.PolynomialDecay({ initialSparsity: 0, finalSparsity: 0.8, beginStep: 0, endStep: 10 });
  def('prune.PolynomialDecay', () => ({ call: () => ({ args: [{ initialSparsity: 0, finalSparsity: 0.8, beginStep: 0, endStep: 10, power: 3, frequency: 1 }] }), slots: ['options|opts:opts'],
    opts: { 0: { initialSparsity: 'num[0,1)!', finalSparsity: 'num[0,1)!', beginStep: 'int[0,inf)', endStep: 'int[0,inf)!', power: 'num', frequency: 'int[1,inf)' } },
    extra: [E('range', 'endStep', 'endStep before beginStep', () => ({ args: [{ initialSparsity: 0, finalSparsity: 0.8, beginStep: 10, endStep: 5 }] }))] }));
  def('prune.PolynomialDecay#call', () => ({ call: (h) => ({ self: pd(h), args: [4] }), slots: ['step:int'] }));
  const gp = (h) => new h.N.prune.GradualPruner(h.model(), pd(h), { scope: 'layer' });
  def('prune.GradualPruner', () => ({ call: (h) => ({ args: [h.model(), pd(h), { scope: 'global' }] }), slots: ['model:obj', 'schedule:obj', 'options|opts:opts?'],
    opts: { 2: { scope: 'enum:layer|global' } }, extra: [E('type', 'schedule', 'schedule without call()', (h) => ({ args: [h.model(), {}] }))] }));
  def('prune.GradualPruner#step', noArgs(gp));
  def('prune.GradualPruner#pruneTo', () => ({ call: (h) => ({ self: gp(h), args: [0.5] }), slots: ['sparsity:num[0,1]'] }));
  const magOpts = { amount: 'num[0,inf)!', scope: 'enum:layer|global' };
  def('prune.magnitude', () => ({ call: (h) => ({ args: [h.model(), { amount: 0.5 }] }), slots: ['model:obj', 'options|opts:opts'], opts: { 1: magOpts },
    extra: [E('type', 'model', 'a Linear as model', (h) => ({ args: [h.linear(), { amount: 0.5 }] }))] }));
  const pruned = (h) => { const m = h.model(); h.N.prune.magnitude(m, { amount: 0.5 }); return m; };
  def('prune.applyMasks', () => ({ call: (h) => ({ args: [pruned(h)] }), slots: ['model:obj'] }));
  def('prune.remove', () => ({ call: (h) => ({ args: [pruned(h)] }), slots: ['model:obj'] }));
  def('prune.linearLayers', () => ({ call: (h) => ({ args: [h.model()] }), slots: ['model:obj'] }));
  def('prune.customFromMask', () => ({ call: (h) => ({ args: [h.linear(), h.mask(12)] }), slots: ['linear:obj', 'mask:u8'] }));
  def('prune.getMask', () => ({ call: (h) => ({ args: [pruned(h).layers[0]] }), slots: ['layer|linear:obj'] }));
  def('prune.neurons', () => ({ call: (h) => ({ args: [h.model(), 0, { amount: 2, importance: 'l2' }] }), slots: ['model:obj', 'layerIndex:int[0,inf)', 'options|opts:opts'],
    opts: { 2: { amount: 'num[0,inf)!', importance: 'enum:l1|l2|apoz|meanActivation', calibration: 'tensor2' } },
    optValid: { 2: { calibration: (h) => h.t([4, 4]) } },
    extra: [E('range', 'layerIndex', 'index of the last Linear (no next layer)', (h) => ({ args: [h.model(), 2, { amount: 1 }] })),
      E('range', 'layerIndex', 'index of the ReLU', (h) => ({ args: [h.model(), 1, { amount: 1 }] })),
      E('range', 'amount', 'removing every neuron', (h) => ({ args: [h.model(), 0, { amount: 5 }] })),
      E('range|type', 'calibration', 'apoz without calibration', (h) => ({ args: [h.model(), 0, { amount: 1, importance: 'apoz' }] }))] }));

  // distill
  const two = (h) => [h.t([4, 3]), h.t([4, 3]).data.map((x) => x * 0.5)];
  def('distill.kdLoss', () => ({ call: (h) => ({ args: [h.t([4, 3]), new h.N.Tensor(two(h)[1], [4, 3]), { temperature: 2, alpha: 0.5, labels: h.labels(4, 3) }] }),
    slots: ['student:tensor2', 'teacher:tensor2', 'options|opts:opts'], opts: { 2: { temperature: 'num(0,inf)!', alpha: 'num[0,1]', labels: 'labels' } },
    extra: [E('range', 'teacher', 'teacher of another shape', (h) => ({ args: [h.t([4, 3]), h.t([4, 4]), { temperature: 2 }] }))] }));
  const probs = (h) => { const t = h.t([4, 3]); const d = t.data.map((x) => Math.exp(x)); for (let i = 0; i < 4; i++) { let s = 0; for (let j = 0; j < 3; j++) s += d[i * 3 + j]; for (let j = 0; j < 3; j++) d[i * 3 + j] /= s; } return new h.N.Tensor(d, [4, 3]); };
  def('distill.klDiv', () => ({ call: (h) => ({ args: [h.t([4, 3]), probs(h), { reduction: 'batchmean', logTarget: false }] }),
    slots: ['input:tensor', 'target:tensor', 'options|opts:opts?'], opts: { 2: { reduction: 'enum:none|sum|mean|batchmean', logTarget: 'bool' } },
    extra: [E('range', 'target', 'target of another shape', (h) => ({ args: [h.t([4, 3]), h.t([3, 4])] }))] }));
  def('distill.crossEntropy', () => ({ call: (h) => ({ args: [h.t([4, 3]), h.labels(4, 3), { reduction: 'mean', labelSmoothing: 0.1 }] }),
    slots: ['logits:tensor2', 'labels:labels', 'options|opts:opts?'], opts: { 2: { reduction: 'enum:none|sum|mean', labelSmoothing: 'num[0,1]', ignoreIndex: 'int' } } }));
  def('distill.mseLoss', () => ({ call: (h) => ({ args: [h.t([4, 3]), h.t([4, 3]), { reduction: 'sum' }] }), slots: ['a|input:tensor', 'b|target:tensor', 'options|opts:opts?'],
    opts: { 2: { reduction: 'enum:none|sum|mean' } }, extra: [E('range', 'b|target', 'other shape', (h) => ({ args: [h.t([4, 3]), h.t([3, 4])] }))] }));
  def('distill.featureLoss', () => ({ call: (h) => ({ args: [h.t([4, 3]), h.t([4, 3]), { kind: 'cosine', weight: 2 }] }), slots: ['studentFeat:tensor', 'teacherFeat:tensor', 'options|opts:opts?'],
    opts: { 2: { kind: 'enum:mse|cosine', weight: 'num' } } }));
};
