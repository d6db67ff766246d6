import { createHash } from 'node:crypto';
import { checkOptions, typeError, rangeError } from '../errors';
import { Rng } from '../random';
import { BatchNorm1d } from '../nn/batchnorm';
import { Dropout, Flatten, GELU, ReLU } from '../nn/layers';
import { Linear } from '../nn/linear';
import { DynamicQuantizedLinear, QuantizedLinear } from '../nn/quantized_linear';
import type { QuantizedLinearState } from '../nn/quantized_linear';
import { QTensor } from '../quant/qtensor';
import { SparseLinear } from '../nn/sparse_linear';
import { CsrMatrix, QuantizedCsrMatrix } from '../sparse';
import { CsrLinear, DenseLinear } from '../cli/csr_linear';
import { Module, Sequential, StateDict } from '../nn/sequential';
import { native } from '../native';
import { formatError } from './format_error';
import { LoadedTensor, Safetensors, TensorArray, loadSafetensors, saveSafetensors, writeFileAtomic } from './safetensors';

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
  /**
   * For layers rebuilt entirely by `create` (inference-only layers whose stored form is not
   * their `stateDict()`, e.g. int8 weights with qparams): the tensors to save. On loading, the
   * rebuilt layer's `tensors()` must then have exactly the file's names, dtypes and shapes.
   * Without it, the layer's `stateDict()` is saved and loaded back with `loadStateDict`.
   */
  tensors?(layer: Module): StateDict;
  /** Rebuilds the layer; throw on a config that does not fit the tensors. */
  create(config: LayerConfig, tensors: Record<string, LoadedTensor>): Module;
}

const registry = new Map<string, LayerCodec>();

/** The layer types nnslim registers itself: registerLayer may not replace them. */
const builtinTypes = new Set<string>();

/**
 * Registers (or replaces) the codec of a layer type of your own so {@link saveModel} /
 * {@link loadModel} handle it. The built-in types (Linear, ReLU, BatchNorm1d, QuantizedLinear,
 * ...) cannot be replaced: a RangeError names codec.type.
 */
export function registerLayer(codec: LayerCodec): void {
  if (codec === null || typeof codec !== 'object') throw typeError('codec', 'a layer codec { type, matches, config, create }', codec);
  if (typeof codec.type !== 'string' || codec.type.length === 0) throw typeError('codec.type', 'a non-empty string', codec.type);
  for (const k of ['matches', 'config', 'create'] as const) if (typeof codec[k] !== 'function') throw typeError(`codec.${k}`, 'a function', codec[k]);
  if (builtinTypes.has(codec.type)) throw rangeError('codec.type', `a name other than the built-in layer types (${[...builtinTypes].join(', ')})`, codec.type);
  registry.set(codec.type, codec);
}

function registerBuiltin(codec: LayerCodec): void {
  registerLayer(codec);
  builtinTypes.add(codec.type);
}

/** The registered layer types. */
export function registeredLayers(): string[] {
  return [...registry.keys()];
}

/** Key of the architecture JSON in `__metadata__`. */
export const ARCHITECTURE_KEY = 'nnslim.architecture';
/** Key of the SHA-256 digest (hex) of the model's metadata and tensors in `__metadata__`. */
export const DIGEST_KEY = 'nnslim.sha256';
const FORMAT = 'nnslim.sequential';
const VERSION = 2;

function leBytes(a: TensorArray): Uint8Array {
  const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (a.BYTES_PER_ELEMENT === 1 || new Uint8Array(Uint16Array.of(1).buffer)[0] === 1) return b;
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i += 4) for (let j = 0; j < 4; j++) out[i + j] = b[i + 3 - j];
  return out;
}

/**
 * SHA-256 over every metadata entry but the digest and every tensor (name, dtype, shape and
 * little-endian bytes), in sorted order: any change to a saved model's content changes it.
 */
