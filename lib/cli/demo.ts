import * as fs from 'node:fs';
import * as path from 'node:path';
import { Dataset, loadDigits, split } from '../data/dataset';
import { loadMnist } from '../data/idx';
import { kdLoss } from '../distill/kd';
import { loadModel, saveModel } from '../io/model';
import { writeFileAtomic } from '../io/safetensors';
import * as nn from '../nn';
import { sliceRows } from '../nn/sequential';
import { AdamW } from '../optim/adam';
import { CosineAnnealingLR, OneCycleLR } from '../optim/lr_scheduler';
import { globalUnstructured } from '../prune/masks';
import { neurons } from '../prune/neurons';
import type { NeuronImportance } from '../prune/neurons';
import { PolynomialDecay } from '../prune/schedules';
import * as quant from '../quant';
import { Rng, manualSeed } from '../random';
import { cpuInfo, setNumThreads } from '../runtime';
import { Tensor } from '../tensor';
import { CommandSpec, Parsed, UsageError } from './args';
import { CsrLinear, DenseLinear } from './csr_linear';
import { countParams, measureInterleaved } from './measure';
import { StageRow, chartSvg, markdownTable, tableHeader, tableRow } from './report';

/** The `demo` command line. */
export const DEMO_SPEC: CommandSpec = {
  name: 'demo',
  usage: 'nnslim demo [options]',
  summary: 'Run the compression pipeline end to end and report accuracy, size and latency after each stage.',
  description:
    'Stages: teacher (float32 MLP with BatchNorm) -> student distilled from it (kdLoss, AdamW + OneCycleLR)\n' +
    '-> gradual magnitude pruning to --sparsity (PolynomialDecay) while fine-tuning (AdamW + cosine decay)\n' +
    '-> structured pruning: the least important hidden neurons removed (prune.neurons), re-pruned to\n' +
    '--sparsity and fine-tuned -> BatchNorm folded into the Linear layers -> static int8 (calibrated,\n' +
    'QuantizedLinear) -> the fastest int8 kernel per layer (dense int8 or CSR int8, chosen by timing;\n' +
    'float32 kernels with --no-quantize). Bytes on disk are the sizes of the saved .safetensors files;\n' +
    'latencies are medians of repeated runs, all stages interleaved, against the teacher in its fastest\n' +
    'float32 form (BatchNorm folded, bias and ReLU fused into the float GEMM). Data: the embedded UCI\n' +
    'digits, or --data <dir> with MNIST-format IDX files (e.g. /usr/share/datasets/fashion-mnist).\n' +
    'Seeded and reproducible.',
  options: [
    { name: 'data', type: 'string', value: '<dir>', help: 'MNIST-format folder (default: the embedded UCI digits)' },
    { name: 'out', type: 'string', value: '<dir>', help: 'Where report.md, chart.svg and the stage models go', default: './nnslim-report' },
    { name: 'teacher', type: 'string', value: '<file>', help: 'Use this saved teacher (e.g. teacher-float32.safetensors of an earlier run) instead of training one' },
    { name: 'teacher-hidden', type: 'ints', value: '<n,...>', min: 1, max: 65536, help: 'Hidden sizes of the teacher (default: 128,64 for digits, 512,256 for MNIST-format data)' },
    { name: 'student-hidden', type: 'ints', value: '<n,...>', min: 1, max: 65536, help: 'Hidden sizes of the student (default: 96 for digits, 256 for MNIST-format data)' },
    { name: 'epochs', type: 'int', value: '<n>', min: 1, max: 10000, help: 'Teacher epochs (default: 40 for digits, 10 for MNIST-format data)' },
    { name: 'student-epochs', type: 'int', value: '<n>', min: 1, max: 10000, help: 'Distillation epochs (default: 60 for digits, 15 for MNIST-format data)' },
    { name: 'prune-epochs', type: 'int', value: '<n>', min: 1, max: 10000, help: 'Fine-tuning epochs while pruning gradually (default: 60 for digits, 10 for MNIST-format data)' },
    { name: 'finetune-epochs', type: 'int', value: '<n>', min: 0, max: 10000, help: 'Fine-tuning epochs after removing neurons (default: 30 for digits, 5 for MNIST-format data)' },
    { name: 'batch-size', type: 'int', value: '<n>', min: 2, max: 1 << 20, help: 'Training batch size (default: 32 for digits, 128 for MNIST-format data)' },
    { name: 'lr', type: 'number', value: '<x>', min: 1e-8, max: 10, help: 'Peak learning rate of OneCycleLR for the teacher (default: 0.01 for digits, 0.002 for MNIST-format data)' },
    { name: 'student-lr', type: 'number', value: '<x>', min: 1e-8, max: 10, help: 'Peak learning rate of OneCycleLR for the student (default: --lr for digits, 0.003 for MNIST-format data)' },
    { name: 'finetune-lr', type: 'number', value: '<x>', min: 1e-8, max: 10, help: 'Starting learning rate of the pruning fine-tunes, cosine-annealed to 1% of it (default: --student-lr / 2)' },
    { name: 'temperature', type: 'number', value: '<t>', min: 0.01, max: 100, help: 'Distillation temperature (default: 4 for digits, 2 for MNIST-format data)' },
    { name: 'alpha', type: 'number', value: '<a>', min: 0, max: 1, help: 'Weight of the distillation term; 1 - alpha weighs the cross-entropy with the labels (default: 0.9 for digits, 0.5 for MNIST-format data)' },
    { name: 'sparsity', type: 'number', value: '<s>', min: 0, max: 0.999, help: 'Target fraction of zero Linear weights (global magnitude pruning)', default: 0.9 },
    { name: 'neurons', type: 'number', value: '<f>', min: 0, max: 0.99, help: 'Fraction of each hidden layer\'s neurons to remove (0 skips structured pruning; default: 0.25 for digits, 0.15 for MNIST-format data)' },
    { name: 'importance', type: 'choice', choices: ['l1', 'l2', 'apoz', 'meanActivation'], value: '<kind>', help: 'Neuron importance for structured pruning: l1, l2, apoz, meanActivation', default: 'meanActivation' },
    { name: 'calibration', type: 'int', value: '<rows>', min: 1, max: 1 << 20, help: 'Training rows for int8 calibration and activation-based neuron importance', default: 2048 },
    { name: 'quantize', type: 'flag', help: 'Quantize to int8 (on by default; --no-quantize keeps float32 kernels)', default: true },
    { name: 'batchnorm', type: 'flag', help: 'Use BatchNorm1d after each hidden Linear (--no-batchnorm to skip)', default: true },
    { name: 'latency-ms', type: 'int', value: '<ms>', min: 10, max: 600000, help: 'Time budget of the final latency measurement per batch size', default: 3000 },
    { name: 'seed', type: 'int', value: '<n>', min: 0, help: 'Seed of every random choice', default: 0 },
    { name: 'threads', type: 'int', value: '<n>', min: 1, max: 1024, help: 'Kernel threads (default: all cores)' },
    { name: 'verbose', type: 'flag', help: 'One line per training epoch' },
    { name: 'quiet', type: 'flag', help: 'Only the stage tables' },
  ],
};

