import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as quant from '../../lib/quant';
import { QTensor, chooseQParams, dequantize, quantizePerChannel, quantizePerTensor } from '../../lib/quant';
import { Tensor } from '../../lib/tensor';

interface PerTensorCase {
  scale: number;
  x: number[];
  results: Array<{ dtype: 'uint8' | 'int8'; zeroPoint: number; q: number[]; dequantized?: number[] }>;
}
interface PerChannelCase {
  dtype: 'uint8' | 'int8';
  shape: number[];
  axis: number;
  scales: number[];
  zeroPoints: number[];
  x: number[];
  q: number[];
  dequantized: number[];
}
// Non-finite floats are stored as the strings 'Infinity', '-Infinity', 'NaN'.
const fx = JSON.parse(readFileSync(join(__dirname, '../fixtures/quant/quantize.json'), 'utf8'),
  (_k, v) => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v === 'NaN' ? NaN : v)) as {
  per_tensor: PerTensorCase[];
  per_channel: PerChannelCase[];
  choose_qparams: Array<{ min: number; max: number; reduceRange: boolean; scale: number; zeroPoint: number }>;
};

describe('quant.quantizePerTensor / dequantize vs PyTorch 1.13', () => {
  it('matches torch.quantize_per_tensor bit for bit, including exact .5 ties and infinities', () => {
    let ties = 0;
    for (const c of fx.per_tensor) {
      const x = new Float32Array(c.x);
      const inv = Math.fround(1 / Math.fround(c.scale));
      for (const v of x) if (Math.abs(Math.fround(v * inv) % 1) === 0.5) ties++;
      for (const r of c.results) {
        const q = quantizePerTensor(new Tensor(x, [x.length]), c.scale, r.zeroPoint, r.dtype);
        expect(q.dtype).toBe(r.dtype);
        expect(q.data).toBeInstanceOf(r.dtype === 'int8' ? Int8Array : Uint8Array);
        expect(Array.from(q.data)).toEqual(r.q);
        if (r.dequantized) expect(Array.from(dequantize(q).data)).toEqual(Array.from(new Float32Array(r.dequantized)));
      }
    }
    expect(ties).toBeGreaterThan(1000);
  });

  it('accepts a bare Float32Array and keeps the float32 scale', () => {
    const q = quantizePerTensor(new Float32Array([0.25, 0.75, -1]), 0.5, 128, 'uint8');
    expect(Array.from(q.data)).toEqual([128, 130, 126]); // 0.5 -> 0 (even), 1.5 -> 2
    expect(q.scale).toBe(0.5);
    expect(q.qscheme).toBe('per_tensor_affine');
    expect(Array.from(dequantize(q).data)).toEqual([0, 1, -1]);
  });

  it('validates its arguments', () => {
    const x = new Float32Array([1, 2]);
    expect(() => quantizePerTensor(x, 0, 0, 'uint8')).toThrow(RangeError);
    expect(() => quantizePerTensor(x, NaN, 0, 'uint8')).toThrow(/scale/);
    expect(() => quantizePerTensor(x, 0.1, 256, 'uint8')).toThrow(/zeroPoint/);
    expect(() => quantizePerTensor(x, 0.1, -1, 'uint8')).toThrow(RangeError);
    expect(() => quantizePerTensor(x, 0.1, 128, 'int8')).toThrow(RangeError);
    expect(() => quantizePerTensor(x, 0.1, 0.5, 'int8')).toThrow(/zeroPoint/);
    expect(() => quantizePerTensor(x, 0.1, 0, 'int16' as never)).toThrow(/dtype/);
    expect(() => quantizePerTensor([1, 2] as never, 0.1, 0, 'int8')).toThrow(TypeError);
    expect(() => quantizePerTensor(new Float32Array([1, NaN]), 0.1, 0, 'int8')).toThrow(/x.data\[1\]/);
    try {
      quantizePerTensor(x, -1, 0, 'int8');
    } catch (e) {
      expect((e as { code: string }).code).toBe('ERR_NNSLIM_RANGE');
    }
  });
});

describe('quant.quantizePerChannel vs PyTorch 1.13', () => {
  it('matches torch.quantize_per_channel and torch.dequantize', () => {
    for (const c of fx.per_channel) {
      const q = quantizePerChannel(new Tensor(new Float32Array(c.x), c.shape), c.scales, c.zeroPoints, c.axis, c.dtype);
      expect(q.qscheme).toBe('per_channel_affine');
      expect(q.axis).toBe(c.axis < 0 ? c.axis + c.shape.length : c.axis);
      expect(Array.from(q.data)).toEqual(c.q);
      expect(Array.from(dequantize(q).data)).toEqual(Array.from(new Float32Array(c.dequantized)));
    }
  });

  it('validates scales, zero points and axis', () => {
    const x = new Tensor(new Float32Array(6), [2, 3]);
    expect(() => quantizePerChannel(x, [0.1, 0.1], [0, 0], 1, 'int8')).toThrow(/scales.length/);
    expect(() => quantizePerChannel(x, [0.1, 0.1], [0, 0], 2, 'int8')).toThrow(/axis/);
    expect(() => quantizePerChannel(x, [0.1, -1], [0, 0], 0, 'int8')).toThrow(/scales\[1\]/);
    expect(() => quantizePerChannel(x, [0.1, 0.1], [0, 300], 0, 'uint8')).toThrow(/zeroPoints\[1\]/);
    expect(() => quantizePerChannel(x, 'a' as never, [0, 0], 0, 'int8')).toThrow(TypeError);
    const q = quantizePerChannel(x, new Float32Array([0.1, 0.2, 0.3]), new Int32Array([1, 2, 3]), -1, 'uint8');
    expect(Array.from(q.data)).toEqual([1, 2, 3, 1, 2, 3]);
  });
});

describe('QTensor', () => {
  it('checks its fields', () => {
    expect(() => new QTensor({ data: new Float32Array(1) as never, shape: [1], scale: 1, zeroPoint: 0 })).toThrow(TypeError);
    expect(() => new QTensor({ data: new Uint8Array(2), shape: [3], scale: 1, zeroPoint: 0 })).toThrow(RangeError);
    expect(() => new QTensor({ data: new Uint8Array(2), shape: [2], dtype: 'int8', scale: 1, zeroPoint: 0 })).toThrow(/dtype/);
    expect(() => new QTensor({ data: new Int8Array(2), shape: [2], scale: 1, zeroPoint: 200 })).toThrow(/zeroPoint/);
    const q = new QTensor({ data: new Int8Array(4), shape: [2, 2], scales: [1, 2], zeroPoints: [0, 1], axis: -1 });
    expect(q.axis).toBe(1);
    expect(q.scales).toBeInstanceOf(Float32Array);
    expect(dequantize({ data: new Uint8Array([3]), shape: [1], scale: 2, zeroPoint: 1 } as never).data[0]).toBe(4);
  });
});

describe('quant.chooseQParams vs torch._choose_qparams_per_tensor', () => {
  it('matches scale and zero point', () => {
    for (const c of fx.choose_qparams) {
      const r = chooseQParams(c.min, c.max, { reduceRange: c.reduceRange });
      expect([r.scale, r.zeroPoint]).toEqual([c.scale, c.zeroPoint]);
    }
    expect(() => chooseQParams(1, 0)).toThrow(RangeError);
    expect(() => chooseQParams(NaN, 0)).toThrow(RangeError);
  });

  it('is exported next to the observers', () => {
    expect(typeof quant.MinMaxObserver).toBe('function');
    expect(typeof quant.fakeQuantize).toBe('function');
    expect(typeof quant.packInt8Weights).toBe('function');
  });
});
