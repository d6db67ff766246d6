// The few AArch64-only NEON intrinsics the NEON kernels use, with armv7 (AArch32 NEON +
// VFPv4, -mfpu=neon-vfpv4) equivalents, so one source serves both. Each helper keeps the
// AArch64 operation order (pairwise sums are pairwise on both).
//
// Numeric note: armv7 NEON float arithmetic always flushes denormals to zero and returns the
// default NaN (it ignores FPSCR); the float kernels already run with FTZ (DenormalGuard).
#pragma once

#include <arm_neon.h>

namespace nnslim {
namespace neon {

// acc + b * s, fused.
static inline float32x4_t fma_n(float32x4_t acc, float32x4_t b, float s) {
#if defined(__aarch64__)
  return vfmaq_n_f32(acc, b, s);
#else
  return vfmaq_f32(acc, b, vdupq_n_f32(s));
#endif
}

// (v0 + v1) + (v2 + v3).
static inline float hsum(float32x4_t v) {
#if defined(__aarch64__)
  return vaddvq_f32(v);
#else
  const float32x2_t p = vpadd_f32(vget_low_f32(v), vget_high_f32(v));
  return vget_lane_f32(vpadd_f32(p, p), 0);
#endif
}

// {a0 + a1, a2 + a3, b0 + b1, b2 + b3}.
static inline int32x4_t padd_s32(int32x4_t a, int32x4_t b) {
#if defined(__aarch64__)
  return vpaddq_s32(a, b);
#else
  return vcombine_s32(vpadd_s32(vget_low_s32(a), vget_high_s32(a)),
                      vpadd_s32(vget_low_s32(b), vget_high_s32(b)));
#endif
}

// Lanes 8..15 widened to int16.
static inline int16x8_t movl_high_s8(int8x16_t v) {
#if defined(__aarch64__)
  return vmovl_high_s8(v);
#else
  return vmovl_s8(vget_high_s8(v));
#endif
}

// All-ones where v < 0.
static inline uint32x4_t ltz(float32x4_t v) {
#if defined(__aarch64__)
  return vcltzq_f32(v);
#else
  return vcltq_f32(v, vdupq_n_f32(0.0f));
#endif
}

// 4x4 transpose: r[i] lane j -> c[j] lane i.
static inline void transpose4(const float32x4_t r[4], float32x4_t c[4]) {
#if defined(__aarch64__)
  const float32x4_t t0 = vtrn1q_f32(r[0], r[1]), t1 = vtrn2q_f32(r[0], r[1]);
  const float32x4_t t2 = vtrn1q_f32(r[2], r[3]), t3 = vtrn2q_f32(r[2], r[3]);
  c[0] = vreinterpretq_f32_f64(vtrn1q_f64(vreinterpretq_f64_f32(t0), vreinterpretq_f64_f32(t2)));
  c[1] = vreinterpretq_f32_f64(vtrn1q_f64(vreinterpretq_f64_f32(t1), vreinterpretq_f64_f32(t3)));
  c[2] = vreinterpretq_f32_f64(vtrn2q_f64(vreinterpretq_f64_f32(t0), vreinterpretq_f64_f32(t2)));
  c[3] = vreinterpretq_f32_f64(vtrn2q_f64(vreinterpretq_f64_f32(t1), vreinterpretq_f64_f32(t3)));
#else
  const float32x4x2_t t01 = vtrnq_f32(r[0], r[1]);  // {trn1, trn2}
  const float32x4x2_t t23 = vtrnq_f32(r[2], r[3]);
  c[0] = vcombine_f32(vget_low_f32(t01.val[0]), vget_low_f32(t23.val[0]));
  c[1] = vcombine_f32(vget_low_f32(t01.val[1]), vget_low_f32(t23.val[1]));
  c[2] = vcombine_f32(vget_high_f32(t01.val[0]), vget_high_f32(t23.val[0]));
  c[3] = vcombine_f32(vget_high_f32(t01.val[1]), vget_high_f32(t23.val[1]));
#endif
}

}  // namespace neon
}  // namespace nnslim
