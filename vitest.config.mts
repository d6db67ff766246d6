import { configDefaults, defineConfig } from 'vitest/config';

// test/stress/ (leak, lifetime and worker_threads stress) runs once, from scripts/tests/stress.js,
// which sets NNSLIM_TEST_STRESS=1; the ISA-level passes of `npm test` leave it out.
const stress = process.env.NNSLIM_TEST_STRESS === '1';

export default defineConfig({
  test: {
    include: stress ? ['test/stress/**/*.test.ts'] : ['test/**/*.test.ts'],
    exclude: stress ? configDefaults.exclude : [...configDefaults.exclude, 'test/stress/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
