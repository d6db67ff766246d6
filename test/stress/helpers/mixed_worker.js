// worker_threads body: mixed kernels of every family on the shared pool, for each seed it gets.
//   workerData: { seeds: number[], loop?: boolean }  (loop: repeat until terminated, for the exit tests)
'use strict';
const path = require('node:path');
const { parentPort, workerData } = require('node:worker_threads');
const { native } = require(path.join(__dirname, '..', '..', '..', 'dist', 'native.js'));
const { mixedKernels } = require('./families.js');

(async () => {
  do {
    for (const seed of workerData.seeds) {
      const out = await mixedKernels(native, seed);
      if (!workerData.loop) parentPort.postMessage({ seed, out }, Object.values(out).map((a) => a.buffer));
    }
    if (workerData.loop) parentPort.postMessage({ tick: true });
  } while (workerData.loop);
})();
