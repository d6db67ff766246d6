'use strict';
// Bad-input table: data and io.
const os = require('node:os');
const path = require('node:path');
const tmp = (name) => path.join(os.tmpdir(), `nnslim-badinput-${process.pid}-${name}`);
let codecs = 0;

module.exports = (def, { E }) => {
  def('data.parseDigitsCsv', () => ({ call: () => ({ args: [`${Array(64).fill(3).join(',')},7\n${Array(64).fill(16).join(',')},1\n`] }), slots: ['text:str'],
    extra: [E('format', 'text', 'row with too few values', () => ({ args: ['1,2,3\n'] })), E('format', 'text', 'pixel out of range', () => ({ args: [`${Array(64).fill(99).join(',')},1\n`] })),
      E('format', 'text', 'label 10', () => ({ args: [`${Array(64).fill(1).join(',')},10\n`] })), E('format', 'text', 'non-numeric value', () => ({ args: [`${Array(63).fill(1).join(',')},x,1\n`] }))] }));
  def('data.loadDigits', () => ({ call: () => ({ args: [{ normalize: true }] }), slots: ['options:opts?'], opts: { 0: { normalize: 'bool' } } }));
  def('data.subset', () => ({ call: (h) => ({ args: [h.dataset(), [0, 2, 4]] }), slots: ['ds|dataset:obj', 'indices:obj'],
    extra: [E('range', 'indices', 'index -1', (h) => ({ args: [h.dataset(), [0, -1]] })), E('range', 'indices', 'index past the end', (h) => ({ args: [h.dataset(), [12]] })),
      E('range', 'indices', 'fractional index', (h) => ({ args: [h.dataset(), [0.5]] })), E('type|range', 'indices', 'string index', (h) => ({ args: [h.dataset(), ['1']] })),
      E('range', 'indices', 'NaN index', (h) => ({ args: [h.dataset(), [NaN]] })), E('range|type', 'ds|dataset', 'y shorter than x', (h) => { const d = h.dataset(); d.y = d.y.slice(1); return { args: [d, [0]] }; })] }));
  def('data.split', () => ({ call: (h) => ({ args: [h.dataset(), { validation: 0.25, test: 0.25, seed: 1, stratify: true }] }), slots: ['ds|dataset:obj', 'options:opts?'],
    opts: { 1: { validation: 'num[0,inf)', test: 'num[0,inf)', seed: 'int[0,inf)', stratify: 'bool' } },
    extra: [E('range', 'validation|test', 'validation + test >= 1', (h) => ({ args: [h.dataset(), { validation: 0.6, test: 0.5 }] }))] }));
  def('data.computeStats', () => ({ call: (h) => ({ args: [h.t([6, 4]), { perFeature: true, eps: 1e-6 }] }), slots: ['x:tensor2', 'options:opts?'], opts: { 1: { perFeature: 'bool', eps: 'num[0,inf)' } } }));
  def('data.normalize', () => ({ call: (h) => ({ args: [h.t([6, 4]), { mean: h.f32(4), std: new Float32Array(4).fill(2) }] }), slots: ['x:tensor2', 'stats:obj'],
    opts: { 1: { mean: 'f32!', std: 'f32!' } }, extra: [E('range', 'std', 'zero std', (h) => ({ args: [h.t([6, 4]), { mean: h.f32(4), std: new Float32Array(4) }] }))] }));
  def('data.readIdx', () => ({ call: (h) => ({ args: [h.idxBytes()] }), slots: ['source:obj'],
    extra: [E('format', 'source', 'bad magic', (h) => { const b = h.idxBytes(); b[2] = 0x77; return { args: [b] }; }),
      E('format', 'source', 'truncated', (h) => ({ args: [h.idxBytes().subarray(0, 20)] })),
      E('format', 'source', 'dims that overflow', (h) => { const b = h.idxBytes(); b.set([0x7f, 0xff, 0xff, 0xff], 4); return { args: [b] }; }),
      E('format', 'source', 'empty', () => ({ args: [new Uint8Array(0)] })),
      E('fs', 'source', 'a missing file', () => ({ args: [tmp('missing.idx')] }))],
    expect: { 'source string': 'fs' } }));
  def('data.loadMnist', () => ({ call: () => ({ args: [tmp('no-such-dir')] }), slots: ['dir:str', 'options:opts?'], opts: { 1: { normalize: 'bool' } },
    // there is no MNIST copy in the repository: the valid-argument call reports the missing files
    validExpect: 'fs|format' }));

  const tensors = (h) => ({ a: h.t([2, 3]), b: { data: new Int32Array([1, 2]), shape: [2] } });
  // no tensors / no metadata make a valid (empty) file
  def('io.saveSafetensors', () => ({ call: (h) => ({ args: [tensors(h), { note: 'x' }] }), slots: ['tensors:obj', 'metadata:obj?'], ok: [/empty object$/],
    extra: [E('type', 'tensors', 'Float64Array tensor', () => ({ args: [{ a: { data: new Float64Array(2), shape: [2] } }] })),
      E('range', 'tensors', 'shape that does not match', (h) => ({ args: [{ a: { data: h.f32(4), shape: [5] } }] })),
      E('type', 'metadata', 'non-string metadata value', (h) => ({ args: [tensors(h), { n: 5 }] })),
      E('type|range', 'tensors', 'detached tensor', (h) => ({ args: [{ a: { data: h.detached(2), shape: [2] } }] }))] }));
  def('io.saveSafetensorsFile', () => ({ call: (h) => ({ args: [tmp('a.safetensors'), tensors(h)] }), slots: ['file:str', 'tensors:obj', 'metadata:obj?'], ok: [/empty object$/] }));
  def('io.loadSafetensors', () => ({ call: (h) => ({ args: [h.N.io.saveSafetensors(tensors(h))] }), slots: ['source:obj'],
    extra: [E('format', 'source', 'truncated', (h) => ({ args: [h.N.io.saveSafetensors(tensors(h)).subarray(0, 20)] })),
      E('format', 'source', 'header length past the end', (h) => { const b = h.N.io.saveSafetensors(tensors(h)).slice(); b[0] = 0xff; b[1] = 0xff; return { args: [b] }; }),
      E('format', 'source', 'empty', () => ({ args: [new Uint8Array(0)] })),
      E('format', 'source', 'view at an odd offset', (h) => { const b = h.N.io.saveSafetensors(tensors(h)); const big = new Uint8Array(b.length + 1); big.set(b, 1); return { args: [big.subarray(1)] }; }),
      E('fs', 'source', 'a missing file', () => ({ args: [tmp('missing.safetensors')] }))],
    expect: { 'source string': 'fs' },
    ok: [/view at an odd offset/] }));
  def('io.saveModel', () => ({ call: (h) => ({ args: [h.model()] }), slots: ['model:obj', 'file:str?', 'metadata:obj?'],
    ok: [/^metadata empty object$/],
    known: [[/^metadata (null|number|string|boolean|object with junk fields)$/, 'lib/io/model.ts (owned by the io helper): saveModel does not check its metadata argument']] }));
  def('io.loadModel', () => ({ call: (h) => ({ args: [h.N.io.saveModel(h.model())] }), slots: ['source:obj', 'options:opts?'],
    expect: { 'source string': 'fs' },
    known: [[/^options (null|number|string|boolean|array)$/, 'lib/io/model.ts (owned by the io helper): loadModel does not check its options argument']],
    extra: [E('format', 'source', 'digest mismatch', (h) => { const b = h.N.io.saveModel(h.model()).slice(); b[b.length - 1] ^= 0x55; return { args: [b] }; }),
      E('format', 'source', 'truncated', (h) => ({ args: [h.N.io.saveModel(h.model()).subarray(0, 40)] }))] }));
  def('io.registerLayer', () => ({
    call: () => ({ args: [{ type: `BadInputLayer${codecs++}`, matches: () => false, config: () => ({}), create: () => ({ forward: (x) => x }) }] }),
    slots: ['codec:obj'], opts: { 0: { type: 'str!', matches: 'fn!', config: 'fn!', create: 'fn!' } },
    // (a faithful ReLU codec, so that the built-in one it replaces today keeps working for the other cases)
    extra: [E('range', 'codec.type|type', 'a built-in name', (h) => ({ args: [{ type: 'ReLU', matches: (l) => l instanceof h.N.nn.ReLU, config: () => ({}), create: () => new h.N.nn.ReLU() }] }))],
    known: [[/^a built-in name$/, 'lib/io/model.ts (owned by the io helper): registerLayer silently replaces a built-in codec']] }));
  def('io.registeredLayers', () => ({ call: () => ({ args: [] }) }));
  def('io.formatError', () => ({ call: () => ({ args: ['model file', 'truncated header'] }), slots: ['what:str', 'problem:str'] }));
};