/** Resolved demo settings. */
export interface DemoOptions {
  data?: string;
  out: string;
  teacher?: string;
  teacherHidden: number[];
  studentHidden: number[];
  epochs: number;
  studentEpochs: number;
  pruneEpochs: number;
  finetuneEpochs: number;
  batchSize: number;
  lr: number;
  studentLr: number;
  finetuneLr: number;
  temperature: number;
  alpha: number;
  sparsity: number;
  neurons: number;
  importance: NeuronImportance;
  calibration: number;
  quantize: boolean;
  batchnorm: boolean;
  latencyMs: number;
  seed: number;
  verbose: boolean;
  quiet: boolean;
}

/** State shared by the stages. */
export interface DemoContext {
  opts: DemoOptions;
  datasetName: string;
  train: Dataset;
  validation: Dataset;
  test: Dataset;
  features: number;
  classes: number;
  /** Models by stage name. */
  models: Map<string, nn.Sequential>;
  /** Lines for report.md about the stages (choices made, skipped stages). */
  notes: string[];
  log(line: string): void;
  rng: Rng;
}

/** A step of the pipeline: returns the model it produced, or a reason to skip. */
export interface Stage {
  name: string;
  run(ctx: DemoContext): nn.Sequential | { skipped: string };
}

function mlp(ctx: DemoContext, hidden: number[], batchnorm: boolean): nn.Sequential {
  const layers: nn.Module[] = [];
  let prev = ctx.features;
  for (const h of hidden) {
    layers.push(new nn.Linear(prev, h, { rng: ctx.rng }));
    if (batchnorm) layers.push(new nn.BatchNorm1d(h));
    layers.push(new nn.ReLU());
    prev = h;
  }
  layers.push(new nn.Linear(prev, ctx.classes, { rng: ctx.rng }));
  return new nn.Sequential(...layers);
}

function linears(model: nn.Sequential): nn.Linear[] {
  return model.layers.filter((l): l is nn.Linear => l instanceof nn.Linear);
}

function clone(model: nn.Sequential): nn.Sequential {
  return loadModel(saveModel(model));
}

function gatherRows(t: Tensor, idx: Int32Array): Tensor {
  const cols = t.shape[1];
  const out = new Float32Array(idx.length * cols);
  for (let i = 0; i < idx.length; i++) out.set(t.data.subarray(idx[i] * cols, (idx[i] + 1) * cols), i * cols);
  return new Tensor(out, [idx.length, cols]);
}

const teacherLogitsCache = new WeakMap<nn.Sequential, Tensor>();

/** kdLoss against the teacher's logits on the training rows of each batch. */
function distillLoss(ctx: DemoContext): nn.LossFn | undefined {
  const teacher = ctx.models.get(TEACHER);
  if (!teacher) return undefined;
  let teacherLogits = teacherLogitsCache.get(teacher);
  if (!teacherLogits) {
    teacherLogits = teacher.predict(ctx.train.x);
    teacherLogitsCache.set(teacher, teacherLogits);
  }
  const logits = teacherLogits;
  const { temperature, alpha } = ctx.opts;
  return (out, labels, c) => {
    const r = kdLoss(out, gatherRows(logits, c.indices), { temperature, alpha, labels });
    return { loss: r.loss, grad: new Tensor(r.grad, out.shape) };
  };
}

/** Global magnitude masks pruning at least `sparsity` of all the weights (the count rounded up). */
function globalMasks(weights: nn.Parameter[], sparsity: number): Uint8Array[] {
  const n = weights.reduce((a, w) => a + w.data.length, 0);
  return globalUnstructured(weights.map((w) => w.data), { amount: Math.min(n, Math.ceil(sparsity * n - 1e-9)) });
}

