import { describe, expect, it } from 'vitest';
import { cpuInfo, setIsa } from '../../lib/runtime';
import { PackedInt8Weights, QTensor, linearInt8, linearInt8Async, packInt8Weights } from '../../lib/quant';
import { Tensor } from '../../lib/tensor';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randInts(n: number, lo: number, hi: number, r: () => number): number[] {
  return Array.from({ length: n }, () => lo + Math.floor(r() * (hi - lo + 1)));
}

// Exact integer reference of sum_k (x - zx)(w - zw).
function accRef(x: ArrayLike<number>, zx: number[], w: ArrayLike<number>, zw: number[], m: number, n: number, k: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let l = 0; l < k; l++) s += (x[i * k + l] - zx[zx.length === 1 ? 0 : i]) * (w[j * k + l] - zw[zw.length === 1 ? 0 : j]);
      out.push(s);
    }
  }
  return out;
}

const isas = cpuInfo().supportedIsas;

describe('quant.packInt8Weights', () => {
  it('packs per-tensor and per-channel int8 weights and reports their native size', () => {
    const w = new QTensor({ data: new Int8Array(33 * 70), shape: [33, 70], scale: 0.1, zeroPoint: 0 });
    const p = packInt8Weights(w);
    expect(p).toBeInstanceOf(PackedInt8Weights);
    expect(p.byteLength).toBeGreaterThanOrEqual(48 * 72);
    expect([p.outFeatures, p.inFeatures, p.qscheme]).toEqual([33, 70, 'per_tensor_affine']);
    const pc = packInt8Weights(new QTensor({ data: new Int8Array(6), shape: [2, 3], scales: [0.1, 0.2], zeroPoints: [1, -1], axis: 0 }));
    expect(pc.qscheme).toBe('per_channel_affine');
    expect(Array.from(pc.zeroPoints)).toEqual([1, -1]);
  });

  it('rejects what the kernel cannot take', () => {
    expect(() => packInt8Weights(new QTensor({ data: new Uint8Array(4), shape: [2, 2], scale: 1, zeroPoint: 0 }))).toThrow(/qWeight.dtype/);
    expect(() => packInt8Weights(new QTensor({ data: new Int8Array(4), shape: [4], scale: 1, zeroPoint: 0 }))).toThrow(/qWeight.shape/);
    expect(() => packInt8Weights(new QTensor({ data: new Int8Array(4), shape: [2, 2], scales: [1, 1], zeroPoints: [0, 0], axis: 1 }))).toThrow(/qWeight.axis/);
    expect(() => packInt8Weights(new QTensor({ data: new Int8Array(33026), shape: [1, 33026], scale: 1, zeroPoint: 0 }))).toThrow(/33025/);
    expect(() => packInt8Weights({} as never)).toThrow(TypeError);
  });
});

describe('quant.linearInt8 (native int8 GEMM)', () => {
  it('is exact against an integer reference at every ISA level (u8 / s8, zero points, per channel)', () => {
    const r = rng(7);
    const before = cpuInfo().isa;
    try {
      for (const isa of isas) {
        setIsa(isa);
        for (const [m, n, k] of [[1, 1, 1], [3, 17, 5], [9, 49, 37], [17, 33, 64]]) {
          for (const dtype of ['uint8', 'int8'] as const) {
            const [lo, hi] = dtype === 'uint8' ? [0, 255] : [-128, 127];
            const xv = randInts(m * k, lo, hi, r);
            const zx = randInts(1, lo, hi, r);
            const wv = randInts(n * k, -128, 127, r);
            const zw = randInts(n, -128, 127, r);
            const x = new QTensor({ data: dtype === 'uint8' ? Uint8Array.from(xv) : Int8Array.from(xv), shape: [m, k], scale: 0.5, zeroPoint: zx[0] });
            const w = packInt8Weights(new QTensor({ data: Int8Array.from(wv), shape: [n, k], scales: new Array(n).fill(1), zeroPoints: zw, axis: 0 }));
            // scale 0.5 * 1 keeps every |acc| < 2^24 exact in float32 for these sizes.
            const y = linearInt8(x, w) as Tensor;
            const want = accRef(xv, zx, wv, zw, m, n, k).map((v) => Math.fround(v * 0.5));
            expect(Array.from(y.data), `${isa} ${m}x${n}x${k} ${dtype}`).toEqual(want);
          }
        }
      }
    } finally {
      setIsa(before);
    }
  });

  it('fuses bias, ReLU and requantization', async () => {
    const x = new QTensor({ data: Uint8Array.from([10, 20, 30, 40]), shape: [2, 2], scale: 0.25, zeroPoint: 20 });
    const w = packInt8Weights(new QTensor({ data: Int8Array.from([1, -1, 2, 3]), shape: [2, 2], scale: 0.5, zeroPoint: 0 }));
    // acc = [(-10)(1) + 0(-1), (-10)2 + 0, 10 - 20, 20 + 60] = [-10, -20, -10, 80]; * 0.125
    const bias = new Float32Array([1, -1]);
    expect(Array.from((linearInt8(x, w, { bias }) as Tensor).data)).toEqual([-0.25, -3.5, -0.25, 9]);
    expect(Array.from((linearInt8(x, w, { bias, relu: true }) as Tensor).data)).toEqual([0, 0, 0, 9]);
    const q = linearInt8(x, w, { bias, outputDtype: 'uint8', outputScale: 0.5, outputZeroPoint: 10 }) as QTensor;
    expect(q.dtype).toBe('uint8');
    expect(Array.from(q.data)).toEqual([10, 3, 10, 28]); // -0.5 -> -0 (even), -7, -0.5 -> 0, 18
    const qa = (await linearInt8Async(x, w, { bias, outputDtype: 'int8', outputScale: 0.5, outputZeroPoint: -128 })) as QTensor;
    expect(Array.from(qa.data)).toEqual([-128, -128, -128, -110]);
  });

  it('validates its arguments', () => {
    const x = new QTensor({ data: new Uint8Array(4), shape: [2, 2], scale: 1, zeroPoint: 0 });
    const w = packInt8Weights(new QTensor({ data: new Int8Array(6), shape: [3, 2], scale: 1, zeroPoint: 0 }));
    expect(() => linearInt8(x, {} as never)).toThrow(TypeError);
    expect(() => linearInt8(new QTensor({ data: new Uint8Array(3), shape: [1, 3], scale: 1, zeroPoint: 0 }), w)).toThrow(/shape/);
    expect(() => linearInt8(x, w, { bias: new Float32Array(2) })).toThrow(/options.bias.length/);
    expect(() => linearInt8(x, w, { bias: new Float32Array([1, NaN, 0]) })).toThrow(/options.bias\[1\]/);
    expect(() => linearInt8(x, w, { outputDtype: 'uint8' })).toThrow(/outputScale/);
    expect(() => linearInt8(x, w, { outputDtype: 'uint8', outputScale: 1, outputZeroPoint: 300 })).toThrow(/outputZeroPoint/);
    expect(() => linearInt8(x, w, { outputScale: 1 })).toThrow(/outputScale/);
    expect(() => linearInt8(x, w, { foo: 1 } as never)).toThrow(/options/);
  });

  it('names its kernel in cpuInfo()', () => {
    expect(cpuInfo().kernels.qgemm).toMatch(/gemm_ukernel_\d+x\d+__/);
    expect(cpuInfo().kernels.quantize).toBeTypeOf('string');
  });
});
