import { checkBool, checkInt, checkNumber, checkOptions, rangeError, shapeError, typeError } from '../errors';
import { native } from '../native';
import { l1Unstructured } from '../prune/masks';
import { CsrMatrix, PackedCsrMatrix } from '../sparse';
import { Tensor, checkTensor } from '../tensor';
import { Linear } from './linear';
import type { Module } from './sequential';

/** Options of {@link SparseLinear.fromLinear}: give `sparsity` or `mask`. */
export interface SparseLinearOptions {
  /** Fraction of the weights to prune by magnitude (l1Unstructured), in [0, 1]. */
  sparsity?: number;
  /** Keep mask (1 = keep) of length outFeatures * inFeatures, e.g. from prune.l1Unstructured. */
  mask?: Uint8Array;
  /** Batch size (rows of x) the layer will mostly see; the CSR-vs-dense timing uses it. Default 1. */
  batchHint?: number;
}

/** What {@link SparseLinear} measured at construction. */
export interface SparseLinearTimings {
  /** Median milliseconds of one forward on [batchHint, inFeatures] with the CSR kernel. */
  sparseMs: number;
  /** The same with the dense float32 GEMM on the pruned weights. */
  denseMs: number;
  batch: number;
  density: number;
}

function medianMs(fn: () => void, budgetMs: number): number {
  fn(); // warm-up (page faults, thread pool start)
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < 5 || (performance.now() - start < budgetMs && samples.length < 201)) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

/** The stored form of a {@link SparseLinear} (what io.saveModel writes), for {@link SparseLinear.fromState}. */
export interface SparseLinearState {
  /** The weights [outFeatures, inFeatures] in CSR form. */
  csr: CsrMatrix;
  bias: Float32Array | null;
  /** The kernel to use (not re-timed). */
  choice: 'sparse' | 'dense';
  timings: SparseLinearTimings;
  reason?: string;
}

/**
 * An inference-only Linear layer with pruned weights that runs whichever kernel is faster on
 * its real shape: the CSR sparse kernel or the dense float32 GEMM on the pruned weights. Both
 * compute the same function; `fromLinear` times both at construction (at `batchHint` rows) and
 * reports the decision in `choice` and `reason`, so a pruned model is never slower than dense.
 *
 * ```ts
 * const sl = nn.SparseLinear.fromLinear(linear, { sparsity: 0.9, batchHint: 8 });
 * console.log(sl.choice, sl.reason); // 'sparse', 'CSR 0.021 ms vs dense 0.160 ms at batch 8 ...'
 * const y = sl.forward(x);
 * ```
 */
