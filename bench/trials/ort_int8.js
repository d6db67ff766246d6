'use strict';
// onnxruntime-node peer of the int8 suite: one-node models built in memory with W[K x N] int8
// as an initializer (per-tensor zero point / scale, as an exported quantized model stores it):
//   MatMulInteger (uint8 X, int8 W -> int32 Y), the default domain, opset 13;
//   DynamicQuantizeMatMul (float X -> uint8 on the fly, int8 W, W scale -> float Y), com.microsoft.
// Timed with tinybench around `await session.run()`. Benchmark-only.
const path = require('node:path');
const { emit, readSettings, cpuMs } = require('../lib/trial');
const { timeCall } = require('../lib/timing');
const { uniform, parseShape } = require('../lib/data');
const { intField, bytesField } = require('../lib/onnx');

const FLOAT = 1, UINT8 = 2, INT8 = 3, INT32 = 6;

function concat(parts) {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
function valueInfo(name, elemType, dims) {
  const shape = concat(dims.map((d) => bytesField(1, intField(1, d))));
  return concat([bytesField(1, name), bytesField(2, bytesField(1, concat([intField(1, elemType), bytesField(2, shape)])))]);
}
function tensor(name, elemType, dims, bytes) {
  return concat([...dims.map((d) => intField(1, d)), intField(2, elemType), bytesField(8, name), bytesField(9, bytes)]);
}
function node(opType, inputs, outputs, domain) {
  const parts = [...inputs.map((i) => bytesField(1, i)), ...outputs.map((o) => bytesField(2, o)), bytesField(3, opType), bytesField(4, opType)];
  if (domain) parts.push(bytesField(7, domain));
  return concat(parts);
}
function model(graph) {
  return concat([intField(1, 8), bytesField(2, 'nnslim-bench'), bytesField(7, graph),
    bytesField(8, concat([bytesField(1, ''), intField(2, 13)])), bytesField(8, concat([bytesField(1, 'com.microsoft'), intField(2, 1)]))]);
}

function int8Weights(n, k, seed) {
  const w = uniform(n * k, seed);
  const kn = new Int8Array(k * n); // [K x N]
  for (let j = 0; j < n; j++) for (let l = 0; l < k; l++) kn[l * n + j] = Math.round(w[j * k + l] * 127);
  return new Uint8Array(kn.buffer);
}

function matMulIntegerModel(m, k, n, wBytes) {
  const graph = concat([
    bytesField(1, node('MatMulInteger', ['X', 'W', 'XZ', 'WZ'], ['Y'])),
    bytesField(2, 'mmi'),
    bytesField(5, tensor('W', INT8, [k, n], wBytes)),
    bytesField(5, tensor('XZ', UINT8, [], Uint8Array.of(128))),
    bytesField(5, tensor('WZ', INT8, [], Uint8Array.of(0))),
    bytesField(11, valueInfo('X', UINT8, [m, k])),
    bytesField(12, valueInfo('Y', INT32, [m, n])),
  ]);
  return model(graph);
}

function dynamicQuantizeMatMulModel(m, k, n, wBytes) {
  const scale = new Uint8Array(new Float32Array([1 / 127]).buffer);
  const graph = concat([
    bytesField(1, node('DynamicQuantizeMatMul', ['X', 'W', 'WS', 'WZ'], ['Y'], 'com.microsoft')),
    bytesField(2, 'dqmm'),
    bytesField(5, tensor('W', INT8, [k, n], wBytes)),
    bytesField(5, tensor('WS', FLOAT, [], scale)),
    bytesField(5, tensor('WZ', INT8, [], Uint8Array.of(0))),
    bytesField(11, valueInfo('X', FLOAT, [m, k])),
    bytesField(12, valueInfo('Y', FLOAT, [m, n])),
  ]);
  return model(graph);
}

/** Median per-call milliseconds of process CPU time of an async call. */
async function cpuPerCall(fn, minMs) {
  const samples = [];
  const until = Date.now() + minMs;
  while (samples.length < 5 || (Date.now() < until && samples.length < 200)) {
    const c0 = process.cpuUsage();
    await fn();
    const c = process.cpuUsage(c0);
    samples.push((c.user + c.system) / 1000);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

async function main() {
  const settings = readSettings();
  const ort = require(path.join(__dirname, '..', 'peers', 'ort', 'node_modules', 'onnxruntime-node'));
  const opts = { intraOpNumThreads: settings.threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };
  const results = [];
  for (const [idx, text] of settings.shapes.entries()) {
    const { m, k, n } = parseShape(text);
    const wBytes = int8Weights(n, k, 2 * idx + 2);
    const xf = uniform(m * k, 2 * idx + 1);
    const xq = new Uint8Array(m * k);
    for (let i = 0; i < xq.length; i++) xq[i] = Math.round(xf[i] * 127) + 128;
    const s1 = await ort.InferenceSession.create(matMulIntegerModel(m, k, n, wBytes), opts);
    const f1 = { X: new ort.Tensor('uint8', xq, [m, k]) };
    const t1 = await timeCall(async () => { await s1.run(f1); }, settings);
    const c1 = await cpuPerCall(async () => { await s1.run(f1); }, settings.timeMs);
    await s1.release();
    const s2 = await ort.InferenceSession.create(dynamicQuantizeMatMulModel(m, k, n, wBytes), opts);
    const f2 = { X: new ort.Tensor('float32', xf, [m, k]) };
    const t2 = await timeCall(async () => { await s2.run(f2); }, settings);
    const c2 = await cpuPerCall(async () => { await s2.run(f2); }, settings.timeMs);
    await s2.release();
    results.push({ m, k, n, matMulIntegerMs: t1.medianMs, dynamicQuantizeMatMulMs: t2.medianMs, matMulIntegerCpuMs: c1, dynamicQuantizeMatMulCpuMs: c2 });
  }
  emit({ contender: 'ort-int8', threads: settings.threads, version: ort.env.versions.node || ort.env.versions.common, cpuMs: cpuMs(), results });
}

main().catch((err) => {
  emit({ error: String(err && err.stack ? err.stack : err) });
  process.exitCode = 1;
});
