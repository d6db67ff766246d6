import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkShape, numel } from '../tensor';
import { rangeError, typeError } from '../errors';
import { formatError } from './format_error';
import { native } from '../native';

/** Element types nnslim reads ('F16' is converted to float32 on reading; it is never written). */
export type SafetensorsDtype = 'F32' | 'F16' | 'I8' | 'U8' | 'I32';

/** Arrays a tensor may hold when saved; the dtype follows the array type. */
export type TensorArray = Float32Array | Int8Array | Uint8Array | Int32Array;

/** A tensor to save: a typed array in row-major order and its shape (a {@link Tensor} is one). */
export interface TensorLike {
  data: TensorArray;
  shape: readonly number[];
}

/** A tensor read from a file: its dtype on disk, its shape and its values (F16 as Float32Array). */
export interface LoadedTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: TensorArray;
}

/** What {@link loadSafetensors} returns. */
export interface Safetensors {
  /** Tensors by name, in header order (a null-prototype object). */
  tensors: Record<string, LoadedTensor>;
  /** The `__metadata__` string map ({} when absent). */
  metadata: Record<string, string>;
}

/** Largest header accepted (100 MB; nnslim::kStMaxHeaderBytes). */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const LITTLE_ENDIAN = os.endianness() === 'LE';

function dtypeOf(a: unknown): SafetensorsDtype | null {
  if (a instanceof Float32Array) return 'F32';
  if (a instanceof Int8Array) return 'I8';
  if (a instanceof Uint8Array) return 'U8';
  if (a instanceof Int32Array) return 'I32';
  return null;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Little-endian bytes of a typed array (a copy). */
function toLittleEndian(a: TensorArray): Uint8Array {
  const bytes = new Uint8Array(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  if (!LITTLE_ENDIAN && a.BYTES_PER_ELEMENT === 4) {
    for (let i = 0; i < bytes.length; i += 4) {
      const b0 = bytes[i], b1 = bytes[i + 1];
      bytes[i] = bytes[i + 3]; bytes[i + 1] = bytes[i + 2]; bytes[i + 2] = b1; bytes[i + 3] = b0;
    }
  }
  return bytes;
}

function decode(bytes: Uint8Array, dtype: SafetensorsDtype, count: number): TensorArray {
  // new Uint8Array(view) copies (Buffer#slice would not), giving an aligned buffer of its own
  if (dtype === 'U8') return new Uint8Array(bytes);
  if (dtype === 'I8') return new Int8Array(new Uint8Array(bytes).buffer);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'F16') {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
    return out;
  }
  if (LITTLE_ENDIAN) {
    const copy = new Uint8Array(bytes).buffer;
    return dtype === 'F32' ? new Float32Array(copy) : new Int32Array(copy);
  }
  const out = dtype === 'F32' ? new Float32Array(count) : new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = dtype === 'F32' ? view.getFloat32(4 * i, true) : view.getInt32(4 * i, true);
  return out;
}

/**
 * Serialises named tensors to the safetensors format: an 8-byte little-endian header length,
 * a JSON header (`dtype`, `shape`, `data_offsets` per tensor, plus the `__metadata__` string
 * map), padded with spaces to 8 bytes, then the raw little-endian data. The dtype follows the
 * array type: Float32Array -> F32, Int8Array -> I8, Uint8Array -> U8, Int32Array -> I32.
 *
 * ```ts
 * const bytes = io.saveSafetensors({ w: new Tensor(new Float32Array(6), [2, 3]) }, { author: 'me' });
 * ```
 */
export function saveSafetensors(tensors: Record<string, TensorLike>, metadata?: Record<string, string>): Uint8Array {
  if (tensors === null || typeof tensors !== 'object' || Array.isArray(tensors)) throw typeError('tensors', 'an object of named tensors', tensors);
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) throw typeError('metadata', 'an object of strings', metadata);
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') throw typeError(`metadata['${k}']`, 'a string', v);
    if (Object.keys(metadata).length > 0) header.__metadata__ = { ...metadata };
  }
  const names = Object.keys(tensors).sort();
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    if (name.length === 0 || name === '__metadata__') throw rangeError('tensors', 'names other than "" and "__metadata__"', name);
    const t = tensors[name];
    if (t === null || typeof t !== 'object') throw typeError(`tensors['${name}']`, 'a tensor { data, shape }', t);
    const dtype = dtypeOf(t.data);
    if (dtype === null) throw typeError(`tensors['${name}'].data`, 'a Float32Array, Int8Array, Uint8Array or Int32Array', t.data);
    const shape = checkShape(`tensors['${name}'].shape`, t.shape);
    if (numel(shape) !== t.data.length) throw rangeError(`tensors['${name}'].data.length`, `${numel(shape)} (the product of the shape)`, t.data.length);
    const bytes = toLittleEndian(t.data);
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, json.length, true);
  view.setUint32(4, Math.floor(json.length / 2 ** 32), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** Writes {@link saveSafetensors} output to a file (through a temporary file and a rename). */
export function saveSafetensorsFile(file: string, tensors: Record<string, TensorLike>, metadata?: Record<string, string>): void {
  if (typeof file !== 'string' || file.length === 0) throw typeError('file', 'a file path', file);
  writeFileAtomic(file, saveSafetensors(tensors, metadata));
}

/** Writes bytes through a temporary file in the same folder and a rename. */
export function writeFileAtomic(file: string, bytes: Uint8Array): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
}

/**
 * Parses a safetensors file (bytes or a path) holding F32, F16 (converted to float32), I8,
 * U8 and I32 tensors. The file is untrusted: the header length is bounded (<= 100 MB and
 * <= file size - 8), the header must be a UTF-8 JSON object in strict JSON (no duplicate
 * names, nesting <= 64 levels, <= 2^22 values, no lone surrogate escapes), every entry needs a
 * known dtype, a valid shape and `data_offsets` inside the data section whose size is
 * product(shape) * dtype size, ranges may not overlap and must cover the data section. The
 * header is parsed and checked in native code (native/src/io/safetensors.cc, fuzzed with
 * libFuzzer). Any violation is an Error with code 'ERR_NNSLIM_FORMAT'.
 *
 * ```ts
 * const { tensors, metadata } = io.loadSafetensors('model.safetensors');
 * tensors['0.weight'].shape; // [128, 64]
 * ```
 */
export function loadSafetensors(source: Uint8Array | string): Safetensors {
  let bytes: Uint8Array;
  let what = 'safetensors data';
  if (typeof source === 'string') {
    what = source;
    bytes = fs.readFileSync(source);
  } else if (source instanceof Uint8Array) {
    bytes = source;
  } else {
    throw typeError('source', 'a Uint8Array or a file path', source);
  }
  // The header is parsed and checked natively (nnslim::st_parse, native/src/io/safetensors.cc).
  const header = native.safetensorsHeader(bytes);
  if (typeof header === 'string') throw formatError(what, header);
  const metadata: Record<string, string> = Object.create(null);
  for (const [k, v] of header.metadata) metadata[k] = v;
  const dataStart = header.dataStart;
  const entries = header.tensors;
  const tensors: Record<string, LoadedTensor> = Object.create(null);
  for (const e of entries) {
    const raw = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    tensors[e.name] = { dtype: e.dtype, shape: [...e.shape], data: decode(raw, e.dtype, numel(e.shape)) };
  }
  return { tensors, metadata };
}
