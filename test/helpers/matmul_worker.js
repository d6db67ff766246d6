// Worker body for the worker_threads test: loads the built package in the worker (a second
// Node environment of the same addon) and checks matmul against a naive loop.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const path = require('node:path');
const { Tensor, matmul, matmulAsync } = require(path.join(__dirname, '..', '..', 'dist', 'index.js'));

function rand(n, seed) {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = (s / 4294967296) * 2 - 1;
  }
  return out;
}

(async () => {
  const { seed, calls } = workerData;
  let maxErr = 0;
  for (let c = 0; c < calls; c++) {
    const m = 33 + ((seed * 7 + c) % 40), k = 65 + c, n = 47;
    const a = rand(m * k, seed * 1000 + c), b = rand(n * k, seed * 2000 + c);
    const y = c % 2 ? await matmulAsync(new Tensor(a, [m, k]), new Tensor(b, [n, k]), { transB: true })
      : matmul(new Tensor(a, [m, k]), new Tensor(b, [n, k]), { transB: true });
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) acc += a[i * k + p] * b[j * k + p];
      maxErr = Math.max(maxErr, Math.abs(acc - y.data[i * n + j]));
    }
  }
  parentPort.postMessage({ maxErr, calls });
})();
