/**
 * Pruning: masks (`l1Unstructured`, `randomUnstructured`, `lnStructured`, `globalUnstructured`,
 * `applyMask`, `sparsity`) with PyTorch's semantics and tfmot-style schedules
 * (`ConstantSparsity`, `PolynomialDecay`).
 */
export {
  applyMask,
  computeNParamsToPrune,
  globalUnstructured,
  l1Unstructured,
  lnStructured,
  randomUnstructured,
  sparsity,
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