function modelDigest(tensors: Record<string, { data: TensorArray; shape: readonly number[] }>, metadata: Record<string, string>): string {
  const h = createHash('sha256');
  const field = (s: string) => { h.update(`${Buffer.byteLength(s, 'utf8')}:`); h.update(s, 'utf8'); };
  for (const k of Object.keys(metadata).sort()) {
    if (k === DIGEST_KEY) continue;
    field(k);
    field(metadata[k]);
  }
  for (const name of Object.keys(tensors).sort()) {
    const t = tensors[name];
    field(name);
    field(`${t.data.constructor.name}[${t.shape.join(',')}]`);
    const b = leBytes(t.data);
    h.update(`${b.length}:`);
    h.update(b);
  }
  return h.digest('hex');
}

function posInt(cfg: LayerConfig, key: string, type: string): number {
  const v = cfg[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > 2 ** 31 - 1) throw new Error(`${type}.${key} must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

function shapeIs(t: LoadedTensor | undefined, shape: number[]): boolean {
  return t !== undefined && t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]);
}

registerBuiltin({
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
registerBuiltin({ type: 'ReLU', matches: (l) => l instanceof ReLU, config: () => ({}), create: () => new ReLU() });
registerBuiltin({ type: 'GELU', matches: (l) => l instanceof GELU, config: () => ({}), create: () => new GELU() });
registerBuiltin({ type: 'Flatten', matches: (l) => l instanceof Flatten, config: () => ({}), create: () => new Flatten() });
registerBuiltin({
  type: 'Dropout',
  matches: (l) => l instanceof Dropout,
  config: (l) => ({ p: (l as Dropout).p }),
  create: (cfg) => {
    const p = cfg.p;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`Dropout.p must be a number in [0, 1], got ${JSON.stringify(p)}`);
    return new Dropout(p, { rng: new Rng(0) });
  },
});

registerBuiltin({
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

type AnyQuantizedLinear = QuantizedLinear | DynamicQuantizedLinear;

/**
 * int8 weights as stored: plain (`weight`, I8 [out, in]), or, when that is smaller (pruned
 * weights), `weight_mask` (U8: bit i, LSB first, set when element i of the row-major weight is
 * non-zero) + `weight_values` (I8: the non-zeros in row-major order). Lossless either way.
 */
function encodeInt8(w: Int8Array, shape: [number, number]): StateDict {
  let nnz = 0;
  for (let i = 0; i < w.length; i++) if (w[i] !== 0) nnz++;
  const maskBytes = Math.ceil(w.length / 8);
  if (maskBytes + nnz >= w.length) return { weight: { data: w.slice(), shape } };
  const mask = new Uint8Array(maskBytes);
  const values = new Int8Array(nnz);
  for (let i = 0, j = 0; i < w.length; i++) {
    if (w[i] !== 0) {
      mask[i >> 3] |= 1 << (i & 7);
      values[j++] = w[i];
    }
  }
  return { weight_mask: { data: mask, shape: [maskBytes] }, weight_values: { data: values, shape: [nnz] } };
}

/**
 * The layer's dense int8 weights from its stored form. The tensor-level checks (names, dtypes,
 * shapes) are here; the record itself (mask bits against values, qparams ranges, bias) is
 * checked and decoded natively (nnslim::qlinear_record_decode, native/src/io/model_state.cc).
 */
function decodeInt8(type: string, t: Record<string, LoadedTensor>, outF: number, inF: number, perChannel: boolean, bias: Float32Array | null): Int8Array {
  const n = outF * inF;
  let weight: Int8Array | null = null, mask: Uint8Array | null = null, values: Int8Array | null = null;
  if (t.weight !== undefined) {
    if (!shapeIs(t.weight, [outF, inF]) || !(t.weight.data instanceof Int8Array)) throw new Error(`${type} weight must be I8 of shape [${outF}, ${inF}]`);
    weight = t.weight.data;
  } else {
    const m = t.weight_mask, v = t.weight_values;
    if (!m || !(m.data instanceof Uint8Array) || !shapeIs(m, [Math.ceil(n / 8)])) throw new Error(`${type} needs weight (I8 [${outF}, ${inF}]) or weight_mask (U8 [${Math.ceil(n / 8)}]) + weight_values`);
    if (!v || !(v.data instanceof Int8Array) || v.shape.length !== 1) throw new Error(`${type} weight_values must be a 1-D I8 tensor`);
    mask = m.data;
    values = v.data;
  }
  const out = native.qlinearDecode(outF, inF, perChannel, weight, mask, values, t.weight_scale.data as Float32Array,
    t.weight_zero_point.data as Int32Array, bias);
  if (typeof out === 'string') throw new Error(`${type} ${out}`);
  return out;
}

/** int8 weights (plain or bitmask-compressed) + their qparams + bias: the stored form of both quantized Linear layers. */
function quantizedTensors(l: AnyQuantizedLinear): StateDict {
  const w = l.weight;
  const perChannel = w.qscheme === 'per_channel_affine';
  const sd: StateDict = {
    ...encodeInt8(w.data as Int8Array, [l.outFeatures, l.inFeatures]),
    weight_scale: perChannel ? { data: (w.scales as Float32Array).slice(), shape: [l.outFeatures] } : { data: Float32Array.of(w.scale as number), shape: [1] },
    weight_zero_point: perChannel ? { data: (w.zeroPoints as Int32Array).slice(), shape: [l.outFeatures] } : { data: Int32Array.of(w.zeroPoint as number), shape: [1] },
  };
  if (l.bias) sd.bias = { data: l.bias.slice(), shape: [l.outFeatures] };
  return sd;
}

function quantizedState(type: string, cfg: LayerConfig, t: Record<string, LoadedTensor>): QuantizedLinearState {
  const inF = posInt(cfg, 'inFeatures', type);
  const outF = posInt(cfg, 'outFeatures', type);
  if (typeof cfg.bias !== 'boolean' || typeof cfg.perChannel !== 'boolean') throw new Error(`${type}.bias and perChannel must be booleans`);
  const q = cfg.perChannel ? outF : 1;
  const s = t.weight_scale, z = t.weight_zero_point;
  if (!shapeIs(s, [q]) || !(s.data instanceof Float32Array)) throw new Error(`${type} weight_scale must be F32 of shape [${q}]`);
  if (!shapeIs(z, [q]) || !(z.data instanceof Int32Array)) throw new Error(`${type} weight_zero_point must be I32 of shape [${q}]`);
  if (cfg.bias && (!shapeIs(t.bias, [outF]) || !(t.bias.data instanceof Float32Array))) throw new Error(`${type} bias must be F32 of shape [${outF}]`);
  const data = decodeInt8(type, t, outF, inF, cfg.perChannel, cfg.bias ? (t.bias.data as Float32Array) : null);
  // The QTensor constructor checks the qparams (finite positive scales, zero points in range).
  const weight = cfg.perChannel
    ? new QTensor({ data, shape: [outF, inF], scales: s.data.slice(), zeroPoints: z.data.slice(), axis: 0 })
    : new QTensor({ data, shape: [outF, inF], scale: s.data[0], zeroPoint: z.data[0] });
  return { weight, bias: cfg.bias ? (t.bias.data as Float32Array).slice() : null };
}

function quantizedConfig(l: AnyQuantizedLinear): LayerConfig {
  return { inFeatures: l.inFeatures, outFeatures: l.outFeatures, bias: l.bias !== null, perChannel: l.weight.qscheme === 'per_channel_affine' };
}

registerBuiltin({
  type: 'QuantizedLinear',
  matches: (l) => l instanceof QuantizedLinear,
  config: (l) => {
    const q = l as QuantizedLinear;
    const out = q.outputDtype === 'float32' ? {} : { outputScale: q.outputScale, outputZeroPoint: q.outputZeroPoint };
    return { ...quantizedConfig(q), activationScale: q.activationScale, activationZeroPoint: q.activationZeroPoint, activationDtype: q.activationDtype, outputDtype: q.outputDtype, ...out, relu: q.relu };
  },
  tensors: (l) => quantizedTensors(l as QuantizedLinear),
  create: (cfg, t) => {
    const state = quantizedState('QuantizedLinear', cfg, t);
    const { activationScale, activationZeroPoint, activationDtype, outputDtype, outputScale, outputZeroPoint, relu } = cfg;
    // fromState validates the types and ranges of these (a RangeError / TypeError becomes a format error).
    return QuantizedLinear.fromState(state, { activationScale, activationZeroPoint, activationDtype, outputDtype, outputScale, outputZeroPoint, relu } as Parameters<typeof QuantizedLinear.fromState>[1]);
  },
});

registerBuiltin({
  type: 'DynamicQuantizedLinear',
  matches: (l) => l instanceof DynamicQuantizedLinear,
  config: (l) => {
    const q = l as DynamicQuantizedLinear;
    return { ...quantizedConfig(q), reduceRange: q.reduceRange, activationGranularity: q.activationGranularity };
  },
  tensors: (l) => quantizedTensors(l as DynamicQuantizedLinear),
  create: (cfg, t) => {
    const state = quantizedState('DynamicQuantizedLinear', cfg, t);
    const { reduceRange, activationGranularity } = cfg;
    return DynamicQuantizedLinear.fromState(state, { reduceRange, activationGranularity } as Parameters<typeof DynamicQuantizedLinear.fromState>[1]);
  },
});

registerBuiltin({
  type: 'SparseLinear',
  matches: (l) => l instanceof SparseLinear,
  config: (l) => {
    const sl = l as SparseLinear;
    return { inFeatures: sl.inFeatures, outFeatures: sl.outFeatures, bias: sl.bias !== null, choice: sl.choice, timings: { ...sl.timings }, reason: sl.reason };
  },
  tensors: (l) => {
    const sl = l as SparseLinear;
    const c = sl.csr;
    const sd: StateDict = {
      row_ptr: { data: c.rowPtr.slice(), shape: [c.rowPtr.length] },
      col_idx: { data: c.colIdx.slice(), shape: [c.colIdx.length] },
      values: { data: c.values.slice(), shape: [c.values.length] },
    };
    if (sl.bias) sd.bias = { data: sl.bias.slice(), shape: [sl.outFeatures] };
    return sd;
  },
  create: (cfg, t) => {
    const inF = posInt(cfg, 'inFeatures', 'SparseLinear');
    const outF = posInt(cfg, 'outFeatures', 'SparseLinear');
    if (typeof cfg.bias !== 'boolean') throw new Error('SparseLinear.bias must be a boolean');
    const [rowPtr, colIdx, values] = [t.row_ptr, t.col_idx, t.values];
    if (!rowPtr || !(rowPtr.data instanceof Int32Array) || rowPtr.shape.length !== 1) throw new Error('SparseLinear row_ptr must be a 1-D I32 tensor');
    if (!colIdx || !(colIdx.data instanceof Int32Array) || colIdx.shape.length !== 1) throw new Error('SparseLinear col_idx must be a 1-D I32 tensor');
    if (!values || !(values.data instanceof Float32Array) || values.shape.length !== 1) throw new Error('SparseLinear values must be a 1-D F32 tensor');
    if (cfg.bias && (!shapeIs(t.bias, [outF]) || !(t.bias.data instanceof Float32Array))) throw new Error(`SparseLinear bias must be F32 of shape [${outF}]`);
    // The CsrMatrix constructor validates the structure (row pointers, column indices, lengths).
    const csr = new CsrMatrix(outF, inF, rowPtr.data.slice(), colIdx.data.slice(), values.data.slice());
    const bias = cfg.bias ? (t.bias.data as Float32Array).slice() : null;
    return SparseLinear.fromState({ csr, bias, choice: cfg.choice, timings: cfg.timings, reason: cfg.reason } as Parameters<typeof SparseLinear.fromState>[0]);
  },
});

// The demo's inference layers (lib/cli/csr_linear.ts), so its stage models load anywhere.
function arr<T>(t: LoadedTensor | undefined, ctor: new (...a: never[]) => T, name: string): T {
  if (!t || !(t.data instanceof ctor)) throw new Error(`CsrLinear ${name} is missing or has the wrong dtype`);
  return t.data as T;
}

function dims(cfg: Record<string, unknown>): [number, number] {
  const { inFeatures, outFeatures } = cfg;
  for (const [k, v] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > 2 ** 31 - 1) throw new Error(`${k} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return [inFeatures as number, outFeatures as number];
}

registerBuiltin({
  type: 'DenseLinear',
  matches: (l) => l instanceof DenseLinear,
  config: (l) => {
    const d = l as DenseLinear;
    return { inFeatures: d.inFeatures, outFeatures: d.outFeatures, bias: d.bias !== null, relu: d.relu };
  },
  tensors: (l) => (l as DenseLinear).stateDict(),
  create: (cfg, t) => {
    const [inF, outF] = dims(cfg);
    if (typeof cfg.bias !== 'boolean' || typeof cfg.relu !== 'boolean') throw new Error('DenseLinear bias and relu must be booleans');
    const w = arr(t.weight, Float32Array, 'weight');
    if (t.weight.shape.length !== 2 || t.weight.shape[0] !== outF || t.weight.shape[1] !== inF) throw new Error(`DenseLinear weight must have shape [${outF}, ${inF}]`);
    const b = cfg.bias ? arr(t.bias, Float32Array, 'bias') : null;
    return new DenseLinear(inF, outF, w.slice(), b ? b.slice() : null, cfg.relu);
  },
});

registerBuiltin({
  type: 'CsrLinear',
  matches: (l) => l instanceof CsrLinear,
  config: (l) => {
    const c = l as CsrLinear;
    return { inFeatures: c.inFeatures, outFeatures: c.outFeatures, int8: c.int8, bias: c.bias !== null, relu: c.relu };
  },
  create: (cfg, t) => {
    const { inFeatures, outFeatures, int8, bias, relu } = cfg as { inFeatures: number; outFeatures: number; int8: unknown; bias: unknown; relu: unknown };
    if (typeof int8 !== 'boolean' || typeof bias !== 'boolean' || typeof relu !== 'boolean') throw new Error('CsrLinear int8, bias and relu must be booleans');
    const rowPtr = arr(t.row_ptr, Int32Array, 'row_ptr');
    const colIdx = arr(t.col_idx, Int32Array, 'col_idx');
    // The CsrMatrix constructors validate the structure (row pointers, column indices, lengths).
    const w = int8
      ? new QuantizedCsrMatrix(outFeatures, inFeatures, rowPtr.slice(), colIdx.slice(), arr(t.values, Int8Array, 'values').slice(), arr(t.scales, Float32Array, 'scales').slice())
      : new CsrMatrix(outFeatures, inFeatures, rowPtr.slice(), colIdx.slice(), arr(t.values, Float32Array, 'values').slice());
    const b = bias ? arr(t.bias, Float32Array, 'bias') : null;
    if (b && b.length !== outFeatures) throw new Error(`CsrLinear bias must have ${outFeatures} values`);
    return new CsrLinear(w, b ? b.slice() : null, relu);
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
 * `stateDict()` names (`0.weight`, `0.bias`, ...; inference-only layers under their codec's
 * names, e.g. int8 `weight` + `weight_scale` + `weight_zero_point`, or CSR `row_ptr`, `col_idx`,
 * `values`), and a SHA-256 digest of all of it in `__metadata__['nnslim.sha256']`. With `file`,
 * also writes the file.
 *
 * ```ts
 * io.saveModel(model, 'digits.safetensors');
 * const again = io.loadModel('digits.safetensors'); // same outputs, bit for bit
 * ```
 */
export function saveModel(model: Sequential, file?: string, metadata?: Record<string, string>): Uint8Array {
  if (!(model instanceof Sequential)) throw typeError('model', 'an nn.Sequential', model);
  if (file !== undefined && (typeof file !== 'string' || file.length === 0)) throw typeError('file', 'a file path', file);
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) throw typeError('metadata', 'an object of string values', metadata);
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw typeError(`metadata.${k}`, 'a string', v);
    }
  }
  const state: StateDict = {};
  const layers = model.layers.map((layer, i) => {
    const codec = codecFor(layer, i);
    const own = codec.tensors ? codec.tensors(layer) : new Sequential(layer).stateDict();
    for (const [name, t] of Object.entries(own)) state[`${i}.${codec.tensors ? name : name.slice(2)}`] = t;
    return { type: codec.type, config: codec.config(layer) };
  });
  const meta: Record<string, string> = { ...(metadata ?? {}) };
  delete meta[DIGEST_KEY];
  meta[ARCHITECTURE_KEY] = JSON.stringify({ format: FORMAT, version: VERSION, layers });
  meta[DIGEST_KEY] = modelDigest(state, meta);
  const bytes = saveSafetensors(state, meta);
  if (file !== undefined) writeFileAtomic(file, bytes);
  return bytes;
}

/** A stand-in for a layer rebuilt by its codec, so Sequential.loadStateDict skips it. */
const REBUILT: Module = { forward: (x) => x, stateDict: () => ({}), loadStateDict: () => undefined };

function sameTensors(a: Record<string, LoadedTensor>, b: StateDict): string | null {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const n of names) {
    const x = a[n], y = b[n];
    if (!x) return `missing tensor '${n}'`;
    if (!y) return `unexpected tensor '${n}'`;
    if (x.data.constructor !== y.data.constructor) return `tensor '${n}' is ${x.dtype}, expected ${y.data.constructor.name}`;
    if (x.shape.length !== y.shape.length || x.shape.some((d, i) => d !== y.shape[i])) return `tensor '${n}' has shape [${x.shape.join(', ')}], expected [${y.shape.join(', ')}]`;
  }
  return null;
}

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  /** Check the content against the SHA-256 digest saveModel stores (default true); false reads hand-edited files. */
  verifyDigest?: boolean;
}

