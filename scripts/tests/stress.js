// Leak, lifetime and worker_threads stress (test/stress/), run once per `npm test`, at the best
// ISA level. vitest.config.mts leaves test/stress/ out of the other passes unless
// NNSLIM_TEST_STRESS=1. About 1.5-2 min on 2 cores.
'use strict';

module.exports = function stress({ vitest }) {
  vitest('stress (RSS, lifetime, worker_threads)', { NNSLIM_TEST_STRESS: '1', NNSLIM_ISA: '' });
};
