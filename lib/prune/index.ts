/**
 * Pruning: masks (`l1Unstructured`, `randomUnstructured`, `lnStructured`, `globalUnstructured`,
 * `applyMask`, `sparsity`) with PyTorch's semantics and tfmot-style schedules
 * (`ConstantSparsity`, `PolynomialDecay`); model level: `magnitude`, `applyMasks`, `remove`,
 * `sparsity(model)`, `customFromMask`, `GradualPruner`, and structured `neurons`.
 */
export {
  applyMask,
  computeNParamsToPrune,
  globalUnstructured,
  l1Unstructured,
  lnStructured,
  randomUnstructured,
} from './masks';
export type {
  GlobalUnstructuredOptions,
  LnStructuredOptions,
  RandomUnstructuredOptions,
  TensorLike,
  UnstructuredOptions,
  WeightLike,
} from './masks';
export { ConstantSparsity, PolynomialDecay, shouldPruneInStep } from './schedules';
export type { ConstantSparsityOptions, PolynomialDecayOptions, PruningDecision, PruningSchedule } from './schedules';
export { applyMasks, customFromMask, getMask, linearLayers, magnitude, remove, sparsity } from './model';
export type { LayeredModel, LayerSparsity, MagnitudeOptions, NamedLinear, SparsityReport } from './model';
export { GradualPruner, keptCount } from './gradual';
export type { GradualPruneStep, GradualPrunerOptions } from './gradual';
export { neurons } from './neurons';
export type { NeuronImportance, NeuronsOptions, NeuronsReport } from './neurons';
