'use strict';
// A minimal protobuf encoder for the few ONNX messages a one-node benchmark model needs
// (field numbers from onnx.proto), so the ORT peer needs no onnx/protobuf package.
// Only what is used is here: varint and length-delimited fields, packed repeats are not needed.

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const FLOAT = 1; // TensorProto.DataType.FLOAT

/** Protobuf base-128 varint of a non-negative safe integer. */
function varint(value) {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint: expected a non-negative safe integer, got ${value}`);
  const bytes = [];
  let v = value;
  while (v >= 0x80) {
    bytes.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  bytes.push(v);
  return Uint8Array.from(bytes);
}

function concat(parts) {
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function key(field, wire) {
  return varint(field * 8 + wire);
}

/** An integer field (int32/int64/enum) as a varint. */
function intField(field, value) {
  return concat([key(field, WIRE_VARINT), varint(value)]);
}

/** A length-delimited field: bytes, an embedded message (its encoding) or a UTF-8 string. */
function bytesField(field, payload) {
  const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  return concat([key(field, WIRE_LEN), varint(bytes.length), bytes]);
}

/** Little-endian bytes of a Float32Array (TensorProto.raw_data is little-endian). */
function float32Bytes(values) {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return out;
}

// onnx.proto messages (field numbers in comments).
function tensorShape(dims) {
  // TensorShapeProto { repeated Dimension dim = 1 }, Dimension { int64 dim_value = 1 }
  return concat(dims.map((d) => bytesField(1, intField(1, d))));
}

function valueInfo(name, dims) {
  // ValueInfoProto { name = 1, type = 2 }, TypeProto { tensor_type = 1 },
  // TypeProto.Tensor { int32 elem_type = 1, shape = 2 }
  const tensorType = concat([intField(1, FLOAT), bytesField(2, tensorShape(dims))]);
  return concat([bytesField(1, name), bytesField(2, bytesField(1, tensorType))]);
}

function tensorProto(name, dims, values) {
  // TensorProto { repeated int64 dims = 1, int32 data_type = 2, string name = 8, bytes raw_data = 9 }
  const expected = dims.reduce((a, b) => a * b, 1);
  if (values.length !== expected) throw new RangeError(`tensor ${name}: ${values.length} values for dims [${dims}]`);
  return concat([...dims.map((d) => intField(1, d)), intField(2, FLOAT), bytesField(8, name), bytesField(9, float32Bytes(values))]);
}

function node(opType, inputs, outputs, name) {
  // NodeProto { repeated string input = 1, repeated string output = 2, name = 3, op_type = 4 }
  return concat([...inputs.map((i) => bytesField(1, i)), ...outputs.map((o) => bytesField(2, o)), bytesField(3, name), bytesField(4, opType)]);
}

/**
 * An ONNX model (serialized ModelProto, IR version 8, default-domain opset 13) computing
 * Y[M x N] = X[M x K] * W[K x N] with one MatMul node. With `weights` (a Float32Array of K*N,
 * row-major [K, N]) W is an initializer, as in a deployed model; without, W is a second input.
 */
function matmulModel({ m, k, n, weights = null }) {
  for (const [name, v] of Object.entries({ m, k, n })) {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`matmulModel: ${name} must be a positive integer, got ${v}`);
  }
  // GraphProto { node = 1, name = 2, initializer = 5, input = 11, output = 12 }
  const graphParts = [bytesField(1, node('MatMul', ['X', 'W'], ['Y'], 'matmul')), bytesField(2, 'nnslim_bench_matmul')];
  if (weights) graphParts.push(bytesField(5, tensorProto('W', [k, n], weights)));
  graphParts.push(bytesField(11, valueInfo('X', [m, k])));
  if (!weights) graphParts.push(bytesField(11, valueInfo('W', [k, n])));
  graphParts.push(bytesField(12, valueInfo('Y', [m, n])));
  // ModelProto { int64 ir_version = 1, producer_name = 2, graph = 7, opset_import = 8 },
  // OperatorSetIdProto { string domain = 1, int64 version = 2 }
  return concat([
    intField(1, 8),
    bytesField(2, 'nnslim-bench'),
    bytesField(7, concat(graphParts)),
    bytesField(8, concat([bytesField(1, ''), intField(2, 13)])),
  ]);
}

/**
 * Decodes one level of a protobuf message into `[{ field, wire, value }]` (value: a number
 * for varints, a Uint8Array for length-delimited fields). For tests and debugging.
 */
function decodeFields(bytes) {
  const out = [];
  let i = 0;
  const readVarint = () => {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (i >= bytes.length) throw new RangeError('truncated varint');
      const b = bytes[i++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 0x80;
    }
  };
  while (i < bytes.length) {
    const k = readVarint();
    const field = Math.floor(k / 8);
    const wire = k % 8;
    if (wire === WIRE_VARINT) out.push({ field, wire, value: readVarint() });
    else if (wire === WIRE_LEN) {
      const len = readVarint();
      if (i + len > bytes.length) throw new RangeError('truncated length-delimited field');
      out.push({ field, wire, value: bytes.subarray(i, i + len) });
      i += len;
    } else throw new RangeError(`unsupported wire type ${wire}`);
  }
  return out;
}

module.exports = { varint, intField, bytesField, float32Bytes, matmulModel, decodeFields };
