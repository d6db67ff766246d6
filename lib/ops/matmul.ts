import { checkBool, checkFloat32Array, checkNumber, checkOptions, rangeError, shapeError, typeError } from '../errors';
import { native } from '../native';
import { Tensor, checkTensor, viewsOverlap } from '../tensor';

/** Options of {@link matmul} (BLAS sgemm semantics plus a fused epilogue). */
export interface MatmulOptions {
  /** Use A transposed: `a` is stored k x m. Default false. */
  transA?: boolean;
  /** Use B transposed: `b` is stored n x k (the nn.Linear weight layout). Default false. */
  transB?: boolean;
  /** Scale of op(A) * op(B). Default 1. */
  alpha?: number;
  /** Scale of the existing `out` contents. Default 0 (then `out` is write-only). Needs `out` when non-zero. */
  beta?: number;
  /** Added to every row after the alpha/beta combination: Float32Array or Tensor of length n. */
  bias?: Float32Array | Tensor;
  /** Apply max(0, x) last. Default false. */
  relu?: boolean;
  /** Output tensor [m, n], written in place; must not overlap `a`, `b` or `bias`. Default: a new tensor. */
  out?: Tensor;
}

interface Prepared {
  args: Parameters<typeof native.sgemm>;
  out: Tensor;
}

function prepare(a: unknown, b: unknown, options: unknown): Prepared {
  const A = checkTensor('a', a, 2);
  const B = checkTensor('b', b, 2);
  const opts = checkOptions<MatmulOptions>('options', options);
  for (const key of Object.keys(opts)) {
    if (!['transA', 'transB', 'alpha', 'beta', 'bias', 'relu', 'out'].includes(key)) {
      throw rangeError('options', 'only transA, transB, alpha, beta, bias, relu, out', key);
    }
  }
  const transA = opts.transA === undefined ? false : checkBool('options.transA', opts.transA);
  const transB = opts.transB === undefined ? false : checkBool('options.transB', opts.transB);
  const alpha = opts.alpha === undefined ? 1 : checkNumber('options.alpha', opts.alpha);
  const beta = opts.beta === undefined ? 0 : checkNumber('options.beta', opts.beta);
  const relu = opts.relu === undefined ? false : checkBool('options.relu', opts.relu);
  const [ar, ac] = A.shape;
  const [br, bc] = B.shape;
  const m = transA ? ac : ar;
  const k = transA ? ar : ac;
  const kb = transB ? bc : br;
  const n = transB ? br : bc;
  if (k !== kb) {
    throw shapeError(`matmul: inner dimensions differ: op(a) is [${m}, ${k}] and op(b) is [${kb}, ${n}]`);
  }
  let bias: Float32Array | null = null;
  if (opts.bias !== undefined && opts.bias !== null) {
    if (opts.bias instanceof Float32Array) bias = opts.bias;
    else if (opts.bias instanceof Tensor) bias = opts.bias.data;
    else throw typeError('options.bias', 'a Float32Array or a Tensor', opts.bias);
    checkFloat32Array('options.bias', bias);
    if (bias.length !== n) throw rangeError('options.bias.length', `${n} (the columns of the result)`, bias.length);
  }
  let out: Tensor;
  if (opts.out !== undefined) {
    out = checkTensor('options.out', opts.out, 2);
    if (out.shape[0] !== m || out.shape[1] !== n) {
      throw rangeError('options.out.shape', `[${m}, ${n}]`, `[${out.shape.join(', ')}]`);
    }
    if (viewsOverlap(out.data, A.data) || viewsOverlap(out.data, B.data) || (bias && viewsOverlap(out.data, bias))) {
      throw rangeError('options.out', 'a tensor that does not share memory with a, b or bias', 'an aliased tensor');
    }
  } else {
    if (beta !== 0) throw rangeError('options.beta', '0 when no options.out is given', beta);
    out = Tensor.zeros([m, n]);
  }
  const lda = Math.max(1, ac);
  const ldb = Math.max(1, bc);
  const ldc = Math.max(1, n);
  return { args: [A.data, B.data, out.data, bias, m, n, k, lda, ldb, ldc, transA, transB, alpha, beta, relu], out };
}

/**
 * Matrix product `alpha * op(a) * op(b) + beta * out (+ bias) (then ReLU)` on the native
 * blocked SIMD GEMM (float32, multi-threaded). `a` and `b` are 2-D tensors.
 *
 * ```ts
 * const y = matmul(x, w, { transB: true, bias: b, relu: true }); // relu(x w^T + b)
 * ```
 */
export function matmul(a: Tensor, b: Tensor, options?: MatmulOptions): Tensor {
  const { args, out } = prepare(a, b, options);
  native.sgemm(...args);
  return out;
}

/**
 * {@link matmul} off the event loop: runs on a libuv worker thread (and the kernel thread
 * pool) and resolves with the output. The inputs and the output stay referenced until the
 * promise settles; do not modify them meanwhile.
 */
export async function matmulAsync(a: Tensor, b: Tensor, options?: MatmulOptions): Promise<Tensor> {
  const { args, out } = prepare(a, b, options);
  await native.sgemmAsync(...args);
  return out;
}
