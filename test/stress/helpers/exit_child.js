// A process that ends while kernels are in flight on every path:
//   node exit_child.js exit       process.exit(0) with async calls pending and 4 workers mid-kernel
//   node exit_child.js end        the script just ends: pending promises finish, unref'd workers are torn down mid-kernel
//   node exit_child.js terminate  worker.terminate() while its async calls are pending, then more work, then exit
// Prints "done <mode>" right before it expects to exit.
'use strict';
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const { native } = require(path.join(__dirname, '..', '..', '..', 'dist', 'native.js'));
const { randf } = require('./families.js');

const mode = process.argv[2];
const script = path.join(__dirname, 'mixed_worker.js');
const n = 384;
const a = randf(n * n, 1), b = randf(n * n, 2);
const big = () => native.sgemmAsync(a, b, new Float32Array(n * n), null, n, n, n, n, n, n, false, false, 1, 0, false);

function startWorkers(count) {
  const ws = [];
  for (let i = 0; i < count; i++) {
    const w = new Worker(script, { workerData: { seeds: [i + 1], loop: true } });
    w.on('error', (e) => { process.stderr.write(`worker error: ${e.stack}\n`); process.exitCode = 3; });
    ws.push(w);
  }
  return ws;
}

function firstTick(w) {
  return new Promise((resolve) => w.once('message', resolve));
}

(async () => {
  if (mode === 'exit') {
    const ws = startWorkers(4);
    await Promise.all(ws.map(firstTick));
    for (let i = 0; i < 16; i++) big();
    setTimeout(() => { process.stdout.write('done exit\n'); process.exit(0); }, 20);
  } else if (mode === 'end') {
    const ws = startWorkers(4);
    await Promise.all(ws.map(firstTick));
    for (const w of ws) w.unref();
    for (let i = 0; i < 8; i++) big();
    process.stdout.write('done end\n');
  } else if (mode === 'terminate') {
    const ws = startWorkers(4);
    await Promise.all(ws.map(firstTick));
    await Promise.all(ws.map((w) => w.terminate()));
    // the addon still works in this thread, with the pool shared with the torn-down envs
    const c = await big();
    const ref = new Float32Array(n * n);
    native.sgemm(a, b, ref, null, n, n, n, n, n, n, false, false, 1, 0, false);
    for (let i = 0; i < ref.length; i++) if (c[i] !== ref[i]) throw new Error(`sgemm after terminate: ${c[i]} vs ${ref[i]}`);
    process.stdout.write('done terminate\n');
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
})().catch((e) => { process.stderr.write(`${e.stack}\n`); process.exit(2); });
