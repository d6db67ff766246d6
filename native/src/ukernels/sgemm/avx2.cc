// AVX2+FMA sgemm micro-kernels: a 6x16 register tile (12 ymm accumulators, 2 B loads and
// 6 broadcasts per k), SIMD packing of B (8x8 in-register transposes for trans_b = true)
// and the two small-m paths over unpacked B.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "sgemm_ukernel.h"
#include "../../ops/scratch.h"

namespace nnslim {
namespace sgemm_detail {
namespace {

constexpr int kMr = 6;
constexpr int kNr = 16;

// Lane masks for the first n (0..8) of 8 floats.
inline __m256i tail_mask8(size_t n) {
  alignas(32) static const int32_t kBits[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                                0,  0,  0,  0,  0,  0,  0,  0};
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kBits + 8 - (n > 8 ? 8 : n)));
}

inline __m256 load_n(const float* p, size_t n) {  // n >= 8: full load; else masked
  return n >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, tail_mask8(n));
}
inline void store_n(float* p, size_t n, __m256 v) {
  if (n >= 8) {
    _mm256_storeu_ps(p, v);
  } else if (n > 0) {
    _mm256_maskstore_ps(p, tail_mask8(n), v);
  }
}

template <int R>
void gemm_tile(size_t nr, size_t kc, const float* a, const float* b, float* c, size_t ldc,
               const Epilogue& ep) {
  __m256 c0[R], c1[R];
#pragma GCC unroll 6
  for (int i = 0; i < R; ++i) c0[i] = c1[i] = _mm256_setzero_ps();
#pragma GCC unroll 6
  for (int i = 0; i < R; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 15), _MM_HINT_T0);
  }
  // Epilogue::prefetch: one line of the driver's next B source per k step (or B itself).
  const char* pf = ep.prefetch ? ep.prefetch : reinterpret_cast<const char*>(b);
  for (size_t k = 0; k < kc; ++k) {
    _mm_prefetch(pf, _MM_HINT_T1);
    pf += 64;
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < R; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i);
      c0[i] = _mm256_fmadd_ps(ai, b0, c0[i]);
      c1[i] = _mm256_fmadd_ps(ai, b1, c1[i]);
    }
    a += kMr;
    b += kNr;
  }
  const size_t n0 = nr < 8 ? nr : 8, n1 = nr > 8 ? nr - 8 : 0;
  const __m256 alpha = _mm256_set1_ps(ep.alpha);
  const __m256 beta = _mm256_set1_ps(ep.beta);
  const __m256 zero = _mm256_setzero_ps();
  __m256 bias0 = zero, bias1 = zero;
  if (ep.bias) {
    bias0 = load_n(ep.bias, n0);
    if (n1 > 0) bias1 = load_n(ep.bias + 8, n1);
  }
#pragma GCC unroll 6
  for (int i = 0; i < R; ++i) {
    float* ci = c + i * ldc;
    __m256 v0 = _mm256_mul_ps(c0[i], alpha);
    __m256 v1 = _mm256_mul_ps(c1[i], alpha);
    if (ep.beta != 0.0f) {
      v0 = _mm256_fmadd_ps(beta, load_n(ci, n0), v0);
      if (n1 > 0) v1 = _mm256_fmadd_ps(beta, load_n(ci + 8, n1), v1);
    }
    v0 = _mm256_add_ps(v0, bias0);
    v1 = _mm256_add_ps(v1, bias1);
    if (ep.relu) {
      v0 = _mm256_max_ps(zero, v0);  // max(0, NaN) = NaN, like torch.relu
      v1 = _mm256_max_ps(zero, v1);
    }
    store_n(ci, n0, v0);
    store_n(ci + 8, n1, v1);
  }
}

void gemm_6x16(size_t mr, size_t nr, size_t kc, const float* a, const float* b, float* c,
               size_t ldc, const Epilogue& ep) {
  switch (mr) {
    case 6: return gemm_tile<6>(nr, kc, a, b, c, ldc, ep);
    case 5: return gemm_tile<5>(nr, kc, a, b, c, ldc, ep);
    case 4: return gemm_tile<4>(nr, kc, a, b, c, ldc, ep);
    case 3: return gemm_tile<3>(nr, kc, a, b, c, ldc, ep);
    case 2: return gemm_tile<2>(nr, kc, a, b, c, ldc, ep);
    default: return gemm_tile<1>(nr, kc, a, b, c, ldc, ep);
  }
}

