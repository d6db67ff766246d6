/**
 * Sparse weights in CSR form and the sparse x dense matmul behind nn.SparseLinear.
 *
 * A `rows x cols` matrix is `rowPtr` (rows + 1 offsets), `colIdx` (column of each stored
 * value, strictly increasing within a row) and `values`. Weights use the nn.Linear layout:
 * rows = outFeatures, cols = inFeatures, and {@link spmm} computes `x W^T + bias`.
 */
import { checkBool, checkFloat32Array, checkInt, checkNumber, checkOptions, isDetached, rangeError, shapeError, typeError } from '../errors';
import { RawPackedCsr, native } from '../native';
import { MAX_DIM, Tensor, checkTensor, viewsOverlap } from '../tensor';

/** Options of {@link CsrMatrix.fromDense}: give a threshold or a mask, not both. */
export interface FromDenseOptions {
  /** Keep the elements with `|a| > threshold` (NaN is kept). Default 0: every non-zero. */
  threshold?: number;
  /** Keep exactly the elements whose mask byte is non-zero (explicit zeros included); length rows * cols. */
  mask?: Uint8Array;
}

const TRUSTED = Symbol('trusted');

function checkInt32Array(name: string, v: unknown): Int32Array {
  if (!(v instanceof Int32Array)) throw typeError(name, 'an Int32Array', v);
  if (isDetached(v)) throw typeError(name, 'an Int32Array whose buffer is not detached', v);
  return v;
}

function checkDims(rows: unknown, cols: unknown): [number, number] {
  const r = checkInt('rows', rows, { min: 0, max: MAX_DIM });
  const c = checkInt('cols', cols, { min: 0, max: MAX_DIM });
  return [r, c];
}

/** Full CSR structure check with messages naming the offending element. */
function validateStructure(rows: number, cols: number, rowPtr: Int32Array, colIdx: Int32Array, valuesLength: number, valuesName: string): void {
  if (rowPtr.length !== rows + 1) throw rangeError('rowPtr.length', `rows + 1 = ${rows + 1}`, rowPtr.length);
  if (rowPtr[0] !== 0) throw rangeError('rowPtr[0]', '0', rowPtr[0]);
  const nnz = rowPtr[rows];
  if (colIdx.length !== nnz) throw rangeError('colIdx.length', `rowPtr[rows] = ${nnz}`, colIdx.length);
  if (valuesLength !== nnz) throw rangeError(`${valuesName}.length`, `rowPtr[rows] = ${nnz}`, valuesLength);
  for (let i = 0; i < rows; i++) {
    const a = rowPtr[i];
    const b = rowPtr[i + 1];
    if (b < a) throw rangeError(`rowPtr[${i + 1}]`, `a non-decreasing offset >= rowPtr[${i}] = ${a}`, b);
    if (b > nnz) throw rangeError(`rowPtr[${i + 1}]`, `an offset <= rowPtr[rows] = ${nnz}`, b);
    let prev = -1;
    for (let j = a; j < b; j++) {
      const c = colIdx[j];
      if (c < 0 || c >= cols) throw rangeError(`colIdx[${j}]`, `a column in [0, ${cols}) (row ${i})`, c);
      if (c <= prev) throw rangeError(`colIdx[${j}]`, `a column > ${prev}: columns must be strictly increasing within row ${i}`, c);
      prev = c;
    }
  }
}

function densityOf(nnz: number, rows: number, cols: number): number {
  return rows * cols === 0 ? 0 : nnz / (rows * cols);
}

function toDenseImpl(rows: number, cols: number, rowPtr: Int32Array, colIdx: Int32Array, value: (j: number, row: number) => number): Tensor {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = rowPtr[i]; j < rowPtr[i + 1]; j++) out[i * cols + colIdx[j]] = value(j, i);
  }
  return new Tensor(out, [rows, cols]);
}

