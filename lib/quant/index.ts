/**
 * Quantization: observers and fake quantization for calibration and QAT, PyTorch-exact
 * quantize / dequantize, QTensor, and int8 weights packed for the native int8 GEMM.
 */
export * from './observers';
export * from './fake_quantize';
export { QTensor } from './qtensor';
export type { QTensorInit } from './qtensor';
export { quantizePerTensor, quantizePerChannel, dequantize, chooseQParams } from './quantize';
export { PackedInt8Weights, packInt8Weights, linearInt8, linearInt8Async, MAX_INT8_K } from './packed';
export type { LinearInt8Options } from './packed';
export * from './workflow';
export * from './compare';
