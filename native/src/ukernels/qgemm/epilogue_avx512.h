// AVX-512 epilogue of a tile of int32 accumulators, for the files built with AVX-512 flags
// (avx512vnni.cc, amx.cc). Same operations, in the same order, as epilogue_tile_scalar.
#pragma once

#include <immintrin.h>

#include "qgemm_ukernel.h"

namespace nnslim {
namespace qgemm_detail {

static inline __mmask16 qgemm_tail_mask16(size_t n) {
  return n >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << n) - 1u);
}

static inline void epilogue_tile_avx512(const int32_t* acc, size_t ld, size_t mr, size_t nr,
                                        const Epilogue& ep) {
  const __m512 zero = _mm512_setzero_ps();
  const __m512 inv = _mm512_set1_ps(ep.inv_out_scale);
  const __m512 lo = _mm512_set1_ps(ep.out_lo);
  const __m512 hi = _mm512_set1_ps(ep.out_hi);
  const __m512i zp = _mm512_set1_epi32(ep.out_zp);
  for (size_t v = 0; v * 16 < nr; ++v) {
    const size_t j = v * 16;
    const __mmask16 mask = qgemm_tail_mask16(nr - j);
    const __m512i ct = _mm512_maskz_loadu_epi32(mask, ep.col_term + j);
    const __m512i cc = ep.row_zp ? _mm512_maskz_loadu_epi32(mask, ep.col_corr + j) : _mm512_setzero_si512();
    const __m512i wz = ep.w_zp ? _mm512_maskz_loadu_epi32(mask, ep.w_zp + j) : _mm512_setzero_si512();
    const __m512 cs = _mm512_maskz_loadu_ps(mask, ep.col_scale + j);
    const __m512 bias = _mm512_maskz_loadu_ps(mask, ep.bias + j);
    for (size_t i = 0; i < mr; ++i) {
      __m512i r = _mm512_add_epi32(_mm512_loadu_si512(acc + i * ld + j), ct);
      if (ep.row_zp) r = _mm512_sub_epi32(r, _mm512_mullo_epi32(_mm512_set1_epi32(ep.row_zp[i]), cc));
      if (ep.w_zp) r = _mm512_sub_epi32(r, _mm512_mullo_epi32(_mm512_set1_epi32(ep.row_sum[i]), wz));
      const size_t o = i * ep.ldc + j;
      if (ep.out == QgemmOutput::kInt32) {
        _mm512_mask_storeu_epi32(static_cast<int32_t*>(ep.c) + o, mask, r);
        continue;
      }
      const __m512 mult = ep.row_scale ? _mm512_mul_ps(_mm512_set1_ps(ep.row_scale[i]), cs) : cs;
      __m512 y = _mm512_fmadd_ps(_mm512_cvtepi32_ps(r), mult, bias);
      if (ep.relu) y = _mm512_max_ps(y, zero);
      if (ep.out == QgemmOutput::kFloat32) {
        _mm512_mask_storeu_ps(static_cast<float*>(ep.c) + o, mask, y);
        continue;
      }
      __m512 t = _mm512_mul_ps(y, inv);
      t = _mm512_max_ps(t, lo);
      t = _mm512_min_ps(t, hi);
      const __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(t), zp);
      _mm512_mask_cvtepi32_storeu_epi8(static_cast<uint8_t*>(ep.c) + o, mask, q);
    }
  }
}

}  // namespace qgemm_detail
}  // namespace nnslim
