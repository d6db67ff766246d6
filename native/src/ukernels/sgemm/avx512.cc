// AVX-512F sgemm micro-kernels: a 14x32 register tile (28 zmm accumulators, two B loads
// and 14 broadcasts of packed A per k; the full tile's k loop is inline assembly, edge
// tiles are intrinsics), SIMD packing (16x16 in-register transposes for trans_b = true and
// for A), and two small-m paths that read B unpacked.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "sgemm_ukernel.h"
#include "../../ops/scratch.h"

// GCC 12's AVX-512 headers trip -Wuninitialized through _mm512_undefined_ps().
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace nnslim {
namespace sgemm_detail {
namespace {

constexpr int kMr = 14;
constexpr int kNr = 32;

inline __mmask16 tail_mask(size_t n) {  // lanes [0, min(n, 16))
  return n >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << n) - 1u);
}

template <int R>
void gemm_tile(size_t nr, size_t kc, const float* a, const float* b, float* c, size_t ldc,
               const Epilogue& ep) {
  __m512 c0[R], c1[R];
#pragma GCC unroll 14
  for (int i = 0; i < R; ++i) c0[i] = c1[i] = _mm512_setzero_ps();
  // Pull the C tile towards L1 while the k loop runs; it is read or written at the end.
#pragma GCC unroll 14
  for (int i = 0; i < R; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + nr - 1), _MM_HINT_T0);
  }
  // Epilogue::prefetch: one line of the driver's next B source per k step (or B itself).
  const char* pf = ep.prefetch ? ep.prefetch : reinterpret_cast<const char*>(b);
  size_t k = kc;
  while (k >= 4) {
#pragma GCC unroll 4
    for (int u = 0; u < 4; ++u) {
      _mm_prefetch(pf + 64 * u, _MM_HINT_T1);
      const __m512 b0 = _mm512_load_ps(b + u * kNr);
      const __m512 b1 = _mm512_load_ps(b + u * kNr + 16);
#pragma GCC unroll 14
      for (int i = 0; i < R; ++i) {
        const __m512 ai = _mm512_set1_ps(a[u * kMr + i]);
        c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
        c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
      }
    }
    _mm_prefetch(reinterpret_cast<const char*>(b + 16 * kNr), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(b + 16 * kNr + 16), _MM_HINT_T0);
    a += 4 * kMr;
    b += 4 * kNr;
    pf += 4 * 64;
    k -= 4;
  }
  while (k > 0) {
    const __m512 b0 = _mm512_load_ps(b);
    const __m512 b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 14
    for (int i = 0; i < R; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
      c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
    }
    a += kMr;
    b += kNr;
    --k;
  }

  const __mmask16 m0 = tail_mask(nr);
  const __mmask16 m1 = nr > 16 ? tail_mask(nr - 16) : 0;
  const __m512 alpha = _mm512_set1_ps(ep.alpha);
  const __m512 zero = _mm512_setzero_ps();
  const bool has_beta = ep.beta != 0.0f;
  const __m512 beta = _mm512_set1_ps(ep.beta);
  __m512 bias0 = zero, bias1 = zero;
  if (ep.bias) {
    bias0 = _mm512_maskz_loadu_ps(m0, ep.bias);
    bias1 = _mm512_maskz_loadu_ps(m1, ep.bias + 16);
  }
#pragma GCC unroll 14
  for (int i = 0; i < R; ++i) {
    float* ci = c + i * ldc;
    __m512 v0 = _mm512_mul_ps(c0[i], alpha);
    __m512 v1 = _mm512_mul_ps(c1[i], alpha);
    if (has_beta) {
      v0 = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(m0, ci), v0);
      v1 = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(m1, ci + 16), v1);
    }
    v0 = _mm512_add_ps(v0, bias0);
    v1 = _mm512_add_ps(v1, bias1);
    if (ep.relu) {
      v0 = _mm512_max_ps(zero, v0);  // max(0, NaN) = NaN, like torch.relu
      v1 = _mm512_max_ps(zero, v1);
    }
    _mm512_mask_storeu_ps(ci, m0, v0);
    _mm512_mask_storeu_ps(ci + 16, m1, v1);
  }
}

