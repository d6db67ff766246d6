import { checkBool, checkInt, checkOptions, describe, rangeError, shapeError, stateError, typeError } from '../errors';
import { matmulAsync } from '../ops/matmul';
import { Tensor, checkTensor, numel } from '../tensor';
import { Linear } from './linear';
import { Parameter } from './parameter';

/** Element arrays a state-dict entry may hold (float32, int8, uint8, int32). */
export type StateArray = Float32Array | Int8Array | Uint8Array | Int32Array;

/** One state-dict entry: a typed array in row-major order and its shape. A {@link Tensor} is one. */
export interface StateTensor {
  data: StateArray;
  shape: readonly number[];
}

/** Named tensors of a model, e.g. `{ '0.weight': ..., '0.bias': ..., '1.running_mean': ... }`. */
export type StateDict = Record<string, StateTensor>;

/**
 * What a layer must provide to sit in a {@link Sequential}. Only `forward` is required;
 * the rest is used when present (duck typing), so layers defined elsewhere plug in as they are:
 *
 * - `backward(gradOut)` for training with {@link Sequential.backward};
 * - `parameters()` for optimizers;
 * - `train(mode)` / `eval()` for mode switches;
 * - `forwardAsync(x)` for {@link Sequential.predictAsync} (off the event loop);
 * - `stateDict()` / `loadStateDict(state)` for named tensors. Without them a layer's state is
 *   read from its `weight`, `bias`, `runningMean` and `runningVar` properties (a {@link Parameter},
 *   a Tensor or a Float32Array), named like PyTorch: `weight`, `bias`, `running_mean`, `running_var`,
 *   and a numeric `numBatchesTracked` as `num_batches_tracked` (a 0-d Int32Array).
 */
export interface Module {
  forward(x: Tensor): Tensor;
  backward?(gradOut: Tensor): Tensor;
  parameters?(): Parameter[];
  train?(mode?: boolean): unknown;
  eval?(): unknown;
  forwardAsync?(x: Tensor): Promise<Tensor>;
  stateDict?(): StateDict;
  loadStateDict?(state: StateDict): void;
}

/** Options of {@link Sequential.predict} and {@link Sequential.predictAsync}. */
export interface PredictOptions {
  /** Rows per forward pass. Default 256. */
  batchSize?: number;
}

const DEFAULT_STATE_PROPS: ReadonlyArray<[string, string]> = [
  ['weight', 'weight'], ['bias', 'bias'], ['runningMean', 'running_mean'], ['runningVar', 'running_var'],
];

/** Name of the element type of a state array ('float32', 'int8', 'uint8', 'int32'). */
export function stateDtype(a: StateArray): 'float32' | 'int8' | 'uint8' | 'int32' {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Int32Array) return 'int32';
  throw typeError('a', 'a Float32Array, Int8Array, Uint8Array or Int32Array', a);
}

function isStateArray(v: unknown): v is StateArray {
  return v instanceof Float32Array || v instanceof Int8Array || v instanceof Uint8Array || v instanceof Int32Array;
}

/** The live (not copied) state of one layer through its properties, with a setter for number-valued entries. */
function liveState(layer: Module): Record<string, StateTensor & { set?: (v: number) => void }> {
  const out: Record<string, StateTensor & { set?: (v: number) => void }> = {};
  const obj = layer as unknown as Record<string, unknown>;
  for (const [prop, name] of DEFAULT_STATE_PROPS) {
    const v = obj[prop];
    if (v instanceof Parameter) out[name] = { data: v.data, shape: v.shape };
    else if (v instanceof Tensor) out[name] = v;
    else if (v instanceof Float32Array) out[name] = { data: v, shape: [v.length] };
  }
  // PyTorch's BatchNorm num_batches_tracked (int64 there; a 0-d int32 here).
  if (typeof obj.numBatchesTracked === 'number' && Number.isSafeInteger(obj.numBatchesTracked)) {
    out.num_batches_tracked = {
      data: Int32Array.of(Math.min(2 ** 31 - 1, obj.numBatchesTracked as number)), shape: [],
      set: (v: number) => { obj.numBatchesTracked = v; },
    };
  }
  return out;
}

