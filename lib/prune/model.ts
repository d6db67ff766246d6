/**
 * Model-level magnitude pruning over the nn.Linear layers of a model (a Sequential, or any
 * object with a `layers` array, searched recursively).
 *
 * Design, after PyTorch's `torch.nn.utils.prune` (which keeps `weight_orig` and a
 * `weight_mask` buffer and recomputes `weight = weight_orig * weight_mask` in a forward
 * pre-hook): a pruned Linear keeps its mask here (a WeakMap, nothing is added to the
 * parameter list or the state dict) and gets three instance hooks that shadow its class
 * methods until {@link remove}:
 *
 * - `forward` zeroes the pruned weights, then runs Linear's forward;
 * - `backward` runs Linear's backward, then zeroes the pruned entries of `weight.grad`;
 * - `forwardAsync` (used by `Sequential.predictAsync`) zeroes the pruned weights first.
 *
 * So an optimizer never sees a gradient for a pruned weight, and a weight an optimizer moves
 * anyway (momentum, weight decay) is zeroed again at the next forward. Call
 * {@link applyMasks} after `optimizer.step()` to keep the weights exactly sparse between
 * steps as well (a {@link GradualPruner} does it in its `step()`). The pruned values
 * themselves are not kept (PyTorch keeps them in `weight_orig`, but they never take effect).
 */
import { checkEnum, checkOptions, rangeError, stateError, typeError } from '../errors';
import { Linear } from '../nn/linear';
import type { Parameter } from '../nn/parameter';
import { matmulAsync } from '../ops/matmul';
import { Tensor, checkTensor } from '../tensor';
import { computeNParamsToPrune, globalUnstructured, l1Unstructured, sparsity as tensorSparsity } from './masks';
import type { WeightLike } from './masks';

/** Any model whose `layers` (possibly nested) hold the Linear layers to prune. */
export interface LayeredModel {
  readonly layers: readonly unknown[];
}

/** A Linear layer of a model and its name: its index path, like PyTorch's module names (`'0'`, `'2.1'`). */
export interface NamedLinear {
  name: string;
  layer: Linear;
}

/** Options of {@link magnitude}. */
export interface MagnitudeOptions {
  /**
   * How much to prune, PyTorch's `amount`: an integer count or a fraction in [0, 1) of the
   * weights still unpruned (per layer with scope 'layer', of all the model's Linear weights
   * with scope 'global'); fractions round half to even.
   */
  amount: number;
  /** 'layer' (default): `l1Unstructured` on each Linear; 'global': `globalUnstructured` over all of them. */
  scope?: 'layer' | 'global';
}

/** One layer of a {@link SparsityReport}. */
export interface LayerSparsity {
  /** Index path of the layer (see {@link NamedLinear}). */
  name: string;
  /** Weight elements. */
  numel: number;
  /** Weight elements equal to 0 (pruned or not). */
  zeros: number;
  /** zeros / numel. */
  sparsity: number;
  /** Whether the layer carries a pruning mask. */
  masked: boolean;
}

/** What {@link sparsity} returns for a model: each Linear's weight sparsity and the total. */
export interface SparsityReport {
  layers: LayerSparsity[];
  total: { numel: number; zeros: number; sparsity: number };
}

interface MaskState {
  mask: Uint8Array;
  param: Parameter;
}

const masks = new WeakMap<Linear, MaskState>();
const HOOKS = ['forward', 'backward', 'forwardAsync'] as const;

function isLayered(v: unknown): v is LayeredModel {
  return v !== null && typeof v === 'object' && Array.isArray((v as { layers?: unknown }).layers);
}

/** Checks a model argument: an object with a `layers` array. */
export function checkModel(name: string, model: unknown): LayeredModel {
  if (!isLayered(model)) throw typeError(name, 'a model with a layers array (e.g. an nn.Sequential)', model);
  return model;
}

/**
 * The nn.Linear layers of a model in order, named by their index path (nested `layers` arrays
 * are searched too): `'0'`, `'2'`, `'3.1'`, ...
 *
 * @example
 * linearLayers(new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 2)))
 *   .map((l) => l.name); // ['0', '2']
 */
export function linearLayers(model: LayeredModel): NamedLinear[] {
  checkModel('model', model);
  const out: NamedLinear[] = [];
  const seen = new Set<unknown>();
  const walk = (m: LayeredModel, prefix: string): void => {
    if (seen.has(m)) return;
    seen.add(m);
    m.layers.forEach((l, i) => {
      const name = prefix === '' ? String(i) : `${prefix}.${i}`;
      if (l instanceof Linear) out.push({ name, layer: l });
      else if (isLayered(l)) walk(l, name);
    });
  };
  walk(model, '');
  return out;
}

function liveMask(layer: Linear): Uint8Array | undefined {
  const st = masks.get(layer);
  if (st === undefined) return undefined;
  if (st.param !== layer.weight || st.mask.length !== layer.weight.data.length) {
    throw stateError('prune: a pruned Linear\'s weight Parameter was replaced; call prune.remove(model) before replacing weights');
  }
  return st.mask;
}