/**
 * Rebuilds a model saved by {@link saveModel} from bytes or a path. The file is untrusted:
 * besides the safetensors checks, the architecture must name registered layer types whose
 * configs fit the tensors, and the tensor names, shapes and dtypes must be exactly the
 * model's, and the content must match its digest (so a flipped bit anywhere is an error, not
 * a silently different model); otherwise an Error with code 'ERR_NNSLIM_FORMAT'. The model comes back in
 * evaluation mode.
 */
export function loadModel(source: Uint8Array | string, options?: LoadModelOptions): Sequential {
  const what = typeof source === 'string' ? source : 'model data';
  const opts = checkOptions<LoadModelOptions>('options', options);
  for (const key of Object.keys(opts)) if (key !== 'verifyDigest') throw rangeError('options', 'only verifyDigest', key);
  const verify = opts.verifyDigest ?? true;
  if (typeof verify !== 'boolean') throw typeError('options.verifyDigest', 'a boolean', verify);
  const st: Safetensors = loadSafetensors(source);
  const archText = st.metadata[ARCHITECTURE_KEY];
  if (archText === undefined) throw formatError(what, `no ${ARCHITECTURE_KEY} in __metadata__ (not saved by io.saveModel?)`);
  if (verify) {
    const digest = st.metadata[DIGEST_KEY];
    if (digest === undefined) throw formatError(what, `no ${DIGEST_KEY} digest in __metadata__ (not saved by io.saveModel, or edited)`);
    if (digest !== modelDigest(st.tensors, st.metadata)) throw formatError(what, `content does not match its ${DIGEST_KEY} digest (file corrupt or modified)`);
  }
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
  const rebuilt = new Set<number>();
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
    let layer: Module;
    try {
      layer = codec.create(cfg as LayerConfig, own);
    } catch (err) {
      throw formatError(what, `layer ${i} (${e.type}): ${(err as Error).message}`);
    }
    if (codec.tensors) {
      const problem = sameTensors(own, codec.tensors(layer));
      if (problem) throw formatError(what, `layer ${i} (${e.type}): ${problem}`);
      rebuilt.add(i);
    }
    return layer;
  });
  const state: StateDict = {};
  for (const [name, t] of Object.entries(st.tensors)) {
    const dot = name.indexOf('.');
    if (dot > 0 && rebuilt.has(Number(name.slice(0, dot))) && String(Number(name.slice(0, dot))) === name.slice(0, dot)) continue;
    state[name] = { data: t.data, shape: t.shape };
  }
  try {
    new Sequential(...layers.map((l, i) => (rebuilt.has(i) ? REBUILT : l))).loadStateDict(state);
  } catch (err) {
    throw formatError(what, `tensors do not fit the architecture: ${(err as Error).message}`);
  }
  return new Sequential(...layers).eval();
}
