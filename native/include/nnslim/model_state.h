// The stored form of a quantized Linear layer in a model file (io.saveModel / io.loadModel),
// checked and decoded before anything is built from it. The file is untrusted: every length
// is given, nothing is read past one, and the checks below come before any use.
//
// Record (all arrays as read from the file):
//   out_features, in_features in [1, 2^31 - 1], out * in <= 2^40 (1 TB of int8);
//   weights either plain, `weight` (int8, out * in, row-major), or bitmask-compressed,
//   `mask` (ceil(out * in / 8) bytes; bit i, LSB first, set when element i is non-zero; no
//   bit set at or past out * in) + `values` (int8, the non-zeros in row-major order: as many
//   as there are bits set);
//   `scales` (float32) and `zero_points` (int32): 1 value each, or out_features values with
//   per_channel; scales finite and > 0, zero points in [-128, 127] (int8 weights);
//   optional `bias` (float32, out_features finite values).
#pragma once

#include <cstdint>
#include <string>

#include "nnslim/kernels.h"

namespace nnslim {

constexpr int64_t kQLinearMaxWeights = int64_t{1} << 40;

struct QLinearRecord {
  int64_t out_features = 0, in_features = 0;
  bool per_channel = false;
  const int8_t* weight = nullptr;  // plain form, or null
  int64_t weight_len = 0;
  const uint8_t* mask = nullptr;   // compressed form (with values), when weight is null
  int64_t mask_len = 0;
  const int8_t* values = nullptr;
  int64_t values_len = 0;
  const float* scales = nullptr;
  int64_t scales_len = 0;
  const int32_t* zero_points = nullptr;
  int64_t zero_points_len = 0;
  const float* bias = nullptr;  // optional
  int64_t bias_len = 0;
};

// kOk, or kInvalidArgument with *problem naming the field, e.g. "weight_mask has 3 bits set
// but there are 4 weight_values" or "weight_scale[2] must be a finite number > 0, got -1".
// Reads every byte of the mask: O(out * in / 8).
Status qlinear_record_check(const QLinearRecord& r, std::string* problem);

// qlinear_record_check, then the dense int8 weights (out * in, row-major) into `out`
// (capacity out_len >= out * in elements); `out` is untouched on failure.
Status qlinear_record_decode(const QLinearRecord& r, int8_t* out, int64_t out_len,
                             std::string* problem);

}  // namespace nnslim
