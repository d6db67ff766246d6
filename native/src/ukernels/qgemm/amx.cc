// AMX-INT8 GEMM: one 16x16 int32 C tile (tmm0) per call, A tiles of 16 rows x 64 bytes (tmm1)
// from the kRows64 activation panel, B tiles of 16 quads x 16 columns (tmm2), which is
// exactly 16 consecutive quads of a packed weight panel. The last k step may read up to
// 15 quads past the panel (into the next panel or the 1024 zero bytes after the data):
// those products meet the zero padding of A, so they add 0. tdpbusd u8 x s8 -> s32.
// Compile-only on hosts without AMX; dispatch selects it only when CPUID reports AMX-TILE
// and AMX-INT8, XCR0 enables tile state and the OS granted the permission (cpu_features.cc).
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "epilogue_avx512.h"
#include "qgemm_ukernel.h"

namespace nnslim {
namespace qgemm_detail {
namespace {

struct alignas(64) TileConfig {
  uint8_t palette_id;
  uint8_t start_row;
  uint8_t reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
};

void gemm_16x16(size_t mr, size_t nr, size_t kq, const void* a_packed, const int8_t* w,
                size_t /*ws*/, const Epilogue& ep) {
  TileConfig cfg = {};
  cfg.palette_id = 1;
  for (int t = 0; t < 3; ++t) {
    cfg.rows[t] = 16;
    cfg.colsb[t] = 64;
  }
  const size_t k64 = (kq * 4 + 63) / 64 * 64;
  const uint8_t* a = static_cast<const uint8_t*>(a_packed);
  alignas(64) int32_t acc[16 * 16];
  _tile_loadconfig(&cfg);
  _tile_zero(0);
  for (size_t s = 0; s < k64 / 64; ++s) {
    _tile_loadd(1, a + s * 64, static_cast<long>(k64));
    _tile_loadd(2, w + s * 1024, 64);
    _tile_dpbusd(0, 1, 2);
  }
  _tile_stored(0, acc, 64);
  _tile_release();
  epilogue_tile_avx512(acc, 16, mr, nr, ep);
}

}  // namespace

const QgemmUkernel kQgemmAmx = {"qu8s8_gemm_ukernel_16x16__amx", Isa::kAmx, 16, 16,
                                APack::kRows64, Domain::kU8, gemm_16x16};

}  // namespace qgemm_detail
}  // namespace nnslim
