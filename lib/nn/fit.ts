import { checkBool, checkEnum, checkInt, checkOptions, rangeError, shapeError, typeError } from '../errors';
import { Rng, defaultRng } from '../random';
import { Tensor, checkTensor, numel } from '../tensor';
import { LossResult, Labels, checkLabels, crossEntropyWithLogits } from './loss';
import { argmax } from './metrics';
import type { Module } from './sequential';

/** Anything with `step()` and `zeroGrad()` (every optimizer of lib/optim). */
export interface OptimizerLike {
  step(): unknown;
  zeroGrad(): unknown;
  paramGroups?: Array<{ lr: number }>;
}

/** Anything with `step()` (every LR scheduler of lib/optim; ReduceLROnPlateau takes a metric). */
export interface SchedulerLike {
  step(metric?: number): unknown;
}

/** What the loss function gets besides the model output and the labels of the batch. */
export interface LossContext {
  /** The input rows of the batch. */
  x: Tensor;
  /** Indices of the batch rows in the training set (for per-row side data such as teacher logits). */
  indices: Int32Array;
  /** Epoch (from 0) and batch (from 0) numbers. */
  epoch: number;
  batch: number;
}

/** Computes `{ loss, grad }` of a batch; the default is {@link crossEntropyWithLogits}. */
export type LossFn = (output: Tensor, labels: Int32Array, context: LossContext) => LossResult;

/** Passed to `callbacks.onBatchEnd`. */
export interface BatchLog {
  epoch: number;
  batch: number;
  batches: number;
  loss: number;
  lr?: number;
}

/** Passed to `callbacks.onEpochEnd` and kept in {@link FitHistory.epochs}. */
export interface EpochLog {
  epoch: number;
  /** Mean training loss over the epoch's batches (weighted by rows). */
  loss: number;
  /** Training accuracy from the batches' outputs (argmax), or NaN when the output is not [rows, classes]. */
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  /** Learning rate of the first parameter group at the end of the epoch, when the optimizer exposes it. */
  lr?: number;
  /** Wall time of the epoch in milliseconds. */
  ms: number;
}

/** Options of {@link fit}. */
export interface FitOptions {
  /** Training inputs [rows, ...]. */
  x: Tensor;
  /** Training labels, one class index per row. */
  y: Labels;
  /** Number of passes over the data. Default 1. */
  epochs?: number;
  /** Rows per step. Default 32. */
  batchSize?: number;
  /** Updates the parameters from their gradients. */
  optimizer: OptimizerLike;
  /** Optional learning-rate scheduler, stepped after each batch or each epoch. */
  scheduler?: SchedulerLike;
  /** When to call `scheduler.step()`. Default 'epoch'. */
  schedulerStep?: 'batch' | 'epoch';
  /**
   * Metric given to `scheduler.step(metric)` at the end of each epoch (for ReduceLROnPlateau):
   * 'valLoss', 'valAccuracy' or 'loss'. Default: none (plain `step()`).
   */
  schedulerMetric?: 'loss' | 'valLoss' | 'valAccuracy';
  /** Loss and gradient of a batch. Default: {@link crossEntropyWithLogits}. */
  lossFn?: LossFn;
  /** Evaluated (loss and accuracy, evaluation mode) after every epoch. */
  validation?: { x: Tensor; y: Labels };
  /** onBatchEnd(log) after every step; onEpochEnd(log) after every epoch (return false to stop). */
  callbacks?: { onBatchEnd?: (log: BatchLog) => unknown; onEpochEnd?: (log: EpochLog) => unknown };
  /** Shuffle the rows every epoch. Default true. */
  shuffle?: boolean;
  /** Skip the last batch of an epoch when it is smaller than batchSize (BatchNorm needs 2+ rows). Default false. */
  dropLast?: boolean;
  /** Generator of the shuffles. Default: the package's default generator. */
  rng?: Rng;
  /** Print progress: a bar on a TTY, one line per epoch otherwise. Default false. */
  verbose?: boolean;
  /** Where progress goes. Default process.stderr. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

/** What {@link fit} returns. */
export interface FitHistory {
  epochs: EpochLog[];
  /** True when a callback stopped training early. */
  stopped: boolean;
}

/** A model {@link fit} can train: forward, backward, and (optionally) train()/eval(). */
export type TrainableModel = Module & { backward(gradOut: Tensor): Tensor };

function gatherRows(x: Tensor, idx: Int32Array, start: number, end: number): Tensor {
  const row = x.shape.length > 1 ? numel(x.shape.slice(1)) : 1;
  const out = new Float32Array((end - start) * row);
  for (let i = start; i < end; i++) out.set(x.data.subarray(idx[i] * row, (idx[i] + 1) * row), (i - start) * row);
  return new Tensor(out, [end - start, ...x.shape.slice(1)]);
}

function currentLr(opt: OptimizerLike): number | undefined {
  const g = opt.paramGroups;
  return Array.isArray(g) && g.length > 0 && typeof g[0].lr === 'number' ? g[0].lr : undefined;
}

function fmt(v: number | undefined, digits = 4): string {
  return v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits);
}

