import { checkTensor, Tensor } from '../tensor';
import { shapeError } from '../errors';
import { LoadedTensor, registerLayer } from '../io';
import { Linear } from '../nn/linear';
import type { Module, StateDict } from '../nn/sequential';
import { CsrMatrix, PackedCsrMatrix, QuantizedCsrMatrix, spmm, spmmAsync } from '../sparse';

/**
 * Inference-only Linear layer on the CSR kernels: float32 values, or int8 values with one scale per
 * output row (`int8: true`), with optional fused ReLU. Built from a pruned Linear (its zeros are
 * dropped). Saved by io.saveModel as `row_ptr`, `col_idx`, `values` (+ `scales`) and `bias`.
 */
export class CsrLinear implements Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: CsrMatrix | QuantizedCsrMatrix;
  readonly bias: Float32Array | null;
  readonly relu: boolean;
  training = false;
  private readonly packed: PackedCsrMatrix;

  constructor(weight: CsrMatrix | QuantizedCsrMatrix, bias: Float32Array | null, relu: boolean) {
    this.weight = weight;
    this.inFeatures = weight.cols;
    this.outFeatures = weight.rows;
    this.bias = bias;
    this.relu = relu;
    this.packed = weight.pack();
  }

  /** The CSR form of a (pruned) Linear: its non-zero weights, optionally quantized to int8 per row. */
  static fromLinear(linear: Linear, options: { int8: boolean; relu: boolean }): CsrLinear {
    const csr = CsrMatrix.fromDense(new Tensor(linear.weight.data, [linear.outFeatures, linear.inFeatures]));
    return new CsrLinear(options.int8 ? csr.quantize() : csr, linear.bias ? linear.bias.data.slice() : null, options.relu);
  }

  /** Whether the stored values are int8. */
  get int8(): boolean {
    return this.weight instanceof QuantizedCsrMatrix;
  }

  private check(x: Tensor): Tensor {
    const t = checkTensor('x', x, 2);
    if (t.shape[1] !== this.inFeatures) throw shapeError(`CsrLinear: expected x of shape [batch, ${this.inFeatures}] but received [${t.shape.join(', ')}]`);
    return t;
  }

  /** y = x W^T + b (then ReLU). */
  forward(x: Tensor): Tensor {
    return spmm(this.check(x), this.packed, { bias: this.bias, relu: this.relu });
  }

  /** {@link forward} off the event loop. */
  forwardAsync(x: Tensor): Promise<Tensor> {
    return spmmAsync(this.check(x), this.packed, { bias: this.bias, relu: this.relu });
  }

  /** The CSR arrays (copies) under PyTorch-like names. */
  stateDict(): StateDict {
    const w = this.weight;
    const sd: StateDict = {
      row_ptr: { data: w.rowPtr.slice(), shape: [w.rowPtr.length] },
      col_idx: { data: w.colIdx.slice(), shape: [w.colIdx.length] },
      values: { data: w.values.slice(), shape: [w.values.length] },
    };
    if (w instanceof QuantizedCsrMatrix) sd.scales = { data: w.scales.slice(), shape: [w.scales.length] };
    if (this.bias) sd.bias = { data: this.bias.slice(), shape: [this.bias.length] };
    return sd;
  }

  /** Inference-only: the arrays are fixed at construction (checked against stateDict() by Sequential). */
  loadStateDict(): void {
    // Loading goes through the io codec, which builds a new layer from the arrays.
  }
}

function arr<T>(t: LoadedTensor | undefined, ctor: new (...a: never[]) => T, name: string): T {
  if (!t || !(t.data instanceof ctor)) throw new Error(`CsrLinear ${name} is missing or has the wrong dtype`);
  return t.data as T;
}

registerLayer({
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
