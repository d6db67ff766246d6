// AVX-VNNI (VEX-encoded, 256-bit) int8 GEMM: a 6x16 tile (12 ymm accumulators, two
// 8-column halves of one weight panel per k quad), vpdpbusd u8 x s8 -> s32.
// Compile-only on hosts without AVX-VNNI: dispatch selects it only when CPUID reports it.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "epilogue_avx2.h"
#include "qgemm_ukernel.h"

namespace nnslim {
namespace qgemm_detail {
namespace {

constexpr size_t kMr = 6;
constexpr size_t kNr = 16;

template <int R>
void tile(size_t kq, const uint8_t* a, const int8_t* w, int32_t* out) {
  __m256i acc0[R], acc1[R];
  for (int i = 0; i < R; ++i) acc0[i] = acc1[i] = _mm256_setzero_si256();
  for (size_t q = 0; q < kq; ++q) {
    const __m256i w0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + q * 64));
    const __m256i w1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + q * 64 + 32));
#pragma GCC unroll 6
    for (int i = 0; i < R; ++i) {
      int32_t quad;
      __builtin_memcpy(&quad, a + (q * kMr + i) * 4, 4);
      const __m256i ai = _mm256_set1_epi32(quad);
      acc0[i] = _mm256_dpbusd_avx_epi32(acc0[i], ai, w0);
      acc1[i] = _mm256_dpbusd_avx_epi32(acc1[i], ai, w1);
    }
  }
  for (int i = 0; i < R; ++i) {
    _mm256_store_si256(reinterpret_cast<__m256i*>(out + i * kNr), acc0[i]);
    _mm256_store_si256(reinterpret_cast<__m256i*>(out + i * kNr + 8), acc1[i]);
  }
}

void gemm_6x16(size_t mr, size_t nr, size_t kq, const void* a_packed, const int8_t* w,
               size_t /*ws*/, const Epilogue& ep) {
  alignas(32) int32_t acc[kMr * kNr];
  const uint8_t* a = static_cast<const uint8_t*>(a_packed);
  switch (mr) {
    case 1: tile<1>(kq, a, w, acc); break;
    case 2: tile<2>(kq, a, w, acc); break;
    case 3: tile<3>(kq, a, w, acc); break;
    case 4: tile<4>(kq, a, w, acc); break;
    case 5: tile<5>(kq, a, w, acc); break;
    default: tile<6>(kq, a, w, acc); break;
  }
  epilogue_tile_avx2(acc, kNr, mr, nr, ep);
}

}  // namespace

const QgemmUkernel kQgemmAvxVnni = {"qu8s8_gemm_ukernel_6x16__avxvnni", Isa::kAvxVnni, 6, 16,
                                    APack::kQuads8, Domain::kU8, gemm_6x16};

}  // namespace qgemm_detail
}  // namespace nnslim
