// NEON batchnorm streaming kernels (aarch64 and armv7): the generic loops over q registers.
#include <arm_neon.h>

#include "generic.h"

namespace nnslim {
namespace batchnorm_detail {
namespace {

struct VNeon {
  using T = float32x4_t;
  static constexpr size_t kW = 4;
  static constexpr size_t kGroup = 4;
  static T load(const float* p) { return vld1q_f32(p); }
  static void store(float* p, T v) { vst1q_f32(p, v); }
  static void stream(float* p, T v) { vst1q_f32(p, v); }
  static T set1(float v) { return vdupq_n_f32(v); }
  static T zero() { return vdupq_n_f32(0.0f); }
  static T add(T a, T b) { return vaddq_f32(a, b); }
  static T mul(T a, T b) { return vmulq_f32(a, b); }
  static T sub(T a, T b) { return vsubq_f32(a, b); }
  static T fma(T a, T b, T c) { return vfmaq_f32(c, a, b); }
  static T relu(T v) {
    const uint32x4_t neg = vcltq_f32(v, zero());
    return vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(v), neg));
  }
  // (v0 + v2) + (v1 + v3) in double.
  static double hsum(T v) {
#if defined(__aarch64__)
    const float64x2_t lo = vcvt_f64_f32(vget_low_f32(v));
    const float64x2_t hi = vcvt_high_f64_f32(v);
    return vaddvq_f64(vaddq_f64(lo, hi));
#else
    return (static_cast<double>(vgetq_lane_f32(v, 0)) + vgetq_lane_f32(v, 2)) +
           (static_cast<double>(vgetq_lane_f32(v, 1)) + vgetq_lane_f32(v, 3));
#endif
  }
  // s[i] += v[i] in double.
  static void accd(double* s, T v) {
#if defined(__aarch64__)
    vst1q_f64(s, vaddq_f64(vld1q_f64(s), vcvt_f64_f32(vget_low_f32(v))));
    vst1q_f64(s + 2, vaddq_f64(vld1q_f64(s + 2), vcvt_high_f64_f32(v)));
#else
    s[0] += vgetq_lane_f32(v, 0);
    s[1] += vgetq_lane_f32(v, 1);
    s[2] += vgetq_lane_f32(v, 2);
    s[3] += vgetq_lane_f32(v, 3);
#endif
  }
  static void fence() {}
  static bool aligned(const float*) { return true; }
};

}  // namespace

const BatchnormUkernel kBatchnormNeon = Generic<VNeon>::make("f32_batchnorm__neon", Isa::kNeon);

}  // namespace batchnorm_detail
}  // namespace nnslim
