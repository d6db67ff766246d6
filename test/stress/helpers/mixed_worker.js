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
      // Copied, not transferred: buffers that went through an async call are untransferable
      // (lib/native.ts), and Node >= 21 throws DataCloneError for them in a transfer list.
      if (!workerData.loop) parentPort.postMessage({ seed, out });
    }
    if (workerData.loop) parentPort.postMessage({ tick: true });
  } while (workerData.loop);
})();
