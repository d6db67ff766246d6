import { typeError, rangeError } from '../errors';
import { Rng } from '../random';
import { BatchNorm1d } from '../nn/batchnorm';
import { Dropout, Flatten, GELU, ReLU } from '../nn/layers';
import { Linear } from '../nn/linear';
import { Module, Sequential, StateDict } from '../nn/sequential';
import { formatError } from './format_error';
import { LoadedTensor, Safetensors, loadSafetensors, saveSafetensors, writeFileAtomic } from './safetensors';

/** JSON-serialisable configuration of a layer. */
export type LayerConfig = Record<string, unknown>;

/**
 * How one layer type is saved and rebuilt. `config` returns what the constructor needs
 * (stored as JSON in the file's `__metadata__`); `create` rebuilds a layer from it, given the
 * layer's tensors from the file (names without the `<index>.` prefix) so it can check shapes
 * before allocating. The tensors themselves are then copied in through
 * `Sequential.loadStateDict`, which checks names, shapes and dtypes.
 */
export interface LayerCodec {
  /** Name stored in the file, e.g. 'Linear'. */
  type: string;
  /** True when this codec handles the layer. */
  matches(layer: Module): boolean;
  config(layer: Module): LayerConfig;
  /** Rebuilds the layer; throw on a config that does not fit the tensors. */
  create(config: LayerConfig, tensors: Record<string, LoadedTensor>): Module;
}

const registry = new Map<string, LayerCodec>();

/**
 * Registers (or replaces) the codec of a layer type so {@link saveModel} / {@link loadModel}
 * handle it. Layers defined in other modules (BatchNorm1d, QuantizedLinear, SparseLinear, ...)
 * register themselves this way.
 */
export function registerLayer(codec: LayerCodec): void {
  if (codec === null || typeof codec !== 'object') throw typeError('codec', 'a layer codec { type, matches, config, create }', codec);
  if (typeof codec.type !== 'string' || codec.type.length === 0) throw typeError('codec.type', 'a non-empty string', codec.type);
  for (const k of ['matches', 'config', 'create'] as const) if (typeof codec[k] !== 'function') throw typeError(`codec.${k}`, 'a function', codec[k]);
  registry.set(codec.type, codec);
}

/** The registered layer types. */
export function registeredLayers(): string[] {
  return [...registry.keys()];
}

/** Key of the architecture JSON in `__metadata__`. */
export const ARCHITECTURE_KEY = 'nnslim.architecture';
const FORMAT = 'nnslim.sequential';
const VERSION = 1;