function zeroMasked(d: Float32Array, mask: Uint8Array): void {
  for (let i = 0; i < d.length; i++) if (mask[i] === 0) d[i] = 0;
}

/**
 * Gives `layer` the pruning mask `mask` (1 = keep), replacing any previous one, installs the
 * hooks described in the module comment and zeroes the pruned weights and their gradients.
 * The mask array is kept (not copied). Used by {@link magnitude}, `GradualPruner` and `neurons`.
 */
export function setMask(layer: Linear, mask: Uint8Array): void {
  if (!(layer instanceof Linear)) throw typeError('layer', 'an nn.Linear', layer);
  if (!(mask instanceof Uint8Array) || mask.length !== layer.weight.data.length) {
    throw typeError('mask', `a Uint8Array of length ${layer.weight.data.length}`, mask);
  }
  masks.set(layer, { mask, param: layer.weight });
  zeroMasked(layer.weight.data, mask);
  zeroMasked(layer.weight.grad, mask);
  const self = layer as unknown as Record<string, unknown>;
  if (Object.prototype.hasOwnProperty.call(self, 'forward')) return;
  const proto = Linear.prototype;
  self.forward = function forward(this: Linear, x: Tensor): Tensor {
    const m = liveMask(this);
    if (m) zeroMasked(this.weight.data, m);
    return proto.forward.call(this, x);
  };
  self.backward = function backward(this: Linear, gradOut: Tensor): Tensor {
    const gradIn = proto.backward.call(this, gradOut);
    const m = liveMask(this);
    if (m) zeroMasked(this.weight.grad, m);
    return gradIn;
  };
  self.forwardAsync = async function forwardAsync(this: Linear, x: Tensor): Promise<Tensor> {
    if (this.training) return (this.forward as (x: Tensor) => Tensor)(x);
    const m = liveMask(this);
    if (m) zeroMasked(this.weight.data, m);
    const t = checkTensor('x', x);
    if (t.shape.length !== 2 || t.shape[1] !== this.inFeatures) return proto.forward.call(this, t); // throws the shape error
    const w = new Tensor(this.weight.data, [this.outFeatures, this.inFeatures]);
    return matmulAsync(t, w, this.bias ? { transB: true, bias: this.bias.data } : { transB: true });
  };
}

/**
 * Prunes one Linear with a mask of your own, PyTorch's `prune.custom_from_mask`: the layer gets
 * the hooks of {@link magnitude}, and an existing mask is combined (entries pruned by either stay
 * pruned). Useful with `prune.randomUnstructured` or `prune.lnStructured` masks.
 *
 * @param mask - Uint8Array of 0/1, one entry per weight (1 = keep); copied
 * @example
 * const fc = model.layers[0] as nn.Linear;
 * prune.customFromMask(fc, prune.lnStructured(fc.weight, { amount: 0.25, n: 2, dim: 0 }));
 */
export function customFromMask(linear: Linear, mask: Uint8Array): void {
  if (!(linear instanceof Linear)) throw typeError('linear', 'an nn.Linear', linear);
  if (!(mask instanceof Uint8Array)) throw typeError('mask', 'a Uint8Array of 0/1', mask);
  const n = linear.weight.data.length;
  if (mask.length !== n) throw rangeError('mask.length', `${n} (the weight's length)`, mask.length);
  for (let i = 0; i < n; i++) if (mask[i] > 1) throw rangeError(`mask[${i}]`, '0 or 1', mask[i]);
  const old = liveMask(linear);
  const next = Uint8Array.from(mask);
  if (old) for (let i = 0; i < n; i++) next[i] &= old[i];
  setMask(linear, next);
}

/** The pruning mask of a Linear (1 = keep), or undefined when it is not pruned. The live array: do not modify it. */
export function getMask(layer: Linear): Uint8Array | undefined {
  if (!(layer instanceof Linear)) throw typeError('layer', 'an nn.Linear', layer);
  return liveMask(layer);
}

/** Drops a Linear's mask and hooks after zeroing its pruned weights once more. */
function unprune(layer: Linear): boolean {
  const st = masks.get(layer);
  if (st === undefined) return false;
  if (st.param === layer.weight && st.mask.length === layer.weight.data.length) zeroMasked(layer.weight.data, st.mask);
  masks.delete(layer);
  const self = layer as unknown as Record<string, unknown>;
  for (const h of HOOKS) delete self[h];
  return true;
}

/** Forgets a Linear's mask without touching its weights (for layers being replaced). */
export function dropMask(layer: Linear): void {
  unprune(layer);
}

