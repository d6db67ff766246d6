'use strict';
// Builders of small valid values for the bad-input table (fresh objects on every call).
module.exports = function helpers(N) {
  const { Tensor, nn, optim, quant, sparse, prune } = N;
  const seq = (n, f = (i) => ((i * 7) % 11) / 5 - 1) => Float32Array.from({ length: n }, (_, i) => f(i));
  const h = {
    N,
    f32: (n) => seq(n),
    t: (shape) => new Tensor(seq(shape.reduce((a, b) => a * b, 1)), shape),
    linear: (inF = 4, outF = 3, bias = true) => new nn.Linear(inF, outF, { bias, rng: new N.Rng(1) }),
    bn: (c = 3) => {
      const bn = new nn.BatchNorm1d(c);
      bn.runningMean.set(seq(c));
      bn.runningVar.set(seq(c, (i) => 0.5 + i / 10));
      return bn;
    },
    model: () => new nn.Sequential(h.linear(4, 5), new nn.ReLU(), h.linear(5, 3)),
    /** A model after a training-mode forward (ready for backward). */
    forwarded: (layer, x) => { layer.forward(x); return layer; },
    param: (n = 6) => { const p = new nn.Parameter(seq(n), [n]); p.grad.set(seq(n, (i) => i / 10 - 0.2)); return p; },
    params: () => [h.param(6), h.param(3)],
    sgd: () => new optim.SGD(h.params(), { lr: 0.1, momentum: 0.9 }),
    adam: () => new optim.Adam(h.params(), { lr: 0.01 }),
    stepped: (opt) => { opt.step(); return opt; },
    qt: (shape = [2, 4], dtype = 'uint8') => quant.quantizePerTensor(h.t(shape), 0.05, dtype === 'uint8' ? 128 : 0, dtype),
    qw: (out = 3, inF = 4) => quant.quantizePerChannel(h.t([out, inF]), new Float32Array(out).fill(0.02), new Int32Array(out), 0, 'int8'),
    packed: (out = 3, inF = 4) => quant.packInt8Weights(h.qw(out, inF)),
    csr: () => sparse.CsrMatrix.fromDense(h.t([3, 4]), { threshold: 0.3 }),
    qlinear: () => nn.QuantizedLinear.fromFloat(h.linear(), { activationScale: 0.02, activationZeroPoint: 128 }),
    dqlinear: () => nn.DynamicQuantizedLinear.fromFloat(h.linear()),
    // fromLinear times CSR against dense and keeps the faster, so two layers built from the same
    // weights may run different kernels (equal up to rounding): pin the choice for exact comparisons.
    splinear: () => { const s = nn.SparseLinear.fromLinear(h.linear(), { sparsity: 0.5, batchHint: 2 }); return nn.SparseLinear.fromState({ csr: s.csr, bias: s.bias, choice: 'sparse', timings: s.timings, reason: s.reason }); },
    mask: (n, every = 3) => Uint8Array.from({ length: n }, (_, i) => (i % every === 0 ? 0 : 1)),
    labels: (n, classes) => Int32Array.from({ length: n }, (_, i) => i % classes),
    dataset: (n = 12, f = 4, classes = 3) => ({ x: h.t([n, f]), y: h.labels(n, classes), numClasses: classes }),
    idxBytes: () => {
      // IDX: magic 0x00000803 (uint8, 3 dims), dims 2 x 2 x 2, 8 bytes of data
      const b = new Uint8Array(4 + 12 + 8);
      b.set([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2], 0);
      for (let i = 0; i < 8; i++) b[16 + i] = i * 30;
      return b;
    },
    prune,
    detached: (n) => { const a = new Float32Array(n); structuredClone(a.buffer, { transfer: [a.buffer] }); return a; },
  };
  return h;
};
