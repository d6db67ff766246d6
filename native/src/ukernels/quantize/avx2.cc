// AVX2 quantize / range / dequantize: 32 floats per step, rounding by vcvtps2dq (round to
// nearest even), the out-of-range / NaN lanes blended to qmin, low bytes packed in order.
#include <immintrin.h>

#include "quantize_ukernel.h"

namespace nnslim {
namespace quantize_detail {
namespace {

inline __m256i quantize8(const float* x, __m256 inv, __m256 lo, __m256 hi, __m256 big, __m256i zp,
                         __m256i qmin) {
  const __m256 t = _mm256_mul_ps(_mm256_loadu_ps(x), inv);
  const __m256 over = _mm256_cmp_ps(t, big, _CMP_NLT_UQ);  // t >= 2^31 or NaN
  __m256 v = _mm256_max_ps(t, lo);                          // NaN -> lo (masked anyway)
  v = _mm256_min_ps(v, hi);
  const __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(v), zp);
  return _mm256_and_si256(_mm256_blendv_epi8(q, qmin, _mm256_castps_si256(over)), _mm256_set1_epi32(0xFF));
}

void quantize(const float* x, size_t n, float inv_s, int32_t zp_s, int32_t qmin_s, int32_t qmax_s, uint8_t* out) {
  const __m256 inv = _mm256_set1_ps(inv_s);
  const __m256 lo = _mm256_set1_ps(static_cast<float>(qmin_s - zp_s));
  const __m256 hi = _mm256_set1_ps(static_cast<float>(qmax_s - zp_s));
  const __m256 big = _mm256_set1_ps(2147483648.0f);
  const __m256i zp = _mm256_set1_epi32(zp_s), qmin = _mm256_set1_epi32(qmin_s);
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i a = quantize8(x + i, inv, lo, hi, big, zp, qmin);
    const __m256i b = quantize8(x + i + 8, inv, lo, hi, big, zp, qmin);
    const __m256i c = quantize8(x + i + 16, inv, lo, hi, big, zp, qmin);
    const __m256i d = quantize8(x + i + 24, inv, lo, hi, big, zp, qmin);
    const __m256i bytes = _mm256_packus_epi16(_mm256_packus_epi32(a, b), _mm256_packus_epi32(c, d));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), _mm256_permutevar8x32_epi32(bytes, order));
  }
  for (; i < n; ++i) out[i] = quantize_one(x[i], inv_s, zp_s, qmin_s, qmax_s);
}

void minmax(const float* x, size_t n, float* lo_out, float* hi_out) {
  __m256 lo = _mm256_set1_ps(*lo_out), hi = _mm256_set1_ps(*hi_out);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    lo = _mm256_min_ps(v, lo);  // NaN in v -> keeps lo
    hi = _mm256_max_ps(v, hi);
  }
  alignas(32) float l[8], h[8];
  _mm256_store_ps(l, lo);
  _mm256_store_ps(h, hi);
  float a = *lo_out, b = *hi_out;
  for (int j = 0; j < 8; ++j) {
    a = l[j] < a ? l[j] : a;
    b = h[j] > b ? h[j] : b;
  }
  *lo_out = a;
  *hi_out = b;
  minmax_scalar_tail(x + i, n - i, lo_out, hi_out);
}

void dequantize(const uint8_t* q, size_t n, bool is_signed, float scale_s, int32_t zp_s, float* out) {
  const __m256 scale = _mm256_set1_ps(scale_s);
  const __m256i zp = _mm256_set1_epi32(zp_s);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(q + i));
    const __m256i v = is_signed ? _mm256_cvtepi8_epi32(b) : _mm256_cvtepu8_epi32(b);
    _mm256_storeu_ps(out + i, _mm256_mul_ps(scale, _mm256_cvtepi32_ps(_mm256_sub_epi32(v, zp))));
  }
  dequantize_scalar_tail(q + i, n - i, is_signed, scale_s, zp_s, out + i);
}

}  // namespace

const QuantizeUkernel kQuantizeAvx2 = {"q8_quantize__avx2", Isa::kAvx2, quantize, minmax, dequantize};

}  // namespace quantize_detail
}  // namespace nnslim
