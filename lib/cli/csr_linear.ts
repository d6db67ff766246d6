import { checkTensor, Tensor } from '../tensor';
import { shapeError } from '../errors';
import { Linear } from '../nn/linear';
import { native } from '../native';
import type { Module, StateDict } from '../nn/sequential';
import { CsrMatrix, PackedCsrMatrix, QuantizedCsrMatrix, spmmAsync } from '../sparse';

// Saved and loaded by io.saveModel / io.loadModel (codecs 'DenseLinear' and 'CsrLinear' in lib/io/model.ts).

/**
 * Inference-only float32 Linear on the dense float GEMM with bias and optional ReLU fused into
 * one native sgemm call: the fastest float32 form of a Linear (+ ReLU), used for the teacher's
 * latency baseline and as the 'dense f32' candidate of the demo. Saved as `weight` and `bias`.
 */
export class DenseLinear implements Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** [outFeatures x inFeatures], row-major. */
  readonly weight: Float32Array;
  readonly bias: Float32Array | null;
  readonly relu: boolean;
  training = false;

  constructor(inFeatures: number, outFeatures: number, weight: Float32Array, bias: Float32Array | null, relu: boolean) {
    if (weight.length !== inFeatures * outFeatures) throw shapeError(`DenseLinear: weight has ${weight.length} values, expected ${outFeatures}x${inFeatures}`);
    if (bias && bias.length !== outFeatures) throw shapeError(`DenseLinear: bias has ${bias.length} values, expected ${outFeatures}`);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = weight;
    this.bias = bias;
    this.relu = relu;
  }

  /** A copy of `linear`'s weights and bias, with ReLU fused if `relu`. */
  static fromLinear(linear: Linear, options: { relu: boolean }): DenseLinear {
    return new DenseLinear(linear.inFeatures, linear.outFeatures, linear.weight.data.slice(), linear.bias ? linear.bias.data.slice() : null, options.relu);
  }

  /** y = x W^T + b (then ReLU), one native sgemm call. */
  forward(x: Tensor): Tensor {
    const t = checkTensor('x', x, 2);
    if (t.shape[1] !== this.inFeatures) throw shapeError(`DenseLinear: expected x of shape [batch, ${this.inFeatures}] but received [${t.shape.join(', ')}]`);
    const m = t.shape[0];
    const out = Tensor.zeros([m, this.outFeatures]);
    native.sgemm(t.data, this.weight, out.data, this.bias, m, this.outFeatures, this.inFeatures, this.inFeatures, this.inFeatures, this.outFeatures, false, true, 1, 0, this.relu);
    return out;
  }

  stateDict(): StateDict {
    const sd: StateDict = { weight: { data: this.weight.slice(), shape: [this.outFeatures, this.inFeatures] } };
    if (this.bias) sd.bias = { data: this.bias.slice(), shape: [this.outFeatures] };
    return sd;
  }

  /** Inference-only: the arrays are fixed at construction (the io codec builds a new layer). */
  loadStateDict(): void {
    // Loading goes through the io codec.
  }
}

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

  /** y = x W^T + b (then ReLU): one native call on the packed CSR (validated once, at construction). */
  forward(x: Tensor): Tensor {
    const t = this.check(x);
    const out = Tensor.zeros([t.shape[0], this.outFeatures]);
    native.spmm(this.packed.raw, t.data, out.data, this.bias, t.shape[0], this.relu);
    return out;
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
