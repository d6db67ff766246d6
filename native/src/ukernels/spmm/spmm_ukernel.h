// Internal interface between the ISA-free SpMM driver (ops/spmm.cc) and the per-ISA
// micro-kernels (ukernels/spmm/<isa>.cc). Not part of the public API.
//
// Two shapes of work:
//   rows (m >= 2): X is packed transposed per block of mb <= kMaxMb rows: xt[k * mp + i] =
//     X[m0 + i][k], mp = mb rounded up to the kernel's m_align, padding zeroed. For W rows
//     [0, nr) the kernel writes acc[r * mp + i] = sum_j w(r, j) * xt[col(j) * mp + i]
//     (one SIMD axpy over the packed rows per non-zero; the driver transposes acc into Y).
//   gemv (m == 1): y[r] = sum_j w(r, j) * x[col(j)] (gathers).
// row_ptr points at the first row of the range; offsets are absolute into col_idx/values.
// With q != null the weights are int8 (values == null) and the row's sum is multiplied by
// scales[r]. No bias/relu here: the driver applies them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "nnslim/cpu.h"

namespace nnslim {
namespace spmm_detail {

constexpr size_t kMaxMb = 64;

struct CsrRows {
  const int32_t* row_ptr;  // nr + 1 entries
  const int32_t* col_idx;
  const float* values;     // float weights, or null
  const int8_t* q;         // int8 weights, or null
  const float* scales;     // per row (indexed from the range's first row), with q
};

using RowsFn = void (*)(const CsrRows& w, size_t nr, const float* xt, size_t mp, float* acc);
using GemvFn = void (*)(const CsrRows& w, size_t nr, const float* x, float* y);

// Column-panel layout for m == 1 (built by csr_pack where the CPU has AVX-512): W rows in
// slices of 16 (one per SIMD lane) and columns in panels of 32 (two registers of x). Slice s,
// panel p holds steps[s * panels + p] steps; each step is 16 uint8 column offsets within the
// panel (kPanelPad marks an empty lane) and 16 weights, lane r belonging to row 16 s + r. A
// step's lane reads x[32 p + idx] through a two-register permute instead of a gather.
constexpr size_t kSliceRows = 16;
constexpr size_t kPanelCols = 32;
constexpr uint8_t kPanelPad = 0xFF;

struct PanelCsr {
  size_t rows, cols, slices, panels;
  const uint8_t* steps;        // slices * panels step counts (<= 32)
  const size_t* slice_start;   // slices + 1 offsets, in steps
  const uint8_t* idx;          // 16 per step
  const float* values;         // 16 per step (float weights), or null
  const int8_t* q;             // 16 per step (int8 weights), or null
  const float* scales;         // with q: slices * 16 (zero-padded) row scales
};
// y[r] for rows r of slices [s0, s1) (rows >= w.rows are not written).
using PanelGemvFn = void (*)(const PanelCsr& w, size_t s0, size_t s1, const float* x, float* y);

// The two transposes around `rows` (optional: null means the driver's portable loops).
// pack_xt: xt[kk * mp + i] = x[i * ldx + kk] for i < mb, 0 for mb <= i < mp (mp % 8 == 0).
// store_tile: y[i * ldy + r] = relu?(acc[r * mp + i] + bias[r]) for r < nr, i < mb, with the
// driver's arithmetic (bias added, then v < 0 ? 0 : v, NaN passing through): same bits.
using PackXtFn = void (*)(const float* x, size_t ldx, size_t mb, size_t k, size_t mp, float* xt);
using StoreTileFn = void (*)(const float* acc, size_t mp, size_t nr, size_t mb, float* y, size_t ldy,
                             const float* bias, bool relu);

// Column blocks for rows_blocked. When X^T outgrows L1 (k * mp floats: 196 KiB at k = 768,
// m = 64) every non-zero's X^T row is an L2 access; visiting W one block of kColBlock columns
// at a time, all rows of a tile per block, keeps a kColBlock x mp slice of X^T hot for the
// whole tile (measured on Zen 4, m = 64, 90% sparse: 59 -> 66-68 GFLOP/s kernel-only; 192 and
// 256 columns best). csr_pack stores the block boundaries, so the calls pay nothing for them.
constexpr size_t kColBlock = 256;
// As rows, visiting column block b of every row before block b + 1; acc (nr x mp) carries the
// partial sums between blocks. bounds[r * (nb + 1) + b] is row r's first non-zero in block b
// (absolute offsets, bounds[r * (nb + 1) + nb] its end). Requires mp % 16 == 0.
using RowsBlockedFn = void (*)(const CsrRows& w, const int32_t* bounds, size_t nb, size_t nr,
                               const float* xt, size_t mp, float* acc);

// The rows_blocked walk the per-ISA kernels share: acc zeroed; for each column block b, and
// each row r < nr with non-zeros in it, segment(j, end, acc + r * mp) adds non-zeros
// [j, end) into that row's partial sums; int8 rows are scaled at the end.
template <class Segment>
inline void blocked_walk(const CsrRows& w, const int32_t* bounds, size_t nb, size_t nr, size_t mp, float* acc,
                         Segment&& segment) {
  std::fill(acc, acc + nr * mp, 0.0f);
  for (size_t b = 0; b < nb; ++b)
    for (size_t r = 0; r < nr; ++r) {
      const int32_t* rb = bounds + r * (nb + 1) + b;
      if (rb[0] != rb[1]) segment(static_cast<size_t>(rb[0]), static_cast<size_t>(rb[1]), acc + r * mp);
    }
  if (w.q != nullptr)
    for (size_t r = 0; r < nr; ++r)
      for (size_t i = 0; i < mp; ++i) acc[r * mp + i] *= w.scales[r];
}

struct SpmmUkernel {
  const char* name;  // f32_spmm_ukernel_<MB>__<isa>
  Isa isa;
  size_t m_align;    // mp is a multiple of this (1..16)
  RowsFn rows;
  GemvFn gemv;
  PanelGemvFn panel_gemv;  // null: the CSR gemv serves m == 1
  PackXtFn pack_xt = nullptr;
  StoreTileFn store_tile = nullptr;
  RowsBlockedFn rows_blocked = nullptr;  // null: rows serves every shape
};

extern const SpmmUkernel kSpmmScalar;
#if defined(__x86_64__)
extern const SpmmUkernel kSpmmAvx2;
extern const SpmmUkernel kSpmmAvx512;
#endif
#if defined(__aarch64__) || defined(__arm__)
extern const SpmmUkernel kSpmmNeon;
#endif

}  // namespace spmm_detail
}  // namespace nnslim