/**
 * Magnitude pruning of a model's Linear weights (biases are not pruned), PyTorch's
 * `prune.l1_unstructured` on every Linear (scope 'layer') or `prune.global_unstructured`
 * with `L1Unstructured` over all of them (scope 'global'). Repeated calls compose like
 * PyTorch's `PruningContainer`: a fraction applies to the weights still unpruned and pruned
 * weights stay pruned. Ties in magnitude prune the lower index first (in global scope, the
 * lower index in the concatenation of the layers in model order). Large layers select in
 * native code (O(n)).
 *
 * Every mask is computed before any layer changes, so a bad `amount` (e.g. a count larger
 * than a layer) throws with the model untouched. See the module comment for how masks hold
 * during training; {@link remove} makes the pruning permanent.
 *
 * @returns the per-layer sparsity afterwards
 * @example
 * const model = new nn.Sequential(new nn.Linear(784, 300), new nn.ReLU(), new nn.Linear(300, 10));
 * prune.magnitude(model, { amount: 0.5, scope: 'global' });
 * prune.magnitude(model, { amount: 0.5, scope: 'global' }); // 75% of the Linear weights pruned
 * prune.sparsity(model).total.sparsity; // 0.75
 */
export function magnitude(model: LayeredModel, opts: MagnitudeOptions): SparsityReport {
  checkModel('model', model);
  const o = checkOptions<MagnitudeOptions>('options', opts);
  const scope = o.scope === undefined ? 'layer' : checkEnum('options.scope', o.scope, ['layer', 'global'] as const);
  computeNParamsToPrune(o.amount as number, Number.MAX_SAFE_INTEGER); // validates amount's type and range
  const amount = o.amount as number;
  const layers = linearLayers(model);
  const weights = layers.map((l) => l.layer.weight.data);
  const current = layers.map((l) => liveMask(l.layer));
  let next: Uint8Array[];
  if (scope === 'global') {
    next = globalUnstructured(weights, { amount, masks: current });
  } else {
    next = layers.map((l, i) => {
      try {
        return l1Unstructured(weights[i], { amount, mask: current[i] });
      } catch (err) {
        if (err instanceof RangeError) (err as Error).message += ` (layer '${l.name}')`;
        throw err;
      }
    });
  }
  layers.forEach((l, i) => setMask(l.layer, next[i]));
  return sparsity(model);
}

/**
 * Zeroes the pruned weights of every masked Linear of the model (and their gradients). Call it
 * after each `optimizer.step()` so the weights stay exactly sparse between steps (the forward
 * hooks re-apply the masks anyway), e.g. in `nn.fit`'s `callbacks.onBatchEnd`.
 *
 * @returns the number of masked layers
 * @example
 * optimizer.step();
 * prune.applyMasks(model);
 */
export function applyMasks(model: LayeredModel): number {
  let n = 0;
  for (const { layer } of linearLayers(model)) {
    const m = liveMask(layer);
    if (m === undefined) continue;
    zeroMasked(layer.weight.data, m);
    zeroMasked(layer.weight.grad, m);
    n++;
  }
  return n;
}

/**
 * Makes the pruning of a model permanent, PyTorch's `prune.remove` on each pruned Linear: the
 * pruned weights stay 0, the masks and hooks are dropped, and later training may change any
 * weight again. Layers that are not pruned are left alone.
 *
 * @returns the number of layers whose mask was removed
 * @example
 * prune.magnitude(model, { amount: 0.9 });
 * // ... fine-tune ...
 * prune.remove(model);
 */
export function remove(model: LayeredModel): number {
  let n = 0;
  for (const { layer } of linearLayers(model)) if (unprune(layer)) n++;
  return n;
}

/**
 * The fraction of zero entries: of a weight or mask (a number, see the tensor-level `sparsity`
 * of masks.ts), or, for a model, of each Linear weight and of all of them together (a
 * {@link SparsityReport}; zeros are counted in the weights, pruned or not).
 *
 * @example
 * prune.sparsity(mask);                 // 0.9
 * prune.sparsity(model).layers[0];      // { name: '0', numel: 235200, zeros: 211680, sparsity: 0.9, masked: true }
 */
export function sparsity(weightOrMask: WeightLike | Uint8Array): number;
export function sparsity(model: LayeredModel): SparsityReport;
export function sparsity(x: WeightLike | Uint8Array | LayeredModel): number | SparsityReport {
  if (!isLayered(x)) return tensorSparsity(x as WeightLike | Uint8Array);
  const layers: LayerSparsity[] = [];
  let numel = 0;
  let zeros = 0;
  for (const { name, layer } of linearLayers(x)) {
    const d = layer.weight.data;
    let z = 0;
    for (let i = 0; i < d.length; i++) if (d[i] === 0) z++;
    layers.push({ name, numel: d.length, zeros: z, sparsity: d.length === 0 ? 0 : z / d.length, masked: masks.has(layer) });
    numel += d.length;
    zeros += z;
  }
  return { layers, total: { numel, zeros, sparsity: numel === 0 ? 0 : zeros / numel } };
}