export class SparseLinear implements Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** The pruned weights in CSR form ([outFeatures, inFeatures]). */
  readonly csr: CsrMatrix;
  /** The bias (copied from the Linear), or null. */
  readonly bias: Float32Array | null;
  /** The kernel forward() uses. */
  readonly choice: 'sparse' | 'dense';
  /** Why: the measured times. */
  readonly reason: string;
  readonly timings: SparseLinearTimings;
  training = false;
  private readonly packed: PackedCsrMatrix;
  private readonly dense: Float32Array | null;

  private constructor(linear: Linear | SparseLinearState, csr: CsrMatrix, batch: number) {
    if (!(linear instanceof Linear)) {
      // fromState: the stored choice is kept (no re-timing), so a reloaded layer computes what the saved one did.
      this.inFeatures = csr.cols;
      this.outFeatures = csr.rows;
      this.csr = csr;
      this.bias = linear.bias;
      this.packed = csr.pack();
      this.timings = { ...linear.timings, batch };
      this.choice = linear.choice;
      this.dense = this.choice === 'dense' ? csr.toDense().data : null;
      this.reason = linear.reason ?? `stored choice: ${this.choice === 'sparse' ? 'CSR' : 'dense'}`;
      return;
    }
    this.inFeatures = linear.inFeatures;
    this.outFeatures = linear.outFeatures;
    this.csr = csr;
    this.bias = linear.bias ? linear.bias.data.slice() : null;
    this.packed = csr.pack();
    const dense = csr.toDense().data;
    const x = new Float32Array(batch * this.inFeatures);
    for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.7);
    const y = new Float32Array(batch * this.outFeatures);
    const budget = 40;
    const runSparse = () => { native.spmm(this.packed.raw, x, y, this.bias, batch, false); };
    const runDense = () => {
      native.sgemm(x, dense, y, this.bias, batch, this.outFeatures, this.inFeatures, this.inFeatures, this.inFeatures,
        this.outFeatures, false, true, 1, 0, false);
    };
    // Interleave the two so background load hits both alike.
    const s1 = medianMs(runSparse, budget / 2);
    const d1 = medianMs(runDense, budget / 2);
    const s2 = medianMs(runSparse, budget / 2);
    const d2 = medianMs(runDense, budget / 2);
    const sparseMs = Math.min(s1, s2);
    const denseMs = Math.min(d1, d2);
    this.timings = { sparseMs, denseMs, batch, density: csr.density };
    this.choice = sparseMs <= denseMs ? 'sparse' : 'dense';
    this.dense = this.choice === 'dense' ? dense : null;
    const pct = (csr.density * 100).toFixed(1);
    this.reason = `CSR ${sparseMs.toFixed(4)} ms vs dense ${denseMs.toFixed(4)} ms at batch ${batch} ` +
      `(${this.outFeatures}x${this.inFeatures}, ${pct}% non-zero): ${this.choice === 'sparse' ? 'CSR' : 'dense'} is ` +
      `${(Math.max(sparseMs, denseMs) / Math.max(1e-9, Math.min(sparseMs, denseMs))).toFixed(2)}x faster`;
  }

  /**
   * Prunes `linear`'s weights by magnitude to `sparsity` (or keeps exactly `mask`), builds the
   * CSR form natively and picks CSR or dense by timing both at `batchHint` rows. `linear` is not
   * modified.
   */
  static fromLinear(linear: Linear, options: SparseLinearOptions): SparseLinear {
    if (!(linear instanceof Linear)) throw typeError('linear', 'an nn.Linear', linear);
    const opts = checkOptions<SparseLinearOptions>('options', options);
    for (const key of Object.keys(opts)) {
      if (!['sparsity', 'mask', 'batchHint'].includes(key)) throw rangeError('options', 'only sparsity, mask, batchHint', key);
    }
    if ((opts.sparsity === undefined) === (opts.mask === undefined)) {
      throw rangeError('options', 'exactly one of sparsity and mask', opts.sparsity === undefined ? 'neither' : 'both');
    }
    const batch = opts.batchHint === undefined ? 1 : checkInt('options.batchHint', opts.batchHint, { min: 1, max: 65536 });
    const n = linear.weight.data.length;
    let mask: Uint8Array;
    if (opts.sparsity !== undefined) {
      const s = checkNumber('options.sparsity', opts.sparsity, { min: 0, max: 1 });
      mask = l1Unstructured(linear.weight.data, { amount: Math.round(s * n) });
    } else {
      if (!(opts.mask instanceof Uint8Array)) throw typeError('options.mask', 'a Uint8Array', opts.mask);
      if (opts.mask.length !== n) throw rangeError('options.mask.length', `outFeatures * inFeatures = ${n}`, opts.mask.length);
      mask = opts.mask;
    }
    const w = new Tensor(linear.weight.data, [linear.outFeatures, linear.inFeatures]);
    return new SparseLinear(linear, CsrMatrix.fromDense(w, { mask }), batch);
  }

  /**
   * Rebuilds a layer from its stored state with the stored kernel choice (no timing): used by
   * io.loadModel, so a reloaded model gives bit-identical outputs.
   */
  static fromState(state: SparseLinearState): SparseLinear {
    if (state === null || typeof state !== 'object') throw typeError('state', 'an object { csr, bias, choice, timings }', state);
    const { csr, bias, choice, timings, reason } = state;
    if (!(csr instanceof CsrMatrix)) throw typeError('state.csr', 'a sparse.CsrMatrix', csr);
    if (bias !== null) {
      if (!(bias instanceof Float32Array)) throw typeError('state.bias', 'a Float32Array or null', bias);
      if (bias.length !== csr.rows) throw rangeError('state.bias.length', `${csr.rows} (csr.rows)`, bias.length);
    }
    if (typeof choice !== 'string') throw typeError('state.choice', "'sparse' or 'dense'", choice);
    if (choice !== 'sparse' && choice !== 'dense') throw rangeError('state.choice', "'sparse' or 'dense'", choice);
    const t = checkOptions<SparseLinearTimings>('state.timings', timings);
    const batch = checkInt('state.timings.batch', t.batch, { min: 1, max: 65536 });
    const [sparseMs, denseMs, density] = (['sparseMs', 'denseMs', 'density'] as const).map((k) => checkNumber(`state.timings.${k}`, t[k]));
    if (reason !== undefined && typeof reason !== 'string') throw typeError('state.reason', 'a string', reason);
    return new SparseLinear({ csr, bias, choice, timings: { sparseMs, denseMs, batch, density }, reason }, csr, batch);
  }

  /** Fraction of weights kept. */
  get density(): number {
    return this.csr.density;
  }

  private prepare(x: unknown): { t: Tensor; out: Tensor } {
    const t = checkTensor('x', x, 2);
    if (t.shape[1] !== this.inFeatures) {
      throw shapeError(`SparseLinear: expected x of shape [batch, ${this.inFeatures}] but received [${t.shape.join(', ')}]`);
    }
    return { t, out: Tensor.zeros([t.shape[0], this.outFeatures]) };
  }

  private denseArgs(t: Tensor, out: Tensor): Parameters<typeof native.sgemm> {
    return [t.data, this.dense as Float32Array, out.data, this.bias, t.shape[0], this.outFeatures, this.inFeatures,
      this.inFeatures, this.inFeatures, this.outFeatures, false, true, 1, 0, false];
  }

  /** y = x W^T + b for x [batch, inFeatures] with the chosen kernel. */
  forward(x: Tensor): Tensor {
    const { t, out } = this.prepare(x);
    if (this.choice === 'sparse') native.spmm(this.packed.raw, t.data, out.data, this.bias, t.shape[0], false);
    else native.sgemm(...this.denseArgs(t, out));
    return out;
  }

  /** {@link forward} off the event loop. */
  async forwardAsync(x: Tensor): Promise<Tensor> {
    const { t, out } = this.prepare(x);
    if (this.choice === 'sparse') await native.spmmAsync(this.packed.raw, t.data, out.data, this.bias, t.shape[0], false);
    else await native.sgemmAsync(...this.denseArgs(t, out));
    return out;
  }

  /** No trainable parameters (inference only). */
  parameters(): [] {
    return [];
  }

  /** Accepted for Sequential compatibility; the layer is inference-only either way. */
  train(mode = true): this {
    checkBool('mode', mode);
    return this;
  }

  eval(): this {
    return this;
  }
}
