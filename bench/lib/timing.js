'use strict';
// The timing loop of the JS trials: one tinybench Bench per shape, median latency per call.

/**
 * Times `fn` (sync or async) with tinybench: at least `minIters` calls and `timeMs` of
 * measured time after a warm-up of `warmupMs` (at least `warmupIters` calls). Returns
 * `{ medianMs, samples }`.
 */
async function timeCall(fn, { timeMs, minIters, warmupMs, warmupIters = 1 }) {
  const { Bench } = await import('tinybench');
  const bench = new Bench({ time: timeMs, iterations: minIters, warmupTime: warmupMs, warmupIterations: warmupIters, throws: true });
  bench.add('call', fn);
  await bench.run();
  const task = bench.getTask('call');
  const result = task.result;
  if (!result || !result.latency) throw new Error(`tinybench returned no latency (state ${result && result.state})`);
  return { medianMs: result.latency.p50, samples: result.latency.samplesCount };
}

module.exports = { timeCall };
