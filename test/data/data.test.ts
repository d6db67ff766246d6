import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Tensor, data } from '../../lib';

function idx(type: number, dims: number[], body: Uint8Array): Uint8Array {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = type; head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return new Uint8Array(Buffer.concat([head, body]));
}

const FASHION = '/usr/share/datasets/fashion-mnist';

describe('loadDigits', () => {
  it('has the 1797 8x8 images scaled to [0, 1] and balanced labels', () => {
    const d = data.loadDigits();
    expect(d.x.shape).toEqual([1797, 64]);
    expect(d.y.length).toBe(1797);
    expect(d.numClasses).toBe(10);
    expect(d.imageShape).toEqual([8, 8]);
    expect(Math.max(...d.x.data)).toBe(1);
    expect(Math.min(...d.x.data)).toBe(0);
    const counts = new Array(10).fill(0);
    for (const v of d.y) counts[v]++;
    expect(counts.every((c) => c >= 174 && c <= 183)).toBe(true);
    // the first image of sklearn's load_digits() is a 0 with these first 16 pixels
    const raw = data.loadDigits({ normalize: false });
    expect(Array.from(raw.x.data.subarray(0, 16))).toEqual([0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0]);
    expect(raw.y[0]).toBe(0);
    expect(() => data.loadDigits({ normalize: 1 as never })).toThrow(TypeError);
  });
  it('rejects malformed CSV', () => {
    expect(() => data.parseDigitsCsv('1,2,3\n')).toThrow(/3 columns, expected 65/);
    expect(() => data.parseDigitsCsv(new Array(64).fill('0').join(',') + ',12\n')).toThrow(/bad value/);
  });
});

describe('split', () => {
  it('is seeded, disjoint, complete and stratified', () => {
    const d = data.loadDigits();
    const a = data.split(d, { validation: 0.1, test: 0.2, seed: 4 });
    const b = data.split(d, { validation: 0.1, test: 0.2, seed: 4 });
    const c = data.split(d, { validation: 0.1, test: 0.2, seed: 5 });
    expect(Array.from(a.test.y)).toEqual(Array.from(b.test.y));
    expect(Array.from(a.train.x.data.subarray(0, 200))).toEqual(Array.from(b.train.x.data.subarray(0, 200)));
    expect(Array.from(a.test.x.data.subarray(0, 200))).not.toEqual(Array.from(c.test.x.data.subarray(0, 200)));
    expect(a.test.x.shape[0]).toBe(Math.round(0.2 * 1797));
    expect(a.validation.x.shape[0]).toBe(Math.round(0.1 * 1797));
    expect(a.train.x.shape[0] + a.validation.x.shape[0] + a.test.x.shape[0]).toBe(1797);
    const counts = new Array(10).fill(0);
    for (const v of a.test.y) counts[v]++;
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(34);
    expect(Math.max(...counts)).toBeLessThanOrEqual(38);
    // rows are whole images: every test row exists in the original set
    const rows = new Set<string>();
    for (let i = 0; i < 1797; i++) rows.add(d.x.data.subarray(i * 64, i * 64 + 64).join(','));
    for (let i = 0; i < a.test.x.shape[0]; i++) expect(rows.has(a.test.x.data.subarray(i * 64, i * 64 + 64).join(','))).toBe(true);
    expect(() => data.split(d, { validation: 0.6, test: 0.6 })).toThrow(RangeError);
    expect(() => data.split(d, { test: -1 })).toThrow(RangeError);
    expect(() => data.split({} as never)).toThrow(TypeError);
    expect(data.split(d, { test: 100, stratify: false }).test.x.shape[0]).toBe(100);
  });
});

describe('normalize', () => {
  it('standardises with train statistics', () => {
    const x = new Tensor(new Float32Array([1, 10, 3, 30]), [2, 2]);
    const s = data.computeStats(x);
    expect(Array.from(s.mean)).toEqual([2, 20]);
    const n = data.normalize(x, s);
    expect(Array.from(n.data)).toEqual([-1, -1, 1, 1]);
    const g = data.computeStats(x, { perFeature: false });
    expect(g.mean.length).toBe(1);
    expect(() => data.normalize(x, { mean: new Float32Array(3), std: new Float32Array(3) })).toThrow(RangeError);
  });
});

