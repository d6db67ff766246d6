/**
 * Reading and writing tensors and models: safetensors (untrusted input checked) and Sequential models.
 */
export { loadSafetensors, saveSafetensors, saveSafetensorsFile, MAX_HEADER_BYTES } from './safetensors';
export type { SafetensorsDtype, TensorArray, TensorLike, LoadedTensor, Safetensors } from './safetensors';
export { saveModel, loadModel, registerLayer, registeredLayers, ARCHITECTURE_KEY, DIGEST_KEY } from './model';
export type { LayerCodec, LayerConfig, LoadModelOptions } from './model';
export { formatError } from './format_error';
