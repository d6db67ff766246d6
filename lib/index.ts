/**
 * nnslim: compress neural networks (prune, quantize, distill) and run them fast on the CPU.
 */
export { Tensor, checkShape, numel } from './tensor';
export { matmul, matmulAsync } from './ops/matmul';
export type { MatmulOptions } from './ops/matmul';
export { cpuInfo, setIsa, setNumThreads, getNumThreads } from './runtime';
export type { CpuInfo } from './runtime';
export { Rng, manualSeed } from './random';
export * as nn from './nn';
export * as sparse from './sparse';
export * as prune from './prune';
export * as distill from './distill';
export * as optim from './optim';
export * as io from './io';
export * as data from './data';
export * as quant from './quant';