// Full-tile k loop in assembly: 28 accumulators (row i in zmm(4 + 2i) and zmm(5 + 2i)),
// the B row in zmm0/zmm1 and the broadcast A values alternating in zmm2/zmm3 use all 32
// zmm registers, which compilers do not allocate without spilling. The raw accumulators
// are stored to acc[14][32] for the epilogue.
void gemm_full_14x32_loop(size_t kc, const float* a, const float* b, float* acc, const char* pf) {
  __asm__ volatile(
      "vpxord %%zmm4, %%zmm4, %%zmm4\n\t"
      "vmovaps %%zmm4, %%zmm5\n\t"
      "vmovaps %%zmm4, %%zmm6\n\t"
      "vmovaps %%zmm4, %%zmm7\n\t"
      "vmovaps %%zmm4, %%zmm8\n\t"
      "vmovaps %%zmm4, %%zmm9\n\t"
      "vmovaps %%zmm4, %%zmm10\n\t"
      "vmovaps %%zmm4, %%zmm11\n\t"
      "vmovaps %%zmm4, %%zmm12\n\t"
      "vmovaps %%zmm4, %%zmm13\n\t"
      "vmovaps %%zmm4, %%zmm14\n\t"
      "vmovaps %%zmm4, %%zmm15\n\t"
      "vmovaps %%zmm4, %%zmm16\n\t"
      "vmovaps %%zmm4, %%zmm17\n\t"
      "vmovaps %%zmm4, %%zmm18\n\t"
      "vmovaps %%zmm4, %%zmm19\n\t"
      "vmovaps %%zmm4, %%zmm20\n\t"
      "vmovaps %%zmm4, %%zmm21\n\t"
      "vmovaps %%zmm4, %%zmm22\n\t"
      "vmovaps %%zmm4, %%zmm23\n\t"
      "vmovaps %%zmm4, %%zmm24\n\t"
      "vmovaps %%zmm4, %%zmm25\n\t"
      "vmovaps %%zmm4, %%zmm26\n\t"
      "vmovaps %%zmm4, %%zmm27\n\t"
      "vmovaps %%zmm4, %%zmm28\n\t"
      "vmovaps %%zmm4, %%zmm29\n\t"
      "vmovaps %%zmm4, %%zmm30\n\t"
      "vmovaps %%zmm4, %%zmm31\n\t"
      "1:\n\t"
      "vmovaps (%[b]), %%zmm0\n\t"
      "vmovaps 64(%[b]), %%zmm1\n\t"
      "prefetcht0 1024(%[b])\n\t"
      "prefetcht0 1088(%[b])\n\t"
      "prefetcht1 (%[pf])\n\t"
      "add $64, %[pf]\n\t"
      "vbroadcastss 0(%[a]), %%zmm2\n\t"
      "vfmadd231ps %%zmm0, %%zmm2, %%zmm4\n\t"
      "vfmadd231ps %%zmm1, %%zmm2, %%zmm5\n\t"
      "vbroadcastss 4(%[a]), %%zmm3\n\t"
      "vfmadd231ps %%zmm0, %%zmm3, %%zmm6\n\t"
      "vfmadd231ps %%zmm1, %%zmm3, %%zmm7\n\t"
      "vbroadcastss 8(%[a]), %%zmm2\n\t"
      "vfmadd231ps %%zmm0, %%zmm2, %%zmm8\n\t"
      "vfmadd231ps %%zmm1, %%zmm2, %%zmm9\n\t"
      "vbroadcastss 12(%[a]), %%zmm3\n\t"
      "vfmadd231ps %%zmm0, %%zmm3, %%zmm10\n\t"
      "vfmadd231ps %%zmm1, %%zmm3, %%zmm11\n\t"
      "vbroadcastss 16(%[a]), %%zmm2\n\t"
      "vfmadd231ps %%zmm0, %%zmm2, %%zmm12\n\t"
      "vfmadd231ps %%zmm1, %%zmm2, %%zmm13\n\t"
      "vbroadcastss 20(%[a]), %%zmm3\n\t"
      "vfmadd231ps %%zmm0, %%zmm3, %%zmm14\n\t"
      "vfmadd231ps %%zmm1, %%zmm3, %%zmm15\n\t"
      "vbroadcastss 24(%[a]), %%zmm2\n\t"
      "vfmadd231ps %%zmm0, %%zmm2, %%zmm16\n\t"
      "vfmadd231ps %%zmm1, %%zmm2, %%zmm17\n\t"
      "vbroadcastss 28(%[a]), %%zmm3\n\t"
      "vfmadd231ps %%zmm0, %%zmm3, %%zmm18\n\t"
      "vfmadd231ps %%zmm1, %%zmm3, %%zmm19\n\t"
      "vbroadcastss 32(%[a]), %%zmm2\n\t"
      "vfmadd231ps %%zmm0, %%zmm2, %%zmm20\n\t"
      "vfmadd231ps %%zmm1, %%zmm2, %%zmm21\n\t"
      "vbroadcastss 36(%[a]), %%zmm3\n\t"
      "vfmadd231ps %%zmm0, %%zmm3, %%zmm22\n\t"
      "vfmadd231ps %%zmm1, %%zmm3, %%zmm23\n\t"
      "vbroadcastss 40(%[a]), %%zmm2\n\t"
      "vfmadd231ps %%zmm0, %%zmm2, %%zmm24\n\t"
      "vfmadd231ps %%zmm1, %%zmm2, %%zmm25\n\t"
      "vbroadcastss 44(%[a]), %%zmm3\n\t"
      "vfmadd231ps %%zmm0, %%zmm3, %%zmm26\n\t"
      "vfmadd231ps %%zmm1, %%zmm3, %%zmm27\n\t"
      "vbroadcastss 48(%[a]), %%zmm2\n\t"
      "vfmadd231ps %%zmm0, %%zmm2, %%zmm28\n\t"
      "vfmadd231ps %%zmm1, %%zmm2, %%zmm29\n\t"
      "vbroadcastss 52(%[a]), %%zmm3\n\t"
      "vfmadd231ps %%zmm0, %%zmm3, %%zmm30\n\t"
      "vfmadd231ps %%zmm1, %%zmm3, %%zmm31\n\t"
      "add $56, %[a]\n\t"
      "add $128, %[b]\n\t"
      "dec %[k]\n\t"
      "jnz 1b\n\t"
      "vmovaps %%zmm4, 0(%[c])\n\t"
      "vmovaps %%zmm5, 64(%[c])\n\t"
      "vmovaps %%zmm6, 128(%[c])\n\t"
      "vmovaps %%zmm7, 192(%[c])\n\t"
      "vmovaps %%zmm8, 256(%[c])\n\t"
      "vmovaps %%zmm9, 320(%[c])\n\t"
      "vmovaps %%zmm10, 384(%[c])\n\t"
      "vmovaps %%zmm11, 448(%[c])\n\t"
      "vmovaps %%zmm12, 512(%[c])\n\t"
      "vmovaps %%zmm13, 576(%[c])\n\t"
      "vmovaps %%zmm14, 640(%[c])\n\t"
      "vmovaps %%zmm15, 704(%[c])\n\t"
      "vmovaps %%zmm16, 768(%[c])\n\t"
      "vmovaps %%zmm17, 832(%[c])\n\t"
      "vmovaps %%zmm18, 896(%[c])\n\t"
      "vmovaps %%zmm19, 960(%[c])\n\t"
      "vmovaps %%zmm20, 1024(%[c])\n\t"
      "vmovaps %%zmm21, 1088(%[c])\n\t"
      "vmovaps %%zmm22, 1152(%[c])\n\t"
      "vmovaps %%zmm23, 1216(%[c])\n\t"
      "vmovaps %%zmm24, 1280(%[c])\n\t"
      "vmovaps %%zmm25, 1344(%[c])\n\t"
      "vmovaps %%zmm26, 1408(%[c])\n\t"
      "vmovaps %%zmm27, 1472(%[c])\n\t"
      "vmovaps %%zmm28, 1536(%[c])\n\t"
      "vmovaps %%zmm29, 1600(%[c])\n\t"
      "vmovaps %%zmm30, 1664(%[c])\n\t"
      "vmovaps %%zmm31, 1728(%[c])\n\t"
      : [a] "+r"(a), [b] "+r"(b), [k] "+r"(kc), [pf] "+r"(pf)
      : [c] "r"(acc)
      : "cc", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
        "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18",
        "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28",
        "xmm29", "xmm30", "xmm31");
}

