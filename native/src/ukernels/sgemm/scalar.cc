// Portable sgemm micro-kernel: a 4x4 register tile in plain C++. It is also what users get
// with NNSLIM_ISA=scalar, so it handles every shape through the packed path of the driver.
#include <cstddef>

#include "sgemm_ukernel.h"

namespace nnslim {
namespace sgemm_detail {
namespace {

constexpr int kMr = 4;
constexpr int kNr = 4;

void gemm_4x4(size_t mr, size_t nr, size_t kc, const float* a, const float* b, float* c,
              size_t ldc, const Epilogue& ep) {
  float acc[kMr][kNr] = {};
  for (size_t k = 0; k < kc; ++k) {
    const float b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
    for (int i = 0; i < kMr; ++i) {
      const float ai = a[i];
      acc[i][0] += ai * b0;
      acc[i][1] += ai * b1;
      acc[i][2] += ai * b2;
      acc[i][3] += ai * b3;
    }
    a += kMr;
    b += kNr;
  }
  for (size_t i = 0; i < mr; ++i) {
    float* ci = c + i * ldc;
    for (size_t j = 0; j < nr; ++j) ci[j] = apply_epilogue(acc[i][j], ci[j], j, ep);
  }
}

}  // namespace

extern const SgemmUkernel kSgemmScalar = {
    "f32_gemm_ukernel_4x4__scalar", Isa::kScalar, kMr, kNr, gemm_4x4, nullptr, nullptr,
    nullptr, nullptr,
};

}  // namespace sgemm_detail
}  // namespace nnslim