function copyState(t: StateTensor): StateTensor {
  return { data: t.data.slice(), shape: [...t.shape] };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * A chain of layers applied in order, trained layer by layer (each layer's `backward` gets
 * the gradient of the next one; no general autograd).
 *
 * ```ts
 * const model = new nn.Sequential(new nn.Linear(64, 128), new nn.ReLU(), new nn.Linear(128, 10));
 * const logits = model.forward(x);             // training mode
 * const { grad } = nn.crossEntropyWithLogits(logits, labels);
 * model.backward(grad);                        // fills every parameter's .grad
 * const probs = await model.predictAsync(x);   // eval mode, off the event loop
 * ```
 */
export class Sequential implements Module {
  /** The layers, in order. */
  readonly layers: Module[];
  /** Whether the model is in training mode. */
  training = true;

  constructor(...layers: Module[]) {
    layers.forEach((l, i) => checkModule(`layers[${i}]`, l));
    this.layers = layers;
  }

  /** Number of layers. */
  get length(): number {
    return this.layers.length;
  }

  /** Runs x through every layer. */
  forward(x: Tensor): Tensor {
    let h = checkTensor('x', x);
    for (const layer of this.layers) h = layer.forward(h);
    return h;
  }

  /**
   * Back-propagates dL/d(output) through the layers in reverse order, accumulating into
   * each parameter's `grad`; returns dL/d(input). Needs a forward() in training mode first.
   */
  backward(gradOut: Tensor): Tensor {
    let g = checkTensor('gradOut', gradOut);
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const layer = this.layers[i];
      if (typeof layer.backward !== 'function') {
        throw stateError(`Sequential.backward: layer ${i} (${layerName(layer)}) has no backward()`);
      }
      g = layer.backward(g);
    }
    return g;
  }

  /** Every trainable parameter, layer by layer (each once). */
  parameters(): Parameter[] {
    const seen = new Set<Parameter>();
    for (const layer of this.layers) {
      if (typeof layer.parameters === 'function') for (const p of layer.parameters()) seen.add(p);
    }
    return [...seen];
  }

  /** Sets training mode (default true) on the model and every layer. */
  train(mode = true): this {
    this.training = checkBool('mode', mode);
    for (const layer of this.layers) {
      if (mode && typeof layer.train === 'function') layer.train(true);
      else if (!mode && typeof layer.eval === 'function') layer.eval();
      else if (!mode && typeof layer.train === 'function') layer.train(false);
    }
    return this;
  }

  /** Sets evaluation mode on the model and every layer. */
  eval(): this {
    return this.train(false);
  }

  /**
   * Copies of every layer's tensors named `<layer index>.<name>` like PyTorch:
   * `0.weight`, `0.bias`, `1.running_mean`, ...
   */
  stateDict(): StateDict {
    const out: StateDict = {};
    this.layers.forEach((layer, i) => {
      const own = typeof layer.stateDict === 'function' ? layer.stateDict() : liveState(layer);
      for (const [name, t] of Object.entries(own)) out[`${i}.${name}`] = copyState(t);
    });
    return out;
  }

  /**
   * Loads tensors saved by {@link stateDict}. Every name must be present, no extra name is
   * allowed, and shapes and element types must match; everything is checked first, so on
   * error (a RangeError or TypeError naming the entry) the model is left unchanged.
   */
  loadStateDict(state: StateDict): void {
    if (state === null || typeof state !== 'object' || Array.isArray(state)) throw typeError('state', 'an object of named tensors', state);
    const plan: Array<() => void> = [];
    const expected = new Set<string>();
    this.layers.forEach((layer, i) => {
      const custom = typeof layer.stateDict === 'function' && typeof layer.loadStateDict === 'function';
      const own = custom ? (layer.stateDict as () => StateDict)() : liveState(layer);
      const sub: StateDict = {};
      for (const [name, target] of Object.entries(own)) {
        const key = `${i}.${name}`;
        expected.add(key);
        if (!Object.prototype.hasOwnProperty.call(state, key)) throw rangeError('state', `an entry named '${key}'`, 'none');
        const src = state[key];
        if (src === null || typeof src !== 'object' || !isStateArray(src.data) || !Array.isArray(src.shape)) {
          throw typeError(`state['${key}']`, 'a tensor { data: Float32Array | Int8Array | Uint8Array | Int32Array, shape }', src);
        }
        if (stateDtype(src.data) !== stateDtype(target.data)) {
          throw typeError(`state['${key}'].data`, `a ${target.data.constructor.name}`, src.data);
        }
        if (!sameShape(src.shape, target.shape) || src.data.length !== numel(target.shape)) {
          throw rangeError(`state['${key}'].shape`, `[${target.shape.join(', ')}]`, `[${src.shape.join(', ')}] with ${src.data.length} elements`);
        }
        const setter = (target as { set?: (v: number) => void }).set;
        if (custom) sub[name] = src;
        else if (setter) plan.push(() => setter(src.data[0]));
        else plan.push(() => (target.data as StateArray & { set(a: ArrayLike<number>): void }).set(src.data));
      }
      if (custom) plan.push(() => (layer.loadStateDict as (s: StateDict) => void)(sub));
    });
    for (const key of Object.keys(state)) {
      if (!expected.has(key)) throw rangeError('state', `only the model's names (${[...expected].join(', ') || 'none'})`, key);
    }
    for (const apply of plan) apply();
  }

  /**
   * Inference: runs x [batch, ...] through the model in evaluation mode, `batchSize` rows at a
   * time, without keeping anything for backward; restores training mode afterwards if it was on.
   */
  predict(x: Tensor, options?: PredictOptions): Tensor {
    const { t, batchSize } = checkPredict(x, options);
    const wasTraining = this.training;
    this.eval();
    try {
      return runBatched(t, batchSize, (chunk) => this.forward(chunk));
    } finally {
      if (wasTraining) this.train(true);
    }
  }

  /**
   * {@link predict} off the event loop: layers with `forwardAsync` (and Linear, through
   * matmulAsync) run on worker threads; the batches and layers are awaited in order.
   * Do not modify x or the model until the promise settles.
   */
  async predictAsync(x: Tensor, options?: PredictOptions): Promise<Tensor> {
    const { t, batchSize } = checkPredict(x, options);
    const wasTraining = this.training;
    this.eval();
    try {
      if (t.shape[0] === 0) return await this.forwardAsync(t);
      const chunks: Tensor[] = [];
      for (let start = 0; start < t.shape[0]; start += batchSize) {
        let h = sliceRows(t, start, Math.min(t.shape[0], start + batchSize));
        for (const layer of this.layers) h = await forwardLayerAsync(layer, h);
        chunks.push(h);
      }
      return concatRows(chunks, t.shape[0]);
    } finally {
      if (wasTraining) this.train(true);
    }
  }

  /** Runs x through the layers, awaiting each layer's async forward where it has one. */
  async forwardAsync(x: Tensor): Promise<Tensor> {
    let h = checkTensor('x', x);
    for (const layer of this.layers) h = await forwardLayerAsync(layer, h);
    return h;
  }
}

