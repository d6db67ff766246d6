// AVX-512F SpMM micro-kernels. rows: per non-zero, a broadcast weight times one packed row
// of X^T (mp = 8..64 floats: up to four zmm plus one ymm half), several non-zeros in flight
// when the tile is narrow so the FMA latency is hidden. gemv: 16 non-zeros per step through
// vgatherdps, masked tail.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "spmm_ukernel.h"
#include "transpose_avx.h"

#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace nnslim {
namespace spmm_detail {
namespace {

template <bool Q>
inline float weight(const CsrRows& w, size_t j) {
  return Q ? static_cast<float>(w.q[j]) : w.values[j];
}

// V full zmm vectors plus (H) one ymm: mp = 16 * V + 8 * H. U independent accumulator sets.
template <int V, bool H, int U, bool Q>
void rows_tile(const CsrRows& w, size_t nr, const float* xt, size_t mp, float* acc) {
  for (size_t r = 0; r < nr; ++r) {
    __m512 a[U][V > 0 ? V : 1];
    __m256 h[U];
    for (int u = 0; u < U; ++u) {
      for (int v = 0; v < V; ++v) a[u][v] = _mm512_setzero_ps();
      h[u] = _mm256_setzero_ps();
    }
    size_t j = static_cast<size_t>(w.row_ptr[r]);
    const size_t end = static_cast<size_t>(w.row_ptr[r + 1]);
    for (; j + U <= end; j += U) {
#pragma GCC unroll 4
      for (int u = 0; u < U; ++u) {
        const float* xr = xt + static_cast<size_t>(w.col_idx[j + u]) * mp;
        const float s = weight<Q>(w, j + u);
        const __m512 b = _mm512_set1_ps(s);
#pragma GCC unroll 4
        for (int v = 0; v < V; ++v) a[u][v] = _mm512_fmadd_ps(b, _mm512_loadu_ps(xr + 16 * v), a[u][v]);
        if (H) h[u] = _mm256_fmadd_ps(_mm256_set1_ps(s), _mm256_loadu_ps(xr + 16 * V), h[u]);
      }
    }
    for (; j < end; ++j) {
      const float* xr = xt + static_cast<size_t>(w.col_idx[j]) * mp;
      const float s = weight<Q>(w, j);
      const __m512 b = _mm512_set1_ps(s);
      for (int v = 0; v < V; ++v) a[0][v] = _mm512_fmadd_ps(b, _mm512_loadu_ps(xr + 16 * v), a[0][v]);
      if (H) h[0] = _mm256_fmadd_ps(_mm256_set1_ps(s), _mm256_loadu_ps(xr + 16 * V), h[0]);
    }
    for (int u = 1; u < U; ++u) {
      for (int v = 0; v < V; ++v) a[0][v] = _mm512_add_ps(a[0][v], a[u][v]);
      if (H) h[0] = _mm256_add_ps(h[0], h[u]);
    }
    float* out = acc + r * mp;
    if (Q) {
      const float sc = w.scales[r];
      for (int v = 0; v < V; ++v) a[0][v] = _mm512_mul_ps(a[0][v], _mm512_set1_ps(sc));
      if (H) h[0] = _mm256_mul_ps(h[0], _mm256_set1_ps(sc));
    }
    for (int v = 0; v < V; ++v) _mm512_storeu_ps(out + 16 * v, a[0][v]);
    if (H) _mm256_storeu_ps(out + 16 * V, h[0]);
  }
}

template <bool Q>
void rows_q(const CsrRows& w, size_t nr, const float* xt, size_t mp, float* acc) {
  switch (mp) {
    case 8: return rows_tile<0, true, 4, Q>(w, nr, xt, mp, acc);
    case 16: return rows_tile<1, false, 4, Q>(w, nr, xt, mp, acc);
    case 24: return rows_tile<1, true, 4, Q>(w, nr, xt, mp, acc);
    case 32: return rows_tile<2, false, 2, Q>(w, nr, xt, mp, acc);
    case 40: return rows_tile<2, true, 2, Q>(w, nr, xt, mp, acc);
    case 48: return rows_tile<3, false, 2, Q>(w, nr, xt, mp, acc);
    case 56: return rows_tile<3, true, 2, Q>(w, nr, xt, mp, acc);
    default: return rows_tile<4, false, 2, Q>(w, nr, xt, mp, acc);
  }
}

void rows(const CsrRows& w, size_t nr, const float* xt, size_t mp, float* acc) {
  if (w.q) {
    rows_q<true>(w, nr, xt, mp, acc);
  } else {
    rows_q<false>(w, nr, xt, mp, acc);
  }
}

// V zmm per X^T row (mp = 16 * V); two accumulator sets per segment, the first starting from
// the partial sums.
template <int V, bool Q>
void rows_blocked_tile(const CsrRows& w, const int32_t* bounds, size_t nb, size_t nr, const float* xt, size_t mp,
                       float* acc) {
  blocked_walk(w, bounds, nb, nr, mp, acc, [&](size_t j, size_t end, float* out) {
    __m512 a[V], c[V];
    for (int v = 0; v < V; ++v) {
      a[v] = _mm512_loadu_ps(out + 16 * v);
      c[v] = _mm512_setzero_ps();
    }
    for (; j + 2 <= end; j += 2) {
      const float* x0 = xt + static_cast<size_t>(w.col_idx[j]) * mp;
      const float* x1 = xt + static_cast<size_t>(w.col_idx[j + 1]) * mp;
      const __m512 s0 = _mm512_set1_ps(weight<Q>(w, j)), s1 = _mm512_set1_ps(weight<Q>(w, j + 1));
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v) a[v] = _mm512_fmadd_ps(s0, _mm512_loadu_ps(x0 + 16 * v), a[v]);
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v) c[v] = _mm512_fmadd_ps(s1, _mm512_loadu_ps(x1 + 16 * v), c[v]);
    }
    if (j < end) {
      const float* x0 = xt + static_cast<size_t>(w.col_idx[j]) * mp;
      const __m512 s0 = _mm512_set1_ps(weight<Q>(w, j));
      for (int v = 0; v < V; ++v) a[v] = _mm512_fmadd_ps(s0, _mm512_loadu_ps(x0 + 16 * v), a[v]);
    }
    for (int v = 0; v < V; ++v) _mm512_storeu_ps(out + 16 * v, _mm512_add_ps(a[v], c[v]));
  });
}