// The full tile: the assembly loop, then the epilogue from the stored accumulators.
void gemm_full_14x32(size_t nr, size_t kc, const float* a, const float* b, float* c, size_t ldc,
                     const Epilogue& ep) {
  alignas(64) float acc[kMr * kNr];
  // Pull the C tile towards L1 while the k loop runs (its rows are ldc apart, often 4 KiB
  // multiples that the hardware prefetchers do not follow).
  for (int i = 0; i < kMr; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + nr - 1), _MM_HINT_T0);
  }
  // Without a prefetch range, the loop re-touches the B panel (already in cache).
  gemm_full_14x32_loop(kc, a, b, acc, ep.prefetch ? ep.prefetch : reinterpret_cast<const char*>(b));
  const __mmask16 m0 = tail_mask(nr);
  const __mmask16 m1 = nr > 16 ? tail_mask(nr - 16) : 0;
  const __m512 alpha = _mm512_set1_ps(ep.alpha);
  const __m512 zero = _mm512_setzero_ps();
  const bool has_beta = ep.beta != 0.0f;
  const __m512 beta = _mm512_set1_ps(ep.beta);
  __m512 bias0 = zero, bias1 = zero;
  if (ep.bias) {
    bias0 = _mm512_maskz_loadu_ps(m0, ep.bias);
    bias1 = _mm512_maskz_loadu_ps(m1, ep.bias + 16);
  }
  for (int i = 0; i < kMr; ++i) {
    float* ci = c + i * ldc;
    __m512 v0 = _mm512_mul_ps(_mm512_load_ps(acc + i * kNr), alpha);
    __m512 v1 = _mm512_mul_ps(_mm512_load_ps(acc + i * kNr + 16), alpha);
    if (has_beta) {
      v0 = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(m0, ci), v0);
      v1 = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(m1, ci + 16), v1);
    }
    v0 = _mm512_add_ps(v0, bias0);
    v1 = _mm512_add_ps(v1, bias1);
    if (ep.relu) {
      v0 = _mm512_max_ps(zero, v0);
      v1 = _mm512_max_ps(zero, v1);
    }
    _mm512_mask_storeu_ps(ci, m0, v0);
    _mm512_mask_storeu_ps(ci + 16, m1, v1);
  }
}

