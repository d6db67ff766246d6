// AVX-512 quantize / range / dequantize: 16 floats per step, rounding by vcvtps2dq (round to
// nearest even), out-of-range / NaN lanes masked to qmin, vpmovdb for the low bytes, masked
// tails (no scalar remainder).
#include <immintrin.h>

#include "quantize_ukernel.h"

#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace nnslim {
namespace quantize_detail {
namespace {

inline __mmask16 tail(size_t n) { return n >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << n) - 1u); }

void quantize(const float* x, size_t n, float inv_s, int32_t zp_s, int32_t qmin_s, int32_t qmax_s, uint8_t* out) {
  const __m512 inv = _mm512_set1_ps(inv_s);
  const __m512 lo = _mm512_set1_ps(static_cast<float>(qmin_s - zp_s));
  const __m512 hi = _mm512_set1_ps(static_cast<float>(qmax_s - zp_s));
  const __m512 big = _mm512_set1_ps(2147483648.0f);
  const __m512i zp = _mm512_set1_epi32(zp_s), qmin = _mm512_set1_epi32(qmin_s);
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail(n - i);
    const __m512 t = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), inv);
    const __mmask16 over = _mm512_cmp_ps_mask(t, big, _CMP_NLT_UQ);  // t >= 2^31 or NaN
    __m512 v = _mm512_max_ps(t, lo);
    v = _mm512_min_ps(v, hi);
    __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(v), zp);
    q = _mm512_mask_mov_epi32(q, over, qmin);
    _mm512_mask_cvtepi32_storeu_epi8(out + i, m, q);
  }
}

void minmax(const float* x, size_t n, float* lo_out, float* hi_out) {
  __m512 lo = _mm512_set1_ps(*lo_out), hi = _mm512_set1_ps(*hi_out);
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail(n - i);
    const __m512 w = _mm512_maskz_loadu_ps(m, x + i);
    lo = _mm512_mask_min_ps(lo, m, w, lo);  // NaN in w -> keeps lo
    hi = _mm512_mask_max_ps(hi, m, w, hi);
  }
  *lo_out = _mm512_reduce_min_ps(lo);
  *hi_out = _mm512_reduce_max_ps(hi);
}

void dequantize(const uint8_t* q, size_t n, bool is_signed, float scale_s, int32_t zp_s, float* out) {
  const __m512 scale = _mm512_set1_ps(scale_s);
  const __m512i zp = _mm512_set1_epi32(zp_s);
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail(n - i);
    const __m128i b = _mm_maskz_loadu_epi8(m, q + i);
    const __m512i v = is_signed ? _mm512_cvtepi8_epi32(b) : _mm512_cvtepu8_epi32(b);
    _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(scale, _mm512_cvtepi32_ps(_mm512_sub_epi32(v, zp))));
  }
}

}  // namespace

const QuantizeUkernel kQuantizeAvx512 = {"q8_quantize__avx512", Isa::kAvx512, quantize, minmax, dequantize};

}  // namespace quantize_detail
}  // namespace nnslim
