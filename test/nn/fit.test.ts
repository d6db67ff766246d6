import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Rng, Tensor, data, nn } from '../../lib';
import * as optim from '../../lib/optim';

function setup(seed = 0) {
  const digits = data.loadDigits();
  const { train, validation, test } = data.split(digits, { validation: 0.1, test: 0.2, seed });
  const rng = new Rng(seed);
  const model = new nn.Sequential(new nn.Linear(64, 32, { rng }), new nn.ReLU(), new nn.Linear(32, 10, { rng }));
  return { train, validation, test, model, rng };
}

describe('fit', () => {
  it('trains an MLP on the embedded digits to > 90% test accuracy, reproducibly', () => {
    const run = () => {
      const { train, validation, test, model } = setup();
      const opt = new optim.Adam(model.parameters(), { lr: 1e-2 });
      const epochs: nn.EpochLog[] = [];
      const history = nn.fit(model, {
        x: train.x, y: train.y, epochs: 8, batchSize: 32, optimizer: opt, rng: new Rng(1),
        validation: { x: validation.x, y: validation.y }, callbacks: { onEpochEnd: (l) => { epochs.push(l); } },
      });
      expect(history.epochs.length).toBe(8);
      expect(epochs.length).toBe(8);
      expect(history.epochs[7].loss).toBeLessThan(history.epochs[0].loss);
      expect(history.epochs[7].valAccuracy).toBeGreaterThan(0.9);
      return nn.accuracy(model.predict(test.x), test.y);
    };
    const a = run();
    expect(a).toBeGreaterThan(0.9);
    expect(run()).toBe(a);
  });

  it('steps the scheduler per batch or per epoch, passes metrics, and stops early', () => {
    const { train, model } = setup();
    let steps = 0, batches = 0;
    const opt = { step() {}, zeroGrad() {} };
    nn.fit(model, { x: train.x, y: train.y, epochs: 2, batchSize: 100, optimizer: opt, scheduler: { step: () => { steps++; } }, schedulerStep: 'batch', callbacks: { onBatchEnd: () => { batches++; } } });
    expect(steps).toBe(2 * Math.ceil(train.x.shape[0] / 100));
    expect(batches).toBe(steps);
    const metrics: Array<number | undefined> = [];
    const h = nn.fit(model, { x: train.x, y: train.y, epochs: 5, batchSize: 500, optimizer: opt, scheduler: { step: (m?: number) => { metrics.push(m); } }, schedulerMetric: 'loss', callbacks: { onEpochEnd: (l) => l.epoch < 2 } });
    expect(h.stopped).toBe(true);
    expect(h.epochs.length).toBe(3);
    expect(metrics.length).toBe(3);
    expect(typeof metrics[0]).toBe('number');
  });

  it('dropLast skips a short last batch (BatchNorm needs 2+ rows)', () => {
    const { train } = setup();
    const rows = 65;
    const x = new Tensor(train.x.data.slice(0, rows * 64), [rows, 64]);
    const y = train.y.slice(0, rows);
    const model = new nn.Sequential(new nn.Linear(64, 8, { rng: new Rng(1) }), new nn.BatchNorm1d(8), new nn.ReLU(), new nn.Linear(8, 10, { rng: new Rng(2) }));
    const opt = { step() {}, zeroGrad() {} };
    expect(() => nn.fit(model, { x, y, batchSize: 32, optimizer: opt, shuffle: false })).toThrow(/more than 1 value per channel/);
    let batches = 0;
    nn.fit(model, { x, y, batchSize: 32, optimizer: opt, dropLast: true, callbacks: { onBatchEnd: () => { batches++; } } });
    expect(batches).toBe(2);
    expect(() => nn.fit(model, { x, y, optimizer: opt, dropLast: 1 as never })).toThrow(TypeError);
  });

  it('custom loss functions get the batch indices', () => {
    const { train, model } = setup();
    const seen = new Set<number>();
    nn.fit(model, {
      x: train.x, y: train.y, epochs: 1, batchSize: 64, optimizer: { step() {}, zeroGrad() {} },
      lossFn: (out, labels, ctx) => { ctx.indices.forEach((i) => seen.add(i)); return nn.crossEntropyWithLogits(out, labels); },
    });
    expect(seen.size).toBe(train.x.shape[0]);
  });

  it('prints one line per epoch when not on a TTY', () => {
    const { train, model } = setup();
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (c) => { text += c; });
    nn.fit(model, { x: train.x, y: train.y, epochs: 3, batchSize: 256, optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }), verbose: true, stream });
    const lines = text.trim().split('\n');
    expect(lines.length).toBe(3);
    expect(lines[0]).toMatch(/^Epoch 1\/3 - loss \d\.\d{4} - acc \d\.\d{4} - lr 0\.100 - \d+\.\ds$/);
  });

  it('draws a progress bar on a TTY', () => {
    const { train, model } = setup();
    const stream = Object.assign(new PassThrough(), { isTTY: true });
    let text = '';
    stream.on('data', (c) => { text += c; });
    nn.fit(model, { x: train.x, y: train.y, epochs: 1, batchSize: 256, optimizer: { step() {}, zeroGrad() {} }, verbose: true, stream });
    expect(text).toContain('[');
    expect(text).toContain('\r');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('validates its arguments', () => {
    const { train, model } = setup();
    const opt = { step() {}, zeroGrad() {} };
    const base = { x: train.x, y: train.y, optimizer: opt };
    expect(() => nn.fit({} as never, base)).toThrow(/model/);
    expect(() => nn.fit(model, { ...base, optimizer: {} as never })).toThrow(/options.optimizer/);
    expect(() => nn.fit(model, { ...base, epochs: -1 })).toThrow(RangeError);
    expect(() => nn.fit(model, { ...base, batchSize: 0 })).toThrow(/batchSize/);
    expect(() => nn.fit(model, { ...base, y: train.y.subarray(1) })).toThrow(/options.y.length/);
    expect(() => nn.fit(model, { ...base, schedulerStep: 'step' as never })).toThrow(RangeError);
    expect(() => nn.fit(model, { ...base, schedulerMetric: 'valLoss' })).toThrow(/validation/);
    expect(() => nn.fit(model, { ...base, validation: { x: new Tensor(new Float32Array(10), [1, 10]), y: [0] } })).toThrow(/validation/);
    expect(() => nn.fit(model, { ...base, lossFn: 3 as never })).toThrow(TypeError);
    expect(() => nn.fit(model, { ...base, callbacks: { onEpochEnd: 1 as never } })).toThrow(TypeError);
  });
});
