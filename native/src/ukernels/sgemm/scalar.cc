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

// Small m, B = n x k: one dot product per output, four partial sums for latency.
void gemv_bt(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
             size_t ldb, float* c, size_t ldc, const Epilogue& ep) {
  for (size_t j = 0; j < n; ++j) {
    const float* bj = b + j * ldb;
    for (size_t i = 0; i < m; ++i) {
      const float* ai = a + i * lda;
      float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
      size_t l = 0;
      for (; l + 4 <= k; l += 4) {
        s0 += ai[l] * bj[l];
        s1 += ai[l + 1] * bj[l + 1];
        s2 += ai[l + 2] * bj[l + 2];
        s3 += ai[l + 3] * bj[l + 3];
      }
      for (; l < k; ++l) s0 += ai[l] * bj[l];
      c[i * ldc + j] = apply_epilogue((s0 + s1) + (s2 + s3), c[i * ldc + j], j, ep);
    }
  }
}

// Small m, B = k x n: accumulate rows of B into a block of C-sized accumulators.
void gemv_bn(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
             size_t ldb, float* c, size_t ldc, const Epilogue& ep) {
  constexpr size_t kCols = 64;
  float acc[kSmallM][kCols];
  for (size_t i0 = 0; i0 < m; i0 += kSmallM) {
    const size_t mi = m - i0 < kSmallM ? m - i0 : kSmallM;
    for (size_t j0 = 0; j0 < n; j0 += kCols) {
      const size_t w = n - j0 < kCols ? n - j0 : kCols;
      for (size_t i = 0; i < mi; ++i)
        for (size_t j = 0; j < w; ++j) acc[i][j] = 0.0f;
      for (size_t l = 0; l < k; ++l) {
        const float* bl = b + l * ldb + j0;
        for (size_t i = 0; i < mi; ++i) {
          const float ail = a[(i0 + i) * lda + l];
          for (size_t j = 0; j < w; ++j) acc[i][j] += ail * bl[j];
        }
      }
      for (size_t i = 0; i < mi; ++i) {
        float* ci = c + (i0 + i) * ldc + j0;
        for (size_t j = 0; j < w; ++j) ci[j] = apply_epilogue(acc[i][j], ci[j], j0 + j, ep);
      }
    }
  }
}

}  // namespace

extern const SgemmUkernel kSgemmScalar = {
    "f32_gemm_ukernel_4x4__scalar", Isa::kScalar, kMr, kNr, gemm_4x4, nullptr, nullptr,
    gemv_bt, gemv_bn,
};

}  // namespace sgemm_detail
}  // namespace nnslim
