import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Linear } from '../../lib/nn/linear';
import { DynamicQuantizedLinear, QuantizedLinear } from '../../lib/nn/quantized_linear';
import { chooseQParams, dequantize, quantizePerTensor } from '../../lib/quant';
import type { QTensor } from '../../lib/quant';
import { Rng } from '../../lib/random';
import { Tensor } from '../../lib/tensor';

function randomTensor(shape: number[], seed: number, lo = -1, hi = 1): Tensor {
  const r = new Rng(seed);
  const d = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < d.length; i++) d[i] = r.uniform(lo, hi);
  return new Tensor(d, shape);
}

// Float64 reference of the dequantized computation: dequant(xq) dequant(Wq)^T + b.
function dequantRef(xq: QTensor, wq: QTensor, bias: Float32Array | null, relu = false): Float64Array {
  const x = dequantize(xq), w = dequantize(wq);
  const [m, k] = x.shape, n = w.shape[0];
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = bias ? bias[j] : 0;
      for (let l = 0; l < k; l++) s += x.data[i * k + l] * w.data[j * k + l];
      out[i * n + j] = relu ? Math.max(0, s) : s;
    }
  }
  return out;
}

function expectClose(got: Float32Array, want: Float64Array, rel = 1e-5): void {
  let scale = 0;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(rel * scale + 1e-6);
}

describe('nn.QuantizedLinear (static)', () => {
  for (const perChannel of [true, false]) {
    it(`matches the float computation on dequantized operands (perChannel ${perChannel})`, async () => {
      const lin = new Linear(70, 33, { rng: new Rng(1) });
      const x = randomTensor([9, 70], 2, -2, 3);
      const aScale = 5 / 255, aZp = 102;
      const q = QuantizedLinear.fromFloat(lin, { activationScale: aScale, activationZeroPoint: aZp, perChannel });
      expect(q.weight.qscheme).toBe(perChannel ? 'per_channel_affine' : 'per_tensor_affine');
      expect(q.packed.byteLength).toBeGreaterThan(0);
      const y = q.forward(x);
      expect(y.shape).toEqual([9, 33]);
      const xq = quantizePerTensor(x, aScale, aZp, 'uint8');
      expectClose(y.data, dequantRef(xq, q.weight, lin.bias!.data));
      const ya = await q.forwardAsync(x);
      expect(Array.from(ya.data)).toEqual(Array.from(y.data));
      // ...and stays close to the float layer.
      const yf = lin.forward(x);
      for (let i = 0; i < y.data.length; i++) expect(Math.abs(y.data[i] - yf.data[i])).toBeLessThan(0.1);
    });
  }

  it('fuses ReLU and requantizes exactly like quantizePerTensor of the float output', () => {
    const lin = new Linear(40, 20, { rng: new Rng(3) });
    const x = randomTensor([5, 40], 4);
    const base = { activationScale: 2 / 255, activationZeroPoint: 128 };
    const qf = QuantizedLinear.fromFloat(lin, { ...base, relu: true });
    const yf = qf.forward(x);
    expect(Math.min(...yf.data)).toBeGreaterThanOrEqual(0);
    expectClose(yf.data, dequantRef(quantizePerTensor(x, base.activationScale, 128, 'uint8'), qf.weight, lin.bias!.data, true));
    for (const outputDtype of ['uint8', 'int8'] as const) {
      const zp = outputDtype === 'uint8' ? 3 : -100;
      const qq = QuantizedLinear.fromFloat(lin, { ...base, relu: true, outputDtype, outputScale: 0.01, outputZeroPoint: zp });
      const want = dequantize(quantizePerTensor(yf, 0.01, zp, outputDtype));
      expect(Array.from(qq.forward(x).data)).toEqual(Array.from(want.data));
    }
  });

  it('accepts int8 activations', () => {
    const lin = new Linear(16, 16, { rng: new Rng(5) });
    const x = randomTensor([1, 16], 6);
    const q = QuantizedLinear.fromFloat(lin, { activationScale: 1 / 127, activationZeroPoint: 0, activationDtype: 'int8' });
    expectClose(q.forward(x).data, dequantRef(quantizePerTensor(x, 1 / 127, 0, 'int8'), q.weight, lin.bias!.data));
  });

  it('validates options and inputs', () => {
    const lin = new Linear(4, 3);
    expect(() => QuantizedLinear.fromFloat({} as never, { activationScale: 1, activationZeroPoint: 0 })).toThrow(TypeError);
    expect(() => QuantizedLinear.fromFloat(lin, undefined as never)).toThrow(TypeError);
    expect(() => QuantizedLinear.fromFloat(lin, { activationScale: 0, activationZeroPoint: 0 })).toThrow(/activationScale/);
    expect(() => QuantizedLinear.fromFloat(lin, { activationScale: 1, activationZeroPoint: 256 })).toThrow(/activationZeroPoint/);
    expect(() => QuantizedLinear.fromFloat(lin, { activationScale: 1, activationZeroPoint: 0, outputDtype: 'int8' })).toThrow(/outputScale/);
    expect(() => QuantizedLinear.fromFloat(lin, { activationScale: 1, activationZeroPoint: 0, outputScale: 1 })).toThrow(/outputScale/);
    expect(() => QuantizedLinear.fromFloat(lin, { activationScale: 1, activationZeroPoint: 0, perChannel: 1 as never })).toThrow(/perChannel/);
    expect(() => QuantizedLinear.fromFloat(lin, { activationScale: 1, activationZeroPoint: 0, bogus: 1 } as never)).toThrow(/options/);
    const q = QuantizedLinear.fromFloat(lin, { activationScale: 1, activationZeroPoint: 0 });
    expect(() => q.forward(new Tensor(new Float32Array(5), [1, 5]))).toThrow(/\[batch, 4\]/);
    expect(() => q.forward(new Float32Array(4) as never)).toThrow(TypeError);
    expect(q.forward(new Tensor(new Float32Array(0), [0, 4])).shape).toEqual([0, 3]);
  });
});

