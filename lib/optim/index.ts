/**
 * Optimizers (SGD, Adam, AdamW, RMSprop) and learning-rate schedulers (`lr`), with PyTorch's
 * semantics and float32 numerics.
 */
export { Optimizer, SCHEDULER_GROUP_KEYS } from './optimizer';
export type { ParamGroup, ParamGroupInput, Params, ParamState, OptimizerStateDict, SchedulerGroupKeys } from './optimizer';
export { SGD } from './sgd';
export type { SGDOptions } from './sgd';
export { Adam, AdamW } from './adam';
export type { AdamOptions } from './adam';
export { RMSprop } from './rmsprop';
export type { RMSpropOptions } from './rmsprop';
export * as lr from './lr';