template <bool Q>
void rows_blocked_q(const CsrRows& w, const int32_t* bounds, size_t nb, size_t nr, const float* xt, size_t mp,
                    float* acc) {
  switch (mp) {
    case 16: return rows_blocked_tile<1, Q>(w, bounds, nb, nr, xt, mp, acc);
    case 32: return rows_blocked_tile<2, Q>(w, bounds, nb, nr, xt, mp, acc);
    case 48: return rows_blocked_tile<3, Q>(w, bounds, nb, nr, xt, mp, acc);
    default: return rows_blocked_tile<4, Q>(w, bounds, nb, nr, xt, mp, acc);
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

template <bool Q>
inline __m512 load_w(const CsrRows& w, size_t j, __mmask16 m) {
  if (Q) {
    const __m128i q = _mm_maskz_loadu_epi8(m, w.q + j);
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q));
  }
  return _mm512_maskz_loadu_ps(m, w.values + j);
}

template <bool Q>
void gemv_q(const CsrRows& w, size_t nr, const float* x, float* y) {
  for (size_t r = 0; r < nr; ++r) {
    size_t j = static_cast<size_t>(w.row_ptr[r]);
    const size_t end = static_cast<size_t>(w.row_ptr[r + 1]);
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    for (; j + 32 <= end; j += 32) {
      const __m512i i0 = _mm512_loadu_si512(w.col_idx + j);
      const __m512i i1 = _mm512_loadu_si512(w.col_idx + j + 16);
      a0 = _mm512_fmadd_ps(load_w<Q>(w, j, 0xFFFF), _mm512_i32gather_ps(i0, x, 4), a0);
      a1 = _mm512_fmadd_ps(load_w<Q>(w, j + 16, 0xFFFF), _mm512_i32gather_ps(i1, x, 4), a1);
    }
    while (j < end) {
      const size_t left = end - j;
      const __mmask16 m = left >= 16 ? static_cast<__mmask16>(0xFFFF)
                                     : static_cast<__mmask16>((1u << left) - 1u);
      const __m512i idx = _mm512_maskz_loadu_epi32(m, w.col_idx + j);
      const __m512 g = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, x, 4);
      a0 = _mm512_fmadd_ps(load_w<Q>(w, j, m), g, a0);
      j += left >= 16 ? 16 : left;
    }
    float s = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
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

// m == 1 on the panel layout: per step, vpermt2ps picks each lane's x from the panel's two
// registers (no gather); padded lanes are masked out of the FMA so 0 * inf never appears.
// Four accumulators hide the FMA latency.
template <bool Q>
void panel_gemv_q(const PanelCsr& w, size_t s0, size_t s1, const float* x, float* y) {
  for (size_t s = s0; s < s1; ++s) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    size_t st = w.slice_start[s];
    const uint8_t* steps = w.steps + s * w.panels;
    for (size_t p = 0; p < w.panels; ++p) {
      const size_t L = steps[p];
      if (L == 0) continue;
      const size_t c0 = p * kPanelCols;
      const size_t left = w.cols - c0;
      const __mmask16 m0 = left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1u);
      const __mmask16 m1 = left >= 32 ? static_cast<__mmask16>(0xFFFF)
                           : left > 16 ? static_cast<__mmask16>((1u << (left - 16)) - 1u) : static_cast<__mmask16>(0);
      const __m512 x0 = _mm512_maskz_loadu_ps(m0, x + c0);
      const __m512 x1 = _mm512_maskz_loadu_ps(m1, x + c0 + 16);
      const uint8_t* ip = w.idx + st * 16;
      auto step = [&](size_t t, __m512& acc) {
        const __m512i id = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(ip + t * 16)));
        const __mmask16 live = _mm512_cmplt_epu32_mask(id, _mm512_set1_epi32(static_cast<int>(kPanelCols)));
        const __m512 g = _mm512_permutex2var_ps(x0, id, x1);
        __m512 v;
        if (Q) {
          v = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w.q + (st + t) * 16))));
        } else {
          v = _mm512_loadu_ps(w.values + (st + t) * 16);
        }
        acc = _mm512_mask3_fmadd_ps(v, g, acc, live);
      };
      size_t t = 0;
      for (; t + 4 <= L; t += 4) {
        step(t, a0);
        step(t + 1, a1);
        step(t + 2, a2);
        step(t + 3, a3);
      }
      if (t < L) step(t++, a0);
      if (t < L) step(t++, a1);
      if (t < L) step(t++, a2);
      st += L;
    }
    __m512 acc = _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3));
    if (Q) acc = _mm512_mul_ps(acc, _mm512_loadu_ps(w.scales + s * kSliceRows));
    const size_t r0 = s * kSliceRows;
    const size_t nr = w.rows - r0 >= kSliceRows ? kSliceRows : w.rows - r0;
    _mm512_mask_storeu_ps(y + r0, static_cast<__mmask16>((1u << nr) - 1u), acc);
  }
}

void panel_gemv(const PanelCsr& w, size_t s0, size_t s1, const float* x, float* y) {
  if (w.q) {
    panel_gemv_q<true>(w, s0, s1, x, y);
  } else {
    panel_gemv_q<false>(w, s0, s1, x, y);
  }
}

}  // namespace

const SpmmUkernel kSpmmAvx512 = {"f32_spmm_ukernel_64__avx512", Isa::kAvx512, 8, rows, gemv, panel_gemv, pack_xt_avx,
                                 store_tile_avx, rows_blocked};

}  // namespace spmm_detail
}  // namespace nnslim
