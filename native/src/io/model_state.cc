// Checks and decodes the stored form of a quantized Linear layer (see model_state.h).
#include "nnslim/model_state.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <new>

namespace nnslim {
namespace {

std::string num(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

int popcount8(uint8_t b) { return __builtin_popcount(static_cast<unsigned>(b)); }

Status fail(std::string* problem, const std::string& p) {
  if (problem != nullptr) *problem = p;
  return Status::kInvalidArgument;
}

}  // namespace

Status qlinear_record_check(const QLinearRecord& r, std::string* problem) {
  constexpr int64_t kMaxDim = std::numeric_limits<int32_t>::max();
  if (r.out_features < 1 || r.out_features > kMaxDim) return fail(problem, "outFeatures must be in [1, 2147483647], got " + std::to_string(r.out_features));
  if (r.in_features < 1 || r.in_features > kMaxDim) return fail(problem, "inFeatures must be in [1, 2147483647], got " + std::to_string(r.in_features));
  if (r.out_features > kQLinearMaxWeights / r.in_features)
    return fail(problem, "outFeatures * inFeatures exceeds " + std::to_string(kQLinearMaxWeights) + " weights");
  const int64_t n = r.out_features * r.in_features;
  const int64_t q = r.per_channel ? r.out_features : 1;
  try {
    if (r.scales == nullptr || r.scales_len != q)
      return fail(problem, "weight_scale must have " + std::to_string(q) + " values, got " + std::to_string(r.scales == nullptr ? 0 : r.scales_len));
    if (r.zero_points == nullptr || r.zero_points_len != q)
      return fail(problem, "weight_zero_point must have " + std::to_string(q) + " values, got " + std::to_string(r.zero_points == nullptr ? 0 : r.zero_points_len));
    if (r.bias != nullptr && r.bias_len != r.out_features)
      return fail(problem, "bias must have " + std::to_string(r.out_features) + " values, got " + std::to_string(r.bias_len));
    if (r.weight != nullptr) {
      if (r.weight_len != n) return fail(problem, "weight must have " + std::to_string(n) + " values, got " + std::to_string(r.weight_len));
    } else {
      const int64_t mask_bytes = (n + 7) / 8;
      if (r.mask == nullptr || r.mask_len != mask_bytes)
        return fail(problem, "needs weight (I8 [" + std::to_string(r.out_features) + ", " + std::to_string(r.in_features) +
                                 "]) or weight_mask (U8 [" + std::to_string(mask_bytes) + "]) + weight_values");
      if (r.values_len < 0 || (r.values_len > 0 && r.values == nullptr)) return fail(problem, "weight_values is missing");
      // Bits at or past n can only be in the last byte.
      const int tail = static_cast<int>(n % 8);
      if (tail != 0 && (r.mask[mask_bytes - 1] >> tail) != 0)
        return fail(problem, "weight_mask has bits set past the " + std::to_string(n) + " weights");
      int64_t set = 0;
      for (int64_t i = 0; i < mask_bytes; ++i) set += popcount8(r.mask[i]);
      if (set != r.values_len)
        return fail(problem, "weight_mask has " + std::to_string(set) + " bits set but there are " + std::to_string(r.values_len) + " weight_values");
    }
    for (int64_t i = 0; i < q; ++i) {
      const float s = r.scales[i];
      if (!(std::isfinite(s) && s > 0.0f)) return fail(problem, "weight_scale[" + std::to_string(i) + "] must be a finite number > 0, got " + num(s));
      const int32_t z = r.zero_points[i];
      if (z < -128 || z > 127) return fail(problem, "weight_zero_point[" + std::to_string(i) + "] must be in [-128, 127], got " + std::to_string(z));
    }
    if (r.bias != nullptr)
      for (int64_t i = 0; i < r.out_features; ++i)
        if (!std::isfinite(r.bias[i])) return fail(problem, "bias[" + std::to_string(i) + "] must be finite, got " + num(r.bias[i]));
  } catch (const std::bad_alloc&) {
    return Status::kOutOfMemory;
  }
  return Status::kOk;
}

Status qlinear_record_decode(const QLinearRecord& r, int8_t* out, int64_t out_len, std::string* problem) {
  const Status s = qlinear_record_check(r, problem);
  if (s != Status::kOk) return s;
  const int64_t n = r.out_features * r.in_features;
  if (out == nullptr || out_len < n) return fail(problem, "output buffer shorter than outFeatures * inFeatures");
  if (r.weight != nullptr) {
    std::memcpy(out, r.weight, static_cast<size_t>(n));
    return Status::kOk;
  }
  // The check proved: no bit past n, and exactly values_len bits set.
  int64_t j = 0;
  for (int64_t byte = 0; byte * 8 < n; ++byte) {
    const uint8_t m = r.mask[byte];
    const int64_t base = byte * 8;
    const int64_t lim = n - base < 8 ? n - base : 8;
    for (int64_t b = 0; b < lim; ++b) out[base + b] = (m >> b) & 1 ? r.values[j++] : int8_t{0};
  }
  return Status::kOk;
}

}  // namespace nnslim
