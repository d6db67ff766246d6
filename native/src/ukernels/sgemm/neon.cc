// NEON sgemm micro-kernels. AArch64: a 12x8 register tile (24 q accumulators, the 12 A
// values of a k step in 3 q registers, FMLA by element). armv7 (16 q registers, no FMA by
// element): a 6x8 tile (12 accumulators), each A value loaded as a broadcast (vld1q_dup)
// for VFMA. Both: 4x4-transposing packers for trans_b panels (and A panels on AArch64) and
// the two small-m paths over unpacked B.
#include <arm_neon.h>

#include <cstddef>
#include <cstdint>

#include "../neon_compat.h"
#include "sgemm_ukernel.h"

namespace nnslim {
namespace sgemm_detail {
namespace {

#if defined(__aarch64__)
constexpr int kMr = 12;
#else
constexpr int kMr = 6;
#endif
constexpr int kNr = 8;
using neon::fma_n;

// Epilogue of one row of up to 8 columns held in two q registers.
inline void store_row(float* c, size_t nr, float32x4_t v0, float32x4_t v1, const Epilogue& ep) {
  const float32x4_t alpha = vdupq_n_f32(ep.alpha);
  v0 = vmulq_f32(v0, alpha);
  v1 = vmulq_f32(v1, alpha);
  if (nr == 8) {
    if (ep.beta != 0.0f) {
      v0 = fma_n(v0, vld1q_f32(c), ep.beta);
      v1 = fma_n(v1, vld1q_f32(c + 4), ep.beta);
    }
    if (ep.bias) {
      v0 = vaddq_f32(v0, vld1q_f32(ep.bias));
      v1 = vaddq_f32(v1, vld1q_f32(ep.bias + 4));
    }
    if (ep.relu) {  // v < 0 -> 0; NaN passes through, like torch.relu
      v0 = vbslq_f32(neon::ltz(v0), vdupq_n_f32(0.0f), v0);
      v1 = vbslq_f32(neon::ltz(v1), vdupq_n_f32(0.0f), v1);
    }
    vst1q_f32(c, v0);
    vst1q_f32(c + 4, v1);
    return;
  }
  float tmp[8];
  vst1q_f32(tmp, v0);
  vst1q_f32(tmp + 4, v1);
  for (size_t j = 0; j < nr; ++j) {
    // alpha is already applied: run the shared epilogue with alpha = 1.
    const Epilogue e{1.0f, ep.beta, ep.bias, ep.relu};
    c[j] = apply_epilogue(tmp[j], c[j], j, e);
  }
}

template <int R>
void gemm_tile(size_t nr, size_t kc, const float* a, const float* b, float* c, size_t ldc,
               const Epilogue& ep) {
  constexpr int kAq = (R + 3) / 4;  // q registers of A per k step
  float32x4_t c0[R], c1[R];
#pragma GCC unroll 12
  for (int i = 0; i < R; ++i) c0[i] = c1[i] = vdupq_n_f32(0.0f);
  // Epilogue::prefetch: one line of the driver's next B source per k step (or B itself).
  const char* pf = ep.prefetch ? ep.prefetch : reinterpret_cast<const char*>(b);
  for (size_t k = 0; k < kc; ++k) {
    __builtin_prefetch(pf, 0, 2);
    pf += 64;
    const float32x4_t b0 = vld1q_f32(b);
    const float32x4_t b1 = vld1q_f32(b + 4);
#if !defined(__aarch64__)
#pragma GCC unroll 6
    for (int i = 0; i < R; ++i) {
      const float32x4_t ai = vld1q_dup_f32(a + i);
      c0[i] = vfmaq_f32(c0[i], b0, ai);
      c1[i] = vfmaq_f32(c1[i], b1, ai);
    }
    (void)kAq;
#else
    float32x4_t av[kAq];
#pragma GCC unroll 3
    for (int q = 0; q < kAq; ++q) av[q] = vld1q_f32(a + 4 * q);
#pragma GCC unroll 12
    for (int i = 0; i < R; ++i) {
      switch (i % 4) {
        case 0:
          c0[i] = vfmaq_laneq_f32(c0[i], b0, av[i / 4], 0);
          c1[i] = vfmaq_laneq_f32(c1[i], b1, av[i / 4], 0);
          break;
        case 1:
          c0[i] = vfmaq_laneq_f32(c0[i], b0, av[i / 4], 1);
          c1[i] = vfmaq_laneq_f32(c1[i], b1, av[i / 4], 1);
          break;
        case 2:
          c0[i] = vfmaq_laneq_f32(c0[i], b0, av[i / 4], 2);
          c1[i] = vfmaq_laneq_f32(c1[i], b1, av[i / 4], 2);
          break;
        default:
          c0[i] = vfmaq_laneq_f32(c0[i], b0, av[i / 4], 3);
          c1[i] = vfmaq_laneq_f32(c1[i], b1, av[i / 4], 3);
          break;
      }
    }
#endif
    a += kMr;
    b += kNr;
  }
#pragma GCC unroll 12
  for (int i = 0; i < R; ++i) store_row(c + i * ldc, nr, c0[i], c1[i], ep);
}

void gemm_mrx8(size_t mr, size_t nr, size_t kc, const float* a, const float* b, float* c,
               size_t ldc, const Epilogue& ep) {
  switch (mr) {
#if defined(__aarch64__)
    case 12: return gemm_tile<12>(nr, kc, a, b, c, ldc, ep);
    case 11: return gemm_tile<11>(nr, kc, a, b, c, ldc, ep);
    case 10: return gemm_tile<10>(nr, kc, a, b, c, ldc, ep);
    case 9: return gemm_tile<9>(nr, kc, a, b, c, ldc, ep);
    case 8: return gemm_tile<8>(nr, kc, a, b, c, ldc, ep);
    case 7: return gemm_tile<7>(nr, kc, a, b, c, ldc, ep);
#endif
    case 6: return gemm_tile<6>(nr, kc, a, b, c, ldc, ep);
    case 5: return gemm_tile<5>(nr, kc, a, b, c, ldc, ep);
    case 4: return gemm_tile<4>(nr, kc, a, b, c, ldc, ep);
    case 3: return gemm_tile<3>(nr, kc, a, b, c, ldc, ep);
    case 2: return gemm_tile<2>(nr, kc, a, b, c, ldc, ep);
    default: return gemm_tile<1>(nr, kc, a, b, c, ldc, ep);
  }
}

// Loads 4 floats of a row, or its first n < 4 (the rest zero), or zeros for a missing row.
inline float32x4_t load4(const float* p, size_t n) {
  if (n >= 4) return vld1q_f32(p);
  float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  for (size_t i = 0; i < n; ++i) t[i] = p[i];
  return vld1q_f32(t);
}

// dst[k * dst_ld + q * 4 + i] = src[(q * 4 + i) * ld + k] for `groups` groups of 4 rows,
// rows >= rows zero: the transposing packer of trans_b panels and of A panels.
void transpose_rows(const float* src, size_t ld, size_t rows, size_t groups, size_t kc,
                    float* dst, size_t dst_ld) {
  for (size_t k0 = 0; k0 < kc; k0 += 4) {
    const size_t kn = kc - k0 < 4 ? kc - k0 : 4;
    for (size_t q = 0; q < groups; ++q) {
      float32x4_t r[4], c[4];
      for (size_t i = 0; i < 4; ++i) {
        const size_t row = q * 4 + i;
        r[i] = row < rows ? load4(src + row * ld + k0, kn) : vdupq_n_f32(0.0f);
      }
      neon::transpose4(r, c);
      for (size_t i = 0; i < kn; ++i) vst1q_f32(dst + (k0 + i) * dst_ld + q * 4, c[i]);
    }
  }
}

void pack_b_8(size_t kc, size_t nc, const float* b, size_t ldb, bool trans_b, float* bp) {
  if (!trans_b) return pack_b_generic(kNr, kc, nc, b, ldb, trans_b, bp);
  for (size_t j0 = 0; j0 < nc; j0 += kNr) {
    const size_t rows = nc - j0 < static_cast<size_t>(kNr) ? nc - j0 : kNr;
    transpose_rows(b + j0 * ldb, ldb, rows, kNr / 4, kc, bp + (j0 / kNr) * kc * kNr, kNr);
  }
}

void pack_a(size_t mr, size_t kc, const float* a, size_t lda, bool trans_a, float* ap) {
  if (trans_a || kMr % 4 != 0) return pack_a_generic(kMr, mr, kc, a, lda, trans_a, ap);
  transpose_rows(a, lda, mr, kMr / 4, kc, ap, kMr);
}

// ---- small m, B = n x k (trans_b): dot products of A rows with B rows ----

template <int M, int W>
void dot_block(size_t k, const float* a, size_t lda, const float* b, size_t ldb, float* out) {
  float32x4_t acc[M][W];
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i)
#pragma GCC unroll 8
    for (int w = 0; w < W; ++w) acc[i][w] = vdupq_n_f32(0.0f);
  size_t l = 0;
  for (; l + 4 <= k; l += 4) {
    float32x4_t bv[W];
#pragma GCC unroll 8
    for (int w = 0; w < W; ++w) bv[w] = vld1q_f32(b + w * ldb + l);
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) {
      const float32x4_t av = vld1q_f32(a + i * lda + l);
#pragma GCC unroll 8
      for (int w = 0; w < W; ++w) acc[i][w] = vfmaq_f32(acc[i][w], av, bv[w]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i) {
#pragma GCC unroll 8
    for (int w = 0; w < W; ++w) {
      float s = neon::hsum(acc[i][w]);
      for (size_t t = l; t < k; ++t) s += a[i * lda + t] * b[w * ldb + t];
      out[i * 8 + w] = s;
    }
  }
}

template <int M, int W>
void gemv_bt_rows(size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
                  float* c, size_t ldc, const Epilogue& ep) {
  float out[M * 8];
  size_t j = 0;
  for (; j + W <= n; j += W) {
    dot_block<M, W>(k, a, lda, b + j * ldb, ldb, out);
    for (int i = 0; i < M; ++i)
      for (int w = 0; w < W; ++w)
        c[i * ldc + j + w] = apply_epilogue(out[i * 8 + w], c[i * ldc + j + w], j + w, ep);
  }
  for (; j < n; ++j) {
    dot_block<M, 1>(k, a, lda, b + j * ldb, ldb, out);
    for (int i = 0; i < M; ++i) c[i * ldc + j] = apply_epilogue(out[i * 8], c[i * ldc + j], j, ep);
  }
}

void gemv_bt(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
             size_t ldb, float* c, size_t ldc, const Epilogue& ep) {
  // M * W accumulators + W B registers + 1 A register <= 32 (AArch64) or 16 (armv7).
  while (m > 0) {
    switch (m) {
#if !defined(__aarch64__)
      case 1: gemv_bt_rows<1, 6>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 2: gemv_bt_rows<2, 4>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 3: gemv_bt_rows<3, 3>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 4: gemv_bt_rows<4, 2>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 5: gemv_bt_rows<5, 2>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 6: gemv_bt_rows<6, 2>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 7: gemv_bt_rows<7, 1>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      default:
        gemv_bt_rows<8, 1>(n, k, a, lda, b, ldb, c, ldc, ep);
#else
      case 1: gemv_bt_rows<1, 8>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 2: gemv_bt_rows<2, 8>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 3: gemv_bt_rows<3, 6>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 4: gemv_bt_rows<4, 5>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 5: gemv_bt_rows<5, 4>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 6: gemv_bt_rows<6, 4>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 7: gemv_bt_rows<7, 3>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      default:
        gemv_bt_rows<8, 3>(n, k, a, lda, b, ldb, c, ldc, ep);
#endif
        m -= 8;
        a += 8 * lda;
        c += 8 * ldc;
    }
  }
}

// ---- small m, B = k x n: broadcast A, stream rows of B ----

template <int M, int V>
void gemv_bn_block(size_t k, const float* a, size_t lda, const float* b, size_t ldb, float* c,
                   size_t ldc, const Epilogue& ep) {
  float32x4_t acc[M][V];
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) acc[i][v] = vdupq_n_f32(0.0f);
  for (size_t l = 0; l < k; ++l) {
    float32x4_t bv[V];
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) bv[v] = vld1q_f32(b + l * ldb + 4 * v);
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) {
      const float ai = a[i * lda + l];
#pragma GCC unroll 8
      for (int v = 0; v < V; ++v) acc[i][v] = fma_n(acc[i][v], bv[v], ai);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i) {
    float tmp[4 * V];
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) vst1q_f32(tmp + 4 * v, acc[i][v]);
    for (int j = 0; j < 4 * V; ++j) c[i * ldc + j] = apply_epilogue(tmp[j], c[i * ldc + j], j, ep);
  }
}