/** Zeroes the masked-out weights. */
function applyMasks(weights: nn.Parameter[], masks: Uint8Array[] | null): void {
  if (!masks) return;
  weights.forEach((w, i) => {
    const m = masks[i];
    for (let j = 0; j < m.length; j++) if (!m[j]) w.data[j] = 0;
  });
}

/** Fraction of zeros among the Linear weights of a float model. */
function zeroFraction(weights: nn.Parameter[]): number {
  let zeros = 0, n = 0;
  for (const w of weights) {
    n += w.data.length;
    for (const v of w.data) if (v === 0) zeros++;
  }
  return n ? zeros / n : 0;
}

interface TrainSpec {
  label: string;
  epochs: number;
  /** 'onecycle': OneCycleLR peaking at `lr`; 'cosine': cosine annealing from opts.finetuneLr to 1% of it. */
  schedule: 'onecycle' | 'cosine';
  lr?: number;
  lossFn?: nn.LossFn;
  weightDecay: number;
  /** Called after every optimizer step with the step number (from 0). */
  afterStep?: (step: number) => void;
}

function train(ctx: DemoContext, model: nn.Sequential, spec: TrainSpec): void {
  const o = ctx.opts;
  const steps = Math.floor(ctx.train.x.shape[0] / o.batchSize) || 1;
  const lr = spec.lr ?? (spec.schedule === 'onecycle' ? o.lr : o.finetuneLr);
  const opt = new AdamW(model.parameters(), { lr, weightDecay: spec.weightDecay });
  const scheduler = spec.schedule === 'onecycle'
    ? new OneCycleLR(opt, { maxLr: lr, epochs: spec.epochs, stepsPerEpoch: steps })
    : new CosineAnnealingLR(opt, { tMax: Math.max(1, steps * spec.epochs), etaMin: lr / 100 });
  let step = 0;
  let valAcc = NaN;
  const t0 = performance.now();
  model.train();
  nn.fit(model, {
    x: ctx.train.x, y: ctx.train.y, epochs: spec.epochs, batchSize: o.batchSize, dropLast: true, rng: ctx.rng,
    optimizer: opt, scheduler, schedulerStep: 'batch', lossFn: spec.lossFn,
    validation: { x: ctx.validation.x, y: ctx.validation.y },
    verbose: o.verbose || (!o.quiet && process.stderr.isTTY === true),
    callbacks: {
      onBatchEnd: () => spec.afterStep?.(step++),
      onEpochEnd: (l: nn.EpochLog) => { if (l.valAccuracy !== undefined) valAcc = l.valAccuracy; },
    },
  });
  model.eval();
  if (!o.quiet) ctx.log(`  ${spec.label}: ${spec.epochs} epochs in ${((performance.now() - t0) / 1000).toFixed(1)} s, validation accuracy ${(valAcc * 100).toFixed(2)}%`);
}

/**
 * Fine-tunes `model` (KD, AdamW + cosine) for `epochs` while global magnitude pruning raises the
 * sparsity of its Linear weights from `initialSparsity` to opts.sparsity (PolynomialDecay, reached
 * after 70% of the steps; tfmot's recipe); the masks hold in between. Returns a function that
 * applies the final sparsity (call it after training). With opts.sparsity 0, only fine-tunes.
 */
function pruneWhileTraining(ctx: DemoContext, model: nn.Sequential, label: string, epochs: number, initialSparsity: number): () => void {
  const target = ctx.opts.sparsity;
  const weights = linears(model).map((l) => l.weight);
  let masks: Uint8Array[] | null = null;
  const prune = (amount: number) => {
    masks = globalMasks(weights, amount);
    applyMasks(weights, masks);
  };
  const finish = () => { if (target > 0) prune(Math.max(target, initialSparsity)); };
  if (epochs === 0) return finish;
  const steps = (Math.floor(ctx.train.x.shape[0] / ctx.opts.batchSize) || 1) * epochs;
  const endStep = Math.max(1, Math.floor(steps * 0.7));
  const from = Math.min(initialSparsity, target);
  const schedule = target > 0 ? new PolynomialDecay({ initialSparsity: from, finalSparsity: target, beginStep: 0, endStep, frequency: Math.max(1, Math.floor(endStep / 20)) }) : null;
  if (initialSparsity > 0 && target > 0) prune(from);
  train(ctx, model, {
    label, epochs, schedule: 'cosine', weightDecay: 0, lossFn: distillLoss(ctx),
    afterStep: (step) => {
      const d = schedule?.call(step);
      if (d && d.shouldPrune && d.sparsity > 0) prune(d.sparsity);
      else applyMasks(weights, masks);
    },
  });
  return finish;
}

const TEACHER = 'teacher (float32)';
const STUDENT = 'student (distilled)';
const PRUNED = 'pruned (gradual)';
const STRUCTURED = 'structured (neurons)';
const FOLDED = 'fold BatchNorm';
const INT8 = 'int8 (static)';
const FASTEST = 'fastest kernels';

/** The last float32 student of the pipeline. */
function latestFloat(ctx: DemoContext): nn.Sequential | undefined {
  return ctx.models.get(FOLDED) ?? ctx.models.get(STRUCTURED) ?? ctx.models.get(PRUNED) ?? ctx.models.get(STUDENT);
}

