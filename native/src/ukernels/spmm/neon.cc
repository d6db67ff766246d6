// NEON SpMM micro-kernels (aarch64, armv7): rows as one broadcast-FMA (neon::fma_n) per packed
// q register of X^T (mp = 4..64), gemv with four scalar-indexed chains (no gather on NEON).
#include <arm_neon.h>

#include <cstddef>
#include <cstdint>

#include "../neon_compat.h"
#include "spmm_ukernel.h"

namespace nnslim {
namespace spmm_detail {
namespace {

template <bool Q>
inline float weight(const CsrRows& w, size_t j) {
  return Q ? static_cast<float>(w.q[j]) : w.values[j];
}

template <int V, int U, bool Q>
void rows_tile(const CsrRows& w, size_t nr, const float* xt, size_t mp, float* acc) {
  for (size_t r = 0; r < nr; ++r) {
    float32x4_t a[U][V];
    for (int u = 0; u < U; ++u)
      for (int v = 0; v < V; ++v) a[u][v] = vdupq_n_f32(0.0f);
    size_t j = static_cast<size_t>(w.row_ptr[r]);
    const size_t end = static_cast<size_t>(w.row_ptr[r + 1]);
    for (; j + U <= end; j += U) {
      for (int u = 0; u < U; ++u) {
        const float* xr = xt + static_cast<size_t>(w.col_idx[j + u]) * mp;
        const float s = weight<Q>(w, j + u);
        for (int v = 0; v < V; ++v) a[u][v] = neon::fma_n(a[u][v], vld1q_f32(xr + 4 * v), s);
      }
    }
    for (; j < end; ++j) {
      const float* xr = xt + static_cast<size_t>(w.col_idx[j]) * mp;
      const float s = weight<Q>(w, j);
      for (int v = 0; v < V; ++v) a[0][v] = neon::fma_n(a[0][v], vld1q_f32(xr + 4 * v), s);
    }
    for (int u = 1; u < U; ++u)
      for (int v = 0; v < V; ++v) a[0][v] = vaddq_f32(a[0][v], a[u][v]);
    if (Q)
      for (int v = 0; v < V; ++v) a[0][v] = vmulq_n_f32(a[0][v], w.scales[r]);
    float* out = acc + r * mp;
    for (int v = 0; v < V; ++v) vst1q_f32(out + 4 * v, a[0][v]);
  }
}

template <bool Q>
void rows_q(const CsrRows& w, size_t nr, const float* xt, size_t mp, float* acc) {
  switch (mp / 4) {
    case 1: return rows_tile<1, 4, Q>(w, nr, xt, mp, acc);
    case 2: return rows_tile<2, 2, Q>(w, nr, xt, mp, acc);
    case 3: return rows_tile<3, 2, Q>(w, nr, xt, mp, acc);
    case 4: return rows_tile<4, 1, Q>(w, nr, xt, mp, acc);
    case 5: return rows_tile<5, 1, Q>(w, nr, xt, mp, acc);
    case 6: return rows_tile<6, 1, Q>(w, nr, xt, mp, acc);
    case 7: return rows_tile<7, 1, Q>(w, nr, xt, mp, acc);
    case 8: return rows_tile<8, 1, Q>(w, nr, xt, mp, acc);
    case 9: return rows_tile<9, 1, Q>(w, nr, xt, mp, acc);
    case 10: return rows_tile<10, 1, Q>(w, nr, xt, mp, acc);
    case 11: return rows_tile<11, 1, Q>(w, nr, xt, mp, acc);
    case 12: return rows_tile<12, 1, Q>(w, nr, xt, mp, acc);
    case 13: return rows_tile<13, 1, Q>(w, nr, xt, mp, acc);
    case 14: return rows_tile<14, 1, Q>(w, nr, xt, mp, acc);
    case 15: return rows_tile<15, 1, Q>(w, nr, xt, mp, acc);
    default: return rows_tile<16, 1, Q>(w, nr, xt, mp, acc);
  }
}

void rows(const CsrRows& w, size_t nr, const float* xt, size_t mp, float* acc) {
  if (w.q) {
    rows_q<true>(w, nr, xt, mp, acc);
  } else {
    rows_q<false>(w, nr, xt, mp, acc);
  }
}

template <bool Q>
void gemv_q(const CsrRows& w, size_t nr, const float* x, float* y) {
  for (size_t r = 0; r < nr; ++r) {
    size_t j = static_cast<size_t>(w.row_ptr[r]);
    const size_t end = static_cast<size_t>(w.row_ptr[r + 1]);
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (; j + 4 <= end; j += 4) {
      s0 += weight<Q>(w, j) * x[w.col_idx[j]];
      s1 += weight<Q>(w, j + 1) * x[w.col_idx[j + 1]];
      s2 += weight<Q>(w, j + 2) * x[w.col_idx[j + 2]];
      s3 += weight<Q>(w, j + 3) * x[w.col_idx[j + 3]];
    }
    for (; j < end; ++j) s0 += weight<Q>(w, j) * x[w.col_idx[j]];
    float s = (s0 + s1) + (s2 + s3);
    if (Q) s *= w.scales[r];
    y[r] = s;
  }
}

void gemv(const CsrRows& w, size_t nr, const float* x, float* y) {
  if (w.q) {
    gemv_q<true>(w, nr, x, y);
  } else {
    gemv_q<false>(w, nr, x, y);
  }
}

}  // namespace

const SpmmUkernel kSpmmNeon = {"f32_spmm_ukernel_64__neon", Isa::kNeon, 4, rows, gemv, nullptr};

}  // namespace spmm_detail
}  // namespace nnslim
