import { rangeError } from '../errors';
import { Tensor, checkTensor } from '../tensor';
import { Labels, checkLabels } from './loss';

/**
 * Index of the largest value of each row of a [rows, cols] tensor (the first one on ties,
 * like PyTorch); a 1-D tensor counts as one row.
 */
export function argmax(x: Tensor): Int32Array {
  const t = checkTensor('x', x);
  if (t.shape.length !== 1 && t.shape.length !== 2) throw rangeError('x.shape', '1 or 2 dimensions', `[${t.shape.join(', ')}]`);
  const [rows, cols] = t.shape.length === 1 ? [1, t.shape[0]] : t.shape;
  if (cols < 1) throw rangeError('x.shape', 'at least one column', `[${t.shape.join(', ')}]`);
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    let best = 0;
    let bestV = t.data[off];
    for (let j = 1; j < cols; j++) {
      const v = t.data[off + j];
      if (v > bestV || (Number.isNaN(v) && !Number.isNaN(bestV))) {
        best = j;
        bestV = v;
      }
    }
    out[i] = best;
  }
  return out;
}

/**
 * Fraction of rows whose prediction equals the label, in [0, 1]. `predictions` is either
 * logits/scores [rows, classes] (their argmax is taken) or class indices (one per row).
 *
 * ```ts
 * const acc = nn.accuracy(model.predict(xTest), yTest); // 0.97
 * ```
 */
export function accuracy(predictions: Tensor | Labels, labels: Labels): number {
  let pred: Int32Array;
  let classes: number;
  if (predictions instanceof Tensor || (typeof predictions === 'object' && predictions !== null && 'shape' in predictions)) {
    const t = checkTensor('predictions', predictions, 2);
    if (t.shape[1] < 1) throw rangeError('predictions.shape', 'at least one column', `[${t.shape.join(', ')}]`);
    pred = argmax(t);
    classes = t.shape[1];
  } else {
    pred = checkLabels('predictions', predictions, (predictions as ArrayLike<number>)?.length ?? 0, 2 ** 31 - 1);
    classes = 2 ** 31 - 1;
  }
  const y = checkLabels('labels', labels, pred.length, classes);
  if (y.length === 0) return NaN;
  let hits = 0;
  for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) hits++;
  return hits / y.length;
}