void gemm_14x32(size_t mr, size_t nr, size_t kc, const float* a, const float* b, float* c,
                size_t ldc, const Epilogue& ep) {
  switch (mr) {
    case 14: return gemm_full_14x32(nr, kc, a, b, c, ldc, ep);
    case 13: return gemm_tile<13>(nr, kc, a, b, c, ldc, ep);
    case 12: return gemm_tile<12>(nr, kc, a, b, c, ldc, ep);
    case 11: return gemm_tile<11>(nr, kc, a, b, c, ldc, ep);
    case 10: return gemm_tile<10>(nr, kc, a, b, c, ldc, ep);
    case 9: return gemm_tile<9>(nr, kc, a, b, c, ldc, ep);
    case 8: return gemm_tile<8>(nr, kc, a, b, c, ldc, ep);
    case 7: return gemm_tile<7>(nr, kc, a, b, c, ldc, ep);
    case 6: return gemm_tile<6>(nr, kc, a, b, c, ldc, ep);
    case 5: return gemm_tile<5>(nr, kc, a, b, c, ldc, ep);
    case 4: return gemm_tile<4>(nr, kc, a, b, c, ldc, ep);
    case 3: return gemm_tile<3>(nr, kc, a, b, c, ldc, ep);
    case 2: return gemm_tile<2>(nr, kc, a, b, c, ldc, ep);
    default: return gemm_tile<1>(nr, kc, a, b, c, ldc, ep);
  }
}

