/**
 * Hinton knowledge-distillation loss with its gradient.
 */
import { checkNumber, checkOptions, rangeError, shapeError, typeError } from '../errors';
import { type Labels, type LossResult, type TensorLike, checkLabels, checkLogits, logSoftmaxRows } from './losses';

/** Options of {@link kdLoss}. */
export interface KdLossOptions {
  /** Softmax temperature T > 0. */
  temperature: number;
  /**
   * Weight of the distillation term in [0, 1]; `1 - alpha` weighs the cross entropy with `labels`.
   * Required with `labels`; without labels it defaults to 1.
   */
  alpha?: number;
  /** Ground-truth class indices (one per row). Without them the loss is the distillation term alone. */
  labels?: Labels;
}

/**
 * Knowledge-distillation loss (Hinton et al. 2015), in PyTorch terms
 *
 * ```
 * loss = alpha * T^2 * F.kl_div(F.log_softmax(s / T, 1), F.softmax(t / T, 1), reduction='batchmean')
 *      + (1 - alpha) * F.cross_entropy(s, labels)            // only with labels
 * ```
 *
 * i.e. `alpha * T^2 * KL(softmax(t/T) || softmax(s/T))` averaged over the batch. `grad` is d loss /
 * d student logits: `alpha * T / B * (softmax(s/T) - softmax(t/T)) + (1 - alpha) / B * (softmax(s) - onehot)`.
 * Computed in float64 with log-sum-exp (finite for logits of magnitude 1e4 and more).
 *
 * @param student - student logits `{ data, shape: [batch, classes] }`
 * @param teacher - teacher logits, same shape
 * @example
 * const { loss, grad } = kdLoss(studentLogits, teacherLogits, { temperature: 4, alpha: 0.9, labels });
 * // backpropagate `grad` through the student
 */
export function kdLoss(student: TensorLike, teacher: TensorLike, opts: KdLossOptions): LossResult<number> {
  const s = checkLogits('student', student);
  const t = checkLogits('teacher', teacher);
  if (s.batch !== t.batch || s.classes !== t.classes) {
    throw shapeError(`Expected teacher.shape (${t.batch}x${t.classes}) to equal student.shape (${s.batch}x${s.classes})`);
  }
  const o = checkOptions<KdLossOptions>('options', opts);
  if (o.temperature === undefined) throw typeError('options.temperature', 'a number > 0', undefined);
  const T = checkNumber('options.temperature', o.temperature, { min: 0, minExclusive: true });
  const hasLabels = o.labels !== undefined;
  if (hasLabels && o.alpha === undefined) throw typeError('options.alpha', 'a number in [0, 1] (required with options.labels)', undefined);
  const alpha = o.alpha === undefined ? 1 : checkNumber('options.alpha', o.alpha, { min: 0, max: 1 });
  const labels = hasLabels ? checkLabels('options.labels', o.labels, s.batch, s.classes) : null;
  const { batch, classes } = s;
  if (batch === 0) throw rangeError('student.shape[0]', 'a batch of at least 1', 0);

  const logq = logSoftmaxRows(s.data, batch, classes, T);
  const logp = logSoftmaxRows(t.data, batch, classes, T);
  const logr = labels && alpha !== 1 ? logSoftmaxRows(s.data, batch, classes) : null;
  const gk = (alpha * T) / batch;
  const gc = (1 - alpha) / batch;
  const grad = new Float32Array(batch * classes);
  let kl = 0;
  let nll = 0;
  for (let b = 0; b < batch; b++) {
    const y = labels ? labels[b] : -1;
    for (let c = 0; c < classes; c++) {
      const i = b * classes + c;
      const p = Math.exp(logp[i]);
      // xlogy(p, p) - p * logq: 0 where p underflows to 0, as in PyTorch's kl_div.
      if (p !== 0) kl += p * (logp[i] - logq[i]);
      let g = gk * (Math.exp(logq[i]) - p);
      if (logr) {
        g += gc * (Math.exp(logr[i]) - (c === y ? 1 : 0));
        if (c === y) nll -= logr[i];
      }
      grad[i] = g;
    }
  }
  const loss = alpha * T * T * (kl / batch) + (logr ? (1 - alpha) * (nll / batch) : 0);
  return { loss, grad };
}
