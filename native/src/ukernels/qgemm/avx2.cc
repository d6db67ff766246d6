// AVX2 int8 GEMM without VNNI, exact over the full input range: activations are widened to
// int16 when packed, weights with vpmovsxbw, and products summed in pairs by vpmaddwd (which
// cannot overflow here; vpmaddubsw would saturate at 16 bits, so it is not used). A 4x16 tile
// is computed as two 8-column halves; each half keeps 4 k-partials per column pair and folds
// them with vphaddd at the end.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "epilogue_avx2.h"
#include "qgemm_ukernel.h"

namespace nnslim {
namespace qgemm_detail {
namespace {

constexpr size_t kMr = 4;
constexpr size_t kNr = 16;

template <int R>
void half(size_t kq, const int16_t* a, const int8_t* w, int32_t* out) {
  __m256i acc0[R], acc1[R];
  for (int i = 0; i < R; ++i) acc0[i] = acc1[i] = _mm256_setzero_si256();
  for (size_t q = 0; q < kq; ++q) {
    const int8_t* wq = w + q * 64;
    const __m256i w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wq)));
    const __m256i w1 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wq + 16)));
#pragma GCC unroll 4
    for (int i = 0; i < R; ++i) {
      int64_t quad;
      __builtin_memcpy(&quad, a + (q * kMr + i) * 4, 8);
      const __m256i ai = _mm256_set1_epi64x(quad);
      acc0[i] = _mm256_add_epi32(acc0[i], _mm256_madd_epi16(w0, ai));
      acc1[i] = _mm256_add_epi32(acc1[i], _mm256_madd_epi16(w1, ai));
    }
  }
  for (int i = 0; i < R; ++i) {
    const __m256i s = _mm256_hadd_epi32(acc0[i], acc1[i]);  // c0 c1 c4 c5 | c2 c3 c6 c7
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i * kNr),
                        _mm256_permute4x64_epi64(s, _MM_SHUFFLE(3, 1, 2, 0)));
  }
}

void half_rows(size_t mr, size_t kq, const int16_t* a, const int8_t* w, int32_t* out) {
  switch (mr) {
    case 1: half<1>(kq, a, w, out); break;
    case 2: half<2>(kq, a, w, out); break;
    case 3: half<3>(kq, a, w, out); break;
    default: half<4>(kq, a, w, out); break;
  }
}

void gemm_4x16(size_t mr, size_t nr, size_t kq, const void* a_packed, const int8_t* w,
               size_t /*ws*/, const Epilogue& ep) {
  alignas(32) int32_t acc[kMr * kNr];
  const int16_t* a = static_cast<const int16_t*>(a_packed);
  half_rows(mr, kq, a, w, acc);
  if (nr > 8) half_rows(mr, kq, a, w + 32, acc + 8);
  epilogue_tile_avx2(acc, kNr, mr, nr, ep);
}

}  // namespace

const QgemmUkernel kQgemmAvx2 = {"qu8s8_gemm_ukernel_4x16__avx2", Isa::kAvx2, 4, 16,
                                 APack::kQuads16, Domain::kAny, gemm_4x16};

}  // namespace qgemm_detail
}  // namespace nnslim
