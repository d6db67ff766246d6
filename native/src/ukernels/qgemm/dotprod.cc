// NEON dotprod (Armv8.2 sdot) int8 GEMM: signed x signed, so uint8 activations arrive with
// their top bit flipped (x - 128) and the driver adds 128 * colsum back. The 4x16 tile is
// quad_tile_neon.h's.
#include "quad_tile_neon.h"

namespace nnslim {
namespace qgemm_detail {
namespace {

struct Sdot {
  using AVec = int8x16_t;
  static AVec load(const uint8_t* p) { return vld1q_s8(reinterpret_cast<const int8_t*>(p)); }
  template <int L>
  static int32x4_t step(int32x4_t acc, int8x16_t b, AVec a) { return vdotq_laneq_s32(acc, b, a, L); }
};

}  // namespace

const QgemmUkernel kQgemmNeonDot = {"qs8s8_gemm_ukernel_4x16__neondot", Isa::kNeonDot, 4, 16,
                                    APack::kQuads8, Domain::kS8, QuadTile<Sdot>::gemm};

}  // namespace qgemm_detail
}  // namespace nnslim
