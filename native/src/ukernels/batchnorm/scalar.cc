// Portable batchnorm kernels: the generic loops over one float (no SIMD flags).
#include <cmath>

#include "generic.h"

namespace nnslim {
namespace batchnorm_detail {
namespace {

struct VScalar {
  using T = float;
  static constexpr size_t kW = 1;
  static constexpr size_t kGroup = 4;
  static T load(const float* p) { return *p; }
  static void store(float* p, T v) { *p = v; }
  static void stream(float* p, T v) { *p = v; }
  static T set1(float v) { return v; }
  static T zero() { return 0.0f; }
  static T add(T a, T b) { return a + b; }
  static T mul(T a, T b) { return a * b; }
  static T sub(T a, T b) { return a - b; }
  static T fma(T a, T b, T c) { return a * b + c; }
  static T relu(T v) { return v < 0.0f ? 0.0f : v; }
  static double hsum(T v) { return v; }
  static void accd(double* s, T v) { *s += v; }
  static void fence() {}
  static bool aligned(const float*) { return true; }
};

}  // namespace

const BatchnormUkernel kBatchnormScalar = Generic<VScalar>::make("f32_batchnorm__scalar", Isa::kScalar);

}  // namespace batchnorm_detail
}  // namespace nnslim
