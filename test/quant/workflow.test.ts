import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BatchNorm1d, DynamicQuantizedLinear, GELU, Linear, QuantizedLinear, ReLU, Sequential } from '../../lib/nn';
import * as prune from '../../lib/prune';
import * as quant from '../../lib/quant';
import { Rng } from '../../lib/random';
import { Tensor } from '../../lib/tensor';

function randn(rng: Rng, rows: number, cols: number, scale = 1): Tensor {
  return new Tensor(new Float32Array(rows * cols).map(() => rng.uniform(-scale, scale)), [rows, cols]);
}

function mlp(withBn: boolean): Sequential {
  const rng = new Rng(3);
  const layers = [];
  layers.push(new Linear(12, 24, { rng }));
  if (withBn) {
    const bn = new BatchNorm1d(24);
    for (let i = 0; i < 24; i++) {
      bn.weight!.data[i] = rng.uniform(0.5, 1.5);
      bn.bias!.data[i] = rng.uniform(-0.3, 0.3);
      bn.runningMean![i] = rng.uniform(-0.2, 0.2);
      bn.runningVar![i] = rng.uniform(0.2, 0.6);
    }
    layers.push(bn);
  }
  layers.push(new ReLU(), new Linear(24, 16, { rng }), new GELU(), new Linear(16, 5, { rng }));
  return new Sequential(...layers);
}

const rng = new Rng(9);
const calib = [randn(rng, 32, 12, 2), randn(rng, 32, 12, 2), randn(rng, 16, 12, 2)];
const xTest = randn(rng, 20, 12, 2);

describe('quant.quantizeDynamic', () => {
  it('replaces every Linear by a DynamicQuantizedLinear and stays close to the float model', () => {
    const model = mlp(false);
    const layers = model.layers.slice();
    const q = quant.quantizeDynamic(model);
    expect(q).not.toBe(model);
    expect(q.layers.map((l) => (l as object).constructor.name)).toEqual(['DynamicQuantizedLinear', 'ReLU', 'DynamicQuantizedLinear', 'GELU', 'DynamicQuantizedLinear']);
    expect(model.layers).toEqual(layers);
    expect(model.layers[0]).toBeInstanceOf(Linear);
    const cmp = quant.compareModels(model, q, xTest);
    expect(cmp.output.sqnrDb).toBeGreaterThan(30);
    // Same as converting one layer by hand.
    const l0 = DynamicQuantizedLinear.fromFloat(model.layers[0] as Linear, { perChannel: true });
    expect(Array.from((q.layers[0] as DynamicQuantizedLinear).forward(xTest).data)).toEqual(Array.from(l0.forward(xTest).data));
  });

  it('per-tensor weights and reduceRange; nested Sequentials are converted too', () => {
    const inner = new Sequential(new Linear(4, 4), new ReLU());
    const model = new Sequential(inner, new Linear(4, 2));
    const q = quant.quantizeDynamic(model, { dtype: 'int8', perChannel: false, reduceRange: true });
    const qi = q.layers[0] as Sequential;
    expect(qi).toBeInstanceOf(Sequential);
    expect(qi.layers[0]).toBeInstanceOf(DynamicQuantizedLinear);
    expect((qi.layers[0] as DynamicQuantizedLinear).reduceRange).toBe(true);
    expect((q.layers[1] as DynamicQuantizedLinear).weight.qscheme).toBe('per_tensor_affine');
  });

  it('validates its arguments', () => {
    expect(() => quant.quantizeDynamic({ layers: [] } as never)).toThrow(TypeError);
    expect(() => quant.quantizeDynamic(mlp(false), { dtype: 'float16' as never })).toThrow(/options\.dtype/);
    expect(() => quant.quantizeDynamic(mlp(false), { perChannel: 1 as never })).toThrow(/options\.perChannel/);
    expect(() => quant.quantizeDynamic(mlp(false), 'x' as never)).toThrow(/options/);
  });
});