function calibrationRows(ctx: DemoContext): Tensor {
  return sliceRows(ctx.train.x, 0, Math.min(ctx.train.x.shape[0], ctx.opts.calibration));
}

/**
 * The fastest float32 form of a model for inference: BatchNorm1d folded into the Linear before
 * it, ReLU fused into the GEMM (DenseLinear), so every Linear is one native sgemm call. Same
 * outputs up to float rounding; used as the teacher's latency baseline.
 */
export function fusedFloat(model: nn.Sequential): nn.Sequential {
  const layers: nn.Module[] = [];
  const src = model.layers;
  for (let i = 0; i < src.length; i++) {
    const layer = src[i];
    if (!(layer instanceof nn.Linear)) { layers.push(layer); continue; }
    const l = src[i + 1] instanceof nn.BatchNorm1d ? nn.foldBatchNorm(layer, src[++i] as nn.BatchNorm1d) : layer;
    const relu = src[i + 1] instanceof nn.ReLU;
    if (relu) i++;
    layers.push(DenseLinear.fromLinear(l, { relu }));
  }
  return new nn.Sequential(...layers).eval();
}

/** The pipeline, in order. */
export const STAGES: Stage[] = [
  {
    name: TEACHER,
    run(ctx) {
      if (ctx.opts.teacher !== undefined) {
        const model = loadModel(ctx.opts.teacher);
        const ls = linears(model);
        if (ls.length === 0 || ls[0].inFeatures !== ctx.features || ls[ls.length - 1].outFeatures !== ctx.classes) {
          throw new UsageError(`--teacher: ${ctx.opts.teacher} is not a model with ${ctx.features} inputs and ${ctx.classes} outputs`);
        }
        if (!ctx.opts.quiet) ctx.log(`  teacher: loaded from ${ctx.opts.teacher}`);
        return model;
      }
      const model = mlp(ctx, ctx.opts.teacherHidden, ctx.opts.batchnorm);
      train(ctx, model, { label: 'teacher', epochs: ctx.opts.epochs, schedule: 'onecycle', weightDecay: 1e-4 });
      return model;
    },
  },
  {
    name: STUDENT,
    run(ctx) {
      const lossFn = distillLoss(ctx);
      if (!lossFn) return { skipped: 'no teacher' };
      const student = mlp(ctx, ctx.opts.studentHidden, ctx.opts.batchnorm);
      train(ctx, student, { label: 'student', epochs: ctx.opts.studentEpochs, schedule: 'onecycle', lr: ctx.opts.studentLr, weightDecay: 1e-4, lossFn });
      return student;
    },
  },
  {
    name: PRUNED,
    run(ctx) {
      const student = ctx.models.get(STUDENT);
      if (!student) return { skipped: 'no student' };
      if (ctx.opts.sparsity === 0) return { skipped: '--sparsity 0' };
      const model = clone(student);
      const weights = linears(model).map((l) => l.weight);
      const prune = pruneWhileTraining(ctx, model, 'pruning', ctx.opts.pruneEpochs, 0);
      prune();
      if (!ctx.opts.quiet) ctx.log(`  pruned to ${(zeroFraction(weights) * 100).toFixed(1)}% zero Linear weights (global magnitude, PolynomialDecay)`);
      return model;
    },
  },
  {
    name: STRUCTURED,
    run(ctx) {
      const src = ctx.models.get(PRUNED) ?? ctx.models.get(STUDENT);
      if (!src) return { skipped: 'no student' };
      if (ctx.opts.neurons === 0) return { skipped: '--neurons 0' };
      const model = clone(src);
      const before = linears(model).map((l) => l.outFeatures);
      const calibration = calibrationRows(ctx);
      const shapes: string[] = [];
      // Every hidden Linear loses its least important neurons (and the next Linear the matching inputs).
      for (let i = 0; i < model.layers.length; i++) {
        const l = model.layers[i];
        if (!(l instanceof nn.Linear) || l === linears(model).at(-1)) continue;
        const r = neurons(model, i, { amount: ctx.opts.neurons, importance: ctx.opts.importance, calibration });
        shapes.push(`${l.outFeatures} -> ${r.kept.length}`);
      }
      const weights = linears(model).map((l) => l.weight);
      const msg = `removed neurons by ${ctx.opts.importance} (hidden ${shapes.join(', ')}; student ${before.join('-')} -> ${linears(model).map((l) => l.outFeatures).join('-')})`;
      ctx.notes.push(`- ${STRUCTURED}: ${msg}`);
      if (!ctx.opts.quiet) ctx.log(`  ${msg}, ${(zeroFraction(weights) * 100).toFixed(1)}% zero weights left`);
      // Back to the target sparsity on the smaller matrices, gradually while fine-tuning.
      const prune = pruneWhileTraining(ctx, model, 'fine-tuning', ctx.opts.finetuneEpochs, zeroFraction(weights));
      prune();
      return model;
    },
  },
  {
    name: FOLDED,
    run(ctx) {
      const src = ctx.models.get(STRUCTURED) ?? ctx.models.get(PRUNED) ?? ctx.models.get(STUDENT);
      if (!src) return { skipped: 'no student' };
      if (!src.layers.some((l) => l instanceof nn.BatchNorm1d)) return { skipped: 'no BatchNorm1d (--no-batchnorm)' };
      const layers: nn.Module[] = [];
      for (let i = 0; i < src.layers.length; i++) {
        const l = src.layers[i], next = src.layers[i + 1];
        if (l instanceof nn.Linear && next instanceof nn.BatchNorm1d) {
          layers.push(nn.foldBatchNorm(l, next));
          i++;
        } else {
          layers.push(l);
        }
      }
      return new nn.Sequential(...layers);
    },
  },
  {
    name: INT8,
    run(ctx) {
      if (!ctx.opts.quantize) return { skipped: '--no-quantize' };
      const src = latestFloat(ctx);
      if (!src) return { skipped: 'no student' };
      const cal = calibrationRows(ctx);
      const batches: Tensor[] = [];
      for (let s = 0; s < cal.shape[0]; s += 256) batches.push(sliceRows(cal, s, Math.min(cal.shape[0], s + 256)));
      // PyTorch's defaults: min-max observers on the inputs (quint8 affine), symmetric per-channel int8 weights.
      return quant.quantizeStatic(src, batches, { perChannel: true });
    },
  },
  {
    name: FASTEST,
    run(ctx) {
      const float = latestFloat(ctx);
      if (!float) return { skipped: 'no student' };
      const int8 = ctx.models.get(INT8);
      const int8Layers = int8 ? int8.layers.filter((l) => l instanceof nn.QuantizedLinear) : [];
      // Per Linear (+ ReLU): the candidate forms, timed at batch 1 and 64 on the layer's real inputs
      // (test rows run through the float layers before it). With int8 on, only the int8 forms are
      // eligible (the float ones are timed for the record).
      interface Slot { fixed?: nn.Module; label?: string; names: string[]; forms: nn.Module[]; eligible: number[]; t1: number[]; t64: number[] }
      const slots: Slot[] = [];
      let q = 0;
      let h1 = sliceRows(ctx.test.x, 0, 1), h64 = sliceRows(ctx.test.x, 0, 64);
      for (let i = 0; i < float.layers.length; i++) {
        const l = float.layers[i];
        if (!(l instanceof nn.Linear)) {
          slots.push({ fixed: l, names: [], forms: [], eligible: [], t1: [], t64: [] });
          h1 = l.forward(h1); h64 = l.forward(h64);
          continue;
        }
        const relu = float.layers[i + 1] instanceof nn.ReLU;
        const cands: Array<[string, nn.Module, boolean]> = [
          ['dense f32', DenseLinear.fromLinear(l, { relu }), !ctx.opts.quantize],
          ['CSR f32', CsrLinear.fromLinear(l, { int8: false, relu }), !ctx.opts.quantize],
        ];
        const dq = int8Layers[q++];
        if (ctx.opts.quantize) {
          if (dq) cands.push(['dense int8', dq, true]);
          cands.push(['CSR int8', CsrLinear.fromLinear(l, { int8: true, relu }), true]);
        }
        const runs = cands.map((c) => (x: Tensor) => c[1].forward(x));
        const t1 = measureInterleaved(runs, h1, { budgetMs: 200 });
        const t64 = measureInterleaved(runs, h64, { budgetMs: 200 });
        slots.push({
          label: `${l.outFeatures}x${l.inFeatures} (${(100 * (1 - zeroFraction([l.weight]))).toFixed(1)}% non-zero)`,
          names: cands.map((c) => c[0]), forms: cands.map((c) => c[1]), eligible: cands.map((_, k) => k).filter((k) => cands[k][2]), t1, t64,
        });
        h1 = l.forward(h1); h64 = l.forward(h64);
        if (relu) {
          i++;
          h1 = float.layers[i].forward(h1); h64 = float.layers[i].forward(h64);
        }
      }
      // The teacher's times, to weigh the two batch sizes: pick the combination of forms whose
      // estimated model time (the sum of its layers') gives the largest worse-of-the-two speed-up.
      const teacher = ctx.models.get(TEACHER);
      let w1 = 1, w64 = 1;
      if (teacher) {
        const tf = fusedFloat(teacher);
        w1 = measureInterleaved([(x) => tf.forward(x)], sliceRows(ctx.test.x, 0, 1), { budgetMs: 200 })[0];
        w64 = measureInterleaved([(x) => tf.forward(x)], sliceRows(ctx.test.x, 0, 64), { budgetMs: 200 })[0];
      }
      const linearSlots = slots.filter((sl) => !sl.fixed);
      const pickOf: number[] = linearSlots.map((sl) => sl.eligible[0]);
      const combos = linearSlots.reduce((n, sl) => n * sl.eligible.length, 1);
      const cost = (choice: number[]) => {
        let a = 0, b = 0;
        linearSlots.forEach((sl, j) => { a += sl.t1[choice[j]]; b += sl.t64[choice[j]]; });
        return Math.max(a / w1, b / w64);
      };
      if (combos <= 4096) {
        let best = Infinity;
        const cur = [...pickOf];
        const walk = (j: number) => {
          if (j === linearSlots.length) {
            const c = cost(cur);
            if (c < best) { best = c; pickOf.splice(0, pickOf.length, ...cur); }
            return;
          }
          for (const k of linearSlots[j].eligible) { cur[j] = k; walk(j + 1); }
        };
        walk(0);
      } else {
        linearSlots.forEach((sl, j) => {
          pickOf[j] = sl.eligible.reduce((bk, k) => (Math.max(sl.t1[k] / w1, sl.t64[k] / w64) < Math.max(sl.t1[bk] / w1, sl.t64[bk] / w64) ? k : bk));
        });
      }
      const layers: nn.Module[] = [];
      const choices: string[] = [];
      let j = 0;
      for (const sl of slots) {
        if (sl.fixed) { layers.push(sl.fixed); continue; }
        const k = pickOf[j++];
        layers.push(sl.forms[k]);
        const timing = sl.names.map((n, c) => `${n} ${(sl.t1[c] * 1000).toFixed(1)}/${(sl.t64[c] * 1000).toFixed(1)} us`).join(', ');
        choices.push(`${sl.label}: ${sl.names[k]} [b1/b64: ${timing}]`);
      }
      if (!ctx.opts.quiet) for (const c of choices) ctx.log(`  ${c}`);
      ctx.notes.push(...choices.map((c) => `- ${FASTEST}: ${c}`));
      ctx.notes.push(`- ${FASTEST}: forms chosen to maximize the smaller of the batch-1 and batch-64 speed-ups over the teacher (model time estimated as the sum of its layers' times)`);
      return new nn.Sequential(...layers);
    },
  },
];