/** Round half to even (PyTorch's rounding), for int8 quantization. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 ? 2 * Math.round(x / 2) : r;
}

/**
 * A float32 CSR matrix. The constructor validates user arrays (rowPtr starts at 0, never
 * decreases and ends at nnz; every colIdx is in [0, cols) and strictly increasing within its
 * row; lengths agree) before any native code sees them. The arrays are used as given (no copy).
 *
 * ```ts
 * const w = sparse.CsrMatrix.fromDense(linear.weight, { threshold: 0.01 });
 * console.log(w.nnz, w.density);
 * const y = sparse.spmm(x, w, { bias: linear.bias.data }); // x W^T + b
 * ```
 */
export class CsrMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly rowPtr: Int32Array;
  readonly colIdx: Int32Array;
  readonly values: Float32Array;

  constructor(rows: number, cols: number, rowPtr: Int32Array, colIdx: Int32Array, values: Float32Array, trusted?: typeof TRUSTED) {
    if (trusted === TRUSTED) {
      this.rows = rows;
      this.cols = cols;
    } else {
      [this.rows, this.cols] = checkDims(rows, cols);
      checkInt32Array('rowPtr', rowPtr);
      checkInt32Array('colIdx', colIdx);
      checkFloat32Array('values', values);
      validateStructure(this.rows, this.cols, rowPtr, colIdx, values.length, 'values');
    }
    this.rowPtr = rowPtr;
    this.colIdx = colIdx;
    this.values = values;
  }

  /**
   * Builds the CSR form of a 2-D tensor (or a Parameter-like `{ data, shape }`) natively, in
   * parallel (count, prefix sum, fill). Keeps `|a| > threshold` (default 0: the non-zeros) or
   * exactly the positions where `mask` is non-zero.
   */
  static fromDense(t: Tensor | { data: Float32Array; shape: readonly number[] }, options?: FromDenseOptions): CsrMatrix {
    const x = checkTensor('t', t, 2);
    const opts = checkOptions<FromDenseOptions>('options', options);
    for (const key of Object.keys(opts)) {
      if (key !== 'threshold' && key !== 'mask') throw rangeError('options', 'only threshold or mask', key);
    }
    if (opts.threshold !== undefined && opts.mask !== undefined) {
      throw rangeError('options', 'either threshold or mask, not both', 'both');
    }
    const [rows, cols] = x.shape;
    let mask: Uint8Array | null = null;
    let threshold = 0;
    if (opts.mask !== undefined) {
      if (!(opts.mask instanceof Uint8Array)) throw typeError('options.mask', 'a Uint8Array', opts.mask);
      if (isDetached(opts.mask)) throw typeError('options.mask', 'a Uint8Array whose buffer is not detached', opts.mask);
      if (opts.mask.length !== rows * cols) throw rangeError('options.mask.length', `rows * cols = ${rows * cols}`, opts.mask.length);
      mask = opts.mask;
    } else if (opts.threshold !== undefined) {
      threshold = checkNumber('options.threshold', opts.threshold);
    }
    const rowPtr = new Int32Array(rows + 1);
    const nnz = native.csrCount(x.data, mask, rows, cols, threshold, rowPtr);
    const colIdx = new Int32Array(nnz);
    const values = new Float32Array(nnz);
    native.csrFill(x.data, mask, rows, cols, threshold, rowPtr, colIdx, values);
    return new CsrMatrix(rows, cols, rowPtr, colIdx, values, TRUSTED);
  }

  /** Number of stored values. */
  get nnz(): number {
    return this.rowPtr[this.rows];
  }

  /** nnz / (rows * cols) (0 for an empty shape). */
  get density(): number {
    return densityOf(this.nnz, this.rows, this.cols);
  }

  /** The dense [rows, cols] tensor (zeros where nothing is stored). */
  toDense(): Tensor {
    const v = this.values;
    return toDenseImpl(this.rows, this.cols, this.rowPtr, this.colIdx, (j) => v[j]);
  }

  /**
   * Symmetric per-row int8 quantization of the stored values (pruned and quantized together):
   * `scale[r] = max|v| / 127`, `q = round_half_even(v / scale)` clamped to [-127, 127].
   */
  quantize(): QuantizedCsrMatrix {
    const q = new Int8Array(this.nnz);
    const scales = new Float32Array(this.rows);
    for (let i = 0; i < this.rows; i++) {
      let amax = 0;
      for (let j = this.rowPtr[i]; j < this.rowPtr[i + 1]; j++) amax = Math.max(amax, Math.abs(this.values[j]));
      if (!Number.isFinite(amax)) throw rangeError(`values of row ${i}`, 'finite numbers to quantize', amax);
      const scale = amax > 0 ? Math.fround(amax / 127) : 1;
      scales[i] = scale;
      for (let j = this.rowPtr[i]; j < this.rowPtr[i + 1]; j++) {
        q[j] = Math.max(-127, Math.min(127, roundHalfEven(Math.fround(this.values[j] / scale))));
      }
    }
    return new QuantizedCsrMatrix(this.rows, this.cols, this.rowPtr.slice(), this.colIdx.slice(), q, scales, TRUSTED);
  }

  /** A validated native copy for {@link spmm} (later changes to these arrays do not affect it). */
  pack(): PackedCsrMatrix {
    return new PackedCsrMatrix(native.csrPack(this.rows, this.cols, this.rowPtr, this.colIdx, this.values, null, null), this.nnz, 'float32');
  }
}

