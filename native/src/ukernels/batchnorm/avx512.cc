// AVX-512F batchnorm streaming kernels: the generic loops over zmm vectors, non-temporal
// stores (vmovntps) for outputs larger than the cache.
#include <immintrin.h>

#include "generic.h"

#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace nnslim {
namespace batchnorm_detail {
namespace {

struct V512 {
  using T = __m512;
  static constexpr size_t kW = 16;
  static constexpr size_t kGroup = 4;
  static T load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, T v) { _mm512_storeu_ps(p, v); }
  static void stream(float* p, T v) { _mm512_stream_ps(p, v); }
  static T set1(float v) { return _mm512_set1_ps(v); }
  static T zero() { return _mm512_setzero_ps(); }
  static T add(T a, T b) { return _mm512_add_ps(a, b); }
  static T mul(T a, T b) { return _mm512_mul_ps(a, b); }
  static T sub(T a, T b) { return _mm512_sub_ps(a, b); }
  static T fma(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
  // max(v, 0) with NaN kept: compare "less than zero" (false for NaN) and zero those lanes.
  static T relu(T v) { return _mm512_maskz_mov_ps(~_mm512_cmp_ps_mask(v, zero(), _CMP_LT_OQ), v); }
  static double hsum(T v) {
    const __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(v));
    const __m512d hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    return _mm512_reduce_add_pd(_mm512_add_pd(lo, hi));
  }
  static void accd(double* s, T v) {
    const __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(v));
    const __m512d hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    _mm512_storeu_pd(s, _mm512_add_pd(_mm512_loadu_pd(s), lo));
    _mm512_storeu_pd(s + 8, _mm512_add_pd(_mm512_loadu_pd(s + 8), hi));
  }
  static void fence() { _mm_sfence(); }
  static bool aligned(const float* p) { return (reinterpret_cast<uintptr_t>(p) & 63) == 0; }
};

}  // namespace

const BatchnormUkernel kBatchnormAvx512 = Generic<V512>::make("f32_batchnorm__avx512", Isa::kAvx512);

}  // namespace batchnorm_detail
}  // namespace nnslim