function posInt(cfg: LayerConfig, key: string, type: string): number {
  const v = cfg[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > 2 ** 31 - 1) throw new Error(`${type}.${key} must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

function shapeIs(t: LoadedTensor | undefined, shape: number[]): boolean {
  return t !== undefined && t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]);
}

registerLayer({
  type: 'Linear',
  matches: (l) => l instanceof Linear,
  config: (l) => {
    const lin = l as Linear;
    return { inFeatures: lin.inFeatures, outFeatures: lin.outFeatures, bias: lin.bias !== null };
  },
  create: (cfg, tensors) => {
    const inF = posInt(cfg, 'inFeatures', 'Linear');
    const outF = posInt(cfg, 'outFeatures', 'Linear');
    if (typeof cfg.bias !== 'boolean') throw new Error('Linear.bias must be a boolean');
    if (!shapeIs(tensors.weight, [outF, inF])) throw new Error(`Linear weight must have shape [${outF}, ${inF}]`);
    if (cfg.bias && !shapeIs(tensors.bias, [outF])) throw new Error(`Linear bias must have shape [${outF}]`);
    return new Linear(inF, outF, { bias: cfg.bias, rng: new Rng(0) });
  },
});
registerLayer({ type: 'ReLU', matches: (l) => l instanceof ReLU, config: () => ({}), create: () => new ReLU() });
registerLayer({ type: 'GELU', matches: (l) => l instanceof GELU, config: () => ({}), create: () => new GELU() });
registerLayer({ type: 'Flatten', matches: (l) => l instanceof Flatten, config: () => ({}), create: () => new Flatten() });
registerLayer({
  type: 'Dropout',
  matches: (l) => l instanceof Dropout,
  config: (l) => ({ p: (l as Dropout).p }),
  create: (cfg) => {
    const p = cfg.p;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`Dropout.p must be a number in [0, 1], got ${JSON.stringify(p)}`);
    return new Dropout(p, { rng: new Rng(0) });
  },
});

registerLayer({
  type: 'BatchNorm1d',
  matches: (l) => l instanceof BatchNorm1d,
  config: (l) => {
    const bn = l as BatchNorm1d;
    return { numFeatures: bn.numFeatures, eps: bn.eps, momentum: bn.momentum, affine: bn.affine, trackRunningStats: bn.trackRunningStats };
  },
  create: (cfg, tensors) => {
    const n = posInt(cfg, 'numFeatures', 'BatchNorm1d');
    const { eps, momentum, affine, trackRunningStats } = cfg;
    if (typeof eps !== 'number' || !(eps >= 0)) throw new Error('BatchNorm1d.eps must be a number >= 0');
    if (momentum !== null && (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1))) throw new Error('BatchNorm1d.momentum must be null or a number in [0, 1]');
    if (typeof affine !== 'boolean' || typeof trackRunningStats !== 'boolean') throw new Error('BatchNorm1d.affine and trackRunningStats must be booleans');
    const names = [...(affine ? ['weight', 'bias'] : []), ...(trackRunningStats ? ['running_mean', 'running_var'] : [])];
    for (const name of names) if (!shapeIs(tensors[name], [n])) throw new Error(`BatchNorm1d ${name} must have shape [${n}]`);
    return new BatchNorm1d(n, { eps, momentum, affine, trackRunningStats });
  },
});

function codecFor(layer: Module, index: number): LayerCodec {
  for (const codec of [...registry.values()].reverse()) if (codec.matches(layer)) return codec;
  const name = (layer as object).constructor?.name ?? 'unknown';
  throw rangeError(`model.layers[${index}]`, `a layer type registered with io.registerLayer (${registeredLayers().join(', ')})`, name);
}

/**
 * Serialises a {@link Sequential} model to safetensors bytes: the architecture (layer types
 * and configs) as JSON in `__metadata__['nnslim.architecture']`, tensors under their
 * `stateDict()` names (`0.weight`, `0.bias`, ...). With `file`, also writes the file.
 *
 * ```ts
 * io.saveModel(model, 'digits.safetensors');
 * const again = io.loadModel('digits.safetensors'); // same outputs, bit for bit
 * ```
 */
export function saveModel(model: Sequential, file?: string, metadata?: Record<string, string>): Uint8Array {
  if (!(model instanceof Sequential)) throw typeError('model', 'an nn.Sequential', model);
  if (file !== undefined && (typeof file !== 'string' || file.length === 0)) throw typeError('file', 'a file path', file);
  const layers = model.layers.map((layer, i) => {
    const codec = codecFor(layer, i);
    return { type: codec.type, config: codec.config(layer) };
  });
  const meta: Record<string, string> = { ...(metadata ?? {}) };
  meta[ARCHITECTURE_KEY] = JSON.stringify({ format: FORMAT, version: VERSION, layers });
  const bytes = saveSafetensors(model.stateDict(), meta);
  if (file !== undefined) writeFileAtomic(file, bytes);
  return bytes;
}

/**
 * Rebuilds a model saved by {@link saveModel} from bytes or a path. The file is untrusted:
 * besides the safetensors checks, the architecture must name registered layer types whose
 * configs fit the tensors, and the tensor names, shapes and dtypes must be exactly the
 * model's; otherwise an Error with code 'ERR_NNSLIM_FORMAT'. The model comes back in
 * evaluation mode.
 */
export function loadModel(source: Uint8Array | string): Sequential {
  const what = typeof source === 'string' ? source : 'model data';
  const st: Safetensors = loadSafetensors(source);
  const archText = st.metadata[ARCHITECTURE_KEY];
  if (archText === undefined) throw formatError(what, `no ${ARCHITECTURE_KEY} in __metadata__ (not saved by io.saveModel?)`);
  let arch: unknown;
  try {
    arch = JSON.parse(archText);
  } catch {
    throw formatError(what, `${ARCHITECTURE_KEY} is not valid JSON`);
  }
  const a = arch as { format?: unknown; version?: unknown; layers?: unknown };
  if (a === null || typeof a !== 'object' || a.format !== FORMAT) throw formatError(what, `${ARCHITECTURE_KEY} is not an ${FORMAT} description`);
  if (a.version !== VERSION) throw formatError(what, `unsupported ${FORMAT} version ${JSON.stringify(a.version)} (this nnslim reads ${VERSION})`);
  if (!Array.isArray(a.layers) || a.layers.length > 100000) throw formatError(what, 'architecture has no valid layers array');
  const layers: Module[] = a.layers.map((entry: unknown, i: number) => {
    const e = entry as { type?: unknown; config?: unknown };
    if (e === null || typeof e !== 'object' || typeof e.type !== 'string') throw formatError(what, `layer ${i} has no type`);
    const codec = registry.get(e.type);
    if (!codec) throw formatError(what, `layer ${i} has unknown type ${JSON.stringify(e.type)} (registered: ${registeredLayers().join(', ')})`);
    const cfg = e.config ?? {};
    if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg)) throw formatError(what, `layer ${i} (${e.type}) has no valid config`);
    const own: Record<string, LoadedTensor> = Object.create(null);
    const prefix = `${i}.`;
    for (const [name, t] of Object.entries(st.tensors)) if (name.startsWith(prefix)) own[name.slice(prefix.length)] = t;
    try {
      return codec.create(cfg as LayerConfig, own);
    } catch (err) {
      throw formatError(what, `layer ${i} (${e.type}): ${(err as Error).message}`);
    }
  });
  const model = new Sequential(...layers);
  const state: StateDict = {};
  for (const [name, t] of Object.entries(st.tensors)) state[name] = { data: t.data, shape: t.shape };
  try {
    model.loadStateDict(state);
  } catch (err) {
    throw formatError(what, `tensors do not fit the architecture: ${(err as Error).message}`);
  }
  return model.eval();
}