describe('readIdx', () => {
  it('reads uint8 and big-endian int32/float32 files, plain and gzipped', () => {
    const u8 = idx(0x08, [2, 3], new Uint8Array([1, 2, 3, 4, 5, 255]));
    const r = data.readIdx(u8);
    expect(r).toMatchObject({ dtype: 'uint8', shape: [2, 3] });
    expect(Array.from(r.data)).toEqual([1, 2, 3, 4, 5, 255]);
    expect(Array.from(data.readIdx(zlib.gzipSync(u8)).data)).toEqual([1, 2, 3, 4, 5, 255]);
    const body = Buffer.alloc(8); body.writeInt32BE(-7, 0); body.writeFloatBE(1.5, 4);
    expect(Array.from(data.readIdx(idx(0x0c, [2], body)).data)).toEqual([-7, body.readInt32BE(4)]);
    expect(Array.from(data.readIdx(idx(0x0d, [1], body.subarray(4))).data)).toEqual([1.5]);
  });
  it('rejects corrupt files with ERR_NNSLIM_FORMAT', () => {
    const good = idx(0x08, [2, 3], new Uint8Array(6));
    const bad: Array<[Uint8Array, RegExp]> = [
      [good.subarray(0, 3), /too short/],
      [Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 0]), /magic/],
      [Uint8Array.from([0, 0, 0x42, 1, 0, 0, 0, 0]), /element type/],
      [Uint8Array.from([0, 0, 8, 0]), /dimensions/],
      [good.subarray(0, 10), /truncated header/],
      [good.subarray(0, good.length - 1), /needs 6/],
      [idx(0x08, [0xffffffff, 0xffffffff], new Uint8Array(0)), /too large|needs/],
      [Uint8Array.from([0x1f, 0x8b, 1, 2, 3]), /gzip/],
    ];
    for (const [bytes, re] of bad) {
      let err: (Error & { code?: string }) | undefined;
      try { data.readIdx(bytes); } catch (e) { err = e as Error; }
      expect(err?.message).toMatch(re);
      expect(err?.code).toBe('ERR_NNSLIM_FORMAT');
    }
    expect(() => data.readIdx(42 as never)).toThrow(TypeError);
  });
  it('loads an MNIST-format folder', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnslim-idx-'));
    try {
      const img = (n: number) => idx(0x08, [n, 2, 2], Uint8Array.from({ length: n * 4 }, (_, i) => i % 256));
      const lab = (n: number) => idx(0x08, [n], Uint8Array.from({ length: n }, (_, i) => i % 3));
      fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte.gz'), zlib.gzipSync(img(5)));
      fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), lab(5));
      fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte'), img(2));
      expect(() => data.loadMnist(dir)).toThrow(/t10k-labels/);
      fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), lab(3));
      expect(() => data.loadMnist(dir)).toThrow(/2 images but 3 labels/);
      fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), lab(2));
      const { train, test } = data.loadMnist(dir);
      expect(train.x.shape).toEqual([5, 4]);
      expect(test.x.shape).toEqual([2, 4]);
      expect(train.numClasses).toBe(3);
      expect(train.x.data[1]).toBeCloseTo(1 / 255, 7);
      expect(() => data.loadMnist(path.join(dir, 'nope'))).toThrow(/not a folder/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  it.skipIf(!fs.existsSync(FASHION))('loads Fashion-MNIST from the Debian package', () => {
    const { train, test } = data.loadMnist(FASHION);
    expect(train.x.shape).toEqual([60000, 784]);
    expect(test.x.shape).toEqual([10000, 784]);
    expect(train.numClasses).toBe(10);
    expect(train.imageShape).toEqual([28, 28]);
  });
});