// In-register transpose of 8 rows of 8 floats: r[i] lane j -> r[j] lane i.
__attribute__((always_inline)) inline void transpose8(__m256 r[8]) {
  __m256 t[8];
#pragma GCC unroll 4
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  __m256 u[8];
#pragma GCC unroll 2
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  // u[s] / u[4 + s]: rows 0-3 / 4-7, elements s (low lane) and 4 + s (high lane).
#pragma GCC unroll 4
  for (int s = 0; s < 4; ++s) {
    r[s] = _mm256_permute2f128_ps(u[s], u[4 + s], 0x20);
    r[4 + s] = _mm256_permute2f128_ps(u[s], u[4 + s], 0x31);
  }
}

// Address arithmetic for prefetch targets that may lie past the end of a matrix (never
// dereferenced; prefetches do not fault), kept out of pointer arithmetic.
inline uintptr_t addr(const float* p, size_t offset) {
  return reinterpret_cast<uintptr_t>(p) + offset * sizeof(float);
}

inline size_t rows_left8(size_t j, size_t n) { return j >= n ? 0 : (n - j < 8 ? n - j : 8); }

// Transposes kc columns of `rows` (<= 8) rows of src (stride ld) into dst rows of 8 floats
// dst_ld apart (dst[k * dst_ld + i] = src[i * ld + k]; rows >= `rows` are zero), while
// prefetching the same columns of the next row group (the rows are separate strided streams
// the hardware prefetchers do not follow far enough ahead). Each store writes 8 floats; with
// dst_ld < 8 it spills into the next k row, which the next store overwrites, so dst needs
// 8 - dst_ld floats of slack after the last row.
__attribute__((always_inline)) inline void transpose_group8(const float* src, size_t ld,
                                                             size_t rows, size_t kc, float* dst,
                                                             size_t dst_ld, uintptr_t next,
                                                             size_t next_rows) {
  for (size_t k0 = 0; k0 < kc; k0 += 8) {
    const size_t kn = kc - k0 < 8 ? kc - k0 : 8;
    __m256 r[8];
#pragma GCC unroll 8
    for (size_t i = 0; i < 8; ++i) {
      if (i < rows) {
        r[i] = load_n(src + i * ld + k0, kn);
      } else {
        r[i] = _mm256_setzero_ps();
      }
      if (i < next_rows)
        _mm_prefetch(reinterpret_cast<const char*>(next + (i * ld + k0) * sizeof(float)), _MM_HINT_T0);
    }
    transpose8(r);
    float* d = dst + k0 * dst_ld;
#pragma GCC unroll 8
    for (size_t i = 0; i < 8; ++i)
      if (i < kn) _mm256_storeu_ps(d + i * dst_ld, r[i]);
  }
}

void pack_b_16(size_t kc, size_t nc, const float* b, size_t ldb, bool trans_b, float* bp) {
  const size_t panels = (nc + kNr - 1) / kNr;
  if (!trans_b) {
    for (size_t k = 0; k < kc; ++k) {
      const float* row = b + k * ldb;
      float* dst = bp + k * kNr;
      for (size_t p = 0; p < panels; ++p) {
        const size_t j = p * kNr;
        const size_t left = nc - j;
        if (left >= kNr) {
          _mm256_store_ps(dst, _mm256_loadu_ps(row + j));
          _mm256_store_ps(dst + 8, _mm256_loadu_ps(row + j + 8));
        } else {
          _mm256_store_ps(dst, load_n(row + j, left));
          _mm256_store_ps(dst + 8, left > 8 ? load_n(row + j + 8, left - 8) : _mm256_setzero_ps());
        }
        dst += kc * kNr;
      }
    }
    return;
  }
  // trans_b: each 8-row group of the stored matrix becomes one half of a panel's rows.
  for (size_t g = 0; g < 2 * panels; ++g) {
    const size_t j0 = g * 8;
    float* dst = bp + (g / 2) * kc * kNr + (g % 2) * 8;
    transpose_group8(b + j0 * ldb, ldb, rows_left8(j0, nc), kc, dst, kNr, addr(b, (j0 + 8) * ldb),
                     rows_left8(j0 + 8, nc));
  }
}

// A micro-panel: ap[k * 6 + i] = A[i][k] (8-float stores overlapping the next k row; the
// driver leaves slack after the packed A block).
void pack_a_6(size_t mr, size_t kc, const float* a, size_t lda, bool trans_a, float* ap) {
  if (trans_a) {
    for (size_t k = 0; k < kc; ++k) {
      const __m256 v = load_n(a + k * lda, mr);  // lanes mr.. are zero
      _mm256_storeu_ps(ap + k * kMr, v);
    }
    return;
  }
  transpose_group8(a, lda, mr, kc, ap, kMr, addr(a, kMr * lda), mr);
}

inline float hsum(__m256 v) {
  __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  x = _mm_add_ps(x, _mm_movehl_ps(x, x));
  x = _mm_add_ss(x, _mm_movehdup_ps(x));
  return _mm_cvtss_f32(x);
}

