// armv7 NEON int8 GEMM (no dot product instructions): signed x signed, so uint8 activations
// arrive with their top bit flipped (x - 128) and the driver adds 128 * colsum back.
// A 4x16 tile walked as four 4-column chunks. Per k quad and chunk: one 16-byte load holds
// the quad of the 4 columns (a d register per 2 columns), one 16-byte load the quad of the 4
// rows; each row's quad is duplicated into a d register (vdup lane), vmull_s8 forms 8 int16
// products (2 columns x 4 k) and vpadal adds adjacent pairs into int32 lanes. Every int16
// lane holds exactly one product (|p| <= 128 * 128), so nothing saturates or wraps: a
// second product per lane (vmlal_s8) could reach 2 * 16384 and overflow int16.
#include <arm_neon.h>

#include <cstddef>
#include <cstdint>

#include "../neon_compat.h"
#include "qgemm_ukernel.h"

namespace nnslim {
namespace qgemm_detail {
namespace {

constexpr size_t kMr = 4;
constexpr size_t kNr = 16;

// Rows [0, R) of columns [4c, 4c + 4) over kq quads, into out[i * kNr + 4c + j].
template <int R>
void chunk(size_t kq, const int8_t* a, const int8_t* w, int32_t* out) {
  int32x4_t acc[R][2];
  for (int i = 0; i < R; ++i) acc[i][0] = acc[i][1] = vdupq_n_s32(0);
  for (size_t q = 0; q < kq; ++q) {
    const int8x16_t wv = vld1q_s8(w + q * 64);  // cols 0,1 (low) and 2,3 (high), 4 k each
    const int8x8_t w01 = vget_low_s8(wv), w23 = vget_high_s8(wv);
    const int8x16_t av = vld1q_s8(a + q * kMr * 4);  // rows 0..3, 4 k each
    const int32x2_t a01 = vreinterpret_s32_s8(vget_low_s8(av));
    const int32x2_t a23 = vreinterpret_s32_s8(vget_high_s8(av));
#pragma GCC unroll 4
    for (int i = 0; i < R; ++i) {
      const int32x2_t half = i < 2 ? a01 : a23;
      const int8x8_t ai = vreinterpret_s8_s32(i % 2 == 0 ? vdup_lane_s32(half, 0) : vdup_lane_s32(half, 1));
      acc[i][0] = vpadalq_s16(acc[i][0], vmull_s8(w01, ai));
      acc[i][1] = vpadalq_s16(acc[i][1], vmull_s8(w23, ai));
    }
  }
  // acc[i][0] = {c0 k01, c0 k23, c1 k01, c1 k23}; pairwise sums give columns 0..3.
  for (int i = 0; i < R; ++i) vst1q_s32(out + i * kNr, neon::padd_s32(acc[i][0], acc[i][1]));
}

template <int R>
void tile(size_t nr, size_t kq, const int8_t* a, const int8_t* w, int32_t* out) {
  for (size_t c = 0; c * 4 < nr; ++c) chunk<R>(kq, a, w + c * 16, out + c * 4);
}

void gemm_4x16(size_t mr, size_t nr, size_t kq, const void* a_packed, const int8_t* w,
               size_t /*ws*/, const Epilogue& ep) {
  alignas(16) int32_t acc[kMr * kNr];
  const int8_t* a = static_cast<const int8_t*>(a_packed);
  switch (mr) {
    case 1: tile<1>(nr, kq, a, w, acc); break;
    case 2: tile<2>(nr, kq, a, w, acc); break;
    case 3: tile<3>(nr, kq, a, w, acc); break;
    default: tile<4>(nr, kq, a, w, acc); break;
  }
  // The scalar epilogue: exactly the reference's rounding (armv7 NEON has no
  // round-to-nearest-even conversion and flushes denormals).
  epilogue_tile_scalar(acc, kNr, mr, nr, ep);
}

}  // namespace

const QgemmUkernel kQgemmNeonMull = {"qs8s8_gemm_ukernel_4x16__neon_mull", Isa::kNeon, 4, 16,
                                     APack::kQuads8, Domain::kS8, gemm_4x16};

}  // namespace qgemm_detail
}  // namespace nnslim
