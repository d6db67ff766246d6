// AVX-512 VNNI int8 GEMM: an 8x48 tile (24 zmm accumulators, three 16-column weight panels
// loaded per k quad, the activation quad broadcast per row), vpdpbusd u8 x s8 -> s32.
// One row (m = 1, GEMV) uses two accumulator sets over alternating quads to hide latency.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "epilogue_avx512.h"
#include "qgemm_ukernel.h"

#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace nnslim {
namespace qgemm_detail {
namespace {

constexpr size_t kMr = 8;
constexpr size_t kNr = 48;

inline __m512i bcast_quad(const uint8_t* p) {
  int32_t v;
  __builtin_memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

template <int R, int NP>
void tile(size_t kq, const uint8_t* a, const int8_t* w, size_t ws, int32_t* out) {
  __m512i acc[R][NP];
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 3
    for (int p = 0; p < NP; ++p) acc[i][p] = _mm512_setzero_si512();
#pragma GCC unroll 2
  for (size_t q = 0; q < kq; ++q) {
    __m512i b[NP];
#pragma GCC unroll 3
    for (int p = 0; p < NP; ++p) b[p] = _mm512_load_si512(w + p * ws + q * 64);
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
      const __m512i ai = bcast_quad(a + q * kMr * 4 + i * 4);
#pragma GCC unroll 3
      for (int p = 0; p < NP; ++p) acc[i][p] = _mm512_dpbusd_epi32(acc[i][p], ai, b[p]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 3
    for (int p = 0; p < NP; ++p) _mm512_store_si512(out + i * kNr + p * 16, acc[i][p]);
}

// m = 1: two independent accumulator chains per panel.
template <int NP>
void row1(size_t kq, const uint8_t* a, const int8_t* w, size_t ws, int32_t* out) {
  __m512i acc0[NP], acc1[NP];
#pragma GCC unroll 3
  for (int p = 0; p < NP; ++p) acc0[p] = acc1[p] = _mm512_setzero_si512();
  size_t q = 0;
  for (; q + 2 <= kq; q += 2) {
    const __m512i a0 = bcast_quad(a + q * kMr * 4);
    const __m512i a1 = bcast_quad(a + (q + 1) * kMr * 4);
#pragma GCC unroll 3
    for (int p = 0; p < NP; ++p) {
      acc0[p] = _mm512_dpbusd_epi32(acc0[p], a0, _mm512_load_si512(w + p * ws + q * 64));
      acc1[p] = _mm512_dpbusd_epi32(acc1[p], a1, _mm512_load_si512(w + p * ws + q * 64 + 64));
    }
  }
  if (q < kq) {
    const __m512i a0 = bcast_quad(a + q * kMr * 4);
#pragma GCC unroll 3
    for (int p = 0; p < NP; ++p)
      acc0[p] = _mm512_dpbusd_epi32(acc0[p], a0, _mm512_load_si512(w + p * ws + q * 64));
  }
#pragma GCC unroll 3
  for (int p = 0; p < NP; ++p) _mm512_store_si512(out + p * 16, _mm512_add_epi32(acc0[p], acc1[p]));
}

template <int NP>
void tile_rows(size_t mr, size_t kq, const uint8_t* a, const int8_t* w, size_t ws, int32_t* out) {
  switch (mr) {
    case 1: row1<NP>(kq, a, w, ws, out); break;
    case 2: tile<2, NP>(kq, a, w, ws, out); break;
    case 3: tile<3, NP>(kq, a, w, ws, out); break;
    case 4: tile<4, NP>(kq, a, w, ws, out); break;
    case 5: tile<5, NP>(kq, a, w, ws, out); break;
    case 6: tile<6, NP>(kq, a, w, ws, out); break;
    case 7: tile<7, NP>(kq, a, w, ws, out); break;
    default: tile<8, NP>(kq, a, w, ws, out); break;
  }
}

void gemm_8x48(size_t mr, size_t nr, size_t kq, const void* a_packed, const int8_t* w,
               size_t ws, const Epilogue& ep) {
  alignas(64) int32_t acc[kMr * kNr];
  const uint8_t* a = static_cast<const uint8_t*>(a_packed);
  if (nr > 32) {
    tile_rows<3>(mr, kq, a, w, ws, acc);
  } else if (nr > 16) {
    tile_rows<2>(mr, kq, a, w, ws, acc);
  } else {
    tile_rows<1>(mr, kq, a, w, ws, acc);
  }
  epilogue_tile_avx512(acc, kNr, mr, nr, ep);
}

}  // namespace

const QgemmUkernel kQgemmAvx512Vnni = {"qu8s8_gemm_ukernel_8x48__avx512vnni", Isa::kAvx512Vnni, 8,
                                       48, APack::kQuads8, Domain::kU8, gemm_8x48};

}  // namespace qgemm_detail
}  // namespace nnslim
