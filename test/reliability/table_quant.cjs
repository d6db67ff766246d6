'use strict';
// Bad-input table: quant and sparse.
module.exports = (def, { noArgs, E }) => {
  const obsCommon = { dtype: 'enum:uint8|int8', quantMin: 'int', quantMax: 'int', reduceRange: 'bool', eps: 'num(0,inf)' };
  const observers = {
    MinMaxObserver: { opts: { ...obsCommon, qscheme: 'enum:per_tensor_affine|per_tensor_symmetric' }, x: 'tensor|f32', shape: [2, 4] },
    MovingAverageMinMaxObserver: { opts: { ...obsCommon, qscheme: 'enum:per_tensor_affine|per_tensor_symmetric', averagingConstant: 'num[0,1]' }, x: 'tensor|f32', shape: [2, 4] },
    HistogramObserver: { opts: { ...obsCommon, qscheme: 'enum:per_tensor_affine|per_tensor_symmetric', bins: 'int[1,1048576]', upsampleRate: 'int[1,65536]' }, x: 'tensor|f32', shape: [2, 4], ctor: { bins: 64, upsampleRate: 4, quantMin: 0, quantMax: 255 } },
    PercentileObserver: { opts: { ...obsCommon, qscheme: 'enum:per_tensor_affine|per_tensor_symmetric', percentile: 'num(0,100]', mode: 'enum:absolute|range' }, x: 'tensor|f32', shape: [2, 4] },
    PerChannelMinMaxObserver: { opts: { ...obsCommon, qscheme: 'enum:per_channel_affine|per_channel_symmetric', chAxis: 'int' }, x: 'tensor|f32', shape: [3, 4] },
    MovingAveragePerChannelMinMaxObserver: { opts: { ...obsCommon, qscheme: 'enum:per_channel_affine|per_channel_symmetric', chAxis: 'int', averagingConstant: 'num[0,1]' }, x: 'tensor|f32', shape: [3, 4] },
  };
  for (const [name, o] of Object.entries(observers)) {
    const ctor = o.ctor || { quantMin: 0, quantMax: 255 };
    const mk = (h) => new h.N.quant[name]({ ...ctor });
    const observed = (h) => { const ob = mk(h); ob.observe(h.t(o.shape)); return ob; };
    def(`quant.${name}`, () => ({ call: () => ({ args: [{ ...ctor }] }), slots: ['options|opts:opts?'], opts: { 0: o.opts },
      extra: [E('range', 'quantMin|quantMax', 'quantMin > quantMax', () => ({ args: [{ quantMin: 10, quantMax: 5 }] })),
        E('range', 'quantMin|quantMax', 'range outside the dtype', () => ({ args: [{ dtype: 'int8', quantMin: 0, quantMax: 255 }] }))] }));
    def(`quant.${name}#observe`, () => ({ call: (h) => ({ self: mk(h), args: [h.t(o.shape)] }), slots: [`x:${o.x}`],
      extra: [E('range', 'x|shape', 'shape that does not match', (h) => ({ self: mk(h), args: [h.f32(8), [3, 4]] })),
        E('type|range', 'x|shape', 'bad shape argument', (h) => ({ self: mk(h), args: [h.f32(8), 'x'] }))] }));
    def(`quant.${name}#calculateQParams`, noArgs(observed));
    def(`quant.${name}#reset`, noArgs(observed));
    if (name === 'HistogramObserver') def(`quant.${name}#nonLinearParamSearch`, noArgs(observed));
  }

  def('quant.QTensor', () => ({ call: (h) => ({ args: [{ data: new Uint8Array(8).fill(3), shape: [2, 4], scale: 0.1, zeroPoint: 128 }] }),
    slots: ['init:obj'], opts: { 0: { data: 'u8|i8!', shape: 'arr!', scale: 'num(0,inf)', zeroPoint: 'int[0,255]', dtype: 'enum:uint8' } },
    extra: [
      E('range', 'scales', 'per channel, scales too short', () => ({ args: [{ data: new Int8Array(8), shape: [2, 4], scales: [0.1], zeroPoints: [0, 0], axis: 0 }] })),
      E('range', 'axis', 'per channel, axis 2', () => ({ args: [{ data: new Int8Array(8), shape: [2, 4], scales: [0.1, 0.1], zeroPoints: [0, 0], axis: 2 }] })),
      E('range', 'zeroPoints[1]', 'per channel, zero point 200 for int8', () => ({ args: [{ data: new Int8Array(8), shape: [2, 4], scales: [0.1, 0.1], zeroPoints: [0, 200], axis: 0 }] })),
      E('range', 'scales[0]', 'per channel, NaN scale', () => ({ args: [{ data: new Int8Array(8), shape: [2, 4], scales: [NaN, 0.1], zeroPoints: [0, 0], axis: 0 }] })),
      E('range', 'scale', 'scale that underflows float32', () => ({ args: [{ data: new Uint8Array(8), shape: [2, 4], scale: 1e-50, zeroPoint: 0 }] })),
    ] }));
  def('quant.PackedInt8Weights', () => ({
    call: (h) => { const p = h.packed(); return { args: [p.raw, 3, 4, p.scales, p.zeroPoints, true] }; },
    slots: ['raw:obj', 'outFeatures:int[1,2147483647]', 'inFeatures:int[1,33025]', 'scales:f32', 'zeroPoints:i32', 'perChannel:bool'],
    extra: [E('type', 'raw', 'raw is a plain object', (h) => { const p = h.packed(); return { args: [{ byteLength: 10 }, 3, 4, p.scales, p.zeroPoints, true] }; }),
      E('range', 'outFeatures', 'sizes that do not match raw', (h) => { const p = h.packed(); return { args: [p.raw, 30, 40, new Float32Array(30), new Int32Array(30), true] }; })],
  }));
  def('quant.packInt8Weights', () => ({ call: (h) => ({ args: [h.qw()] }), slots: ['qWeight:obj'],
    extra: [E('type|range', 'qWeight', 'uint8 weight', (h) => ({ args: [h.qt([3, 4])] })),
      E('range', 'qWeight', '1-D weight', (h) => ({ args: [h.N.quant.quantizePerTensor(h.t([4]), 0.1, 0, 'int8')] })),
      E('type', 'qWeight', 'detached data', (h) => { const q = h.qw(); structuredClone(q.data.buffer, { transfer: [q.data.buffer] }); return { args: [q] }; })] }));
  def('quant.quantizePerTensor', () => ({ call: (h) => ({ args: [h.t([2, 4]), 0.05, 128, 'uint8'] }),
    slots: ['x:tensor|f32', 'scale:num(0,inf)', 'zeroPoint:int[0,255]', 'dtype:enum:uint8|int8'] }));
  def('quant.quantizePerChannel', () => ({ call: (h) => ({ args: [h.t([3, 4]), new Float32Array([0.1, 0.2, 0.3]), new Int32Array([0, 1, 2]), 0, 'int8'] }),
    slots: ['x:tensor|f32', 'scales:f32|arr', 'zeroPoints:i32|arr', 'axis:int[-2,1]', 'dtype:enum:uint8|int8'] }));
  def('quant.dequantize', () => ({ call: (h) => ({ args: [h.qt()] }), slots: ['q:obj'],
    extra: [E('type', 'data', 'duck with Float32Array data', () => ({ args: [{ data: new Float32Array(4), shape: [4], scale: 1, zeroPoint: 0 }] })),
      E('type', 'q.data', 'detached data', (h) => { const q = h.qt(); structuredClone(q.data.buffer, { transfer: [q.data.buffer] }); return { args: [q] }; })] }));
  def('quant.chooseQParams', () => ({ call: () => ({ args: [-1, 2, { dtype: 'uint8', reduceRange: false }] }), slots: ['min:num', 'max:num', 'options:opts?'],
    opts: { 2: { dtype: 'enum:uint8|int8', reduceRange: 'bool' } }, extra: [E('range', 'min', 'min > max', () => ({ args: [3, 2] }))] }));
  def('quant.errorStats', () => ({ call: (h) => ({ args: [h.f32(6), h.f32(6).map((x) => x + 0.01)] }), slots: ['f:f32', 'q:f32'] }));
  def('quant.percentileOf', () => ({ call: (h) => ({ args: [h.f32(10), 90] }), slots: ['values:f32*', 'p:num[0,100]'] }));
  def('quant.fakeQuantize', () => ({ call: (h) => ({ args: [h.t([2, 4]), 0.05, 128, 0, 255] }),
    slots: ['x:tensor|f32', 'scale:num(0,inf)', 'zeroPoint:int[0,255]', 'quantMin:int', 'quantMax:int'],
    extra: [E('range', 'quantMin', 'quantMin > quantMax', (h) => ({ args: [h.t([2, 4]), 0.05, 0, 10, 5] }))] }));
  def('quant.fakeQuantizePerChannel', () => ({ call: (h) => ({ args: [h.t([3, 4]), new Float32Array([0.1, 0.2, 0.3]), new Int32Array([0, 1, 2]), 0, -128, 127] }),
    slots: ['x:tensor', 'scales:f32|arr', 'zeroPoints:i32|arr', 'axis:int[-2,1]', 'quantMin:int', 'quantMax:int'] }));
  def('quant.fakeQuantizeBackward', () => ({ call: (h) => ({ args: [h.f32(6), h.mask(6)] }), slots: ['gradOut:f32', 'mask:u8'] }));
  const lin8 = () => ({
    call: (h) => ({ args: [h.qt([2, 4]), h.packed(), { relu: false, outputDtype: 'uint8', outputScale: 0.05, outputZeroPoint: 100 }] }),
    slots: ['x:obj', 'weights:obj', 'options:opts?'],
    opts: { 2: { bias: 'f32|null', relu: 'bool', outputDtype: 'enum:float32|uint8|int8', outputScale: 'num(0,inf)', outputZeroPoint: 'int[0,255]' } },
    optValid: { 2: { bias: (h) => h.f32(3) } },
    extra: [
      E('range', 'x', 'x with the wrong features', (h) => ({ args: [h.qt([2, 5]), h.packed()] })),
      E('type', 'weights', 'a QTensor as weights', (h) => ({ args: [h.qt([2, 4]), h.qw()] })),
      E('type', 'weights', 'fake weights object', (h) => { const p = h.packed(); return { args: [h.qt([2, 4]), { ...p, raw: {} }] }; }),
      E('range', 'out', 'out aliases x', (h) => { const x = h.qt([2, 4]); return { args: [x, h.packed(), { outputDtype: 'uint8', outputScale: 0.1, outputZeroPoint: 0, out: x }] }; }),
      E('ok', 'x', 'x per channel (per-row activation qparams)', (h) => ({ args: [h.N.quant.quantizePerChannel(h.t([2, 4]), [0.1, 0.1], [0, 0], 0, 'uint8'), h.packed()] })),
    ],
  });
  def('quant.linearInt8', lin8);
  def('quant.linearInt8Async', lin8);
  def('quant.quantizeDynamic', () => ({ call: (h) => ({ args: [h.model(), { perChannel: true }] }), slots: ['model:obj', 'options|opts:opts?'],
    opts: { 1: { dtype: 'enum:int8', perChannel: 'bool', reduceRange: 'bool' } } }));
  def('quant.quantizeStatic', () => ({ call: (h) => ({ args: [h.model(), [h.t([4, 4]), h.t([4, 4])], { perChannel: true }] }),
    slots: ['model:obj', 'calibrationBatches:obj', 'options|opts:opts?'],
    opts: { 2: { activationObserver: 'fn', activationDtype: 'enum:uint8|int8', weightObserver: 'enum:perChannelMinMax|minMax', perChannel: 'bool', fuse: 'bool' } },
    extra: [E('range', 'calibrationBatches', 'no batches', (h) => ({ args: [h.model(), []] })),
      E('range|type', 'calibrationBatches|x', 'batch with the wrong features', (h) => ({ args: [h.model(), [h.t([4, 5])]] }))] }));
  def('quant.compareModels', () => ({ call: (h) => { const m = h.model(); return { args: [m, h.N.quant.quantizeDynamic(m), h.t([3, 4])] }; },
    slots: ['floatModel:obj', 'quantModel:obj', 'batch:tensor2'], expectRe: [[/^batch rank/, 'range', 'batch|x']] }));

  // sparse
  const csrArgs = (h) => { const c = h.csr(); return [c.rows, c.cols, c.rowPtr.slice(), c.colIdx.slice(), c.values.slice()]; };
  def('sparse.CsrMatrix', () => ({ call: (h) => ({ args: csrArgs(h) }),
    slots: ['rows:int[0,2147483647]', 'cols:int[0,2147483647]', 'rowPtr:i32', 'colIdx:i32', 'values:f32'],
    extra: [
      E('range', 'rowPtr|colIdx', 'decreasing rowPtr', (h) => { const a = csrArgs(h); a[2][1] = a[2][2] + 1; return { args: a }; }),
      E('range', 'colIdx', 'column out of range', (h) => { const a = csrArgs(h); a[3][0] = 99; return { args: a }; }),
      E('range', 'colIdx', 'negative column', (h) => { const a = csrArgs(h); a[3][0] = -1; return { args: a }; }),
      E('range', 'rowPtr', 'rowPtr[0] != 0', (h) => { const a = csrArgs(h); a[2][0] = 1; return { args: a }; }),
      E('range', 'rows', 'rows that do not match rowPtr', (h) => { const a = csrArgs(h); a[0] = 2; return { args: a }; }),
    ] }));
  def('sparse.CsrMatrix.fromDense', () => ({ call: (h) => ({ args: [h.t([3, 4]), { threshold: 0.3 }] }), slots: ['t|dense:tensor2', 'options:opts?'],
    opts: { 1: { threshold: 'num' } }, // a negative threshold keeps every element (zeros too)
    extra: [E('range', 'mask', 'mask of the wrong length', (h) => ({ args: [h.t([3, 4]), { mask: h.mask(11) }] })),
      E('type', 'mask', 'mask as Float32Array', (h) => ({ args: [h.t([3, 4]), { mask: new Float32Array(12) }] }))] }));
  def('sparse.CsrMatrix#toDense', noArgs((h) => h.csr()));
  def('sparse.CsrMatrix#quantize', noArgs((h) => h.csr()));
  def('sparse.CsrMatrix#pack', noArgs((h) => h.csr()));
  const qcsrArgs = (h) => { const c = h.csr().quantize(); return [c.rows, c.cols, c.rowPtr.slice(), c.colIdx.slice(), c.values.slice(), c.scales.slice()]; };
  def('sparse.QuantizedCsrMatrix', () => ({ call: (h) => ({ args: qcsrArgs(h) }),
    slots: ['rows:int[0,2147483647]', 'cols:int[0,2147483647]', 'rowPtr:i32', 'colIdx:i32', null, 'scales:f32'],
    extra: [E('type', 'values', 'values as Uint8Array', (h) => { const a = qcsrArgs(h); a[4] = new Uint8Array(a[4].length); return { args: a }; }),
      E('range', 'values', 'values too short', (h) => { const a = qcsrArgs(h); a[4] = a[4].slice(1); return { args: a }; }),
      E('range', 'colIdx', 'column out of range', (h) => { const a = qcsrArgs(h); a[3][0] = 99; return { args: a }; })] }));
  def('sparse.QuantizedCsrMatrix#toDense', noArgs((h) => h.csr().quantize()));
  def('sparse.QuantizedCsrMatrix#pack', noArgs((h) => h.csr().quantize()));
  def('sparse.PackedCsrMatrix', () => ({ call: (h) => { const p = h.csr().pack(); return { args: [p.raw, p.nnz, 'float32'] }; },
    slots: ['raw:obj', 'nnz:int[0,inf)', 'dtype:enum:float32|int8'],
    extra: [E('type', 'raw', 'raw is a plain object', () => ({ args: [{ rows: 3, cols: 4 }, 1, 'float32'] })),
      E('ok', 'raw', 'raw with other sizes (spmm rejects it)', (h) => { const p = h.csr().pack(); return { args: [{ handle: p.raw.handle, rows: 1000, cols: 1000, bytes: 1 }, 1, 'float32'] }; })] }));
  const spmmSpec = () => ({
    call: (h) => ({ args: [h.t([2, 4]), h.csr(), { relu: false }] }),
    slots: ['x:tensor2', 'w|weight:obj', 'options:opts?'],
    opts: { 2: { bias: 'f32|null', relu: 'bool', out: 'tensor2' } },
    optValid: { 2: { bias: (h) => h.f32(3), out: (h) => h.N.Tensor.zeros([2, 3]) } },
    extra: [
      E('range', 'x', 'x with the wrong features', (h) => ({ args: [h.t([2, 5]), h.csr()] })),
      E('range', 'out', 'out aliases x', (h) => { const x = h.t([2, 4]); return { args: [x, h.N.sparse.CsrMatrix.fromDense(h.t([4, 4])), { out: x }] }; }),
      E('range', 'out', 'out aliases bias', (h) => { const out = h.N.Tensor.zeros([1, 3]); return { args: [h.t([1, 4]), h.csr(), { out, bias: out.data }] }; }),
      E('type|range', 'w|weight', 'forged packed matrix', (h) => { const p = h.csr().pack(); return { args: [h.t([2, 4]), Object.assign(Object.create(Object.getPrototypeOf(p)), p, { raw: { handle: p.raw.handle, rows: 1, cols: 4 } })] }; }),
      E('type', 'w|weight', 'a Tensor as weight', (h) => ({ args: [h.t([2, 4]), h.t([3, 4])] })),
    ],
  });
  def('sparse.spmm', spmmSpec);
  def('sparse.spmmAsync', spmmSpec);
};