// ---- small m, B = n x k (trans_b): dot products of A rows with B rows ----

// With two or more rows, A is first interleaved in 8-float steps, ap[(s * M + i) * 8 + lane]
// = A[i][8 s + lane] (zero past k): one stream with constant offsets instead of M row
// pointers, as in the AVX-512 path.
template <int M>
void pack_a_steps(size_t k, const float* a, size_t lda, float* ap) {
  for (size_t l = 0; l < k; l += 8, ap += M * 8)
    for (int i = 0; i < M; ++i) _mm256_store_ps(ap + i * 8, load_n(a + i * lda + l, k - l));
}

// pack_a_steps' buffer: the calling thread's scratch arena (ops/scratch.h), its own tag so it
// never moves the driver's arena that may hold A itself.
struct PackedATag {};

// out[i * 4 + w] = dot(A row i, B row w) over k; A as rows (a, lda), or with Packed as
// pack_a_steps left it (a = ap). `next` (the rows processed next, or b) is prefetched
// meanwhile.
template <int M, int W, bool Packed>
void dot_block(size_t k, const float* a, size_t lda, const float* b, size_t ldb, float* out,
               const float* next) {
  __m256 acc[M][W];
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i)
#pragma GCC unroll 8
    for (int w = 0; w < W; ++w) acc[i][w] = _mm256_setzero_ps();
  size_t l = 0;
  for (; l < k; l += 8) {
    const size_t kn = k - l;
    __m256 bv[W];
    if (kn >= 8) {
#pragma GCC unroll 8
      for (int w = 0; w < W; ++w) {
        bv[w] = _mm256_loadu_ps(b + w * ldb + l);
        if (M >= 4 && (l & 8) == 0)  // one prefetch per 64-byte line
          _mm_prefetch(reinterpret_cast<const char*>(next + w * ldb + l), _MM_HINT_T0);
      }
#pragma GCC unroll 8
      for (int i = 0; i < M; ++i) {
        const __m256 av = Packed ? _mm256_load_ps(a + l * M + i * 8) : _mm256_loadu_ps(a + i * lda + l);
#pragma GCC unroll 8
        for (int w = 0; w < W; ++w) acc[i][w] = _mm256_fmadd_ps(av, bv[w], acc[i][w]);
      }
    } else {
      const __m256i km = tail_mask8(kn);
#pragma GCC unroll 8
      for (int w = 0; w < W; ++w) bv[w] = _mm256_maskload_ps(b + w * ldb + l, km);
#pragma GCC unroll 8
      for (int i = 0; i < M; ++i) {
        const __m256 av = Packed ? _mm256_load_ps(a + l * M + i * 8) : _mm256_maskload_ps(a + i * lda + l, km);
#pragma GCC unroll 8
        for (int w = 0; w < W; ++w) acc[i][w] = _mm256_fmadd_ps(av, bv[w], acc[i][w]);
      }
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i)
#pragma GCC unroll 8
    for (int w = 0; w < W; ++w) out[i * 4 + w] = hsum(acc[i][w]);
}

template <int M, int W, bool Packed>
void gemv_bt_block_rows(size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
                        float* c, size_t ldc, const Epilogue& ep) {
  float out[M * 4];
  size_t j = 0;
  for (; j + W <= n; j += W) {
    const float* bj = b + j * ldb;
    dot_block<M, W, Packed>(k, a, lda, bj, ldb, out, j + 2 * W <= n ? bj + W * ldb : bj);
    for (int i = 0; i < M; ++i)
      for (int w = 0; w < W; ++w)
        c[i * ldc + j + w] = apply_epilogue(out[i * 4 + w], c[i * ldc + j + w], j + w, ep);
  }
  for (; j < n; ++j) {
    dot_block<M, 1, Packed>(k, a, lda, b + j * ldb, ldb, out, b + j * ldb);
    for (int i = 0; i < M; ++i) c[i * ldc + j] = apply_epilogue(out[i * 4], c[i * ldc + j], j, ep);
  }
}

template <int M, int W>
void gemv_bt_rows(size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
                  float* c, size_t ldc, const Epilogue& ep) {
  // Null when the arena cannot grow: A is then read as rows.
  float* ap = M > 1 ? static_cast<float*>(detail::thread_scratch<PackedATag>().get((k + 7) / 8 * 8 * M * sizeof(float)))
                    : nullptr;
  if (ap == nullptr) return gemv_bt_block_rows<M, W, false>(n, k, a, lda, b, ldb, c, ldc, ep);
  pack_a_steps<M>(k, a, lda, ap);
  gemv_bt_block_rows<M, W, true>(n, k, ap, 0, b, ldb, c, ldc, ep);
}

