// AVX2 (8-lane) epilogue of a tile of int32 accumulators, for the files built with AVX2 + FMA
// (avx2.cc, avxvnni.cc). Same operations, in the same order, as epilogue_tile_scalar.
#pragma once

#include <immintrin.h>

#include "qgemm_ukernel.h"

namespace nnslim {
namespace qgemm_detail {

static inline __m256i qgemm_tail_mask8(size_t n) {
  const int cnt = n >= 8 ? 8 : static_cast<int>(n);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(cnt), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static inline void epilogue_tile_avx2(const int32_t* acc, size_t ld, size_t mr, size_t nr,
                                      const Epilogue& ep) {
  const __m256 zero = _mm256_setzero_ps();
  const __m256 inv = _mm256_set1_ps(ep.inv_out_scale);
  const __m256 lo = _mm256_set1_ps(ep.out_lo);
  const __m256 hi = _mm256_set1_ps(ep.out_hi);
  const __m256i zp = _mm256_set1_epi32(ep.out_zp);
  for (size_t j = 0; j < nr; j += 8) {
    const size_t cnt = nr - j < 8 ? nr - j : 8;
    const __m256i mask = qgemm_tail_mask8(cnt);
    const __m256i ct = _mm256_maskload_epi32(ep.col_term + j, mask);
    const __m256i cc = ep.row_zp ? _mm256_maskload_epi32(ep.col_corr + j, mask) : _mm256_setzero_si256();
    const __m256i wz = ep.w_zp ? _mm256_maskload_epi32(ep.w_zp + j, mask) : _mm256_setzero_si256();
    const __m256 cs = _mm256_maskload_ps(ep.col_scale + j, mask);
    const __m256 bias = _mm256_maskload_ps(ep.bias + j, mask);
    for (size_t i = 0; i < mr; ++i) {
      __m256i r = _mm256_add_epi32(
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(acc + i * ld + j)), ct);
      if (ep.row_zp) r = _mm256_sub_epi32(r, _mm256_mullo_epi32(_mm256_set1_epi32(ep.row_zp[i]), cc));
      if (ep.w_zp) r = _mm256_sub_epi32(r, _mm256_mullo_epi32(_mm256_set1_epi32(ep.row_sum[i]), wz));
      const size_t o = i * ep.ldc + j;
      if (ep.out == QgemmOutput::kInt32) {
        _mm256_maskstore_epi32(static_cast<int*>(ep.c) + o, mask, r);
        continue;
      }
      const __m256 mult = ep.row_scale ? _mm256_mul_ps(_mm256_set1_ps(ep.row_scale[i]), cs) : cs;
      __m256 y = _mm256_fmadd_ps(_mm256_cvtepi32_ps(r), mult, bias);
      if (ep.relu) y = _mm256_max_ps(y, zero);
      if (ep.out == QgemmOutput::kFloat32) {
        _mm256_maskstore_ps(static_cast<float*>(ep.c) + o, mask, y);
        continue;
      }
      __m256 t = _mm256_mul_ps(y, inv);
      t = _mm256_max_ps(t, lo);
      t = _mm256_min_ps(t, hi);
      alignas(32) int32_t qv[8];
      _mm256_store_si256(reinterpret_cast<__m256i*>(qv), _mm256_add_epi32(_mm256_cvtps_epi32(t), zp));
      uint8_t* dst = static_cast<uint8_t*>(ep.c) + o;
      for (size_t l = 0; l < cnt; ++l) dst[l] = static_cast<uint8_t>(qv[l]);
    }
  }
}

}  // namespace qgemm_detail
}  // namespace nnslim
