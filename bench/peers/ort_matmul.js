'use strict';
// onnxruntime-node peer of the float32 GEMM suite: a one-node MatMul model per shape, built in
// memory (bench/lib/onnx.js) with W[K x N] as an initializer (W^T of the nn.Linear weight, as
// an exported model stores it), timed with tinybench around `await session.run()`.
// Benchmark-only: onnxruntime-node lives in bench/peers/ort/, installed on demand.
const path = require('node:path');
const { emit, readSettings, cpuMs } = require('../lib/trial');
const { timeCall } = require('../lib/timing');
const { uniform, transpose, spotCheck, parseShape } = require('../lib/data');
const { matmulModel } = require('../lib/onnx');

async function main() {
  const settings = readSettings();
  const ort = require(path.join(__dirname, 'ort', 'node_modules', 'onnxruntime-node'));
  const results = [];
  for (const [idx, text] of settings.shapes.entries()) {
    const { m, k, n } = parseShape(text);
    const x = uniform(m * k, 2 * idx + 1);
    const w = uniform(n * k, 2 * idx + 2); // [N x K], the nn.Linear layout
    const session = await ort.InferenceSession.create(matmulModel({ m, k, n, weights: transpose(w, n, k) }), {
      intraOpNumThreads: settings.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    const feeds = { X: new ort.Tensor('float32', x, [m, k]) };
    let last = null;
    const t = await timeCall(async () => { last = await session.run(feeds); }, settings);
    results.push({ m, k, n, ...t, relErr: spotCheck(x, w, last.Y.data, m, k, n) });
    await session.release();
  }
  emit({ contender: 'ort', threads: settings.threads, version: ort.env.versions.node || ort.env.versions.common, cpuMs: cpuMs(), results });
}

main().catch((err) => {
  emit({ error: String(err && err.stack ? err.stack : err) });
  process.exitCode = 1;
});
