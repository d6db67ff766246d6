'use strict';
// One trial of nnslim's float32 GEMM in the nn.Linear layout (Y = X * W^T, matmul with
// transB and a preallocated `out`). Run by bench/gemm.js in a fresh process per
// configuration: NNSLIM_ISA comes from the environment, the thread count from the settings.
const path = require('node:path');
const { emit, readSettings, cpuMs } = require('../lib/trial');
const { timeCall } = require('../lib/timing');
const { uniform, spotCheck, parseShape } = require('../lib/data');

async function main() {
  const settings = readSettings();
  const nnslim = require(path.join(settings.root, 'dist', 'index.js'));
  nnslim.setNumThreads(settings.threads);
  const info = nnslim.cpuInfo();
  const results = [];
  for (const [idx, text] of settings.shapes.entries()) {
    const { m, k, n } = parseShape(text);
    const x = new nnslim.Tensor(uniform(m * k, 2 * idx + 1), [m, k]);
    const w = new nnslim.Tensor(uniform(n * k, 2 * idx + 2), [n, k]);
    const out = new nnslim.Tensor(new Float32Array(m * n), [m, n]);
    const opts = { transB: true, out };
    const t = await timeCall(() => nnslim.matmul(x, w, opts), settings);
    results.push({ m, k, n, ...t, relErr: spotCheck(x.data, w.data, out.data, m, k, n) });
  }
  emit({
    contender: 'nnslim',
    threads: settings.threads,
    numThreads: info.numThreads,
    isa: info.isa,
    bestIsa: info.bestIsa,
    supportedIsas: info.supportedIsas,
    kernel: info.kernels.sgemm,
    cpuMs: cpuMs(),
    results,
  });
}

main().catch((err) => {
  emit({ error: String(err && err.stack ? err.stack : err) });
  process.exitCode = 1;
});
