// NEON quantize / range / dequantize: 16 floats per step, rounding by fcvtns (round to
// nearest even), out-of-range / NaN lanes selected to qmin, low bytes narrowed with xtn.
#include <arm_neon.h>

#include "quantize_ukernel.h"

namespace nnslim {
namespace quantize_detail {
namespace {

inline uint32x4_t quantize4(const float* x, float32x4_t inv, float32x4_t lo, float32x4_t hi, float32x4_t big,
                            int32x4_t zp, int32x4_t qmin) {
  const float32x4_t t = vmulq_f32(vld1q_f32(x), inv);
  const uint32x4_t ok = vcltq_f32(t, big);  // false for t >= 2^31 and NaN
  float32x4_t v = vmaxq_f32(t, lo);
  v = vminq_f32(v, hi);
  const int32x4_t q = vaddq_s32(vcvtnq_s32_f32(v), zp);
  return vreinterpretq_u32_s32(vbslq_s32(ok, q, qmin));
}

void quantize(const float* x, size_t n, float inv_s, int32_t zp_s, int32_t qmin_s, int32_t qmax_s, uint8_t* out) {
  const float32x4_t inv = vdupq_n_f32(inv_s);
  const float32x4_t lo = vdupq_n_f32(static_cast<float>(qmin_s - zp_s));
  const float32x4_t hi = vdupq_n_f32(static_cast<float>(qmax_s - zp_s));
  const float32x4_t big = vdupq_n_f32(2147483648.0f);
  const int32x4_t zp = vdupq_n_s32(zp_s), qmin = vdupq_n_s32(qmin_s);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const uint16x8_t h0 = vcombine_u16(vmovn_u32(quantize4(x + i, inv, lo, hi, big, zp, qmin)),
                                       vmovn_u32(quantize4(x + i + 4, inv, lo, hi, big, zp, qmin)));
    const uint16x8_t h1 = vcombine_u16(vmovn_u32(quantize4(x + i + 8, inv, lo, hi, big, zp, qmin)),
                                       vmovn_u32(quantize4(x + i + 12, inv, lo, hi, big, zp, qmin)));
    vst1q_u8(out + i, vcombine_u8(vmovn_u16(h0), vmovn_u16(h1)));
  }
  for (; i < n; ++i) out[i] = quantize_one(x[i], inv_s, zp_s, qmin_s, qmax_s);
}

void minmax(const float* x, size_t n, float* lo_out, float* hi_out) {
  float32x4_t lo = vdupq_n_f32(*lo_out), hi = vdupq_n_f32(*hi_out);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float32x4_t v = vld1q_f32(x + i);
    lo = vminnmq_f32(lo, v);  // minNum: a NaN lane of v keeps lo
    hi = vmaxnmq_f32(hi, v);
  }
  *lo_out = vminnmvq_f32(lo);
  *hi_out = vmaxnmvq_f32(hi);
  minmax_scalar_tail(x + i, n - i, lo_out, hi_out);
}

void dequantize(const uint8_t* q, size_t n, bool is_signed, float scale_s, int32_t zp_s, float* out) {
  const float32x4_t scale = vdupq_n_f32(scale_s);
  const int32x4_t zp = vdupq_n_s32(zp_s);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint8x8_t b = vld1_u8(q + i);
    const int16x8_t w = is_signed ? vmovl_s8(vreinterpret_s8_u8(b)) : vreinterpretq_s16_u16(vmovl_u8(b));
    const int32x4_t a0 = vsubq_s32(vmovl_s16(vget_low_s16(w)), zp);
    const int32x4_t a1 = vsubq_s32(vmovl_s16(vget_high_s16(w)), zp);
    vst1q_f32(out + i, vmulq_f32(scale, vcvtq_f32_s32(a0)));
    vst1q_f32(out + i + 4, vmulq_f32(scale, vcvtq_f32_s32(a1)));
  }
  dequantize_scalar_tail(q + i, n - i, is_signed, scale_s, zp_s, out + i);
}

}  // namespace

const QuantizeUkernel kQuantizeNeon = {"q8_quantize__neon", Isa::kNeon, quantize, minmax, dequantize};

}  // namespace quantize_detail
}  // namespace nnslim