template <int M, int V>
void gemv_bn_rows(size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
                  float* c, size_t ldc, const Epilogue& ep) {
  constexpr size_t kW = 4 * V;
  Epilogue e = ep;
  size_t j = 0;
  for (; j + kW <= n; j += kW) {
    e.bias = ep.bias ? ep.bias + j : nullptr;
    gemv_bn_block<M, V>(k, a, lda, b + j, ldb, c + j, ldc, e);
  }
  // Remaining columns (< kW): a plain loop, the same numeric rules.
  for (; j < n; ++j) {
    for (int i = 0; i < M; ++i) {
      float s = 0.0f;
      for (size_t l = 0; l < k; ++l) s += a[i * lda + l] * b[l * ldb + j];
      c[i * ldc + j] = apply_epilogue(s, c[i * ldc + j], j, ep);
    }
  }
}

void gemv_bn(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
             size_t ldb, float* c, size_t ldc, const Epilogue& ep) {
  // M * V accumulators + V B registers <= 32 (AArch64) or 16 (armv7).
  while (m > 0) {
    switch (m) {
#if !defined(__aarch64__)
      case 1: gemv_bn_rows<1, 4>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 2: gemv_bn_rows<2, 4>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 3: gemv_bn_rows<3, 3>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 4: gemv_bn_rows<4, 2>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 5: gemv_bn_rows<5, 2>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 6: gemv_bn_rows<6, 2>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 7: gemv_bn_rows<7, 1>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      default:
        gemv_bn_rows<8, 1>(n, k, a, lda, b, ldb, c, ldc, ep);
#else
      case 1: gemv_bn_rows<1, 4>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 2: gemv_bn_rows<2, 4>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 3: gemv_bn_rows<3, 4>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 4: gemv_bn_rows<4, 4>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 5: gemv_bn_rows<5, 4>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 6: gemv_bn_rows<6, 4>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 7: gemv_bn_rows<7, 3>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      default:
        gemv_bn_rows<8, 3>(n, k, a, lda, b, ldb, c, ldc, ep);
#endif
        m -= 8;
        a += 8 * lda;
        c += 8 * ldc;
    }
  }
}

}  // namespace

extern const SgemmUkernel kSgemmNeon = {
#if defined(__aarch64__)
    "f32_gemm_ukernel_12x8__neon",
#else
    "f32_gemm_ukernel_6x8__neonfma",
#endif
    Isa::kNeon, kMr, kNr, gemm_mrx8, pack_a, pack_b_8, gemv_bt, gemv_bn,
};

}  // namespace sgemm_detail
}  // namespace nnslim
