#include "nnslim/reference.h"

namespace nnslim {

// The numeric contract of sgemm: each dot product is accumulated in double over k and
// rounded to float once; then, in float, v = alpha * acc + beta * C (C not read when
// beta == 0), v += bias[j], and relu maps v < 0 to 0 (NaN passes through).
Status sgemm_ref(const SgemmParams& p) {
  const Status s = sgemm_check(p);
  if (s != Status::kOk) return s;
  for (int64_t i = 0; i < p.m; ++i) {
    for (int64_t j = 0; j < p.n; ++j) {
      double acc = 0.0;
      for (int64_t l = 0; l < p.k; ++l) {
        const float a = p.trans_a ? p.a[l * p.lda + i] : p.a[i * p.lda + l];
        const float b = p.trans_b ? p.b[j * p.ldb + l] : p.b[l * p.ldb + j];
        acc += static_cast<double>(a) * static_cast<double>(b);
      }
      float* c = &p.c[i * p.ldc + j];
      float v = p.alpha * static_cast<float>(acc);
      if (p.beta != 0.0f) v += p.beta * *c;
      if (p.bias) v += p.bias[j];
      if (p.relu) v = v < 0.0f ? 0.0f : v;
      *c = v;
    }
  }
  return Status::kOk;
}

}  // namespace nnslim
