'use strict';
// The bad-input coverage table: one entry per public export path (see surface.cjs). Each entry is
// a function of the helpers (helpers.cjs) returning:
//   call(h) -> { self?, args }   a valid call (fresh objects each time); it must not throw
//   slots: ['name:kind', ...]    per argument position: the name its errors must mention and the kind of
//                                bad values it gets (values.cjs); null skips a position
//   opts: { i: { key: kind } }   for an options argument at position i: bad values per key (kind `x!` =
//                                required key); the rest of the options stay valid
//   optValid: { i: { key: (h, spec) => value } }  a valid value for keys absent from call()'s options
//   extra: [{ label, call(h), expect, name }]  hand-written cases (aliasing, state, inconsistent sizes)
//   ok: [RegExp]                 documented results: cases (by label) that may return normally
//   ignore: ['prop']             properties (timings) left out when a result is compared with the valid one
//
// Documented results that hold everywhere (values.cjs): zero-size tensors and -0 may return a result
// (or throw a RangeError naming the argument); a Float32Array view at any offset or on a
// SharedArrayBuffer gives the same result as a plain copy; NaN / Infinity contents never crash.

const table = {};
const def = (path, f) => { table[path] = f; };
const noArgs = (make) => () => ({ call: (h) => ({ self: make(h), args: [] }) });
const E = (expect, name, label, call) => ({ label, expect, name, call });

// ---------------------------------------------------------------- core
def('Tensor', () => ({
  call: (h) => ({ args: [h.f32(6), [2, 3]] }),
  slots: ['data:f32*', 'shape:arr'],
  extra: [
    E('range', 'data.length', 'shape product != data.length', (h) => ({ args: [h.f32(6), [4, 2]] })),
    E('range', 'shape', 'shape [2, NaN]', (h) => ({ args: [h.f32(6), [2, NaN]] })),
    E('range', 'shape', 'shape [-2, -3]', (h) => ({ args: [h.f32(6), [-2, -3]] })),
    E('range', 'shape', 'shape [1.5, 4]', (h) => ({ args: [h.f32(6), [1.5, 4]] })),
    E('range', 'shape', 'shape [2^31, 0]', (h) => ({ args: [h.f32(0), [2 ** 31, 0]] })),
    E('range', 'shape', 'shape [2^53]', (h) => ({ args: [h.f32(6), [2 ** 53]] })),
    E('type', 'shape', "shape ['2', 3]", (h) => ({ args: [h.f32(6), ['2', 3]] })),
  ],
}));
def('Tensor.zeros', () => ({
  call: () => ({ args: [[2, 3]] }),
  slots: ['shape:arr'],
  extra: [
    E('range', 'shape', 'shape [-1]', () => ({ args: [[-1]] })),
    E('range', 'shape', 'shape [2^31]', () => ({ args: [[2 ** 31]] })),
    E('range', 'shape', 'shape [2^30, 2^30] (too large to allocate)', () => ({ args: [[2 ** 30, 2 ** 30]] })),
    E('range', 'shape', 'shape [0.5]', () => ({ args: [[0.5]] })),
  ],
}));
def('Tensor.from', () => ({
  call: () => ({ args: [[[1, 2], [3, 4]]] }),
  slots: ['values:arr'],
  extra: [
    E('range', 'values', 'ragged rows', () => ({ args: [[[1, 2], [3]]] })),
    E('type', 'values', 'string element', () => ({ args: [[1, '2', 3]] })),
    E('type', 'values', 'string in a row', () => ({ args: [[[1, 2], [3, 'x']]] })),
    E('type', 'values', 'object element', () => ({ args: [[1, {}, 3]] })),
    E('type', 'values', 'row that is not an array', () => ({ args: [[[1, 2], 5]] })),
  ],
}));
def('Tensor#reshape', () => ({
  call: (h) => ({ self: h.t([2, 3]), args: [[3, 2]] }),
  slots: ['shape:arr'],
  extra: [
    E('range', 'data.length', 'other size', (h) => ({ self: h.t([2, 3]), args: [[4, 2]] })),
    E('range', 'shape', 'shape [-2, -3]', (h) => ({ self: h.t([2, 3]), args: [[-2, -3]] })),
  ],
}));
def('Tensor#clone', noArgs((h) => h.t([2, 3])));
def('Tensor#toArray', noArgs((h) => h.t([2, 3])));
def('checkShape', () => ({ call: () => ({ args: ['dims', [2, 3]] }), slots: [null, 'dims:arr'],
  extra: [E('range', 'dims', 'negative', () => ({ args: ['dims', [2, -3]] }))] }));
