// The 4x16 int8 tile shared by the NEON dot-product kernels (dotprod.cc: sdot, i8mm.cc:
// sudot), compiled into each with its own flags. One 16-byte load holds the k quad of all 4
// rows (lane i = row i), four loads hold the quad of 16 columns, 16 indexed dot products per
// quad. Dot supplies: AVec (the A register type), load(const uint8_t*), and
// step<L>(int32x4_t acc, int8x16_t b, AVec a) = acc + dot(b, quad L of a).
#pragma once

#include <arm_neon.h>

#include <cstddef>
#include <cstdint>

#include "epilogue_neon.h"
#include "qgemm_ukernel.h"

namespace nnslim {
namespace qgemm_detail {

template <class Dot>
struct QuadTile {
  static constexpr size_t kMr = 4;
  static constexpr size_t kNr = 16;
  using AVec = typename Dot::AVec;

  template <int L>
  static inline void row(int32x4_t (&acc)[4][4], const int8x16_t (&b)[4], AVec av) {
    for (int v = 0; v < 4; ++v) acc[L][v] = Dot::template step<L>(acc[L][v], b[v], av);
  }

  template <int R>
  static void tile(size_t kq, const uint8_t* a, const int8_t* w, int32_t* out) {
    int32x4_t acc[4][4];
    for (int i = 0; i < 4; ++i)
      for (int v = 0; v < 4; ++v) acc[i][v] = vdupq_n_s32(0);
    for (size_t q = 0; q < kq; ++q) {
      const AVec av = Dot::load(a + q * 16);
      const int8x16_t b[4] = {vld1q_s8(w + q * 64), vld1q_s8(w + q * 64 + 16), vld1q_s8(w + q * 64 + 32),
                              vld1q_s8(w + q * 64 + 48)};
      row<0>(acc, b, av);
      if (R > 1) row<1>(acc, b, av);
      if (R > 2) row<2>(acc, b, av);
      if (R > 3) row<3>(acc, b, av);
    }
    for (int i = 0; i < R; ++i)
      for (int v = 0; v < 4; ++v) vst1q_s32(out + i * kNr + v * 4, acc[i][v]);
  }

  static void gemm(size_t mr, size_t nr, size_t kq, const void* a_packed, const int8_t* w,
                   size_t /*ws*/, const Epilogue& ep) {
    alignas(16) int32_t acc[kMr * kNr];
    const uint8_t* a = static_cast<const uint8_t*>(a_packed);
    switch (mr) {
      case 1: tile<1>(kq, a, w, acc); break;
      case 2: tile<2>(kq, a, w, acc); break;
      case 3: tile<3>(kq, a, w, acc); break;
      default: tile<4>(kq, a, w, acc); break;
    }
    epilogue_tile_neon(acc, kNr, mr, nr, ep);
  }
};

}  // namespace qgemm_detail
}  // namespace nnslim