/**
 * CSR with int8 values and one float32 scale per row: the stored weight is `scales[row] * values[j]`.
 * Built by {@link CsrMatrix.quantize}, or from user arrays (validated like CsrMatrix).
 */
export class QuantizedCsrMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly rowPtr: Int32Array;
  readonly colIdx: Int32Array;
  readonly values: Int8Array;
  readonly scales: Float32Array;

  constructor(rows: number, cols: number, rowPtr: Int32Array, colIdx: Int32Array, values: Int8Array, scales: Float32Array, trusted?: typeof TRUSTED) {
    if (trusted === TRUSTED) {
      this.rows = rows;
      this.cols = cols;
    } else {
      [this.rows, this.cols] = checkDims(rows, cols);
      checkInt32Array('rowPtr', rowPtr);
      checkInt32Array('colIdx', colIdx);
      if (!(values instanceof Int8Array)) throw typeError('values', 'an Int8Array', values);
      checkFloat32Array('scales', scales, this.rows);
      for (let i = 0; i < scales.length; i++) {
        if (!Number.isFinite(scales[i])) throw rangeError(`scales[${i}]`, 'a finite number', scales[i]);
      }
      validateStructure(this.rows, this.cols, rowPtr, colIdx, values.length, 'values');
    }
    this.rowPtr = rowPtr;
    this.colIdx = colIdx;
    this.values = values;
    this.scales = scales;
  }

  /** Number of stored values. */
  get nnz(): number {
    return this.rowPtr[this.rows];
  }

  /** nnz / (rows * cols) (0 for an empty shape). */
  get density(): number {
    return densityOf(this.nnz, this.rows, this.cols);
  }

  /** The dequantized dense [rows, cols] tensor. */
  toDense(): Tensor {
    const v = this.values;
    const s = this.scales;
    return toDenseImpl(this.rows, this.cols, this.rowPtr, this.colIdx, (j, i) => Math.fround(s[i] * v[j]));
  }

  /** A validated native copy for {@link spmm}. */
  pack(): PackedCsrMatrix {
    return new PackedCsrMatrix(native.csrPack(this.rows, this.cols, this.rowPtr, this.colIdx, null, this.values, this.scales), this.nnz, 'int8');
  }
}

/** An immutable native copy of a CSR matrix, ready for {@link spmm} (no per-call validation). */
export class PackedCsrMatrix {
  /** @internal */
  readonly raw: RawPackedCsr;
  readonly rows: number;
  readonly cols: number;
  readonly nnz: number;
  readonly dtype: 'float32' | 'int8';

