import { checkEnum, checkOptions, rangeError, typeError } from '../errors';
import { crossEntropy } from '../distill/losses';
import { Tensor, checkTensor } from '../tensor';

/** Class labels: one integer in [0, classes) per row. */
export type Labels = Int32Array | Uint8Array | Uint16Array | Int8Array | Float32Array | readonly number[];

/** Options of {@link crossEntropyWithLogits}. */
export interface CrossEntropyOptions {
  /** 'mean' (default, like PyTorch) or 'sum' over the rows. */
  reduction?: 'mean' | 'sum';
}

/** What {@link crossEntropyWithLogits} returns. */
export interface LossResult {
  /** The reduced loss. */
  loss: number;
  /** dLoss/dLogits, same shape as the logits. */
  grad: Tensor;
}

/** Checks labels against a batch of `rows` and `classes`; returns them as an Int32Array. */
export function checkLabels(name: string, labels: unknown, rows: number, classes: number): Int32Array {
  const ok = Array.isArray(labels) || labels instanceof Int32Array || labels instanceof Uint8Array ||
    labels instanceof Uint16Array || labels instanceof Int8Array || labels instanceof Float32Array;
  if (!ok) throw typeError(name, 'an Int32Array, Uint8Array or array of integer class indices', labels);
  const src = labels as ArrayLike<unknown>;
  if (src.length !== rows) throw rangeError(`${name}.length`, `${rows} (one label per row)`, src.length);
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const v = src[i];
    if (typeof v !== 'number') throw typeError(`${name}[${i}]`, 'an integer class index', v);
    if (!Number.isInteger(v) || v < 0 || v >= classes) throw rangeError(`${name}[${i}]`, `an integer in [0, ${classes})`, v);
    out[i] = v;
  }
  return out;
}

/**
 * Softmax cross-entropy of logits [batch, classes] against integer labels, with its gradient
 * (PyTorch's `F.cross_entropy(logits, labels)`; the arithmetic is `distill.crossEntropy`'s, in
 * float64 with the log-sum-exp shift, so large logits neither overflow nor lose precision). With `reduction: 'mean'` the gradient is
 * `(softmax(logits) - onehot(labels)) / batch`.
 *
 * ```ts
 * const { loss, grad } = nn.crossEntropyWithLogits(model.forward(x), y);
 * model.backward(grad);
 * ```
 */
export function crossEntropyWithLogits(logits: Tensor, labels: Labels, options?: CrossEntropyOptions): LossResult {
  const t = checkTensor('logits', logits, 2);
  const [rows, classes] = t.shape;
  if (classes < 1) throw rangeError('logits.shape[1]', 'at least 1 class', classes);
  const y = checkLabels('labels', labels, rows, classes);
  const opts = checkOptions<CrossEntropyOptions>('options', options);
  const reduction = opts.reduction === undefined ? 'mean' : checkEnum('options.reduction', opts.reduction, ['mean', 'sum'] as const);
  const { loss, grad } = crossEntropy(t, y, { reduction });
  return { loss, grad: new Tensor(grad, [rows, classes]) };
}
