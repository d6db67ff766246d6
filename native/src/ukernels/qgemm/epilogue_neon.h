// NEON (4-lane) epilogue of a tile of int32 accumulators, for the aarch64 files (neon.cc,
// dotprod.cc, i8mm.cc). Same operations, in the same order, as epilogue_tile_scalar. The
// column vectors are padded to whole 16-column panels, so 4-lane loads stay in bounds.
#pragma once

#include <arm_neon.h>

#include "qgemm_ukernel.h"

namespace nnslim {
namespace qgemm_detail {

static inline void epilogue_tile_neon(const int32_t* acc, size_t ld, size_t mr, size_t nr,
                                      const Epilogue& ep) {
  const float32x4_t zero = vdupq_n_f32(0.0f);
  const float32x4_t inv = vdupq_n_f32(ep.inv_out_scale);
  const float32x4_t lo = vdupq_n_f32(ep.out_lo);
  const float32x4_t hi = vdupq_n_f32(ep.out_hi);
  const int32x4_t zp = vdupq_n_s32(ep.out_zp);
  for (size_t j = 0; j < nr; j += 4) {
    const size_t cnt = nr - j < 4 ? nr - j : 4;
    const int32x4_t ct = vld1q_s32(ep.col_term + j);
    const int32x4_t cc = ep.row_zp ? vld1q_s32(ep.col_corr + j) : vdupq_n_s32(0);
    const int32x4_t wz = ep.w_zp ? vld1q_s32(ep.w_zp + j) : vdupq_n_s32(0);
    const float32x4_t cs = vld1q_f32(ep.col_scale + j);
    const float32x4_t bias = vld1q_f32(ep.bias + j);
    for (size_t i = 0; i < mr; ++i) {
      int32x4_t r = vaddq_s32(vld1q_s32(acc + i * ld + j), ct);
      if (ep.row_zp) r = vmlsq_s32(r, vdupq_n_s32(ep.row_zp[i]), cc);
      if (ep.w_zp) r = vmlsq_s32(r, vdupq_n_s32(ep.row_sum[i]), wz);
      const size_t o = i * ep.ldc + j;
      int32x4_t out_i;
      if (ep.out == QgemmOutput::kInt32) {
        out_i = r;
      } else {
        const float32x4_t mult = ep.row_scale ? vmulq_f32(vdupq_n_f32(ep.row_scale[i]), cs) : cs;
        float32x4_t y = vfmaq_f32(bias, vcvtq_f32_s32(r), mult);
        if (ep.relu) y = vmaxq_f32(y, zero);
        if (ep.out == QgemmOutput::kFloat32) {
          float* dst = static_cast<float*>(ep.c) + o;
          if (cnt == 4) {
            vst1q_f32(dst, y);
          } else {
            float tmp[4];
            vst1q_f32(tmp, y);
            for (size_t l = 0; l < cnt; ++l) dst[l] = tmp[l];
          }
          continue;
        }
        float32x4_t t = vmulq_f32(y, inv);
        t = vmaxq_f32(t, lo);
        t = vminq_f32(t, hi);
        out_i = vaddq_s32(vcvtnq_s32_f32(t), zp);
      }
      int32_t tmp[4];
      vst1q_s32(tmp, out_i);
      if (ep.out == QgemmOutput::kInt32) {
        int32_t* dst = static_cast<int32_t*>(ep.c) + o;
        for (size_t l = 0; l < cnt; ++l) dst[l] = tmp[l];
      } else {
        uint8_t* dst = static_cast<uint8_t*>(ep.c) + o;
        for (size_t l = 0; l < cnt; ++l) dst[l] = static_cast<uint8_t>(tmp[l]);
      }
    }
  }
}

}  // namespace qgemm_detail
}  // namespace nnslim