// In-register transpose of 16 rows of 16 floats: r[i] lane j  ->  r[j] lane i.
__attribute__((always_inline)) inline void transpose16(__m512 r[16]) {
  __m512 t[16];
#pragma GCC unroll 8
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
#pragma GCC unroll 4
  for (int i = 0; i < 16; i += 4) {
    const __m512d t0 = _mm512_castps_pd(t[i]), t1 = _mm512_castps_pd(t[i + 1]);
    const __m512d t2 = _mm512_castps_pd(t[i + 2]), t3 = _mm512_castps_pd(t[i + 3]);
    r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
    r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
    r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
    r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
  }
  // r[4q + s], 128-bit lane L: rows 4q..4q+3, element 4L + s.
#pragma GCC unroll 2
  for (int q = 0; q < 4; q += 2) {
#pragma GCC unroll 4
    for (int s = 0; s < 4; ++s) {
      t[4 * q + s] = _mm512_shuffle_f32x4(r[4 * q + s], r[4 * q + 4 + s], 0x88);      // lanes 0,2
      t[4 * q + 4 + s] = _mm512_shuffle_f32x4(r[4 * q + s], r[4 * q + 4 + s], 0xDD);  // lanes 1,3
    }
  }
#pragma GCC unroll 4
  for (int s = 0; s < 4; ++s) {
    r[s] = _mm512_shuffle_f32x4(t[s], t[8 + s], 0x88);            // element s
    r[8 + s] = _mm512_shuffle_f32x4(t[s], t[8 + s], 0xDD);        // element 8 + s
    r[4 + s] = _mm512_shuffle_f32x4(t[4 + s], t[12 + s], 0x88);   // element 4 + s
    r[12 + s] = _mm512_shuffle_f32x4(t[4 + s], t[12 + s], 0xDD);  // element 12 + s
  }
}

// Loads the first `rows` rows (stride ld) of a 16-row block, lanes selected by km; the
// other rows are zero.
__attribute__((always_inline)) inline void load_rows16(const float* src, size_t ld, size_t rows,
                                                        __mmask16 km, __m512 r[16]) {
#pragma GCC unroll 16
  for (size_t i = 0; i < 16; ++i)
    r[i] = i < rows ? _mm512_maskz_loadu_ps(km, src + i * ld) : _mm512_setzero_ps();
}

// Address arithmetic for prefetch targets that may lie past the end of a matrix (they are
// never dereferenced; prefetches do not fault), kept out of pointer arithmetic.
inline uintptr_t addr(const float* p, size_t offset) {
  return reinterpret_cast<uintptr_t>(p) + offset * sizeof(float);
}

// Prefetches one cache line of each of `rows` rows (stride ld floats) starting at src.
__attribute__((always_inline)) inline void prefetch_rows16(uintptr_t src, size_t ld, size_t rows) {
#pragma GCC unroll 16
  for (size_t i = 0; i < 16; ++i)
    if (i < rows) _mm_prefetch(reinterpret_cast<const char*>(src + i * ld * sizeof(float)), _MM_HINT_T0);
}

inline size_t rows_left(size_t j, size_t n) { return j >= n ? 0 : (n - j < 16 ? n - j : 16); }

// Transposes `kc` columns of a group of `rows` (<= 16) rows of src (stride ld) into dst with
// row stride dst_ld floats and 16 lanes per row (dst[k * dst_ld + i] = src[i * ld + k]),
// storing `lanes` (mask) of each row. While it runs, it prefetches the same columns of the
// next group (next, next_rows), so the packers stream from memory at full bandwidth: the
// rows of a trans_b panel or an A panel are separate strided streams that the hardware
// prefetchers do not follow far enough ahead.
__attribute__((always_inline)) inline void transpose_group(const float* src, size_t ld,
                                                            size_t rows, size_t kc, float* dst,
                                                            size_t dst_ld, __mmask16 lanes,
                                                            uintptr_t next, size_t next_rows) {
  for (size_t k0 = 0; k0 < kc; k0 += 16) {
    const size_t kn = kc - k0 < 16 ? kc - k0 : 16;
    __m512 r[16];
    load_rows16(src + k0, ld, rows, tail_mask(kn), r);
    prefetch_rows16(next + k0 * sizeof(float), ld, next_rows);
    transpose16(r);
    float* d = dst + k0 * dst_ld;
#pragma GCC unroll 16
    for (size_t i = 0; i < 16; ++i)
      if (i < kn) _mm512_mask_storeu_ps(d + i * dst_ld, lanes, r[i]);
  }
}