  /** @internal */
  constructor(raw: RawPackedCsr, nnz: number, dtype: 'float32' | 'int8') {
    if (raw === null || typeof raw !== 'object' || typeof raw.rows !== 'number' || typeof raw.cols !== 'number' || typeof raw.bytes !== 'number') {
      throw typeError('raw', 'a packed CSR matrix from CsrMatrix.pack()', raw);
    }
    checkInt('nnz', nnz, { min: 0 });
    if (dtype !== 'float32' && dtype !== 'int8') {
      if (typeof dtype !== 'string') throw typeError('dtype', "'float32' or 'int8'", dtype);
      throw rangeError('dtype', "'float32' or 'int8'", dtype);
    }
    this.raw = raw;
    this.rows = raw.rows;
    this.cols = raw.cols;
    this.nnz = nnz;
    this.dtype = dtype;
  }

  /** Bytes of native memory held. */
  get bytes(): number {
    return this.raw.bytes;
  }

  /** nnz / (rows * cols). */
  get density(): number {
    return densityOf(this.nnz, this.rows, this.cols);
  }
}

/** A weight accepted by {@link spmm}. */
export type SparseWeight = CsrMatrix | QuantizedCsrMatrix | PackedCsrMatrix;

/** Options of {@link spmm}. */
export interface SpmmOptions {
  /** Added to every row: length `w.rows`. */
  bias?: Float32Array | Tensor | null;
  /** max(0, .) last. Default false. */
  relu?: boolean;
  /** Output [m, w.rows], written in place; must not overlap x or bias. */
  out?: Tensor;
}

function packedOf(w: unknown): PackedCsrMatrix {
  if (w instanceof PackedCsrMatrix) return w;
  if (w instanceof CsrMatrix || w instanceof QuantizedCsrMatrix) return w.pack();
  throw typeError('w', 'a CsrMatrix, QuantizedCsrMatrix or PackedCsrMatrix', w);
}

function prepare(x: unknown, w: unknown, options: unknown): { args: Parameters<typeof native.spmm>; out: Tensor } {
  const X = checkTensor('x', x, 2);
  const W = packedOf(w);
  const opts = checkOptions<SpmmOptions>('options', options);
  for (const key of Object.keys(opts)) {
    if (!['bias', 'relu', 'out'].includes(key)) throw rangeError('options', 'only bias, relu, out', key);
  }
  const [m, k] = X.shape;
  if (k !== W.cols) throw shapeError(`spmm: x is [${m}, ${k}] but the weight is [${W.rows}, ${W.cols}] (x must have weight.cols columns)`);
  let bias: Float32Array | null = null;
  if (opts.bias !== undefined && opts.bias !== null) {
    bias = opts.bias instanceof Tensor ? opts.bias.data : checkFloat32Array('options.bias', opts.bias);
    if (bias.length !== W.rows) throw rangeError('options.bias.length', `${W.rows} (the weight's rows)`, bias.length);
  }
  const relu = opts.relu === undefined ? false : checkBool('options.relu', opts.relu);
  let out: Tensor;
  if (opts.out !== undefined) {
    out = checkTensor('options.out', opts.out, 2);
    if (out.shape[0] !== m || out.shape[1] !== W.rows) throw rangeError('options.out.shape', `[${m}, ${W.rows}]`, `[${out.shape.join(', ')}]`);
    if (viewsOverlap(out.data, X.data) || (bias && viewsOverlap(out.data, bias))) {
      throw rangeError('options.out', 'a tensor that does not share memory with x or bias', 'an aliased tensor');
    }
  } else {
    out = Tensor.zeros([m, W.rows]);
  }
  return { args: [W.raw, X.data, out.data, bias, m, relu], out };
}

/**
 * `Y = x W^T (+ bias) (then ReLU)` with a sparse W (rows = outputs, cols = inputs) and a dense
 * x [m, cols], on the native SIMD kernels (multi-threaded). Pass a {@link PackedCsrMatrix}
 * (from `w.pack()`) to skip re-validating and copying W on every call.
 */
export function spmm(x: Tensor, w: SparseWeight, options?: SpmmOptions): Tensor {
  const { args, out } = prepare(x, w, options);
  native.spmm(...args);
  return out;
}

/** {@link spmm} off the event loop; inputs and output stay referenced until it settles. */
export async function spmmAsync(x: Tensor, w: SparseWeight, options?: SpmmOptions): Promise<Tensor> {
  const { args, out } = prepare(x, w, options);
  await native.spmmAsync(...args);
  return out;
}
