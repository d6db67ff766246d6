/**
 * Learning-rate schedulers (`optim.lr`), PyTorch's `torch.optim.lr_scheduler` with camelCase options.
 */
export {
  LRScheduler, StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR, PolynomialLR, CosineAnnealingLR,
  CosineAnnealingWarmRestarts, LambdaLR, CyclicLR, OneCycleLR, SequentialLR, ChainedScheduler, ReduceLROnPlateau,
} from './lr_scheduler';
export type {
  SchedulerStateDict, StepLROptions, MultiStepLROptions, ConstantLROptions, LinearLROptions, ExponentialLROptions,
  PolynomialLROptions, CosineAnnealingLROptions, CosineAnnealingWarmRestartsOptions, LambdaLROptions, LrLambda,
  CyclicLROptions, OneCycleLROptions, SequentialLROptions, ReduceLROnPlateauOptions,
} from './lr_scheduler';
