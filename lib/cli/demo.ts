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
import { OneCycleLR } from '../optim/lr_scheduler';
import { globalUnstructured } from '../prune/masks';
import { PolynomialDecay } from '../prune/schedules';
import * as quant from '../quant';
import { Rng, manualSeed } from '../random';
import { cpuInfo, setNumThreads } from '../runtime';
import { Tensor } from '../tensor';
import { CommandSpec, Parsed, UsageError } from './args';
import { CsrLinear } from './csr_linear';
import { countParams, measureLatency, modelBytes } from './measure';
import { StageRow, chartSvg, markdownTable, tableHeader, tableRow } from './report';

/** The `demo` command line. */
export const DEMO_SPEC: CommandSpec = {
  name: 'demo',
  usage: 'nnslim demo [options]',
  summary: 'Run the compression pipeline end to end and report accuracy, size and latency after each stage.',
  description:
    'Stages: teacher (float32 MLP with BatchNorm) -> student distilled from it (kdLoss, AdamW + OneCycleLR)\n' +
    '-> gradual magnitude pruning (PolynomialDecay) while fine-tuning -> BatchNorm folded into the Linear\n' +
    'layers -> static int8 (min-max calibration, QuantizedLinear) -> the fastest kernel per layer (dense f32,\n' +
    'CSR f32, CSR int8, dense int8; measured). Data: the embedded UCI digits, or --data <dir> with\n' +
    'MNIST-format IDX files (e.g. /usr/share/datasets/fashion-mnist). Seeded and reproducible.',
  options: [
    { name: 'data', type: 'string', value: '<dir>', help: 'MNIST-format folder (default: the embedded UCI digits)' },
    { name: 'out', type: 'string', value: '<dir>', help: 'Where report.md, chart.svg and the models go', default: './nnslim-report' },
    { name: 'teacher-hidden', type: 'ints', value: '<n,...>', min: 1, max: 65536, help: 'Hidden sizes of the teacher (default: 128,64 for digits, 512,256 for MNIST-format data)' },
    { name: 'student-hidden', type: 'ints', value: '<n,...>', min: 1, max: 65536, help: 'Hidden sizes of the student (default: 64 for digits, 256 for MNIST-format data)' },
    { name: 'epochs', type: 'int', value: '<n>', min: 1, max: 10000, help: 'Teacher epochs (default: 40 for digits, 10 for MNIST-format data)' },
    { name: 'student-epochs', type: 'int', value: '<n>', min: 1, max: 10000, help: 'Distillation epochs (default: --epochs)' },
    { name: 'prune-epochs', type: 'int', value: '<n>', min: 1, max: 10000, help: 'Fine-tuning epochs while pruning (default: 40 for digits, 5 for MNIST-format data)' },
    { name: 'batch-size', type: 'int', value: '<n>', min: 1, max: 1 << 20, help: 'Training batch size (default: 32 for digits, 128 for MNIST-format data)' },
    { name: 'lr', type: 'number', value: '<x>', min: 1e-8, max: 10, help: 'Peak learning rate of OneCycleLR (default: 0.01 for digits, 0.002 for MNIST-format data)' },
    { name: 'temperature', type: 'number', value: '<t>', min: 0.01, max: 100, help: 'Distillation temperature', default: 4 },
    { name: 'alpha', type: 'number', value: '<a>', min: 0, max: 1, help: 'Weight of the distillation term', default: 0.9 },
    { name: 'sparsity', type: 'number', value: '<s>', min: 0, max: 0.999, help: 'Target fraction of pruned Linear weights', default: 0.9 },
    { name: 'quantize', type: 'flag', help: 'Quantize to int8 (on by default; --no-quantize to skip)', default: true },
    { name: 'batchnorm', type: 'flag', help: 'Use BatchNorm1d after each hidden Linear (--no-batchnorm to skip)', default: true },
    { name: 'seed', type: 'int', value: '<n>', min: 0, help: 'Seed of every random choice', default: 0 },
    { name: 'threads', type: 'int', value: '<n>', min: 1, max: 1024, help: 'Kernel threads (default: all cores)' },
    { name: 'verbose', type: 'flag', help: 'One line per training epoch' },
    { name: 'quiet', type: 'flag', help: 'Only the stage table' },
  ],
};