function pick<T>(v: unknown, dflt: T): T {
  return v === undefined ? dflt : (v as T);
}

/** Resolves parsed arguments into demo settings (defaults depend on the data set). */
export function resolveDemoOptions(p: Parsed): DemoOptions {
  const o = p.options;
  const mnist = o.data !== undefined;
  if (o.verbose && o.quiet) throw new UsageError('--verbose and --quiet exclude each other');
  const lr = pick(o.lr, mnist ? 0.002 : 0.01);
  const studentLr = pick(o['student-lr'], mnist ? 0.003 : lr);
  return {
    data: o.data as string | undefined,
    out: o.out as string,
    teacher: o.teacher as string | undefined,
    teacherHidden: pick(o['teacher-hidden'], mnist ? [512, 256] : [128, 64]),
    studentHidden: pick(o['student-hidden'], mnist ? [256] : [96]),
    epochs: pick(o.epochs, mnist ? 10 : 40),
    studentEpochs: pick(o['student-epochs'], mnist ? 15 : 60),
    pruneEpochs: pick(o['prune-epochs'], mnist ? 10 : 60),
    finetuneEpochs: pick(o['finetune-epochs'], mnist ? 5 : 30),
    batchSize: pick(o['batch-size'], mnist ? 128 : 32),
    lr,
    studentLr,
    finetuneLr: pick(o['finetune-lr'], studentLr / 2),
    temperature: pick(o.temperature, mnist ? 2 : 4),
    alpha: pick(o.alpha, mnist ? 0.5 : 0.9),
    sparsity: o.sparsity as number,
    neurons: pick(o.neurons, mnist ? 0.15 : 0.25),
    importance: o.importance as NeuronImportance,
    calibration: o.calibration as number,
    quantize: o.quantize as boolean,
    batchnorm: o.batchnorm as boolean,
    latencyMs: o['latency-ms'] as number,
    seed: o.seed as number,
    verbose: o.verbose === true,
    quiet: o.quiet === true,
  };
}

