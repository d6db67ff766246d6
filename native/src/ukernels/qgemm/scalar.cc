// Portable int8 GEMM micro-kernel: a 4x16 tile of int32 accumulators over int16-widened
// activations (both activation types, no bit flip), then the scalar epilogue.
#include <cstddef>
#include <cstdint>

#include "qgemm_ukernel.h"

namespace nnslim {
namespace qgemm_detail {
namespace {

constexpr size_t kMr = 4;
constexpr size_t kNr = 16;

void gemm_4x16(size_t mr, size_t nr, size_t kq, const void* a_packed, const int8_t* w,
               size_t /*w_panel_stride*/, const Epilogue& ep) {
  const int16_t* a = static_cast<const int16_t*>(a_packed);
  int32_t acc[kMr][kNr] = {};
  for (size_t q = 0; q < kq; ++q) {
    const int8_t* wq = w + q * 64;
    const int16_t* aq = a + q * kMr * 4;
    for (size_t i = 0; i < mr; ++i) {
      for (size_t j = 0; j < nr; ++j) {
        int32_t s = 0;
        for (size_t r = 0; r < 4; ++r) s += aq[i * 4 + r] * wq[j * 4 + r];
        acc[i][j] += s;  // |s| <= 4 * 255 * 128; the k loop stays within int32 (k <= kQgemmMaxK)
      }
    }
  }
  epilogue_tile_scalar(&acc[0][0], kNr, mr, nr, ep);
}

}  // namespace

const QgemmUkernel kQgemmScalar = {"qu8s8_gemm_ukernel_4x16__scalar", Isa::kScalar, 4, 16,
                                   APack::kQuads16, Domain::kAny, gemm_4x16};

}  // namespace qgemm_detail
}  // namespace nnslim