/** Resolved demo settings. */
export interface DemoOptions {
  data?: string;
  out: string;
  teacherHidden: number[];
  studentHidden: number[];
  epochs: number;
  studentEpochs: number;
  pruneEpochs: number;
  batchSize: number;
  lr: number;
  temperature: number;
  alpha: number;
  sparsity: number;
  quantize: boolean;
  batchnorm: boolean;
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
  rows: StageRow[];
  /** Lines for report.md about skipped or pending stages. */
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

function fitOptions(ctx: DemoContext, label: string) {
  return {
    batchSize: ctx.opts.batchSize,
    dropLast: true,
    rng: ctx.rng,
    validation: { x: ctx.validation.x, y: ctx.validation.y },
    verbose: ctx.opts.verbose || (!ctx.opts.quiet && process.stderr.isTTY === true),
    callbacks: {
      onEpochEnd: (l: nn.EpochLog) => {
        if (l.valAccuracy !== undefined) last.set(label, l.valAccuracy);
      },
    },
  };
}
const last = new Map<string, number>();

function trainWithOneCycle(ctx: DemoContext, model: nn.Sequential, epochs: number, label: string, lossFn?: nn.LossFn): void {
  const opt = new AdamW(model.parameters(), { lr: ctx.opts.lr, weightDecay: 1e-4 });
  const steps = Math.ceil(ctx.train.x.shape[0] / ctx.opts.batchSize);
  const scheduler = new OneCycleLR(opt, { maxLr: ctx.opts.lr, epochs, stepsPerEpoch: steps });
  const t0 = performance.now();
  nn.fit(model, { ...fitOptions(ctx, label), x: ctx.train.x, y: ctx.train.y, epochs, optimizer: opt, scheduler, schedulerStep: 'batch', lossFn });
  if (!ctx.opts.quiet) ctx.log(`  ${label}: ${epochs} epochs in ${((performance.now() - t0) / 1000).toFixed(1)} s, validation accuracy ${((last.get(label) ?? NaN) * 100).toFixed(2)}%`);
}

function gatherRows(t: Tensor, idx: Int32Array): Tensor {
  const cols = t.shape[1];
  const out = new Float32Array(idx.length * cols);
  for (let i = 0; i < idx.length; i++) out.set(t.data.subarray(idx[i] * cols, (idx[i] + 1) * cols), i * cols);
  return new Tensor(out, [idx.length, cols]);
}

/** kdLoss against the teacher's logits on the training rows of each batch. */
function distillLoss(ctx: DemoContext, teacher: nn.Sequential): nn.LossFn {
  const teacherLogits = teacher.predict(ctx.train.x);
  const { temperature, alpha } = ctx.opts;
  return (out, labels, c) => {
    const r = kdLoss(out, gatherRows(teacherLogits, c.indices), { temperature, alpha, labels });
    return { loss: r.loss, grad: new Tensor(r.grad, out.shape) };
  };
}

const CALIBRATION_ROWS = 2048;

/** The last float32 model of the pipeline (BN folded if that stage ran). */
function latestFloat(ctx: DemoContext): nn.Sequential | undefined {
  return ctx.models.get('fold BatchNorm') ?? ctx.models.get('pruned (gradual)') ?? ctx.models.get('student (distilled)');
}

function linearWeights(model: nn.Sequential): nn.Parameter[] {
  return model.layers.filter((l): l is nn.Linear => l instanceof nn.Linear).map((l) => l.weight);
}

/** The pipeline, in order. Later stages (structured pruning, BN folding, int8, sparse kernels) slot in here. */
export const STAGES: Stage[] = [
  {
    name: 'teacher (float32)',
    run(ctx) {
      const model = mlp(ctx, ctx.opts.teacherHidden, ctx.opts.batchnorm);
      trainWithOneCycle(ctx, model, ctx.opts.epochs, 'teacher');
      return model;
    },
  },
  {
    name: 'student (distilled)',
    run(ctx) {
      const teacher = ctx.models.get('teacher (float32)');
      if (!teacher) return { skipped: 'no teacher' };
      const student = mlp(ctx, ctx.opts.studentHidden, ctx.opts.batchnorm);
      trainWithOneCycle(ctx, student, ctx.opts.studentEpochs, 'student', distillLoss(ctx, teacher));
      return student;
    },
  },
  {
    name: 'pruned (gradual)',
    run(ctx) {
      const student = ctx.models.get('student (distilled)');
      if (!student) return { skipped: 'no student' };
      if (ctx.opts.sparsity === 0) return { skipped: '--sparsity 0' };
      const model = loadModel(saveModel(student)).train();
      const weights = linearWeights(model);
      const steps = Math.ceil(ctx.train.x.shape[0] / ctx.opts.batchSize) * ctx.opts.pruneEpochs;
      const endStep = Math.max(1, Math.floor(steps * 0.7));
      const schedule = new PolynomialDecay({ initialSparsity: 0, finalSparsity: ctx.opts.sparsity, beginStep: 0, endStep, frequency: Math.max(1, Math.floor(endStep / 20)) });
      let masks: Uint8Array[] | null = null;
      let step = 0;
      const applyMasks = () => {
        if (masks) weights.forEach((w, i) => { const m = (masks as Uint8Array[])[i]; for (let j = 0; j < m.length; j++) if (!m[j]) w.data[j] = 0; });
      };
      const prune = (amount: number) => {
        masks = globalUnstructured(weights.map((w) => w.data), { amount });
        applyMasks();
      };
      const opt = new AdamW(model.parameters(), { lr: ctx.opts.lr, weightDecay: 0 });
      const teacher = ctx.models.get('teacher (float32)');
      const base = fitOptions(ctx, 'pruned');
      const t0 = performance.now();
      nn.fit(model, {
        ...base, x: ctx.train.x, y: ctx.train.y, epochs: ctx.opts.pruneEpochs, optimizer: opt,
        lossFn: teacher ? distillLoss(ctx, teacher) : undefined,
        callbacks: {
          ...base.callbacks,
          onBatchEnd: () => {
            const d = schedule.call(step++);
            if (d.shouldPrune && d.sparsity > 0) prune(d.sparsity);
            else applyMasks();
          },
        },
      });
      prune(ctx.opts.sparsity);
      if (!ctx.opts.quiet) {
        ctx.log(`  pruned: ${ctx.opts.pruneEpochs} epochs in ${((performance.now() - t0) / 1000).toFixed(1)} s to ${(ctx.opts.sparsity * 100).toFixed(0)}% sparsity, validation accuracy ${(nn.accuracy(model.predict(ctx.validation.x), ctx.validation.y) * 100).toFixed(2)}%`);
      }
      return model.eval();
    },
  },
  { name: 'structured (neurons)', run: () => ({ skipped: 'pending: needs prune.neurons' }) },
  {
    name: 'fold BatchNorm',
    run(ctx) {
      const src = ctx.models.get('pruned (gradual)') ?? ctx.models.get('student (distilled)');
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
      return new nn.Sequential(...layers).eval();
    },
  },
  {
    name: 'int8 (static)',
    run(ctx) {
      if (!ctx.opts.quantize) return { skipped: '--no-quantize' };
      const src = latestFloat(ctx);
      if (!src) return { skipped: 'no student' };
      // Calibrate: observe the input of every Linear on training rows (PyTorch's default quint8 affine min-max).
      const observers = new Map<number, quant.MinMaxObserver>();
      src.layers.forEach((l, i) => { if (l instanceof nn.Linear) observers.set(i, new quant.MinMaxObserver({ dtype: 'uint8', qscheme: 'per_tensor_affine' })); });
      const rows = Math.min(ctx.train.x.shape[0], CALIBRATION_ROWS);
      for (let s = 0; s < rows; s += 256) {
        let h = sliceRows(ctx.train.x, s, Math.min(rows, s + 256));
        src.layers.forEach((l, i) => { observers.get(i)?.observe(h); h = l.forward(h); });
      }
      const layers: nn.Module[] = [];
      for (let i = 0; i < src.layers.length; i++) {
        const l = src.layers[i];
        const obs = observers.get(i);
        if (l instanceof nn.Linear && obs) {
          const { scale, zeroPoint } = obs.calculateQParams() as { scale: number; zeroPoint: number };
          const relu = src.layers[i + 1] instanceof nn.ReLU;
          layers.push(nn.QuantizedLinear.fromFloat(l, { activationScale: scale, activationZeroPoint: zeroPoint, perChannel: true, relu }));
          if (relu) i++;
        } else {
          layers.push(l);
        }
      }
      return new nn.Sequential(...layers).eval();
    },
  },
  {
    name: 'fastest kernels',
    run(ctx) {
      const float = latestFloat(ctx);
      if (!float) return { skipped: 'no student' };
      const int8 = ctx.models.get('int8 (static)');
      const int8Layers = int8 ? int8.layers.filter((l) => l instanceof nn.QuantizedLinear) : [];
      const layers: nn.Module[] = [];
      const choices: string[] = [];
      let q = 0;
      for (let i = 0; i < float.layers.length; i++) {
        const l = float.layers[i];
        if (!(l instanceof nn.Linear)) { layers.push(l); continue; }
        const relu = float.layers[i + 1] instanceof nn.ReLU;
        // [name, layers replacing Linear (+ ReLU)]
        const candidates: Array<[string, nn.Module[]]> = [
          ['dense f32', relu ? [l, new nn.ReLU()] : [l]],
          ['CSR f32', [CsrLinear.fromLinear(l, { int8: false, relu })]],
        ];
        if (ctx.opts.quantize) candidates.push(['CSR int8', [CsrLinear.fromLinear(l, { int8: true, relu })]]);
        const dq = int8Layers[q++];
        if (dq) candidates.push(['dense int8', [dq]]);
        // Time every candidate at batch 1 and 64; keep the one whose worst ratio to the best time of
        // each batch size is smallest (so neither batch size is sacrificed to the other).
        const times = candidates.map((c) => {
          const run = (x: Tensor) => c[1].reduce((h, m) => m.forward(h), x);
          return [measureLatency(run, 1, l.inFeatures, { budgetMs: 80 }), measureLatency(run, 64, l.inFeatures, { budgetMs: 80 })];
        });
        const best1 = Math.min(...times.map((t) => t[0])), best64 = Math.min(...times.map((t) => t[1]));
        let best = candidates[0], bestScore = Infinity;
        candidates.forEach((c, k) => {
          const score = Math.max(times[k][0] / best1, times[k][1] / best64);
          if (score < bestScore) { best = c; bestScore = score; }
        });
        layers.push(...best[1]);
        choices.push(`${l.outFeatures}x${l.inFeatures}: ${best[0]}`);
        if (relu) i++;
      }
      if (!ctx.opts.quiet) ctx.log(`  fastest kernels: ${choices.join(', ')}`);
      ctx.notes.push(`- fastest kernels per layer: ${choices.join(', ')}`);
      return new nn.Sequential(...layers).eval();
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
  const epochs = pick(o.epochs, mnist ? 10 : 40);
  return {
    data: o.data as string | undefined,
    out: o.out as string,
    teacherHidden: pick(o['teacher-hidden'], mnist ? [512, 256] : [128, 64]),
    studentHidden: pick(o['student-hidden'], mnist ? [256] : [64]),
    epochs,
    studentEpochs: pick(o['student-epochs'], epochs),
    pruneEpochs: pick(o['prune-epochs'], mnist ? 5 : 40),
    batchSize: pick(o['batch-size'], mnist ? 128 : 32),
    lr: pick(o.lr, mnist ? 0.002 : 0.01),
    temperature: o.temperature as number,
    alpha: o.alpha as number,
    sparsity: o.sparsity as number,
    quantize: o.quantize as boolean,
    batchnorm: o.batchnorm as boolean,
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

/** Runs the demo pipeline; returns the stage rows. Writes report.md, chart.svg and the stage models into opts.out. */
export function runDemo(p: Parsed, out: (line: string) => void, threads?: number): StageRow[] {
  const opts = resolveDemoOptions(p);
  if (threads !== undefined) setNumThreads(threads);
  manualSeed(opts.seed);
  const data = loadData(opts);
  const ctx: DemoContext = {
    opts, datasetName: data.name, train: data.train, validation: data.validation, test: data.test,
    features: data.train.x.shape[1], classes: Math.max(data.train.numClasses, data.test.numClasses),
    models: new Map(), rows: [], notes: [], log: out, rng: new Rng(opts.seed),
  };
  const info = cpuInfo();
  out(`nnslim demo: ${ctx.datasetName}: ${ctx.train.x.shape[0]} train / ${ctx.validation.x.shape[0]} validation / ${ctx.test.x.shape[0]} test rows, ${ctx.features} features, ${ctx.classes} classes`);
  out(`CPU: ${info.arch}, ISA ${info.isa}, ${info.numThreads} threads, sgemm ${info.kernels.sgemm ?? '?'}; seed ${opts.seed}`);
  fs.mkdirSync(opts.out, { recursive: true });
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
    const acc = nn.accuracy(r.predict(ctx.test.x), ctx.test.y);
    const lat1 = measureLatency((x) => r.predict(x), 1, ctx.features);
    const lat64 = measureLatency((x) => r.predict(x, { batchSize: 64 }), 64, ctx.features);
    const { bytes, estimated } = modelBytes(r);
    if (estimated) ctx.notes.push(`- ${stage.name}: bytes on disk estimated (a layer type has no io codec yet)`);
    try {
      const file = path.join(opts.out, `${stage.name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase()}.safetensors`);
      saveModel(r, file);
    } catch { /* layers without a codec: size estimated from the state dict */ }
    const teacher = ctx.rows[0];
    const row: StageRow = {
      stage: estimated ? `${stage.name} ~` : stage.name, accuracy: acc, params: countParams(r).nonzero, bytes, latency1: lat1, latency64: lat64,
      speedup1: teacher ? teacher.latency1 / lat1 : 1, speedup64: teacher ? teacher.latency64 / lat64 : 1,
    };
    ctx.rows.push(row);
    if (!headerPrinted) {
      out('');
      out(tableHeader());
      headerPrinted = true;
    }
    out(tableRow(row));
  }
  writeReport(ctx);
  out('');
  out(`Report: ${path.join(opts.out, 'report.md')} and ${path.join(opts.out, 'chart.svg')}`);
  return ctx.rows;
}

function writeReport(ctx: DemoContext): void {
  const o = ctx.opts;
  const md = [
    '# nnslim compression report',
    '',
    `Data: ${ctx.datasetName}; ${ctx.train.x.shape[0]} train, ${ctx.validation.x.shape[0]} validation, ${ctx.test.x.shape[0]} test rows.`,
    `Teacher MLP ${[ctx.features, ...o.teacherHidden, ctx.classes].join('-')}, student ${[ctx.features, ...o.studentHidden, ctx.classes].join('-')}; ` +
      `epochs ${o.epochs}/${o.studentEpochs}/${o.pruneEpochs}, batch ${o.batchSize}, peak lr ${o.lr}, T ${o.temperature}, alpha ${o.alpha}, sparsity ${o.sparsity}, seed ${o.seed}.`,
    `CPU: ${cpuInfo().isa}, ${cpuInfo().numThreads} threads. Latency: median of repeated runs of \`predict\` in this process; ` +
      'params: non-zero weights and biases; bytes on disk: the stage model saved with io.saveModel.',
    '',
    markdownTable(ctx.rows),
    '',
    '![accuracy vs size; latency per stage](chart.svg)',
    '',
    ...(ctx.notes.length ? ['Notes:', '', ...ctx.notes, ''] : []),
  ].join('\n');
  writeFileAtomic(path.join(o.out, 'report.md'), Buffer.from(md, 'utf8'));
  writeFileAtomic(path.join(o.out, 'chart.svg'), Buffer.from(chartSvg(ctx.rows, `nnslim: ${ctx.datasetName}`), 'utf8'));
}