function loadData(opts: DemoOptions): { name: string; train: Dataset; validation: Dataset; test: Dataset } {
  if (opts.data === undefined) {
    const parts = split(loadDigits(), { validation: 0.1, test: 0.2, seed: opts.seed });
    return { name: 'UCI digits (embedded, 8x8)', ...parts };
  }
  if (!fs.existsSync(opts.data) || !fs.statSync(opts.data).isDirectory()) throw new UsageError(`--data: no folder ${opts.data}`);
  const { train, test } = loadMnist(opts.data);
  const parts = split(train, { validation: 0.1, test: 0, seed: opts.seed });
  return { name: `${path.basename(path.resolve(opts.data))} (${opts.data})`, train: parts.train, validation: parts.validation, test };
}

function fileName(stage: string): string {
  return `${stage.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase()}.safetensors`;
}

function sameBits(a: Tensor, b: Tensor): boolean {
  return a.data.length === b.data.length && Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength));
}

/** What the final model is made of: its Linear-like layers, zero weights, int8 or not. */
export interface ModelSummary {
  linearLayers: number;
  int8Layers: number;
  weights: number;
  zeroWeights: number;
}

/** Counts the weights (stored or implied zeros) of every Linear-like layer of a model. */
export function summarize(model: nn.Sequential): ModelSummary {
  const s: ModelSummary = { linearLayers: 0, int8Layers: 0, weights: 0, zeroWeights: 0 };
  for (const l of model.layers) {
    let n = 0, nz = 0, int8 = false;
    if (l instanceof nn.Linear || l instanceof DenseLinear) {
      const w = l instanceof nn.Linear ? l.weight.data : l.weight;
      n = w.length;
      for (const v of w) if (v !== 0) nz++;
    } else if (l instanceof nn.QuantizedLinear || l instanceof nn.DynamicQuantizedLinear) {
      n = l.weight.data.length;
      for (const v of l.weight.data) if (v !== 0) nz++;
      int8 = true;
    } else if (l instanceof CsrLinear) {
      n = l.inFeatures * l.outFeatures;
      for (const v of l.weight.values) if (v !== 0) nz++;
      int8 = l.int8;
    } else {
      continue;
    }
    s.linearLayers++;
    if (int8) s.int8Layers++;
    s.weights += n;
    s.zeroWeights += n - nz;
  }
  return s;
}

