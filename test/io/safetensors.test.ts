import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tensor, io } from '../../lib';

function sample(): Record<string, io.TensorLike> {
  return {
    'layer.weight': new Tensor(Float32Array.from([1.5, -2, 3.25, 0, -0, 1e-30, 3e38, NaN]), [2, 4]),
    'q.int8': { data: Int8Array.from([-128, -1, 0, 1, 127]), shape: [5] },
    'q.uint8': { data: Uint8Array.from([0, 1, 255]), shape: [3, 1] },
    'q.int32': { data: Int32Array.from([-(2 ** 31), 0, 2 ** 31 - 1, 7]), shape: [2, 2] },
    scalar: { data: Float32Array.from([42]), shape: [] },
    empty: { data: new Float32Array(0), shape: [0, 3] },
  };
}

/** Builds a file from a raw header object and a data section. */
function craft(header: unknown, dataBytes: Uint8Array | number, rawHeader?: string): Uint8Array {
  const json = Buffer.from(rawHeader ?? JSON.stringify(header), 'utf8');
  const body = typeof dataBytes === 'number' ? new Uint8Array(dataBytes) : dataBytes;
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

function expectFormatError(fn: () => unknown, re?: RegExp): void {
  let err: (Error & { code?: string }) | undefined;
  try { fn(); } catch (e) { err = e as Error; }
  expect(err, 'expected an error').toBeDefined();
  expect(err?.code).toBe('ERR_NNSLIM_FORMAT');
  if (re) expect(err?.message).toMatch(re);
}

describe('safetensors', () => {
  it('round-trips every dtype and the metadata, bit for bit', () => {
    const t = sample();
    const bytes = io.saveSafetensors(t, { format: 'pt', note: 'ünïcode' });
    const headerLen = new DataView(bytes.buffer).getUint32(0, true);
    expect(headerLen % 8).toBe(0);
    const { tensors, metadata } = io.loadSafetensors(bytes);
    expect({ ...metadata }).toEqual({ format: 'pt', note: 'ünïcode' });
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(t).sort());
    const dt: Record<string, string> = { 'layer.weight': 'F32', 'q.int8': 'I8', 'q.uint8': 'U8', 'q.int32': 'I32', scalar: 'F32', empty: 'F32' };
    for (const [name, src] of Object.entries(t)) {
      const got = tensors[name];
      expect(got.dtype).toBe(dt[name]);
      expect(got.shape).toEqual([...src.shape]);
      expect(got.data.constructor).toBe(src.data.constructor);
      expect(Buffer.from(got.data.buffer, got.data.byteOffset, got.data.byteLength)).toEqual(Buffer.from(src.data.buffer, src.data.byteOffset, src.data.byteLength));
    }
  });

  it('reads F16 as float32', () => {
    const halves = Uint16Array.from([0x3c00, 0xc000, 0x3555, 0x0001, 0x7c00, 0xfc00, 0x7e00, 0x0000, 0x8000, 0x7bff]);
    const bytes = craft({ h: { dtype: 'F16', shape: [10], data_offsets: [0, 20] } }, new Uint8Array(halves.buffer));
    const d = io.loadSafetensors(bytes).tensors.h;
    expect(d.dtype).toBe('F16');
    expect(d.data).toBeInstanceOf(Float32Array);
    const v = Array.from(d.data);
    expect(v.slice(0, 2)).toEqual([1, -2]);
    expect(v[2]).toBeCloseTo(0.333251953125, 10);
    expect(v[3]).toBe(2 ** -24);
    expect(v[4]).toBe(Infinity);
    expect(v[5]).toBe(-Infinity);
    expect(v[6]).toBeNaN();
    expect(Object.is(v[8], -0)).toBe(true);
    expect(v[9]).toBe(65504);
  });

  it('reads and writes files with the standard header layout', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnslim-st-'));
    try {
      const file = path.join(dir, 'a.safetensors');
      io.saveSafetensorsFile(file, sample(), { a: 'b' });
      const { tensors } = io.loadSafetensors(file);
      expect(Array.from(tensors['q.int32'].data)).toEqual([-(2 ** 31), 0, 2 ** 31 - 1, 7]);
      const head = JSON.parse(Buffer.from(fs.readFileSync(file)).subarray(8, 8 + fs.readFileSync(file).readUInt32LE(0)).toString());
      expect(head['q.int8']).toEqual({ dtype: 'I8', shape: [5], data_offsets: expect.any(Array) });
      expect(head.__metadata__).toEqual({ a: 'b' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('validates what it saves', () => {
    expect(() => io.saveSafetensors(null as never)).toThrow(TypeError);
    expect(() => io.saveSafetensors({ a: { data: new Float64Array(1), shape: [1] } } as never)).toThrow(/Float32Array, Int8Array/);
    expect(() => io.saveSafetensors({ a: { data: new Float32Array(3), shape: [2] } })).toThrow(RangeError);
    expect(() => io.saveSafetensors({ __metadata__: { data: new Float32Array(1), shape: [1] } })).toThrow(RangeError);
    expect(() => io.saveSafetensors({}, { a: 1 } as never)).toThrow(/metadata/);
    expect(() => io.loadSafetensors(5 as never)).toThrow(TypeError);
  });

  describe('corrupt files give ERR_NNSLIM_FORMAT, never a crash or a hang', () => {
    const good = io.saveSafetensors(sample(), { k: 'v' });
    const headerLen = new DataView(good.buffer).getUint32(0, true);

    it('truncated at every 1/16 of the file (and every byte of the first 16)', () => {
      const cuts = new Set<number>();
      for (let i = 0; i < 16; i++) cuts.add(Math.floor((good.length * i) / 16));
      for (let i = 0; i < 16; i++) cuts.add(i);
      cuts.add(good.length - 1);
      for (const n of cuts) expectFormatError(() => io.loadSafetensors(good.subarray(0, n)));
    });

    it('bit flips in the header: an error or a consistent parse', () => {
      for (let pos = 0; pos < 8 + headerLen; pos++) {
        for (const bit of [0, 3, 7]) {
          const bad = good.slice();
          bad[pos] ^= 1 << bit;
          try {
            const r = io.loadSafetensors(bad);
            // a flip may land on something harmless (e.g. a metadata letter); the result must still be self-consistent
            for (const t of Object.values(r.tensors)) expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
          } catch (e) {
            expect((e as { code?: string }).code).toBe('ERR_NNSLIM_FORMAT');
          }
        }
      }
    });

    it('oversized header lengths', () => {
      const big = good.slice();
      new DataView(big.buffer).setUint32(0, 0xffffffff, true);
      expectFormatError(() => io.loadSafetensors(big), /exceeds/);
      new DataView(big.buffer).setUint32(0, 0, true);
      new DataView(big.buffer).setUint32(4, 1, true);
      expectFormatError(() => io.loadSafetensors(big), /limit/);
      const past = good.slice();
      new DataView(past.buffer).setUint32(0, good.length, true);
      expectFormatError(() => io.loadSafetensors(past), /file size/);
      const hundredMb = new Uint8Array(16);
      new DataView(hundredMb.buffer).setUint32(0, 100 * 1024 * 1024 + 1, true);
      expectFormatError(() => io.loadSafetensors(hundredMb), /limit/);
    });

    const t4 = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
    const matrix: Array<[string, () => Uint8Array, RegExp]> = [
      ['overlapping ranges', () => craft({ a: t4, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12), /overlaps/],
      ['identical ranges', () => craft({ a: t4, b: t4 }, 8), /overlaps/],
      ['offsets past the end', () => craft({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 4), /past the data section/],
      ['begin > end', () => craft({ a: { dtype: 'F32', shape: [0], data_offsets: [8, 0] } }, 8), /begin > end/],
      ['shape/size mismatch', () => craft({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8), /needs 12/],
      ['dtype size mismatch', () => craft({ a: { dtype: 'I32', shape: [3], data_offsets: [0, 3] } }, 3), /needs 12/],
      ['shape overflow', () => craft({ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } }, 8), /overflows/],
      ['negative dimension', () => craft({ a: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, 8), /dimension/],
      ['fractional offsets', () => craft({ a: { dtype: 'F32', shape: [2], data_offsets: [0.5, 8.5] } }, 9), /data_offsets/],
      ['gap in the data', () => craft({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8), /belong to no tensor/],
      ['trailing bytes', () => craft({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 8), /trailing/],
      ['unsupported dtype', () => craft({ a: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }, 8), /unsupported dtype/],
      ['missing dtype', () => craft({ a: { shape: [1], data_offsets: [0, 4] } }, 4), /dtype/],
      ['unknown field', () => craft({ a: { ...t4, extra: 1 } }, 8), /unknown field/],
      ['non-JSON header', () => craft(null, 0, '{"a": {"dtype": "F32",'), /invalid JSON/],
      ['JSON array header', () => craft([1, 2], 0), /not a JSON object/],
      ['JSON trailing garbage', () => craft(null, 8, JSON.stringify({ a: t4 }) + 'x'), /trailing characters/],
      ['duplicate names', () => craft(null, 8, `{"a":${JSON.stringify(t4)},"a":${JSON.stringify(t4)}}`), /duplicate name "a"/],
      ['invalid UTF-8', () => { const b = craft(null, 0, '{"a\u00e9":1}'); b[11] = 0xff; return b; }, /UTF-8/],
      ['deep nesting', () => craft(null, 0, '{"__metadata__":' + '['.repeat(5000) + ']'.repeat(5000) + '}'), /nesting too deep/],
      ['non-string metadata', () => craft({ __metadata__: { a: 1 } }, 0), /__metadata__/],
      ['metadata not an object', () => craft({ __metadata__: 'x' }, 0), /__metadata__/],
      ['entry not an object', () => craft({ a: 3 }, 0), /not an object/],
      ['empty name', () => craft({ '': t4 }, 8), /empty tensor name/],
      ['header too small', () => craft(null, 0, ' '), /too small/],
    ];
    for (const [name, make, re] of matrix) {
      it(name, () => expectFormatError(() => io.loadSafetensors(make()), re));
    }

    it('rejects lone surrogate escapes (names and metadata must be valid UTF-8)', () => {
      expectFormatError(() => io.loadSafetensors(craft(null, 0, '{"__metadata__":{"a":"\\ud800"}}')), /lone surrogate/);
      expectFormatError(() => io.loadSafetensors(craft(null, 8, `{"\\udc00":${JSON.stringify(t4)}}`)), /lone surrogate/);
      const ok = io.loadSafetensors(craft(null, 0, '{"__metadata__":{"a":"\\ud83d\\ude00\\u00e9"}}'));
      expect(ok.metadata.a).toBe('\u{1f600}\u00e9');
    });

    it('reads integers written as 2.0 or 2e0, as JSON.parse does', () => {
      const r = io.loadSafetensors(craft(null, 8, '{"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0e0,0.8e1]}}'));
      expect(r.tensors.a.shape).toEqual([2]);
      expectFormatError(() => io.loadSafetensors(craft(null, 8, '{"a":{"dtype":"F32","shape":[1e400],"data_offsets":[0,8]}}')), /dimension/);
    });

    it('treats __proto__ as a plain name', () => {
      const b = craft(null, 8, `{"__proto__":${JSON.stringify(t4)}}`);
      const r = io.loadSafetensors(b);
      expect(Object.keys(r.tensors)).toEqual(['__proto__']);
      expect(({} as Record<string, unknown>).dtype).toBeUndefined();
    });
  });
});
