'use strict';
// One trial of nnslim's int8 GEMM (quant.linearInt8: uint8 activations x per-channel int8
// weights, float32 output into a preallocated tensor) next to its float32 GEMM (matmul with
// transB) and nn.DynamicQuantizedLinear (float in, dynamic uint8 activations, float out) on the
// same shapes, in one process so they are interleaved. Run by bench/int8.js
// in a fresh process per configuration: NNSLIM_ISA comes from the environment.
const path = require('node:path');
const { emit, readSettings, cpuMs } = require('../lib/trial');
const { timeCall } = require('../lib/timing');
const { uniform, parseShape } = require('../lib/data');

/** Median per-call milliseconds of process CPU time (robust to preemption on a shared machine). */
function cpuPerCall(fn, minMs) {
  const samples = [];
  const until = Date.now() + minMs;
  while (samples.length < 5 || (Date.now() < until && samples.length < 200)) {
    const c0 = process.cpuUsage();
    fn();
    const c = process.cpuUsage(c0);
    samples.push((c.user + c.system) / 1000);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

function quantizeWeights(nnslim, w, n, k) {
  const scales = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    let a = 0;
    for (let l = 0; l < k; l++) a = Math.max(a, Math.abs(w[j * k + l]));
    scales[j] = Math.max(a, 1e-6) / 127.5;
  }
  const q = nnslim.quant.quantizePerChannel(new nnslim.Tensor(w, [n, k]), scales, new Int32Array(n), 0, 'int8');
  return nnslim.quant.packInt8Weights(q);
}

async function main() {
  const settings = readSettings();
  const nnslim = require(path.join(settings.root, 'dist', 'index.js'));
  nnslim.setNumThreads(settings.threads);
  const info = nnslim.cpuInfo();
  const results = [];
  for (const [idx, text] of settings.shapes.entries()) {
    const { m, k, n } = parseShape(text);
    const xf = uniform(m * k, 2 * idx + 1);
    const wf = uniform(n * k, 2 * idx + 2);
    const x = new nnslim.Tensor(xf, [m, k]);
    const w = new nnslim.Tensor(wf, [n, k]);
    const xq = nnslim.quant.quantizePerTensor(x, 2 / 255, 128, 'uint8');
    const packed = quantizeWeights(nnslim, wf, n, k);
    const outQ = new nnslim.Tensor(new Float32Array(m * n), [m, n]);
    const outF = new nnslim.Tensor(new Float32Array(m * n), [m, n]);
    const int8 = () => nnslim.quant.linearInt8(xq, packed, { out: outQ });
    const f32 = () => nnslim.matmul(x, w, { transB: true, out: outF });
    const lin = new nnslim.nn.Linear(k, n, { bias: false });
    lin.weight.data.set(wf);
    const dyn = nnslim.nn.DynamicQuantizedLinear.fromFloat(lin, { perChannel: false });
    const dynamic = () => dyn.forward(x);
    const tq = await timeCall(int8, settings);
    const tf = await timeCall(f32, settings);
    const td = await timeCall(dynamic, settings);
    const cq = cpuPerCall(int8, settings.timeMs);
    const cf = cpuPerCall(f32, settings.timeMs);
    const cd = cpuPerCall(dynamic, settings.timeMs);
    // The int8 result approximates the float one (activation and weight rounding).
    let err = 0, mag = 0;
    for (let i = 0; i < outF.data.length; i++) {
      err = Math.max(err, Math.abs(outQ.data[i] - outF.data[i]));
      mag = Math.max(mag, Math.abs(outF.data[i]));
    }
    results.push({ m, k, n, int8Ms: tq.medianMs, f32Ms: tf.medianMs, dynamicMs: td.medianMs, int8CpuMs: cq, f32CpuMs: cf, dynamicCpuMs: cd, relErr: err / (mag || 1) });
  }
  // M = 1 with the weights out of cache: one call per layer over enough layers to exceed L3.
  const cold = [];
  for (const text of settings.coldShapes || []) {
    const { k, n } = parseShape(text);
    const layers = Math.max(2, Math.ceil(settings.coldBytes / (n * k)));
    const x = new nnslim.Tensor(uniform(k, 7), [1, k]);
    const xq = nnslim.quant.quantizePerTensor(x, 2 / 255, 128, 'uint8');
    const packs = [], ws = [];
    for (let l = 0; l < layers; l++) {
      const wf = uniform(n * k, 100 + l);
      packs.push(quantizeWeights(nnslim, wf, n, k));
      ws.push(new nnslim.Tensor(wf, [n, k]));
    }
    const out = new nnslim.Tensor(new Float32Array(n), [1, n]);
    let li = 0, lf = 0;
    const tq = await timeCall(() => { nnslim.quant.linearInt8(xq, packs[li], { out }); li = (li + 1) % layers; }, settings);
    const tf = await timeCall(() => { nnslim.matmul(x, ws[lf], { transB: true, out }); lf = (lf + 1) % layers; }, settings);
    cold.push({ m: 1, k, n, layers, int8Ms: tq.medianMs, f32Ms: tf.medianMs });
  }
  // End-to-end latency of a tiny synchronous call from JS.
  const tiny = {};
  {
    const x = new nnslim.Tensor(uniform(16, 3), [1, 16]);
    const xq = nnslim.quant.quantizePerTensor(x, 2 / 255, 128, 'uint8');
    const packed = quantizeWeights(nnslim, uniform(256, 4), 16, 16);
    const out = new nnslim.Tensor(new Float32Array(16), [1, 16]);
    tiny.linearInt8Us = (await timeCall(() => nnslim.quant.linearInt8(xq, packed, { out }), { ...settings, minIters: 2000 })).medianMs * 1000;
    const lin = new nnslim.nn.Linear(16, 16);
    const ql = nnslim.nn.QuantizedLinear.fromFloat(lin, { activationScale: 2 / 255, activationZeroPoint: 128 });
    tiny.quantizedLinearUs = (await timeCall(() => ql.forward(x), { ...settings, minIters: 2000 })).medianMs * 1000;
  }
  emit({
    contender: 'nnslim-int8',
    threads: settings.threads,
    numThreads: info.numThreads,
    isa: info.isa,
    supportedIsas: info.supportedIsas,
    kernel: info.kernels.qgemm,
    f32Kernel: info.kernels.sgemm,
    cpuMs: cpuMs(),
    results,
    cold,
    tiny,
  });
}

main().catch((err) => {
  emit({ error: String(err && err.stack ? err.stack : err) });
  process.exitCode = 1;
});
