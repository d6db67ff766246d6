// AVX2+FMA SpMM micro-kernels: rows as one broadcast-FMA per packed ymm of X^T (mp = 8..64),
// gemv with 8 non-zeros per step, x gathered by scalar loads (no vgatherdps: slow on many
// AVX2 cores, and qemu 7.2 crashes on it).
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "spmm_ukernel.h"
#include "transpose_avx.h"

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
    __m256 a[U][V];
    for (int u = 0; u < U; ++u)
      for (int v = 0; v < V; ++v) a[u][v] = _mm256_setzero_ps();
    size_t j = static_cast<size_t>(w.row_ptr[r]);
    const size_t end = static_cast<size_t>(w.row_ptr[r + 1]);
    for (; j + U <= end; j += U) {
#pragma GCC unroll 4
      for (int u = 0; u < U; ++u) {
        const float* xr = xt + static_cast<size_t>(w.col_idx[j + u]) * mp;
        const __m256 b = _mm256_set1_ps(weight<Q>(w, j + u));
#pragma GCC unroll 8
        for (int v = 0; v < V; ++v) a[u][v] = _mm256_fmadd_ps(b, _mm256_loadu_ps(xr + 8 * v), a[u][v]);
      }
    }
    for (; j < end; ++j) {
      const float* xr = xt + static_cast<size_t>(w.col_idx[j]) * mp;
      const __m256 b = _mm256_set1_ps(weight<Q>(w, j));
      for (int v = 0; v < V; ++v) a[0][v] = _mm256_fmadd_ps(b, _mm256_loadu_ps(xr + 8 * v), a[0][v]);
    }
    for (int u = 1; u < U; ++u)
      for (int v = 0; v < V; ++v) a[0][v] = _mm256_add_ps(a[0][v], a[u][v]);
    if (Q) {
      const __m256 sc = _mm256_set1_ps(w.scales[r]);
      for (int v = 0; v < V; ++v) a[0][v] = _mm256_mul_ps(a[0][v], sc);
    }
    float* out = acc + r * mp;
    for (int v = 0; v < V; ++v) _mm256_storeu_ps(out + 8 * v, a[0][v]);
  }
}

template <bool Q>
void rows_q(const CsrRows& w, size_t nr, const float* xt, size_t mp, float* acc) {
  switch (mp) {
    case 8: return rows_tile<1, 4, Q>(w, nr, xt, mp, acc);
    case 16: return rows_tile<2, 2, Q>(w, nr, xt, mp, acc);
    case 24: return rows_tile<3, 2, Q>(w, nr, xt, mp, acc);
    case 32: return rows_tile<4, 1, Q>(w, nr, xt, mp, acc);
    case 40: return rows_tile<5, 1, Q>(w, nr, xt, mp, acc);
    case 48: return rows_tile<6, 1, Q>(w, nr, xt, mp, acc);
    case 56: return rows_tile<7, 1, Q>(w, nr, xt, mp, acc);
    default: return rows_tile<8, 1, Q>(w, nr, xt, mp, acc);
  }
}

void rows(const CsrRows& w, size_t nr, const float* xt, size_t mp, float* acc) {
  if (w.q) {
    rows_q<true>(w, nr, xt, mp, acc);
  } else {
    rows_q<false>(w, nr, xt, mp, acc);
  }
}