describe('quant.quantizeStatic', () => {
  it('calibrates one observer per Linear input (eval mode) and converts to QuantizedLinear', () => {
    const model = mlp(false);
    const q = quant.quantizeStatic(model, calib, { fuse: false });
    expect(q.layers.map((l) => (l as object).constructor.name)).toEqual(['QuantizedLinear', 'ReLU', 'QuantizedLinear', 'GELU', 'QuantizedLinear']);
    // Observer of layer 2's input, by hand.
    const obs0 = new quant.MinMaxObserver();
    const obs2 = new quant.MinMaxObserver();
    model.eval();
    for (const b of calib) {
      obs0.observe(b);
      obs2.observe(model.layers[1].forward(model.layers[0].forward(b)));
    }
    model.train();
    const q0 = q.layers[0] as QuantizedLinear;
    const q2 = q.layers[2] as QuantizedLinear;
    expect({ scale: q0.activationScale, zeroPoint: q0.activationZeroPoint }).toEqual(obs0.calculateQParams());
    expect({ scale: q2.activationScale, zeroPoint: q2.activationZeroPoint }).toEqual(obs2.calculateQParams());
    const byHand = QuantizedLinear.fromFloat(model.layers[2] as Linear, { activationScale: q2.activationScale, activationZeroPoint: q2.activationZeroPoint });
    const h = randn(new Rng(1), 4, 24);
    expect(Array.from(q2.forward(h).data)).toEqual(Array.from(byHand.forward(h).data));
    expect(model.training).toBe(true);
    expect(quant.compareModels(model, q, xTest).output.sqnrDb).toBeGreaterThan(25);
  });

  it('fuses Linear + BatchNorm1d + ReLU (fold BN, fused ReLU) by default', () => {
    const model = mlp(true);
    const q = quant.quantizeStatic(model, calib);
    expect(q.layers.map((l) => (l as object).constructor.name)).toEqual(['QuantizedLinear', 'QuantizedLinear', 'GELU', 'QuantizedLinear']);
    expect((q.layers[0] as QuantizedLinear).relu).toBe(true);
    const cmp = quant.compareModels(model, q, xTest);
    expect(cmp.layers.map((l) => [l.layer, l.quantLayer, l.type])).toEqual([['0', '0', 'QuantizedLinear'], ['3', '1', 'QuantizedLinear'], ['5', '3', 'QuantizedLinear']]);
    for (const l of cmp.layers) expect(l.sqnrDb).toBeGreaterThan(25);
    expect(cmp.output.sqnrDb).toBeGreaterThan(25);
    const unfused = quant.quantizeStatic(model, calib, { fuse: false });
    expect(unfused.layers.length).toBe(model.layers.length);
    expect(unfused.layers[1]).toBe(model.layers[1]);
  });

  it('accepts observer classes and factories, int8 activations and per-tensor weights', () => {
    const model = mlp(false);
    const a = quant.quantizeStatic(model, calib, { activationObserver: quant.HistogramObserver, weightObserver: 'minMax' });
    expect((a.layers[0] as QuantizedLinear).weight.qscheme).toBe('per_tensor_affine');
    expect((quant.quantizeStatic(model, calib).layers[0] as QuantizedLinear).weight.qscheme).toBe('per_channel_affine');
    const b = quant.quantizeStatic(model, calib, { activationObserver: () => new quant.MovingAverageMinMaxObserver({ dtype: 'int8', averagingConstant: 0.5 }), activationDtype: 'int8', perChannel: true });
    expect((b.layers[0] as QuantizedLinear).activationDtype).toBe('int8');
    for (const q of [a, b]) expect(quant.compareModels(model, q, xTest).output.sqnrDb).toBeGreaterThan(20);
    // An iterable of batches and a single Tensor work too.
    function* gen() { yield* calib; }
    expect(quant.quantizeStatic(model, gen()).layers.length).toBe(4);
    expect(quant.quantizeStatic(model, calib[0]).layers.length).toBe(4);
  });

  it('acceptance: prune.neurons followed by quant.quantizeStatic runs end to end on a small MLP', () => {
    const model = mlp(true);
    const before = model.predict(xTest);
    const report = prune.neurons(model, 0, { amount: 0.5, importance: 'apoz', calibration: calib[0] });
    expect(report.kept.length).toBe(12);
    prune.magnitude(model, { amount: 0.5, scope: 'global' });
    prune.remove(model);
    const q = quant.quantizeStatic(model, calib);
    expect((q.layers[0] as QuantizedLinear).outFeatures).toBe(12);
    expect((q.layers[1] as QuantizedLinear).inFeatures).toBe(12);
    const y = q.predict(xTest);
    expect(y.shape).toEqual([20, 5]);
    expect(y.data.every(Number.isFinite)).toBe(true);
    expect(before.shape).toEqual(y.shape);
    const cmp = quant.compareModels(model, q, xTest);
    expect(cmp.output.sqnrDb).toBeGreaterThan(20);
    // Pruned weights stay exactly zero in int8 (zero point 0 for symmetric weights).
    const w = (q.layers[1] as QuantizedLinear).weight;
    const fw = (model.layers[3] as Linear).weight.data;
    for (let i = 0; i < fw.length; i++) if (fw[i] === 0) expect(w.data[i]).toBe(0);
  });

  it('validates its arguments', () => {
    const model = mlp(false);
    expect(() => quant.quantizeStatic(null as never, calib)).toThrow(TypeError);
    expect(() => quant.quantizeStatic(model, [])).toThrow(/calibrationBatches/);
    expect(() => quant.quantizeStatic(model, 5 as never)).toThrow(/calibrationBatches/);
    expect(() => quant.quantizeStatic(model, [calib[0], 'x' as never])).toThrow(/calibrationBatches\[1\]/);
    expect(() => quant.quantizeStatic(model, calib, { activationDtype: 'int4' as never })).toThrow(/options\.activationDtype/);
    expect(() => quant.quantizeStatic(model, calib, { weightObserver: 'histogram' as never })).toThrow(/options\.weightObserver/);
    expect(() => quant.quantizeStatic(model, calib, { weightObserver: 'minMax', perChannel: true })).toThrow(/options\.perChannel/);
    expect(() => quant.quantizeStatic(model, calib, { activationObserver: 3 as never })).toThrow(/options\.activationObserver/);
    expect(() => quant.quantizeStatic(model, calib, { activationObserver: (() => ({})) as never })).toThrow(/options\.activationObserver/);
    expect(() => quant.quantizeStatic(model, calib, { activationObserver: quant.MinMaxObserver, activationDtype: 'uint8', fuse: 'yes' as never })).toThrow(/options\.fuse/);
    expect(() => quant.quantizeStatic(model, calib, { activationObserver: () => new quant.MinMaxObserver({ dtype: 'int8' }) })).toThrow(/options\.activationObserver/);
    expect(() => quant.quantizeStatic(model, [randn(rng, 2, 7)])).toThrow(RangeError);
    expect(model.training).toBe(true);
  });
});

