// Internal interface between the ISA-free int8 GEMM driver (ops/qgemm.cc) and the per-ISA
// micro-kernels (ukernels/qgemm/<isa>.cc). Not part of the public API.
//
// Weights: the packed layout of qgemm.h (16-column panels, k in quads of 4 bytes).
// Activations are packed on the fly by the driver, one micro-panel of MR rows at a time,
// in the layout the kernel names:
//   kQuads8:  ap[q * MR * 4 + i * 4 + r] = X'[i][4q + r]          (bytes; 4-byte broadcasts)
//   kQuads16: ap[q * MR * 4 + i * 4 + r] = X[i][4q + r] as int16   (for widening kernels)
//   kRows64:  ap[i * k64 + kk] = X'[i][kk], k64 = k rounded up to 64 (AMX A tiles, MR = 16)
// X' is X with its top bit flipped when the kernel's operand domain differs from the
// activation type (kU8 kernels get int8 X as X + 128, kS8 kernels get uint8 X as X - 128);
// the driver corrects through the column sums. Padding (k >= K, rows >= mr) is 0.
#pragma once

#include <cstddef>
#include <cstdint>

#include "nnslim/cpu.h"
#include "nnslim/qgemm.h"

namespace nnslim {
namespace qgemm_detail {

enum class APack : int { kQuads8, kQuads16, kRows64 };
// Operand domain of the kernel's byte products: kAny (widening kernels take both types),
// kU8 (vpdpbusd, AMX, sudot: unsigned activations), kS8 (sdot: signed activations).
enum class Domain : int { kAny, kU8, kS8 };

// The fused epilogue of one tile (every pointer already offset to the tile's first row /
// column). For the accumulator acc[i][j] of the tile (int32, wrapping):
//   r = acc + col_term[j] - (row_zp ? row_zp[i] * col_corr[j] : 0) - (w_zp ? row_sum[i] * w_zp[j] : 0)
//   kInt32: r.  Otherwise y = fmaf(float(r), row_scale ? float(row_scale[i] * col_scale[j])
//   : col_scale[j], bias[j]); relu: y = y > 0 ? y : 0; kFloat32: y; kUint8 / kInt8:
//   q = int(nearbyint(min(max(y * inv_out_scale, out_lo), out_hi))) + out_zp.
struct Epilogue {
  const int32_t* col_term;
  const int32_t* col_corr;
  const int32_t* row_zp;   // null: the activation zero point is folded into col_term
  const int32_t* w_zp;     // null: every weight zero point is 0
  const int32_t* row_sum;  // sum_k X[i][k] (original values); valid when w_zp
  const float* col_scale;
  const float* row_scale;  // null: per-tensor activation scale, folded into col_scale
  const float* bias;       // never null (zeros when the call has none)
  bool relu;
  QgemmOutput out;
  float inv_out_scale, out_lo, out_hi;  // out_lo = qmin - zo, out_hi = qmax - zo
  int32_t out_zp;
  void* c;     // the tile's first element, of the output type
  size_t ldc;  // row stride in elements
};

// Computes the mr x nr tile (1 <= mr <= MR, 1 <= nr <= NR) over kq quads of k and applies the
// epilogue. a: the packed activation micro-panel; w: the first 16-column panel of the tile,
// panel p at w + p * w_panel_stride bytes.
using GemmFn = void (*)(size_t mr, size_t nr, size_t kq, const void* a, const int8_t* w,
                        size_t w_panel_stride, const Epilogue& ep);

struct QgemmUkernel {
  const char* name;  // q<a><w>_gemm_ukernel_<MR>x<NR>__<isa>
  Isa isa;
  int mr, nr;        // nr: a multiple of 16
  APack a_pack;
  Domain domain;
  GemmFn gemm;
};

extern const QgemmUkernel kQgemmScalar;
#if defined(__x86_64__)
extern const QgemmUkernel kQgemmAvx2;
extern const QgemmUkernel kQgemmAvxVnni;
extern const QgemmUkernel kQgemmAvx512Vnni;
extern const QgemmUkernel kQgemmAmx;
#endif
#if defined(__aarch64__)
extern const QgemmUkernel kQgemmNeon;
extern const QgemmUkernel kQgemmNeonDot;
extern const QgemmUkernel kQgemmNeonI8mm;
#elif defined(__arm__)
extern const QgemmUkernel kQgemmNeonMull;  // armv7
#endif

// The corrected int32 value of one element (the integer part of the epilogue).
static inline int32_t epilogue_int(int32_t acc, size_t i, size_t j, const Epilogue& ep) {
  uint32_t r = static_cast<uint32_t>(acc) + static_cast<uint32_t>(ep.col_term[j]);
  if (ep.row_zp)
    r -= static_cast<uint32_t>(ep.row_zp[i]) * static_cast<uint32_t>(ep.col_corr[j]);
  if (ep.w_zp) r -= static_cast<uint32_t>(ep.row_sum[i]) * static_cast<uint32_t>(ep.w_zp[j]);
  return static_cast<int32_t>(r);
}

// Scalar epilogue of a whole tile of accumulators (acc row stride ld): the definition the
// SIMD epilogues follow.
static inline void epilogue_tile_scalar(const int32_t* acc, size_t ld, size_t mr, size_t nr,
                                        const Epilogue& ep) {
  for (size_t i = 0; i < mr; ++i) {
    for (size_t j = 0; j < nr; ++j) {
      const int32_t r = epilogue_int(acc[i * ld + j], i, j, ep);
      const size_t o = i * ep.ldc + j;
      if (ep.out == QgemmOutput::kInt32) {
        static_cast<int32_t*>(ep.c)[o] = r;
        continue;
      }
      const float mult = ep.row_scale ? ep.row_scale[i] * ep.col_scale[j] : ep.col_scale[j];
      float y = __builtin_fmaf(static_cast<float>(r), mult, ep.bias[j]);
      if (ep.relu) y = y > 0.0f ? y : 0.0f;
      if (ep.out == QgemmOutput::kFloat32) {
        static_cast<float*>(ep.c)[o] = y;
        continue;
      }
      float t = y * ep.inv_out_scale;
      t = t > ep.out_lo ? t : ep.out_lo;
      t = t < ep.out_hi ? t : ep.out_hi;
      const int32_t q = static_cast<int32_t>(__builtin_nearbyintf(t)) + ep.out_zp;
      if (ep.out == QgemmOutput::kUint8) {
        static_cast<uint8_t*>(ep.c)[o] = static_cast<uint8_t>(q);
      } else {
        static_cast<int8_t*>(ep.c)[o] = static_cast<int8_t>(q);
      }
    }
  }
}

}  // namespace qgemm_detail
}  // namespace nnslim
