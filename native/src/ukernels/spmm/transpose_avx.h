// 8 x 8 float transposes (AVX) for the SpMM driver's two reshapes: packing X^T and storing
// the kernel's n-major tile into Y. Included by the AVX2 and AVX-512 SpMM files only; the
// functions have internal linkage so each TU keeps the copy compiled with its own flags.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstddef>

namespace nnslim {
namespace spmm_detail {
namespace {

inline void transpose8x8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
  r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
  r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
  r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
  r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
  r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
  r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
  r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// PackXtFn for kernels with m_align == 8.
void pack_xt_avx(const float* x, size_t ldx, size_t mb, size_t k, size_t mp, float* xt) {
  const size_t k8 = k & ~static_cast<size_t>(7);
  for (size_t i0 = 0; i0 < mp; i0 += 8) {
    const size_t rows = mb > i0 ? std::min<size_t>(8, mb - i0) : 0;
    for (size_t k0 = 0; k0 < k8; k0 += 8) {
      __m256 r[8];
      for (size_t q = 0; q < 8; ++q)
        r[q] = q < rows ? _mm256_loadu_ps(x + (i0 + q) * ldx + k0) : _mm256_setzero_ps();
      transpose8x8(r);
      for (size_t c = 0; c < 8; ++c) _mm256_storeu_ps(xt + (k0 + c) * mp + i0, r[c]);
    }
    for (size_t kk = k8; kk < k; ++kk)
      for (size_t q = 0; q < 8; ++q) xt[kk * mp + i0 + q] = q < rows ? x[(i0 + q) * ldx + kk] : 0.0f;
  }
}

inline float tile_epilogue(float v, const float* bias, size_t r, bool relu) {
  if (bias) v += bias[r];
  if (relu) v = v < 0.0f ? 0.0f : v;
  return v;
}

// StoreTileFn: whole 8 x 8 blocks through registers, the ragged edges one by one. Y rows are
// the outer loop so each row's run of nr values is written within a short time: with the W
// rows outer, the two halves of a Y line were written 64 rows apart, after a row stride that
// is a multiple of 4 KiB (every row in the same L1 sets) had evicted the line. For such a
// stride the 8 transposed rows go through a small staging buffer and each Y row is then
// written as one contiguous run (3072 x 768, m = 64, 64-row tiles: 101 -> 68 -> 47 us of
// epilogue per call); for other strides writing the 8 rows directly is faster (768: 7.6 us
// direct, 11 us staged).
constexpr size_t kStageRows = 128;

void store_tile_avx(const float* acc, size_t mp, size_t nr, size_t mb, float* y, size_t ldy,
                    const float* bias, bool relu) {
  const size_t nr8 = nr & ~static_cast<size_t>(7), mb8 = mb & ~static_cast<size_t>(7);
  const __m256 zero = _mm256_setzero_ps();
  const bool staged = (ldy * sizeof(float)) % 4096 == 0 && nr8 <= kStageRows;
  alignas(32) float stage[8 * kStageRows];
  for (size_t i0 = 0; i0 < mb8; i0 += 8) {
    for (size_t r0 = 0; r0 < nr8; r0 += 8) {
      const __m256 b = bias ? _mm256_loadu_ps(bias + r0) : zero;
      __m256 v[8];
      for (size_t q = 0; q < 8; ++q) v[q] = _mm256_loadu_ps(acc + (r0 + q) * mp + i0);
      transpose8x8(v);
      for (size_t c = 0; c < 8; ++c) {
        __m256 o = bias ? _mm256_add_ps(v[c], b) : v[c];
        if (relu) o = _mm256_max_ps(zero, o);  // max(0, NaN) = NaN: NaN passes through
        if (staged) {
          _mm256_store_ps(stage + c * nr8 + r0, o);
        } else {
          _mm256_storeu_ps(y + (i0 + c) * ldy + r0, o);
        }
      }
    }
    if (staged)
      for (size_t c = 0; c < 8; ++c)
        for (size_t r0 = 0; r0 < nr8; r0 += 8)
          _mm256_storeu_ps(y + (i0 + c) * ldy + r0, _mm256_load_ps(stage + c * nr8 + r0));
  }
  for (size_t i = mb8; i < mb; ++i)
    for (size_t r = 0; r < nr8; ++r) y[i * ldy + r] = tile_epilogue(acc[r * mp + i], bias, r, relu);
  for (size_t i = 0; i < mb; ++i)
    for (size_t r = nr8; r < nr; ++r) y[i * ldy + r] = tile_epilogue(acc[r * mp + i], bias, r, relu);
}

}  // namespace
}  // namespace spmm_detail
}  // namespace nnslim