describe('quant.compareModels', () => {
  it('reports zero error for identical models', () => {
    const model = mlp(false);
    const cmp = quant.compareModels(model, model, xTest);
    expect(cmp.layers.map((l) => l.sqnrDb)).toEqual([Infinity, Infinity, Infinity]);
    expect(cmp.output).toEqual({ sqnrDb: Infinity, maxAbsError: 0 });
    expect(Array.from(cmp.floatOutput.data)).toEqual(Array.from(cmp.quantOutput.data));
  });

  it('errorStats is PyTorch compute_sqnr and max abs error', () => {
    const s = quant.errorStats(new Float32Array([3, 4]), new Float32Array([3, 3.5]));
    expect(s.sqnrDb).toBeCloseTo(20 * Math.log10(5 / 0.5), 10);
    expect(s.maxAbsError).toBe(0.5);
    expect(() => quant.errorStats(new Float32Array(2), new Float32Array(3))).toThrow(RangeError);
  });

  it('validates its arguments', () => {
    const model = mlp(false);
    expect(() => quant.compareModels({} as never, model, xTest)).toThrow(/floatModel/);
    expect(() => quant.compareModels(model, null as never, xTest)).toThrow(/quantModel/);
    expect(() => quant.compareModels(model, model, [1] as never)).toThrow(/batch/);
    expect(() => quant.compareModels(model, new Sequential(new Linear(12, 5)), xTest)).toThrow(/weight layers/);
  });
});

describe('quant.quantizeStatic matches PyTorch 1.13 eager-mode prepare / convert', () => {
  const fx = JSON.parse(readFileSync(join(__dirname, '../fixtures/quant/workflow.json'), 'utf8')) as {
    state: Record<string, number[]>;
    calibration: number[][];
    calibrationRows: number[];
    x: number[];
    floatOutput: number[];
    quantOutput: number[];
    linearInputQParams: { scale: number; zeroPoint: number }[];
  };
  const build = () => {
    const lin = (name: string, i: number, o: number) => {
      const l = new Linear(i, o);
      l.weight.data.set(fx.state[`${name}.weight`]);
      l.bias!.data.set(fx.state[`${name}.bias`]);
      return l;
    };
    return new Sequential(lin('fc1', 10, 16), new ReLU(), lin('fc2', 16, 12), new ReLU(), lin('fc3', 12, 4));
  };
  const batches = fx.calibration.map((d, i) => new Tensor(new Float32Array(d), [fx.calibrationRows[i], 10]));
  const x = new Tensor(new Float32Array(fx.x), [8, 10]);

  it('same activation qparams at every quantized Linear input (MinMaxObserver, fused LinearReLU)', () => {
    const model = build();
    const q = quant.quantizeStatic(model, batches);
    const got = q.layers.map((l) => ({ scale: (l as QuantizedLinear).activationScale, zeroPoint: (l as QuantizedLinear).activationZeroPoint }));
    expect(got).toEqual(fx.linearInputQParams);
    const fy = model.predict(x).data;
    fy.forEach((v, i) => expect(Math.abs(v - fx.floatOutput[i])).toBeLessThan(1e-5));
    // PyTorch requantizes each layer's output to uint8, nnslim keeps float32 between layers:
    // the outputs agree to about one output quantization step.
    const qy = q.predict(x).data;
    const err = quant.errorStats(new Float32Array(fx.quantOutput), qy);
    expect(err.sqnrDb).toBeGreaterThan(30);
  });
});
