/**
 * Knowledge distillation: the Hinton KD loss and the losses it is built from, each with its
 * gradient with respect to the student side.
 */
export { kdLoss } from './kd';
export type { KdLossOptions } from './kd';
export { crossEntropy, featureLoss, klDiv, mseLoss } from './losses';
export type {
  CrossEntropyOptions,
  FeatureLossOptions,
  KlDivOptions,
  KlReduction,
  Labels,
  LossResult,
  MseLossOptions,
  Reduction,
  TensorLike,
} from './losses';
