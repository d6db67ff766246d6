// AVX2+FMA batchnorm streaming kernels: the generic loops over ymm vectors.
#include <immintrin.h>

#include "generic.h"

namespace nnslim {
namespace batchnorm_detail {
namespace {

struct V256 {
  using T = __m256;
  static constexpr size_t kW = 8;
  static constexpr size_t kGroup = 4;
  static T load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, T v) { _mm256_storeu_ps(p, v); }
  static void stream(float* p, T v) { _mm256_stream_ps(p, v); }
  static T set1(float v) { return _mm256_set1_ps(v); }
  static T zero() { return _mm256_setzero_ps(); }
  static T add(T a, T b) { return _mm256_add_ps(a, b); }
  static T mul(T a, T b) { return _mm256_mul_ps(a, b); }
  static T sub(T a, T b) { return _mm256_sub_ps(a, b); }
  static T fma(T a, T b, T c) { return _mm256_fmadd_ps(a, b, c); }
  static T relu(T v) { return _mm256_andnot_ps(_mm256_cmp_ps(v, zero(), _CMP_LT_OQ), v); }
  static double hsum(T v) {
    const __m256d d = _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)),
                                    _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
    const __m128d s = _mm_add_pd(_mm256_castpd256_pd128(d), _mm256_extractf128_pd(d, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
  }
  static void accd(double* s, T v) {
    _mm256_storeu_pd(s, _mm256_add_pd(_mm256_loadu_pd(s), _mm256_cvtps_pd(_mm256_castps256_ps128(v))));
    _mm256_storeu_pd(s + 4, _mm256_add_pd(_mm256_loadu_pd(s + 4), _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1))));
  }
  static void fence() { _mm_sfence(); }
  static bool aligned(const float* p) { return (reinterpret_cast<uintptr_t>(p) & 31) == 0; }
};

}  // namespace

const BatchnormUkernel kBatchnormAvx2 = Generic<V256>::make("f32_batchnorm__avx2", Isa::kAvx2);

}  // namespace batchnorm_detail
}  // namespace nnslim
