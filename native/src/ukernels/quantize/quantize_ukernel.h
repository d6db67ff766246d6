// Internal interface between the ISA-free quantize driver (ops/quantize.cc) and the per-ISA
// loops (ukernels/quantize/<isa>.cc). Not part of the public API.
//
// Every function is element-wise and follows the scalar definitions in scalar.cc exactly:
//   quantize:   t = x * inv; q = t < 2^31 ? clamp(nearbyint(t) + zp, qmin, qmax) : qmin (NaN: qmin);
//               out[i] = low byte of q (the uint8 or int8 value).
//   minmax:     *lo = min(*lo, x[i]), *hi = max(*hi, x[i]) over the non-NaN x[i].
//   dequantize: out[i] = scale * float(q[i] - zp), q[i] read as uint8 or int8.
#pragma once

#include <cstddef>
#include <cstdint>

#include "nnslim/cpu.h"

namespace nnslim {
namespace quantize_detail {

using QuantizeFn = void (*)(const float* x, size_t n, float inv, int32_t zp, int32_t qmin,
                            int32_t qmax, uint8_t* out);
using MinMaxFn = void (*)(const float* x, size_t n, float* lo, float* hi);
using DequantizeFn = void (*)(const uint8_t* q, size_t n, bool is_signed, float scale, int32_t zp,
                              float* out);

struct QuantizeUkernel {
  const char* name;  // q8_quantize__<isa>
  Isa isa;
  QuantizeFn quantize;
  MinMaxFn minmax;
  DequantizeFn dequantize;
};

extern const QuantizeUkernel kQuantizeScalar;
#if defined(__x86_64__)
extern const QuantizeUkernel kQuantizeAvx2;
extern const QuantizeUkernel kQuantizeAvx512;
#endif
#if defined(__aarch64__)
extern const QuantizeUkernel kQuantizeNeon;
#endif

// The scalar definitions; SIMD files use them for their tails.
static inline uint8_t quantize_one(float x, float inv, int32_t zp, int32_t qmin, int32_t qmax) {
  const float t = x * inv;
  if (!(t < 2147483648.0f)) return static_cast<uint8_t>(qmin);
  const float lo = static_cast<float>(qmin - zp), hi = static_cast<float>(qmax - zp);
  float v = t > lo ? t : lo;
  v = v < hi ? v : hi;
  return static_cast<uint8_t>(static_cast<int32_t>(__builtin_nearbyintf(v)) + zp);
}

static inline void minmax_scalar_tail(const float* x, size_t n, float* lo, float* hi) {
  float a = *lo, b = *hi;
  for (size_t i = 0; i < n; ++i) {
    a = x[i] < a ? x[i] : a;
    b = x[i] > b ? x[i] : b;
  }
  *lo = a;
  *hi = b;
}

static inline void dequantize_scalar_tail(const uint8_t* q, size_t n, bool is_signed, float scale,
                                          int32_t zp, float* out) {
  for (size_t i = 0; i < n; ++i) {
    const int32_t v = is_signed ? static_cast<int8_t>(q[i]) : q[i];
    out[i] = scale * static_cast<float>(v - zp);
  }
}

}  // namespace quantize_detail
}  // namespace nnslim