interface Measured {
  name: string;
  model: nn.Sequential;
  accuracy: number;
  bytes: number;
  file: string;
}

function rowsFor(measured: Measured[], lat1: number[], lat64: number[], teacherIndex: number): StageRow[] {
  return measured.map((m, i) => ({
    stage: m.name, accuracy: m.accuracy, params: countParams(m.model).nonzero, bytes: m.bytes, latency1: lat1[i], latency64: lat64[i],
    speedup1: lat1[teacherIndex] / lat1[i], speedup64: lat64[teacherIndex] / lat64[i],
  }));
}

/** Runs the demo pipeline; returns the stage rows. Writes report.md, chart.svg and the stage models into opts.out. */
export function runDemo(p: Parsed, out: (line: string) => void, threads?: number): StageRow[] {
  const opts = resolveDemoOptions(p);
  if (threads !== undefined) setNumThreads(threads);
  manualSeed(opts.seed);
  const data = loadData(opts);
  const ctx: DemoContext = {
    opts, datasetName: data.name, train: data.train, validation: data.validation, test: data.test,
    features: data.train.x.shape[1], classes: Math.max(data.train.numClasses, data.test.numClasses),
    models: new Map(), notes: [], log: out, rng: new Rng(opts.seed),
  };
  const info = cpuInfo();
  const t0 = performance.now();
  out(`nnslim demo: ${ctx.datasetName}: ${ctx.train.x.shape[0]} train / ${ctx.validation.x.shape[0]} validation / ${ctx.test.x.shape[0]} test rows, ${ctx.features} features, ${ctx.classes} classes`);
  out(`CPU: ${info.arch}, ISA ${info.isa}, ${info.numThreads} threads, sgemm ${info.kernels.sgemm ?? '?'}; seed ${opts.seed}`);
  fs.mkdirSync(opts.out, { recursive: true });
  const x1 = sliceRows(ctx.test.x, 0, 1), x64 = sliceRows(ctx.test.x, 0, 64);
  const measured: Measured[] = [];
  let teacherFast: nn.Sequential | null = null;
  let headerPrinted = false;
  for (const stage of STAGES) {
    const r = stage.run(ctx);
    if (!(r instanceof nn.Sequential)) {
      ctx.notes.push(`- ${stage.name}: skipped (${r.skipped})`);
      if (!opts.quiet) out(`  ${stage.name}: skipped (${r.skipped})`);
      continue;
    }
    r.eval();
    ctx.models.set(stage.name, r);
    const predictions = r.predict(ctx.test.x);
    const accuracy = nn.accuracy(predictions, ctx.test.y);
    // Bytes on disk: the size of the saved file; reloading it must give the same outputs bit for bit.
    const file = path.join(opts.out, fileName(stage.name));
    saveModel(r, file, { 'nnslim.stage': stage.name });
    const bytes = fs.statSync(file).size;
    if (!sameBits(loadModel(file).predict(ctx.test.x), predictions)) {
      ctx.notes.push(`- ${stage.name}: the reloaded ${path.basename(file)} does NOT reproduce the outputs bit for bit`);
      out(`  ${stage.name}: WARNING: reloaded model differs`);
    }
    if (stage.name === TEACHER) teacherFast = fusedFloat(r);
    const m: Measured = { name: stage.name, model: r, accuracy, bytes, file };
    measured.push(m);
    // A first look: this stage against the teacher, interleaved (the final table re-measures all stages together).
    const pair = [(x: Tensor) => (teacherFast as nn.Sequential).forward(x), (x: Tensor) => r.forward(x)];
    const l1 = measureInterleaved(pair, x1, { budgetMs: 200 });
    const l64 = measureInterleaved(pair, x64, { budgetMs: 200 });
    const [row] = rowsFor([m], [l1[1]], [l64[1]], 0).map((rw) => ({ ...rw, speedup1: l1[0] / l1[1], speedup64: l64[0] / l64[1] }));
    if (stage.name === TEACHER) Object.assign(row, { stage: `${TEACHER} *`, latency1: l1[0], latency64: l64[0], speedup1: 1, speedup64: 1 });
    if (!headerPrinted) {
      out('');
      out(tableHeader());
      headerPrinted = true;
    }
    out(tableRow(row));
  }
  if (!teacherFast || measured.length === 0) throw new Error('no teacher model');
  // Final latencies: every stage interleaved round by round on the same inputs, medians.
  const runs = [teacherFast, ...measured.map((m) => m.model)].map((model) => (x: Tensor) => model.forward(x));
  const lat1 = measureInterleaved(runs, x1, { budgetMs: opts.latencyMs });
  const lat64 = measureInterleaved(runs, x64, { budgetMs: opts.latencyMs });
  const rows = rowsFor(measured, lat1.slice(1), lat64.slice(1), 0).map((r) => ({ ...r, speedup1: lat1[0] / r.latency1, speedup64: lat64[0] / r.latency64 }));
  rows[0] = { ...rows[0], stage: `${TEACHER} *`, latency1: lat1[0], latency64: lat64[0], speedup1: 1, speedup64: 1 };
  out('');
  out('Final table (latency: all stages interleaved round by round, medians):');
  out(tableHeader());
  for (const r of rows) out(tableRow(r));
  const checks = acceptance(ctx, measured, rows);
  out('');
  out('* the teacher\'s latency is that of its fastest float32 form (BatchNorm folded, bias and ReLU fused into nnslim\'s sgemm; same outputs).');
  for (const c of checks) out(c);
  writeReport(ctx, rows, checks, (performance.now() - t0) / 1000);
  out('');
  out(`Report: ${path.join(opts.out, 'report.md')} and ${path.join(opts.out, 'chart.svg')} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  return rows;
}

/** The issue's targets for the final model against the teacher, checked on this run's figures. */
function acceptance(ctx: DemoContext, measured: Measured[], rows: StageRow[]): string[] {
  const last = measured.length - 1;
  const final = measured[last], teacher = rows[0], f = rows[last];
  const student = ctx.models.get(STUDENT);
  const s = summarize(final.model);
  const studentWeights = student ? summarize(student).weights : s.weights;
  const zero = s.zeroWeights / Math.max(1, s.weights);
  const vsStudent = 1 - (s.weights - s.zeroWeights) / Math.max(1, studentWeights);
  const gap = (teacher.accuracy - f.accuracy) * 100;
  const mark = (ok: boolean) => (ok ? 'yes' : 'NO ');
  return [
    `Final model (${final.name}) against the teacher (issue 6's targets, stated for Fashion-MNIST):`,
    `  [${mark(teacher.accuracy >= 0.89)}] teacher test accuracy ${(teacher.accuracy * 100).toFixed(2)}% (>= 89%)`,
    `  [${mark(zero >= 0.9)}] ${(zero * 100).toFixed(1)}% of its ${s.weights.toLocaleString('en-US')} Linear weights are zero (>= 90%); ${(vsStudent * 100).toFixed(1)}% fewer non-zero weights than the dense student's ${studentWeights.toLocaleString('en-US')}`,
    `  [${mark(s.linearLayers > 0 && s.int8Layers === s.linearLayers)}] int8: ${s.int8Layers} of ${s.linearLayers} Linear layers`,
    `  [${mark(gap <= 1.5)}] test accuracy ${(f.accuracy * 100).toFixed(2)}%, ${gap.toFixed(2)} points below the teacher (<= 1.5)`,
    `  [${mark(teacher.bytes / f.bytes >= 10)}] ${(teacher.bytes / f.bytes).toFixed(1)}x smaller on disk (${teacher.bytes.toLocaleString('en-US')} -> ${f.bytes.toLocaleString('en-US')} bytes; >= 10x)`,
    `  [${mark(f.speedup1 >= 5)}] ${f.speedup1.toFixed(2)}x lower latency at batch 1 (>= 5x)`,
    `  [${mark(f.speedup64 >= 5)}] ${f.speedup64.toFixed(2)}x lower latency at batch 64 (>= 5x)`,
    `  [yes] every stage saved to ${ctx.opts.out} and reloaded with bit-identical test outputs${ctx.notes.some((n) => n.includes('does NOT')) ? ' (EXCEPT the stages noted in report.md)' : ''}`,
  ].map((l) => (l.includes('EXCEPT') ? l.replace('[yes]', '[NO ]') : l));
}

function writeReport(ctx: DemoContext, rows: StageRow[], checks: string[], seconds: number): void {
  const o = ctx.opts;
  const info = cpuInfo();
  const md = [
    '# nnslim compression report',
    '',
    `Data: ${ctx.datasetName}; ${ctx.train.x.shape[0]} train, ${ctx.validation.x.shape[0]} validation, ${ctx.test.x.shape[0]} test rows.`,
    `Teacher MLP ${[ctx.features, ...o.teacherHidden, ctx.classes].join('-')}${o.teacher ? ` (loaded from ${o.teacher})` : ''}, student ${[ctx.features, ...o.studentHidden, ctx.classes].join('-')}; ` +
      `epochs ${o.epochs}/${o.studentEpochs}/${o.pruneEpochs}/${o.finetuneEpochs} (teacher/student/pruning/after neuron removal), batch ${o.batchSize}, ` +
      `peak lr ${o.lr} (student ${o.studentLr}), fine-tuning lr ${o.finetuneLr}, T ${o.temperature}, alpha ${o.alpha}, sparsity ${o.sparsity}, neurons removed ${o.neurons} by ${o.importance}, ` +
      `calibration ${o.calibration} rows, seed ${o.seed}. Run time ${seconds.toFixed(0)} s.`,
    `CPU: ${info.arch}, ISA ${info.isa}, ${info.numThreads} threads. Latency: median per call of \`forward\` on the first 1 / 64 test rows, ` +
      'all stages interleaved round by round in this process; the teacher (*) in its fastest float32 form (BatchNorm folded, bias and ReLU fused into ' +
      'nnslim\'s sgemm, same outputs). Params: non-zero weights and biases. Bytes on disk: size of the stage\'s .safetensors file written by io.saveModel ' +
      '(reloaded with bit-identical outputs).',
    '',
    markdownTable(rows),
    '',
    '![accuracy vs size; latency per stage](chart.svg)',
    '',
    '```',
    ...checks,
    '```',
    '',
    ...(ctx.notes.length ? ['Notes:', '', ...ctx.notes, ''] : []),
  ].join('\n');
  writeFileAtomic(path.join(o.out, 'report.md'), Buffer.from(md, 'utf8'));
  writeFileAtomic(path.join(o.out, 'chart.svg'), Buffer.from(chartSvg(rows, `nnslim: ${ctx.datasetName}`), 'utf8'));
}