/**
 * Evaluates a model in evaluation mode on (x, y): mean loss and accuracy, `batchSize` rows at
 * a time; the model's training mode is restored afterwards.
 */
export function evaluate(model: Module, x: Tensor, y: Labels, options?: { batchSize?: number; lossFn?: LossFn }): { loss: number; accuracy: number } {
  if (model === null || typeof model !== 'object' || typeof (model as Module).forward !== 'function') {
    throw typeError('model', 'a model with a forward(x) method', model);
  }
  const t = checkTensor('x', x);
  const opts = checkOptions<{ batchSize?: number; lossFn?: LossFn }>('options', options);
  const bs = opts.batchSize === undefined ? 256 : checkInt('options.batchSize', opts.batchSize, { min: 1 });
  const rows = t.shape[0] ?? 0;
  const labels = checkLabels('y', y, rows, 2 ** 31 - 1);
  if (opts.lossFn !== undefined && typeof opts.lossFn !== 'function') throw typeError('options.lossFn', 'a function', opts.lossFn);
  const lossFn = opts.lossFn ?? ((out: Tensor, lab: Int32Array) => crossEntropyWithLogits(out, lab));
  const wasTraining = (model as { training?: boolean }).training !== false;
  if (typeof model.eval === 'function') model.eval();
  try {
    let loss = 0, hits = 0;
    const all = new Int32Array(rows);
    for (let i = 0; i < rows; i++) all[i] = i;
    for (let s = 0; s < rows; s += bs) {
      const e = Math.min(rows, s + bs);
      const xb = gatherRows(t, all, s, e);
      const out = model.forward(xb);
      const yb = labels.subarray(s, e);
      loss += lossFn(out, yb, { x: xb, indices: all.subarray(s, e), epoch: 0, batch: s / bs }).loss * (e - s);
      const pred = argmax(out);
      for (let i = 0; i < yb.length; i++) if (pred[i] === yb[i]) hits++;
    }
    return { loss: loss / rows, accuracy: hits / rows };
  } finally {
    if (wasTraining && typeof model.train === 'function') model.train(true);
  }
}

/**
 * Trains a model with mini-batches: for each batch, forward, loss, backward, optimizer step
 * (gradients zeroed first), and the scheduler step when `schedulerStep` is 'batch'. The optimizer
 * and scheduler are duck-typed (`{ step(), zeroGrad() }`, `{ step() }`).
 *
 * ```ts
 * const model = new nn.Sequential(new nn.Linear(64, 64), new nn.ReLU(), new nn.Linear(64, 10));
 * const history = nn.fit(model, {
 *   x, y, epochs: 10, batchSize: 64, optimizer: new optim.Adam(model.parameters(), { lr: 1e-3 }),
 *   validation: { x: xVal, y: yVal }, verbose: true,
 * });
 * ```
 */
