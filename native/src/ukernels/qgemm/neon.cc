// NEON int8 GEMM (Armv8.0 Advanced SIMD, no dot product): activations widened to int16 when
// packed, weights with sxtl, products accumulated by smlal into 4 k-partials per column and
// folded with addp at the end. A 2x16 tile computed as two 8-column halves.
#include <arm_neon.h>

#include <cstddef>
#include <cstdint>

#include "epilogue_neon.h"
#include "qgemm_ukernel.h"

namespace nnslim {
namespace qgemm_detail {
namespace {

constexpr size_t kMr = 2;
constexpr size_t kNr = 16;

template <int R>
void half(size_t kq, const int16_t* a, const int8_t* w, int32_t* out) {
  int32x4_t acc[R][8];
  for (int i = 0; i < R; ++i)
    for (int c = 0; c < 8; ++c) acc[i][c] = vdupq_n_s32(0);
  for (size_t q = 0; q < kq; ++q) {
    const int8x16_t b0 = vld1q_s8(w + q * 64);
    const int8x16_t b1 = vld1q_s8(w + q * 64 + 16);
    const int16x8_t wc[4] = {vmovl_s8(vget_low_s8(b0)), vmovl_high_s8(b0),
                             vmovl_s8(vget_low_s8(b1)), vmovl_high_s8(b1)};
    for (int i = 0; i < R; ++i) {
      const int16x4_t ai = vld1_s16(a + (q * kMr + i) * 4);
      for (int p = 0; p < 4; ++p) {
        acc[i][2 * p] = vmlal_s16(acc[i][2 * p], vget_low_s16(wc[p]), ai);
        acc[i][2 * p + 1] = vmlal_s16(acc[i][2 * p + 1], vget_high_s16(wc[p]), ai);
      }
    }
  }
  for (int i = 0; i < R; ++i) {
    vst1q_s32(out + i * kNr, vpaddq_s32(vpaddq_s32(acc[i][0], acc[i][1]), vpaddq_s32(acc[i][2], acc[i][3])));
    vst1q_s32(out + i * kNr + 4, vpaddq_s32(vpaddq_s32(acc[i][4], acc[i][5]), vpaddq_s32(acc[i][6], acc[i][7])));
  }
}

void gemm_2x16(size_t mr, size_t nr, size_t kq, const void* a_packed, const int8_t* w,
               size_t /*ws*/, const Epilogue& ep) {
  alignas(16) int32_t acc[kMr * kNr];
  const int16_t* a = static_cast<const int16_t*>(a_packed);
  if (mr == 1) {
    half<1>(kq, a, w, acc);
    if (nr > 8) half<1>(kq, a, w + 32, acc + 8);
  } else {
    half<2>(kq, a, w, acc);
    if (nr > 8) half<2>(kq, a, w + 32, acc + 8);
  }
  epilogue_tile_neon(acc, kNr, mr, nr, ep);
}

}  // namespace

const QgemmUkernel kQgemmNeon = {"qu8s8_gemm_ukernel_2x16__neon", Isa::kNeon, 2, 16,
                                 APack::kQuads16, Domain::kAny, gemm_2x16};

}  // namespace qgemm_detail
}  // namespace nnslim
