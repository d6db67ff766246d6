// The safetensors header reader: the untrusted part of loading a .safetensors file.
//
// File layout: an 8-byte little-endian header length N, N bytes of UTF-8 JSON (an object:
// per tensor {"dtype", "shape", "data_offsets": [begin, end]}, plus an optional
// "__metadata__" object of strings), then the data section; offsets count from its start.
//
// Checks (any failure: kInvalidArgument with a one-line problem text; no partial result):
//   N <= kStMaxHeaderBytes, N <= file size - 8, N >= 2; the header valid UTF-8 and strict
//   JSON (json.h limits: depth 64, 2^22 values, no duplicate names, no lone surrogates);
//   an object; "__metadata__" an object of strings; tensor names non-empty; entries objects
//   with only dtype / shape / data_offsets; dtype one of F32 F16 I8 U8 I32; shape an array
//   of <= 16 non-negative integers whose product (and product * dtype size) stays below
//   2^53; data_offsets two integers in [0, 2^53) with begin <= end <= data section size
//   and end - begin = product * dtype size; the ranges, sorted, tile the data section
//   exactly (no overlap, no gap, no trailing bytes). Integers may be written 2, 2.0 or 2e0
//   (what JSON.parse reads as the same number).
// No Node dependency; not SIMD; throws nothing (allocation failure: kOutOfMemory).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nnslim/kernels.h"

namespace nnslim {

enum class StDtype : int32_t { kF32 = 0, kF16 = 1, kI8 = 2, kU8 = 3, kI32 = 4 };

// Element size in bytes, and the name used in files ("F32", ...).
int st_dtype_size(StDtype t);
const char* st_dtype_name(StDtype t);

constexpr uint64_t kStMaxHeaderBytes = uint64_t{100} << 20;
constexpr size_t kStMaxDims = 16;
constexpr uint64_t kStMaxSafeInteger = (uint64_t{1} << 53) - 1;

struct StTensor {
  std::string name;  // UTF-8
  StDtype dtype = StDtype::kF32;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte range within the data section
};

struct StHeader {
  uint64_t header_len = 0;  // N
  uint64_t data_start = 0;  // 8 + N: file offset of the data section
  uint64_t data_len = 0;    // file size - data_start
  std::vector<StTensor> tensors;                               // header order
  std::vector<std::pair<std::string, std::string>> metadata;  // header order
};

// The header length from the first `available` bytes of a file of `file_size` bytes
// (available >= 8 unless the file is shorter).
Status st_read_header_length(const uint8_t* prefix, uint64_t available, uint64_t file_size,
                             uint64_t* header_len, std::string* problem);

// Parses and checks the N header bytes of a file of file_size bytes (N from
// st_read_header_length).
Status st_parse_header(const uint8_t* header, uint64_t header_len, uint64_t file_size,
                       StHeader* out, std::string* problem);

// Both steps on a whole file in memory.
Status st_parse(const uint8_t* bytes, uint64_t size, StHeader* out, std::string* problem);

}  // namespace nnslim
