/**
 * Data sets: the embedded UCI digits, an IDX (MNIST-format) loader, seeded splits and normalisation.
 */
export { loadDigits, parseDigitsCsv, subset, split, computeStats, normalize } from './dataset';
export type { Dataset, LoadDigitsOptions, SplitOptions, NormStats } from './dataset';
export { readIdx, loadMnist, MAX_IDX_BYTES } from './idx';
export type { IdxArray, IdxDtype, LoadMnistOptions } from './idx';