void pack_b_32(size_t kc, size_t nc, const float* b, size_t ldb, bool trans_b, float* bp) {
  const size_t panels = (nc + kNr - 1) / kNr;
  if (!trans_b) {
    // Rows of B are contiguous: copy 32-float slices, masking the last panel.
    for (size_t k = 0; k < kc; ++k) {
      const float* row = b + k * ldb;
      float* dst = bp + k * kNr;
      for (size_t p = 0; p < panels; ++p) {
        const size_t j = p * kNr;
        const size_t left = nc - j;
        if (left >= kNr) {
          _mm512_store_ps(dst, _mm512_loadu_ps(row + j));
          _mm512_store_ps(dst + 16, _mm512_loadu_ps(row + j + 16));
        } else {
          const __mmask16 m0 = tail_mask(left);
          const __mmask16 m1 = left > 16 ? tail_mask(left - 16) : 0;
          _mm512_store_ps(dst, _mm512_maskz_loadu_ps(m0, row + j));
          _mm512_store_ps(dst + 16, _mm512_maskz_loadu_ps(m1, row + j + 16));
        }
        dst += kc * kNr;
      }
    }
    return;
  }
  // trans_b: column j of op(B) is row j of the stored matrix. Each 16-row group becomes
  // one half (16 lanes) of a panel's rows.
  for (size_t k0 = 0; k0 < kc; k0 += 16) prefetch_rows16(addr(b, k0), ldb, rows_left(0, nc));
  for (size_t g = 0; g < 2 * panels; ++g) {
    const size_t j0 = g * 16;
    float* dst = bp + (g / 2) * kc * kNr + (g % 2) * 16;
    transpose_group(b + j0 * ldb, ldb, rows_left(j0, nc), kc, dst, kNr, 0xFFFF,
                    addr(b, (j0 + 16) * ldb), rows_left(j0 + 16, nc));
  }
}

// A micro-panel: ap[k * 14 + i] = A[i][k]. Non-transposed A is transposed 16 k at a time
// (rows 14, 15 of each 16x16 block are zero and not stored); transposed A is a row copy.
void pack_a_14(size_t mr, size_t kc, const float* a, size_t lda, bool trans_a, float* ap) {
  if (trans_a) {
    const __mmask16 m = tail_mask(mr);
    // Lanes mr..13 load as zero; the 14-lane store never touches the next k row.
    for (size_t k = 0; k < kc; ++k) {
      const __m512 v = _mm512_maskz_loadu_ps(m, a + k * lda);
      _mm512_mask_storeu_ps(ap + k * kMr, 0x3FFF, v);
    }
    return;
  }
  // Prefetch the rows of the next micro-panel (the driver packs panels in row order).
  transpose_group(a, lda, mr, kc, ap, kMr, 0x3FFF, addr(a, kMr * lda), mr);
}

// ---- small m, B = n x k (trans_b): dot products of A rows with B rows ----

// With two or more rows, A is first interleaved in 16-float steps, ap[(s * M + i) * 16 + lane]
// = A[i][16 s + lane] (zero past k): one stream with constant offsets instead of M row
// pointers (the 8-row block spilled them). Measured from JS, random data, 1 thread: n = k = 768,
// m = 8 55-63 -> 71-74 GFLOP/s, m = 7 50-70 -> 71-73; k = 3072, m = 8 47 -> 82; k = 256 even.
template <int M>
void pack_a_steps(size_t k, const float* a, size_t lda, float* ap) {
  for (size_t l = 0; l < k; l += 16, ap += M * 16) {
    const __mmask16 km = k - l >= 16 ? static_cast<__mmask16>(0xFFFF) : tail_mask(k - l);
    for (int i = 0; i < M; ++i) _mm512_store_ps(ap + i * 16, _mm512_maskz_loadu_ps(km, a + i * lda + l));
  }
}

// pack_a_steps' buffer: the calling thread's scratch arena (ops/scratch.h), its own tag so it
// never moves the driver's arena that may hold A itself.
struct PackedATag {};