def('numel', () => ({ call: () => ({ args: [[2, 3]] }), slots: ['shape:arr'],
  extra: [E('range', 'shape', 'negative', () => ({ args: [[2, -3]] })), E('type', 'shape', 'string element', () => ({ args: [['2', 3]] }))] }));
def('cpuInfo', () => ({ call: () => ({ args: [] }) }));
def('getNumThreads', () => ({ call: () => ({ args: [] }) }));
def('setIsa', () => ({ call: (h) => ({ args: [h.N.cpuInfo().isa] }), slots: ['isa:str'],
  extra: [E('range', 'isa', 'unknown level', () => ({ args: ['sse9'] })), E('range', 'isa', 'empty', () => ({ args: [''] }))] }));
def('setNumThreads', () => ({ call: (h) => ({ args: [h.N.getNumThreads()] }), slots: ['n:int[1,1024]'] }));
def('manualSeed', () => ({ call: () => ({ args: [0] }), slots: ['seed:int[0,inf)'] }));
def('Rng', () => ({ call: () => ({ args: [3] }), slots: ['seed:int[0,inf)?'] }));
def('Rng#seed', () => ({ call: (h) => ({ self: new h.N.Rng(1), args: [5] }), slots: ['seed:int[0,inf)'] }));
def('Rng#int', () => ({ call: (h) => ({ self: new h.N.Rng(1), args: [10] }), slots: ['n:int[1,inf)'] }));
def('Rng#uniform', () => ({ call: (h) => ({ self: new h.N.Rng(1), args: [-1, 2] }), slots: ['low:num', 'high:num'] }));
def('Rng#shuffle', () => ({ call: (h) => ({ self: new h.N.Rng(1), args: [[1, 2, 3, 4]] }), slots: ['a:obj'],
  extra: [E('type', 'a', 'a string', (h) => ({ self: new h.N.Rng(1), args: ['abcd'] }))] }));
def('Rng#nextU32', noArgs((h) => new h.N.Rng(1)));
def('Rng#random', noArgs((h) => new h.N.Rng(1)));
def('Rng#normal', noArgs((h) => new h.N.Rng(1)));

const matmulSpec = () => ({
  call: (h) => ({ args: [h.t([2, 3]), h.t([3, 4]), { relu: true }] }),
  slots: ['a:tensor2', 'b:tensor2', 'options:opts?'],
  opts: { 2: { transA: 'bool', transB: 'bool', alpha: 'num', beta: 'num', bias: 'f32|null', relu: 'bool', out: 'tensor2' } },
  optValid: { 2: { bias: (h) => h.f32(4), out: (h) => h.N.Tensor.zeros([2, 4]) } },
  extra: [
    E('range', 'matmul', 'inner dimensions differ', (h) => ({ args: [h.t([2, 3]), h.t([4, 4])] })),
    E('range', 'out', 'out aliases a', (h) => { const a = h.t([2, 2]); return { args: [a, h.t([2, 2]), { out: a }] }; }),
    E('range', 'out', 'out overlaps b (view)', (h) => {
      const buf = new Float32Array(12); const b = new h.N.Tensor(buf.subarray(0, 4), [2, 2]);
      return { args: [h.t([2, 2]), b, { out: new h.N.Tensor(buf.subarray(2, 6), [2, 2]) }] };
    }),
    E('range', 'out', 'out aliases bias', (h) => { const out = h.N.Tensor.zeros([1, 4]); return { args: [h.t([1, 3]), h.t([3, 4]), { out, bias: out.data }] }; }),
    E('range', 'beta', 'beta without out', (h) => ({ args: [h.t([2, 3]), h.t([3, 4]), { beta: 1 }] })),
    E('range', 'options', 'unknown option', (h) => ({ args: [h.t([2, 3]), h.t([3, 4]), { tranzA: true }] })),
    E('type', 'bias', 'bias as Float64Array', (h) => ({ args: [h.t([2, 3]), h.t([3, 4]), { bias: new Float64Array(4) }] })),
    E('ok', 'a', 'a and b the same tensor (inputs may alias each other)', (h) => { const a = h.t([3, 3]); return { args: [a, a, { transB: true }] }; }),
    E('range', 'out', 'beta accumulation into out that aliases a', (h) => { const a = h.t([2, 2]); return { args: [a, h.t([2, 2]), { out: a, beta: 1 }] }; }),
  ],
});
def('matmul', matmulSpec);
def('matmulAsync', matmulSpec);

module.exports = { table };
for (const f of ['table_nn.cjs', 'table_quant.cjs', 'table_prune.cjs', 'table_optim.cjs', 'table_misc.cjs']) {
  try { require.resolve(`./${f}`); } catch { continue; }
  require(`./${f}`)(def, { noArgs, E });
}