void gemv_bt(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
             size_t ldb, float* c, size_t ldc, const Epilogue& ep) {
  // acc M x W + W B registers + 1 A register <= 16 ymm.
  while (m > 0) {
    switch (m) {
      // One pass over B for every m <= 8 (B is what is large).
      case 1: gemv_bt_rows<1, 4>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 2: gemv_bt_rows<2, 4>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 3: gemv_bt_rows<3, 3>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 4: gemv_bt_rows<4, 2>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 5: gemv_bt_rows<5, 2>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 6: gemv_bt_rows<6, 2>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 7: gemv_bt_rows<7, 1>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      default:
        gemv_bt_rows<8, 1>(n, k, a, lda, b, ldb, c, ldc, ep);
        m -= 8;
        a += 8 * lda;
        c += 8 * ldc;
    }
  }
}

// ---- small m, B = k x n: broadcast A, stream rows of B ----

template <int M, int V>
void gemv_bn_block(size_t nr, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
                   float* c, size_t ldc, const Epilogue& ep) {
  size_t nv[V];
  for (int v = 0; v < V; ++v) {
    const size_t lo = static_cast<size_t>(v) * 8;
    nv[v] = nr > lo ? (nr - lo > 8 ? 8 : nr - lo) : 0;
  }
  __m256 acc[M][V];
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) acc[i][v] = _mm256_setzero_ps();
  const bool full = nr >= static_cast<size_t>(8 * V);
  for (size_t l = 0; l < k; ++l) {
    // Each k touches a few lines of a B row; fetch rows 16 ahead.
    const float* pf = b + (l + 16 < k ? l + 16 : k - 1) * ldb;
#pragma GCC unroll 4
    for (int v = 0; v < V; v += 2) _mm_prefetch(reinterpret_cast<const char*>(pf + v * 8), _MM_HINT_T0);
    __m256 bv[V];
    if (full) {
#pragma GCC unroll 8
      for (int v = 0; v < V; ++v) bv[v] = _mm256_loadu_ps(b + l * ldb + v * 8);
    } else {
#pragma GCC unroll 8
      for (int v = 0; v < V; ++v)
        bv[v] = nv[v] > 0 ? load_n(b + l * ldb + v * 8, nv[v]) : _mm256_setzero_ps();
    }
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i * lda + l);
#pragma GCC unroll 8
      for (int v = 0; v < V; ++v) acc[i][v] = _mm256_fmadd_ps(ai, bv[v], acc[i][v]);
    }
  }
  const __m256 alpha = _mm256_set1_ps(ep.alpha);
  const __m256 beta = _mm256_set1_ps(ep.beta);
  const __m256 zero = _mm256_setzero_ps();
#pragma GCC unroll 8
  for (int v = 0; v < V; ++v) {
    if (nv[v] == 0) continue;
    const __m256 bias = ep.bias ? load_n(ep.bias + v * 8, nv[v]) : zero;
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) {
      float* ci = c + i * ldc + v * 8;
      __m256 x = _mm256_mul_ps(acc[i][v], alpha);
      if (ep.beta != 0.0f) x = _mm256_fmadd_ps(beta, load_n(ci, nv[v]), x);
      x = _mm256_add_ps(x, bias);
      if (ep.relu) x = _mm256_max_ps(zero, x);
      store_n(ci, nv[v], x);
    }
  }
}

template <int M, int V>
void gemv_bn_rows(size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
                  float* c, size_t ldc, const Epilogue& ep) {
  constexpr size_t kW = 8 * V;
  Epilogue e = ep;
  for (size_t j = 0; j < n; j += kW) {
    e.bias = ep.bias ? ep.bias + j : nullptr;
    const size_t w = n - j < kW ? n - j : kW;
    gemv_bn_block<M, V>(w, k, a, lda, b + j, ldb, c + j, ldc, e);
  }
}

void gemv_bn(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
             size_t ldb, float* c, size_t ldc, const Epilogue& ep) {
  while (m > 0) {
    switch (m) {
      case 1: gemv_bn_rows<1, 4>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 2: gemv_bn_rows<2, 4>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 3: gemv_bn_rows<3, 3>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      default:
        gemv_bn_rows<4, 2>(n, k, a, lda, b, ldb, c, ldc, ep);
        m -= 4;
        a += 4 * lda;
        c += 4 * ldc;
    }
  }
}

}  // namespace

extern const SgemmUkernel kSgemmAvx2 = {
    "f32_gemm_ukernel_6x16__avx2", Isa::kAvx2, kMr, kNr, gemm_6x16, pack_a_6, pack_b_16,
    gemv_bt, gemv_bn,
};

}  // namespace sgemm_detail
}  // namespace nnslim