export function fit(model: TrainableModel, options: FitOptions): FitHistory {
  if (model === null || typeof model !== 'object' || typeof model.forward !== 'function' || typeof model.backward !== 'function') {
    throw typeError('model', 'a model with forward() and backward()', model);
  }
  if (options === null || typeof options !== 'object') throw typeError('options', 'an options object', options);
  const x = checkTensor('options.x', options.x);
  if (x.shape.length < 1) throw rangeError('options.x.shape', 'at least 1 dimension (the rows)', '[]');
  const rows = x.shape[0];
  const y = checkLabels('options.y', options.y, rows, 2 ** 31 - 1);
  const epochs = options.epochs === undefined ? 1 : checkInt('options.epochs', options.epochs, { min: 0 });
  const batchSize = options.batchSize === undefined ? 32 : checkInt('options.batchSize', options.batchSize, { min: 1 });
  const opt = options.optimizer;
  if (opt === null || typeof opt !== 'object' || typeof opt.step !== 'function' || typeof opt.zeroGrad !== 'function') {
    throw typeError('options.optimizer', 'an optimizer with step() and zeroGrad()', opt);
  }
  const sched = options.scheduler;
  if (sched !== undefined && (sched === null || typeof sched !== 'object' || typeof sched.step !== 'function')) {
    throw typeError('options.scheduler', 'a scheduler with step()', sched);
  }
  const schedulerStep = options.schedulerStep === undefined ? 'epoch' : checkEnum('options.schedulerStep', options.schedulerStep, ['batch', 'epoch'] as const);
  const schedulerMetric = options.schedulerMetric === undefined ? undefined
    : checkEnum('options.schedulerMetric', options.schedulerMetric, ['loss', 'valLoss', 'valAccuracy'] as const);
  if (schedulerMetric !== undefined && schedulerStep !== 'epoch') throw rangeError('options.schedulerStep', "'epoch' when schedulerMetric is set", schedulerStep);
  if (options.lossFn !== undefined && typeof options.lossFn !== 'function') throw typeError('options.lossFn', 'a function', options.lossFn);
  const lossFn: LossFn = options.lossFn ?? ((out, lab) => crossEntropyWithLogits(out, lab));
  let val: { x: Tensor; y: Labels } | undefined;
  if (options.validation !== undefined) {
    const v = options.validation;
    if (v === null || typeof v !== 'object') throw typeError('options.validation', 'an object { x, y }', v);
    const vx = checkTensor('options.validation.x', v.x);
    checkLabels('options.validation.y', v.y, vx.shape[0] ?? 0, 2 ** 31 - 1);
    if (vx.shape.length !== x.shape.length || vx.shape.some((d, i) => i > 0 && d !== x.shape[i])) {
      throw shapeError(`fit: validation.x has shape [${vx.shape.join(', ')}] but x has [${x.shape.join(', ')}]`);
    }
    val = { x: vx, y: v.y };
  }
  if ((schedulerMetric === 'valLoss' || schedulerMetric === 'valAccuracy') && !val) {
    throw rangeError('options.schedulerMetric', "'loss' when no validation set is given", schedulerMetric);
  }
  const cbs = checkOptions<NonNullable<FitOptions['callbacks']>>('options.callbacks', options.callbacks);
  if (cbs.onBatchEnd !== undefined && typeof cbs.onBatchEnd !== 'function') throw typeError('options.callbacks.onBatchEnd', 'a function', cbs.onBatchEnd);
  if (cbs.onEpochEnd !== undefined && typeof cbs.onEpochEnd !== 'function') throw typeError('options.callbacks.onEpochEnd', 'a function', cbs.onEpochEnd);
  const shuffle = options.shuffle === undefined ? true : checkBool('options.shuffle', options.shuffle);
  const dropLast = options.dropLast === undefined ? false : checkBool('options.dropLast', options.dropLast);
  const rng = options.rng === undefined ? defaultRng : options.rng;
  if (!(rng instanceof Rng)) throw typeError('options.rng', 'an Rng', rng);
  const verbose = options.verbose === undefined ? false : checkBool('options.verbose', options.verbose);
  if (options.stream !== undefined && (options.stream === null || typeof (options.stream as { write?: unknown }).write !== 'function')) {
    throw typeError('options.stream', 'a writable stream', options.stream);
  }
  const stream = options.stream ?? process.stderr;
  const batches = dropLast && rows >= batchSize ? Math.floor(rows / batchSize) : Math.ceil(rows / batchSize);
  const used = Math.min(rows, batches * batchSize);
  const progress = verbose ? new Progress(stream, epochs, batches) : null;

  const history: FitHistory = { epochs: [], stopped: false };
  const order = new Int32Array(rows);
  for (let i = 0; i < rows; i++) order[i] = i;
  if (typeof model.train === 'function') model.train(true);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const t0 = performance.now();
    if (shuffle) rng.shuffle(order);
    let lossSum = 0, hits = 0, counted = 0;
    for (let b = 0; b < batches; b++) {
      const s = b * batchSize, e = Math.min(rows, s + batchSize);
      const xb = gatherRows(x, order, s, e);
      const idx = order.slice(s, e);
      const yb = new Int32Array(e - s);
      for (let i = 0; i < yb.length; i++) yb[i] = y[idx[i]];
      opt.zeroGrad();
      const out = model.forward(xb);
      const { loss, grad } = lossFn(out, yb, { x: xb, indices: idx, epoch, batch: b });
      if (!Number.isFinite(loss)) throw rangeError('loss', 'a finite number (training diverged: lower the learning rate)', loss);
      model.backward(grad);
      opt.step();
      if (sched && schedulerStep === 'batch') sched.step();
      lossSum += loss * (e - s);
      if (out.shape.length === 2 && out.shape[0] === e - s) {
        const pred = argmax(out);
        for (let i = 0; i < pred.length; i++) if (pred[i] === yb[i]) hits++;
        counted += e - s;
      }
      const lr = currentLr(opt);
      if (cbs.onBatchEnd) cbs.onBatchEnd({ epoch, batch: b, batches, loss, lr });
      progress?.batch(epoch, b + 1, lossSum / e);
    }
    const log: EpochLog = { epoch, loss: lossSum / used, accuracy: counted > 0 ? hits / counted : NaN, ms: 0 };
    if (val) {
      const r = evaluate(model, val.x, val.y, { lossFn });
      log.valLoss = r.loss;
      log.valAccuracy = r.accuracy;
    }
    if (sched && schedulerStep === 'epoch') {
      if (schedulerMetric === undefined) sched.step();
      else sched.step(schedulerMetric === 'loss' ? log.loss : schedulerMetric === 'valLoss' ? log.valLoss : log.valAccuracy);
    }
    log.lr = currentLr(opt);
    log.ms = performance.now() - t0;
    history.epochs.push(log);
    progress?.epoch(log);
    if (cbs.onEpochEnd && cbs.onEpochEnd(log) === false) {
      history.stopped = true;
      break;
    }
  }
  return history;
}

