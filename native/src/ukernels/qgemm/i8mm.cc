// NEON i8mm int8 GEMM with sudot (signed weights x unsigned activation lanes): uint8
// activations need no correction; int8 ones arrive flipped (x + 128). The 4x16 tile is
// quad_tile_neon.h's.
#include "quad_tile_neon.h"

namespace nnslim {
namespace qgemm_detail {
namespace {

struct Sudot {
  using AVec = uint8x16_t;
  static AVec load(const uint8_t* p) { return vld1q_u8(p); }
  template <int L>
  static int32x4_t step(int32x4_t acc, int8x16_t b, AVec a) { return vsudotq_laneq_s32(acc, b, a, L); }
};

}  // namespace

const QgemmUkernel kQgemmNeonI8mm = {"qu8s8_gemm_ukernel_4x16__neoni8mm", Isa::kNeonI8mm, 4, 16,
                                     APack::kQuads8, Domain::kU8, QuadTile<Sudot>::gemm};

}  // namespace qgemm_detail
}  // namespace nnslim