async function forwardLayerAsync(layer: Module, x: Tensor): Promise<Tensor> {
  if (typeof layer.forwardAsync === 'function') return layer.forwardAsync(x);
  if (layer instanceof Linear && !layer.training) {
    if (x.shape.length !== 2 || x.shape[1] !== layer.inFeatures) {
      throw shapeError(`Linear: expected x of shape [batch, ${layer.inFeatures}] but received [${x.shape.join(', ')}]`);
    }
    const w = new Tensor(layer.weight.data, [layer.outFeatures, layer.inFeatures]);
    return matmulAsync(x, w, layer.bias ? { transB: true, bias: layer.bias.data } : { transB: true });
  }
  return layer.forward(x);
}

function checkModule(name: string, layer: unknown): Module {
  if (layer === null || typeof layer !== 'object' || typeof (layer as Module).forward !== 'function') {
    throw typeError(name, 'a layer with a forward(x) method', layer);
  }
  return layer as Module;
}

function layerName(layer: Module): string {
  return (layer as object).constructor?.name ?? describe(layer);
}

function checkPredict(x: unknown, options: unknown): { t: Tensor; batchSize: number } {
  const t = checkTensor('x', x);
  if (t.shape.length < 1) throw rangeError('x.shape', 'at least 1 dimension (the batch)', '[]');
  const opts = checkOptions<PredictOptions>('options', options);
  const batchSize = opts.batchSize === undefined ? 256 : checkInt('options.batchSize', opts.batchSize, { min: 1 });
  return { t, batchSize };
}

/** Rows [start, end) of x as a zero-copy view. */
export function sliceRows(x: Tensor, start: number, end: number): Tensor {
  const row = x.shape.length > 1 ? numel(x.shape.slice(1)) : 1;
  return new Tensor(x.data.subarray(start * row, end * row), [end - start, ...x.shape.slice(1)]);
}

function concatRows(chunks: Tensor[], rows: number): Tensor {
  if (chunks.length === 1) return chunks[0];
  if (chunks.length === 0) return Tensor.zeros([0]);
  const tail = chunks[0].shape.slice(1);
  const row = numel(tail);
  const out = new Float32Array(rows * row);
  let offset = 0;
  for (const c of chunks) {
    out.set(c.data, offset);
    offset += c.data.length;
  }
  return new Tensor(out, [rows, ...tail]);
}

function runBatched(x: Tensor, batchSize: number, fn: (chunk: Tensor) => Tensor): Tensor {
  if (x.shape[0] === 0) return fn(x);
  const chunks: Tensor[] = [];
  for (let start = 0; start < x.shape[0]; start += batchSize) {
    chunks.push(fn(sliceRows(x, start, Math.min(x.shape[0], start + batchSize))));
  }
  return concatRows(chunks, x.shape[0]);
}