// rows_blocked (spmm_ukernel.h): V ymm per X^T row (mp = 8 * V), U accumulator sets per
// segment (two while 2 * V registers fit beside the broadcasts), the first starting from the
// partial sums.
template <int V, int U, bool Q>
void rows_blocked_tile(const CsrRows& w, const int32_t* bounds, size_t nb, size_t nr, const float* xt, size_t mp,
                       float* acc) {
  blocked_walk(w, bounds, nb, nr, mp, acc, [&](size_t j, size_t end, float* out) {
    __m256 a[U][V];
    for (int v = 0; v < V; ++v) a[0][v] = _mm256_loadu_ps(out + 8 * v);
    for (int u = 1; u < U; ++u)
      for (int v = 0; v < V; ++v) a[u][v] = _mm256_setzero_ps();
    for (; j + U <= end; j += U) {
#pragma GCC unroll 2
      for (int u = 0; u < U; ++u) {
        const float* xr = xt + static_cast<size_t>(w.col_idx[j + u]) * mp;
        const __m256 s = _mm256_set1_ps(weight<Q>(w, j + u));
#pragma GCC unroll 8
        for (int v = 0; v < V; ++v) a[u][v] = _mm256_fmadd_ps(s, _mm256_loadu_ps(xr + 8 * v), a[u][v]);
      }
    }
    for (; j < end; ++j) {
      const float* xr = xt + static_cast<size_t>(w.col_idx[j]) * mp;
      const __m256 s = _mm256_set1_ps(weight<Q>(w, j));
      for (int v = 0; v < V; ++v) a[0][v] = _mm256_fmadd_ps(s, _mm256_loadu_ps(xr + 8 * v), a[0][v]);
    }
    for (int u = 1; u < U; ++u)
      for (int v = 0; v < V; ++v) a[0][v] = _mm256_add_ps(a[0][v], a[u][v]);
    for (int v = 0; v < V; ++v) _mm256_storeu_ps(out + 8 * v, a[0][v]);
  });
}

template <bool Q>
void rows_blocked_q(const CsrRows& w, const int32_t* bounds, size_t nb, size_t nr, const float* xt, size_t mp,
                    float* acc) {
  switch (mp) {
    case 16: return rows_blocked_tile<2, 2, Q>(w, bounds, nb, nr, xt, mp, acc);
    case 32: return rows_blocked_tile<4, 2, Q>(w, bounds, nb, nr, xt, mp, acc);
    case 48: return rows_blocked_tile<6, 1, Q>(w, bounds, nb, nr, xt, mp, acc);
    default: return rows_blocked_tile<8, 1, Q>(w, bounds, nb, nr, xt, mp, acc);
  }
}

void rows_blocked(const CsrRows& w, const int32_t* bounds, size_t nb, size_t nr, const float* xt, size_t mp,
                  float* acc) {
  if (w.q) {
    rows_blocked_q<true>(w, bounds, nb, nr, xt, mp, acc);
  } else {
    rows_blocked_q<false>(w, bounds, nb, nr, xt, mp, acc);
  }
}

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

template <bool Q>
inline __m256 load_w8(const CsrRows& w, size_t j) {
  if (Q) {
    const __m128i q = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(w.q + j));
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q));
  }
  return _mm256_loadu_ps(w.values + j);
}

// x[idx[0..8)] in lanes 0..7.
inline __m256 gather8(const float* x, const int32_t* idx) {
  return _mm256_setr_ps(x[idx[0]], x[idx[1]], x[idx[2]], x[idx[3]], x[idx[4]], x[idx[5]], x[idx[6]], x[idx[7]]);
}

template <bool Q>
void gemv_q(const CsrRows& w, size_t nr, const float* x, float* y) {
  for (size_t r = 0; r < nr; ++r) {
    size_t j = static_cast<size_t>(w.row_ptr[r]);
    const size_t end = static_cast<size_t>(w.row_ptr[r + 1]);
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    for (; j + 16 <= end; j += 16) {
      a0 = _mm256_fmadd_ps(load_w8<Q>(w, j), gather8(x, w.col_idx + j), a0);
      a1 = _mm256_fmadd_ps(load_w8<Q>(w, j + 8), gather8(x, w.col_idx + j + 8), a1);
    }
    if (j + 8 <= end) {
      a0 = _mm256_fmadd_ps(load_w8<Q>(w, j), gather8(x, w.col_idx + j), a0);
      j += 8;
    }
    float s = hsum(_mm256_add_ps(a0, a1));
    for (; j < end; ++j) s += (Q ? static_cast<float>(w.q[j]) : w.values[j]) * x[w.col_idx[j]];
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

const SpmmUkernel kSpmmAvx2 = {"f32_spmm_ukernel_64__avx2", Isa::kAvx2, 8, rows, gemv, nullptr, pack_xt_avx,
                               store_tile_avx, rows_blocked};

}  // namespace spmm_detail
}  // namespace nnslim
