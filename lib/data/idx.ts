import * as fs from 'node:fs';
import * as buffer from 'node:buffer';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { checkOptions, checkBool, typeError } from '../errors';
import { formatError } from '../io/format_error';
import { Tensor } from '../tensor';
import type { Dataset } from './dataset';

/** Element type of an IDX file. */
export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** An IDX array: element type, shape and values (big-endian on disk, native here). */
export interface IdxArray {
  dtype: IdxDtype;
  shape: number[];
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const TYPES: Record<number, [IdxDtype, number]> = {
  0x08: ['uint8', 1], 0x09: ['int8', 1], 0x0b: ['int16', 2], 0x0c: ['int32', 4], 0x0d: ['float32', 4], 0x0e: ['float64', 8],
};

/** Largest decompressed IDX file accepted (1 GiB). */
export const MAX_IDX_BYTES = 2 ** 30;

/** Reads bytes from a path or passes bytes through; gunzips when the gzip magic is present. */
export function readMaybeGzip(name: string, source: Uint8Array | string, maxBytes: number): Uint8Array {
  let bytes: Uint8Array;
  if (typeof source === 'string') {
    bytes = fs.readFileSync(source);
  } else if (source instanceof Uint8Array) {
    bytes = source;
  } else {
    throw typeError(name, 'a Uint8Array or a file path', source);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      // Never above what this Node can allocate (kMaxLength is 2^30 - 1 on 32-bit builds, e.g. armv7).
      return zlib.gunzipSync(bytes, { maxOutputLength: Math.min(maxBytes, buffer.kMaxLength) });
    } catch (e) {
      throw formatError(typeof source === 'string' ? source : name, `invalid or oversized gzip data (${(e as Error).message})`);
    }
  }
  return bytes;
}

/**
 * Parses an IDX file (the MNIST format), plain or gzipped, from bytes or a path. The file is
 * untrusted: the magic, the element type, the number of dimensions and the exact size are
 * checked, and a bad file is an Error with code 'ERR_NNSLIM_FORMAT'.
 *
 * ```ts
 * const images = data.readIdx('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz');
 * images.shape; // [10000, 28, 28]
 * ```
 */
export function readIdx(source: Uint8Array | string): IdxArray {
  const what = typeof source === 'string' ? source : 'IDX data';
  const b = readMaybeGzip('source', source, MAX_IDX_BYTES);
  if (b.length < 4) throw formatError(what, `too short for an IDX header (${b.length} bytes)`);
  if (b[0] !== 0 || b[1] !== 0) throw formatError(what, 'bad magic (an IDX file starts with two zero bytes)');
  const type = TYPES[b[2]];
  if (!type) throw formatError(what, `unknown element type 0x${b[2].toString(16)}`);
  const ndim = b[3];
  if (ndim < 1 || ndim > 8) throw formatError(what, `unsupported number of dimensions ${ndim}`);
  const headerLen = 4 + 4 * ndim;
  if (b.length < headerLen) throw formatError(what, `truncated header (${b.length} of ${headerLen} bytes)`);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    if (d > 2 ** 31 - 1) throw formatError(what, `dimension ${i} is too large (${d})`);
    shape.push(d);
    count *= d;
  }
  const [dtype, size] = type;
  const expected = count * size;
  if (!Number.isSafeInteger(expected) || b.length - headerLen !== expected) {
    throw formatError(what, `data section has ${b.length - headerLen} bytes but shape [${shape.join(', ')}] of ${dtype} needs ${expected}`);
  }
  let data: IdxArray['data'];
  switch (dtype) {
    case 'uint8': data = new Uint8Array(b.subarray(headerLen)); break;
    case 'int8': data = new Int8Array(new Uint8Array(b.subarray(headerLen)).buffer); break;
    case 'int16': data = new Int16Array(count); for (let i = 0; i < count; i++) data[i] = view.getInt16(headerLen + 2 * i, false); break;
    case 'int32': data = new Int32Array(count); for (let i = 0; i < count; i++) data[i] = view.getInt32(headerLen + 4 * i, false); break;
    case 'float32': data = new Float32Array(count); for (let i = 0; i < count; i++) data[i] = view.getFloat32(headerLen + 4 * i, false); break;
    default: data = new Float64Array(count); for (let i = 0; i < count; i++) data[i] = view.getFloat64(headerLen + 8 * i, false); break;
  }
  return { dtype, shape, data };
}

/** Options of {@link loadMnist}. */
export interface LoadMnistOptions {
  /** Scale pixels to [0, 1] (divide by 255). Default true. */
  normalize?: boolean;
}

function findFile(dir: string, stems: string[]): string {
  for (const stem of stems) {
    for (const ext of ['', '.gz']) {
      const p = path.join(dir, stem + ext);
      if (fs.existsSync(p)) return p;
    }
  }
  throw formatError(dir, `no ${stems[0]}[.gz] in this folder (expected the four MNIST-format IDX files)`);
}

function toDataset(images: IdxArray, labels: IdxArray, what: string, normalize: boolean): Dataset {
  if (images.dtype !== 'uint8' || images.shape.length < 2) throw formatError(what, `images must be uint8 with at least 2 dimensions, got ${images.dtype} [${images.shape.join(', ')}]`);
  if (labels.dtype !== 'uint8' || labels.shape.length !== 1) throw formatError(what, `labels must be 1-D uint8, got ${labels.dtype} [${labels.shape.join(', ')}]`);
  const n = images.shape[0];
  if (labels.shape[0] !== n) throw formatError(what, `${n} images but ${labels.shape[0]} labels`);
  const features = images.data.length / Math.max(1, n);
  const x = new Float32Array(images.data.length);
  const scale = normalize ? 1 / 255 : 1;
  for (let i = 0; i < x.length; i++) x[i] = images.data[i] * scale;
  const y = Int32Array.from(labels.data as Uint8Array);
  let classes = 0;
  for (const v of y) if (v + 1 > classes) classes = v + 1;
  return { x: new Tensor(x, [n, features]), y, numClasses: classes, imageShape: images.shape.slice(1) };
}

/**
 * Loads an MNIST-format folder (Fashion-MNIST, MNIST, KMNIST...) holding
 * `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte` and
 * `t10k-labels-idx1-ubyte` (each optionally `.gz`). Images are flattened to rows of float32.
 *
 * ```ts
 * const { train, test } = data.loadMnist('/usr/share/datasets/fashion-mnist');
 * train.x.shape; // [60000, 784]
 * ```
 */
export function loadMnist(dir: string, options?: LoadMnistOptions): { train: Dataset; test: Dataset } {
  if (typeof dir !== 'string' || dir.length === 0) throw typeError('dir', 'a folder path', dir);
  const opts = checkOptions<LoadMnistOptions>('options', options);
  const normalize = opts.normalize === undefined ? true : checkBool('options.normalize', opts.normalize);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw formatError(dir, 'not a folder');
  const part = (prefix: string) => {
    const img = findFile(dir, [`${prefix}-images-idx3-ubyte`, `${prefix}-images.idx3-ubyte`]);
    const lab = findFile(dir, [`${prefix}-labels-idx1-ubyte`, `${prefix}-labels.idx1-ubyte`]);
    return toDataset(readIdx(img), readIdx(lab), img, normalize);
  };
  const train = part('train');
  const test = part('t10k');
  if (train.x.shape[1] !== test.x.shape[1]) throw formatError(dir, 'train and test images differ in size');
  const classes = Math.max(train.numClasses, test.numClasses);
  train.numClasses = classes;
  test.numClasses = classes;
  return { train, test };
}