describe('nn.DynamicQuantizedLinear', () => {
  it('quantizes activations per call with PyTorch qparams and matches the dequantized computation', async () => {
    const lin = new Linear(64, 48, { rng: new Rng(8) });
    const x = randomTensor([7, 64], 9, -3, 1);
    let lo = Infinity, hi = -Infinity;
    for (const v of x.data) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    for (const reduceRange of [false, true]) {
      const q = DynamicQuantizedLinear.fromFloat(lin, { reduceRange });
      const { scale, zeroPoint } = chooseQParams(lo, hi, { reduceRange });
      const y = q.forward(x);
      expectClose(y.data, dequantRef(quantizePerTensor(x, scale, zeroPoint, 'uint8'), q.weight, lin.bias!.data));
      expect(Array.from((await q.forwardAsync(x)).data)).toEqual(Array.from(y.data));
    }
  });

  it('supports one activation scale per row', () => {
    const lin = new Linear(30, 10, { rng: new Rng(10) });
    const x = randomTensor([4, 30], 11);
    for (let l = 0; l < 30; l++) x.data[30 + l] *= 100; // row 1 has a much wider range
    const q = DynamicQuantizedLinear.fromFloat(lin, { activationGranularity: 'row' });
    const y = q.forward(x);
    for (let i = 0; i < 4; i++) {
      const row = new Tensor(x.data.slice(i * 30, i * 30 + 30), [1, 30]);
      let lo = Infinity, hi = -Infinity;
      for (const v of row.data) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      const { scale, zeroPoint } = chooseQParams(lo, hi);
      const want = dequantRef(quantizePerTensor(row, scale, zeroPoint, 'uint8'), q.weight, lin.bias!.data);
      expectClose(y.data.slice(i * 10, i * 10 + 10), want);
    }
    expect(() => DynamicQuantizedLinear.fromFloat(lin, { activationGranularity: 'col' as never })).toThrow(/activationGranularity/);
  });

  it('stays close to PyTorch quantize_dynamic (per-channel and per-tensor qint8 weights)', () => {
    const fx = JSON.parse(readFileSync(join(__dirname, '../fixtures/quant/quantize.json'), 'utf8')).dynamic_linear as Array<{
      m: number; k: number; n: number; perChannel: boolean; weight: number[]; bias: number[]; x: number[]; y: number[]; yFloat: number[];
    }>;
    for (const c of fx) {
      const lin = new Linear(c.k, c.n);
      lin.weight.data.set(c.weight);
      lin.bias!.data.set(c.bias);
      const q = DynamicQuantizedLinear.fromFloat(lin, { perChannel: c.perChannel });
      const y = q.forward(new Tensor(new Float32Array(c.x), [c.m, c.k]));
      let scale = 0;
      for (const v of c.yFloat) scale = Math.max(scale, Math.abs(v));
      for (let i = 0; i < y.data.length; i++) {
        expect(Math.abs(y.data[i] - c.y[i])).toBeLessThan(0.03 * scale);
        expect(Math.abs(y.data[i] - c.yFloat[i])).toBeLessThan(0.03 * scale);
      }
    }
  });
});
