// Portable SpMM micro-kernels (no SIMD flags): the baseline every ISA level falls back to.
#include <cstddef>
#include <cstdint>

#include "spmm_ukernel.h"

namespace nnslim {
namespace spmm_detail {
namespace {

inline float weight(const CsrRows& w, size_t j) {
  return w.q ? static_cast<float>(w.q[j]) : w.values[j];
}

void rows(const CsrRows& w, size_t nr, const float* xt, size_t mp, float* acc) {
  for (size_t r = 0; r < nr; ++r) {
    float* out = acc + r * mp;
    for (size_t i = 0; i < mp; ++i) out[i] = 0.0f;
    const size_t end = static_cast<size_t>(w.row_ptr[r + 1]);
    for (size_t j = static_cast<size_t>(w.row_ptr[r]); j < end; ++j) {
      const float s = weight(w, j);
      const float* xr = xt + static_cast<size_t>(w.col_idx[j]) * mp;
      for (size_t i = 0; i < mp; ++i) out[i] += s * xr[i];
    }
    if (w.q)
      for (size_t i = 0; i < mp; ++i) out[i] *= w.scales[r];
  }
}

void gemv(const CsrRows& w, size_t nr, const float* x, float* y) {
  for (size_t r = 0; r < nr; ++r) {
    float s0 = 0.0f, s1 = 0.0f;
    size_t j = static_cast<size_t>(w.row_ptr[r]);
    const size_t end = static_cast<size_t>(w.row_ptr[r + 1]);
    for (; j + 2 <= end; j += 2) {
      s0 += weight(w, j) * x[w.col_idx[j]];
      s1 += weight(w, j + 1) * x[w.col_idx[j + 1]];
    }
    if (j < end) s0 += weight(w, j) * x[w.col_idx[j]];
    float s = s0 + s1;
    if (w.q) s *= w.scales[r];
    y[r] = s;
  }
}

}  // namespace

const SpmmUkernel kSpmmScalar = {"f32_spmm_ukernel_64__scalar", Isa::kScalar, 1, rows, gemv, nullptr};

}  // namespace spmm_detail
}  // namespace nnslim