// out[i * 8 + w] = dot(A row i, B row w) over k; A as rows (a, lda), or with Packed as
// pack_a_steps left it (a = ap). `next` is the first of the W rows the caller processes next
// (prefetched while this block runs; may equal b).
template <int M, int W, bool Packed>
void dot_block(size_t k, const float* a, size_t lda, const float* b, size_t ldb, float* out,
               const float* next) {
  __m512 acc[M][W];
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i)
#pragma GCC unroll 8
    for (int w = 0; w < W; ++w) acc[i][w] = _mm512_setzero_ps();
  size_t l = 0;
  for (; l + 16 <= k; l += 16) {
    __m512 bv[W];
#pragma GCC unroll 8
    for (int w = 0; w < W; ++w) {
      bv[w] = _mm512_loadu_ps(b + w * ldb + l);
      // With few A rows the loop is load-bound and the hardware prefetcher keeps up.
      if (M >= 4) _mm_prefetch(reinterpret_cast<const char*>(next + w * ldb + l), _MM_HINT_T0);
    }
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) {
      const __m512 av = Packed ? _mm512_load_ps(a + l * M + i * 16) : _mm512_loadu_ps(a + i * lda + l);
#pragma GCC unroll 8
      for (int w = 0; w < W; ++w) acc[i][w] = _mm512_fmadd_ps(av, bv[w], acc[i][w]);
    }
  }
  if (l < k) {
    const __mmask16 km = tail_mask(k - l);
    __m512 bv[W];
#pragma GCC unroll 8
    for (int w = 0; w < W; ++w) bv[w] = _mm512_maskz_loadu_ps(km, b + w * ldb + l);
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) {
      const __m512 av = Packed ? _mm512_load_ps(a + l * M + i * 16) : _mm512_maskz_loadu_ps(km, a + i * lda + l);
#pragma GCC unroll 8
      for (int w = 0; w < W; ++w) acc[i][w] = _mm512_fmadd_ps(av, bv[w], acc[i][w]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i)
#pragma GCC unroll 8
    for (int w = 0; w < W; ++w) out[i * 8 + w] = _mm512_reduce_add_ps(acc[i][w]);
}

template <int M, int W, bool Packed>
void gemv_bt_block_rows(size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
                        float* c, size_t ldc, const Epilogue& ep) {
  float out[M * 8];
  size_t j = 0;
  for (; j + W <= n; j += W) {
    const float* bj = b + j * ldb;
    dot_block<M, W, Packed>(k, a, lda, bj, ldb, out, j + 2 * W <= n ? bj + W * ldb : bj);
    for (int i = 0; i < M; ++i)
      for (int w = 0; w < W; ++w)
        c[i * ldc + j + w] = apply_epilogue(out[i * 8 + w], c[i * ldc + j + w], j + w, ep);
  }
  for (; j < n; ++j) {
    dot_block<M, 1, Packed>(k, a, lda, b + j * ldb, ldb, out, b + j * ldb);
    for (int i = 0; i < M; ++i) c[i * ldc + j] = apply_epilogue(out[i * 8], c[i * ldc + j], j, ep);
  }
}

template <int M, int W>
void gemv_bt_rows(size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
                  float* c, size_t ldc, const Epilogue& ep) {
  // Null when the arena cannot grow: A is then read as rows.
  float* ap = M > 1 ? static_cast<float*>(detail::thread_scratch<PackedATag>().get((k + 15) / 16 * 16 * M * sizeof(float)))
                    : nullptr;
  if (ap == nullptr) return gemv_bt_block_rows<M, W, false>(n, k, a, lda, b, ldb, c, ldc, ep);
  pack_a_steps<M>(k, a, lda, ap);
  gemv_bt_block_rows<M, W, true>(n, k, ap, 0, b, ldb, c, ldc, ep);
}

void gemv_bt(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
             size_t ldb, float* c, size_t ldc, const Epilogue& ep) {
  while (m > 0) {
    switch (m) {
      case 1: gemv_bt_rows<1, 8>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 2: gemv_bt_rows<2, 8>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 3: gemv_bt_rows<3, 7>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 4: gemv_bt_rows<4, 6>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 5: gemv_bt_rows<5, 5>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 6: gemv_bt_rows<6, 4>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 7: gemv_bt_rows<7, 3>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      default:
        gemv_bt_rows<8, 3>(n, k, a, lda, b, ldb, c, ldc, ep);
        m -= 8;
        a += 8 * lda;
        c += 8 * ldc;
    }
  }
}

// ---- small m, B = k x n: broadcast A, stream rows of B ----