/** A progress bar on a TTY (redrawn at most every 100 ms), one line per epoch otherwise. */
class Progress {
  private last = 0;
  constructor(private readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    private readonly epochs: number, private readonly batches: number) {}

  batch(epoch: number, done: number, loss: number): void {
    if (!this.out.isTTY) return;
    const now = performance.now();
    if (now - this.last < 100 && done < this.batches) return;
    this.last = now;
    const width = 30;
    const filled = Math.round((done / this.batches) * width);
    const bar = '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? '>' : '') + ' '.repeat(width - filled);
    this.out.write(`\rEpoch ${epoch + 1}/${this.epochs} [${bar}] ${done}/${this.batches} loss ${fmt(loss)}`);
  }

  epoch(log: EpochLog): void {
    const parts = [`Epoch ${log.epoch + 1}/${this.epochs}`, `loss ${fmt(log.loss)}`, `acc ${fmt(log.accuracy)}`];
    if (log.valLoss !== undefined) parts.push(`val_loss ${fmt(log.valLoss)}`, `val_acc ${fmt(log.valAccuracy)}`);
    if (log.lr !== undefined) parts.push(`lr ${log.lr.toPrecision(3)}`);
    parts.push(`${(log.ms / 1000).toFixed(1)}s`);
    this.out.write(`${this.out.isTTY ? '\r\x1b[K' : ''}${parts.join(' - ')}\n`);
  }
}