constexpr size_t kPrefetchRows = 16;

template <int M, int V>
void gemv_bn_block(size_t nr, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
                   float* c, size_t ldc, const Epilogue& ep) {
  __mmask16 mask[V];
  for (int v = 0; v < V; ++v) {
    const size_t lo = static_cast<size_t>(v) * 16;
    mask[v] = nr > lo ? tail_mask(nr - lo) : 0;
  }
  __m512 acc[M][V];
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) acc[i][v] = _mm512_setzero_ps();
  for (size_t l = 0; l < k; ++l) {
    // Each k touches only V lines of a B row; fetch rows kPrefetchRows ahead.
    const float* pf = b + (l + kPrefetchRows < k ? l + kPrefetchRows : k - 1) * ldb;
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) _mm_prefetch(reinterpret_cast<const char*>(pf + v * 16), _MM_HINT_T0);
    __m512 bv[V];
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) bv[v] = _mm512_maskz_loadu_ps(mask[v], b + l * ldb + v * 16);
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i * lda + l]);
#pragma GCC unroll 8
      for (int v = 0; v < V; ++v) acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
    }
  }
  const __m512 alpha = _mm512_set1_ps(ep.alpha);
  const __m512 beta = _mm512_set1_ps(ep.beta);
  const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 8
  for (int v = 0; v < V; ++v) {
    const __m512 bias = ep.bias ? _mm512_maskz_loadu_ps(mask[v], ep.bias + v * 16) : zero;
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) {
      float* ci = c + i * ldc + v * 16;
      __m512 x = _mm512_mul_ps(acc[i][v], alpha);
      if (ep.beta != 0.0f) x = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(mask[v], ci), x);
      x = _mm512_add_ps(x, bias);
      if (ep.relu) x = _mm512_max_ps(zero, x);
      _mm512_mask_storeu_ps(ci, mask[v], x);
    }
  }
}

template <int M, int V>
void gemv_bn_rows(size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
                  float* c, size_t ldc, const Epilogue& ep) {
  constexpr size_t kW = 16 * V;
  Epilogue e = ep;
  size_t j = 0;
  for (; j + kW <= n; j += kW) {
    e.bias = ep.bias ? ep.bias + j : nullptr;
    gemv_bn_block<M, V>(kW, k, a, lda, b + j, ldb, c + j, ldc, e);
  }
  if (j < n) {  // the last columns: as many vectors as they need, masked
    e.bias = ep.bias ? ep.bias + j : nullptr;
    const size_t left = n - j;
    float* cj = c + j;
    const float* bj = b + j;
    if constexpr (V >= 4) {
      if (left > 48) return gemv_bn_block<M, 4>(left, k, a, lda, bj, ldb, cj, ldc, e);
    }
    if (left > 32) {
      gemv_bn_block<M, 3>(left, k, a, lda, bj, ldb, cj, ldc, e);
    } else if (left > 16) {
      gemv_bn_block<M, 2>(left, k, a, lda, bj, ldb, cj, ldc, e);
    } else {
      gemv_bn_block<M, 1>(left, k, a, lda, bj, ldb, cj, ldc, e);
    }
  }
}

void gemv_bn(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
             size_t ldb, float* c, size_t ldc, const Epilogue& ep) {
  while (m > 0) {
    switch (m) {
      case 1: gemv_bn_rows<1, 4>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 2: gemv_bn_rows<2, 4>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 3: gemv_bn_rows<3, 4>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 4: gemv_bn_rows<4, 4>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 5: gemv_bn_rows<5, 4>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 6: gemv_bn_rows<6, 4>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      case 7: gemv_bn_rows<7, 3>(n, k, a, lda, b, ldb, c, ldc, ep); return;
      default:
        gemv_bn_rows<8, 3>(n, k, a, lda, b, ldb, c, ldc, ep);
        m -= 8;
        a += 8 * lda;
        c += 8 * ldc;
    }
  }
}

}  // namespace

extern const SgemmUkernel kSgemmAvx512 = {
    "f32_gemm_ukernel_14x32__avx512", Isa::kAvx512, kMr, kNr, gemm_14x32, pack_a_14, pack_b_32,
    gemv_bt, gemv_bn,
};

}  // namespace sgemm_detail
}  // namespace nnslim
