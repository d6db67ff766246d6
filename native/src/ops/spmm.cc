// The ISA-free SpMM driver: validation, micro-kernel selection, X^T packing, threading and
// the epilogue (bias, ReLU, transposing the kernel's n-major tile into Y).
//
//   m == 1: the gemv kernel (gathers), rows split over tasks by non-zero count.
//   m >= 2: for each block of mb <= 64 rows of X: pack X^T (k x mp) once, then tasks take
//           ranges of W rows of equal non-zero count; per 16 W rows the kernel fills a
//           16 x mp tile (one SIMD axpy per non-zero) that the epilogue transposes into Y.
//           Packed weights with column-block bounds (csr_pack) and an X^T larger than
//           kBlockedMinBytes go through rows_blocked instead, 64 W rows per tile.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "nnslim/cpu.h"
#include "nnslim/sparse.h"
#include "nnslim/threadpool.h"
#include "scratch.h"
#include "shape.h"
#include "../ukernels/spmm/spmm_ukernel.h"

namespace nnslim {

using spmm_detail::CsrRows;
using spmm_detail::SpmmUkernel;

namespace {

constexpr size_t kTileRows = 16;
// rows_blocked: W rows per tile (its acc, 64 x 64 floats, stays in L1 across the column
// blocks; 64 measured steadier than 32 or 128 on Zen 4) and the X^T size from which it pays
// (k * mp floats; below it X^T is served well enough from L1/L2 as a whole).
constexpr size_t kBlockedTileRows = 64;
constexpr size_t kBlockedMinBytes = size_t{128} << 10;
// Below this many multiply-adds a call runs on the calling thread only.
constexpr double kMinParallelMacs = 1 << 16;

const SpmmUkernel& select_ukernel() {
#if defined(__x86_64__)
  if (isa_allows(Isa::kAvx512)) return spmm_detail::kSpmmAvx512;
  if (isa_allows(Isa::kAvx2)) return spmm_detail::kSpmmAvx2;
#elif defined(__aarch64__) || defined(__arm__)
  if (isa_allows(Isa::kNeon)) return spmm_detail::kSpmmNeon;
#endif
  return spmm_detail::kSpmmScalar;
}

using detail::matrix_ok;
using detail::round_up;

struct SpmmScratchTag {};

// Task t of `tasks` gets W rows [r0, r1) holding about nnz / tasks non-zeros.
void split_rows(const int32_t* row_ptr, size_t n, size_t tasks, size_t t, size_t* r0, size_t* r1) {
  auto bound = [&](size_t i) -> size_t {
    if (i == 0) return 0;
    if (i == tasks) return n;
    const int64_t nnz = row_ptr[n];
    const int64_t target = nnz * static_cast<int64_t>(i) / static_cast<int64_t>(tasks);
    const int32_t* it = std::lower_bound(row_ptr, row_ptr + n + 1, target);
    return static_cast<size_t>(it - row_ptr);
  };
  *r0 = std::min(bound(t), n);
  *r1 = std::max(*r0, std::min(bound(t + 1), n));
}

CsrRows rows_at(const SpmmParams& p, size_t r0) {
  CsrRows w{};
  w.row_ptr = p.row_ptr + r0;
  w.col_idx = p.col_idx;
  w.values = p.values;
  w.q = p.qvalues;
  w.scales = p.scales ? p.scales + r0 : nullptr;
  return w;
}

inline float epilogue(float v, const float* bias, size_t j, bool relu) {
  if (bias) v += bias[j];
  if (relu) v = v < 0.0f ? 0.0f : v;  // NaN passes through
  return v;
}

}  // namespace

Status spmm_check(const SpmmParams& p) {
  if (p.m < 0 || p.n < 0 || p.k < 0) return Status::kInvalidArgument;
  if (p.n > INT32_MAX || p.k > INT32_MAX) return Status::kInvalidArgument;
  if (!matrix_ok(p.m, p.k, p.ldx, p.x) || !matrix_ok(p.m, p.n, p.ldy, p.y))
    return Status::kInvalidArgument;
  if (p.row_ptr == nullptr) return Status::kInvalidArgument;
  if ((p.values == nullptr) == (p.qvalues == nullptr) && p.row_ptr[p.n] > 0)
    return Status::kInvalidArgument;
  if (p.qvalues != nullptr && p.scales == nullptr) return Status::kInvalidArgument;
  return Status::kOk;
}

const char* spmm_kernel_name() { return select_ukernel().name; }

namespace {

// spmm with optional column-block bounds (rows_blocked's layout; null: none).
Status spmm_run(const SpmmParams& p, const int32_t* bounds, size_t nb) {
  const Status s = spmm_check(p);
  if (s != Status::kOk) return s;
  if (p.m == 0 || p.n == 0) return Status::kOk;
  const SpmmUkernel& uk = select_ukernel();
  const size_t m = static_cast<size_t>(p.m), n = static_cast<size_t>(p.n),
               k = static_cast<size_t>(p.k);
  const size_t ldx = static_cast<size_t>(p.ldx), ldy = static_cast<size_t>(p.ldy);
  const int64_t nnz = p.row_ptr[n];
  const int threads = get_num_threads();
  const double macs = static_cast<double>(nnz) * static_cast<double>(m);
  size_t tasks = 1;
  if (threads > 1 && macs >= kMinParallelMacs)
    tasks = std::min<size_t>(static_cast<size_t>(threads), n);

  if (m == 1) {
    parallel_for(static_cast<std::ptrdiff_t>(tasks), [&](std::ptrdiff_t t) {
      size_t r0, r1;
      split_rows(p.row_ptr, n, tasks, static_cast<size_t>(t), &r0, &r1);
      if (r0 >= r1) return;
      uk.gemv(rows_at(p, r0), r1 - r0, p.x, p.y + r0);
      if (p.bias || p.relu)
        for (size_t j = r0; j < r1; ++j) p.y[j] = epilogue(p.y[j], p.bias, j, p.relu);
    });
    return Status::kOk;
  }

  // Blocks of near-equal size (100 rows = 50 + 50, not 64 + 36).
  const size_t blocks = (m + spmm_detail::kMaxMb - 1) / spmm_detail::kMaxMb;
  const size_t mb_max = (m + blocks - 1) / blocks;
  const size_t mp_max = round_up(mb_max, uk.m_align);
  // X^T block, then one tile per task; the calling thread's arena, reused across calls.
  const size_t xt_floats = round_up(k * mp_max, 16);
  const bool may_block = bounds != nullptr && nb >= 2 && uk.rows_blocked != nullptr;
  const size_t tile_max = may_block ? kBlockedTileRows : kTileRows;
  auto* scratch = static_cast<float*>(
      detail::thread_scratch<SpmmScratchTag>().get((xt_floats + tasks * tile_max * mp_max) * sizeof(float)));
  if (scratch == nullptr) return Status::kOutOfMemory;
  float* const xt = scratch;
  float* const tiles = scratch + xt_floats;

  for (size_t m0 = 0; m0 < m; m0 += mb_max) {
    const size_t mb = std::min(mb_max, m - m0);
    const size_t mp = round_up(mb, uk.m_align);
    if (uk.pack_xt != nullptr && mp % 8 == 0) {
      uk.pack_xt(p.x + m0 * ldx, ldx, mb, k, mp, xt);
    } else {
      // xt[kk * mp + i] = X[m0 + i][kk]; walk k in chunks so the source rows stream.
      constexpr size_t kChunk = 256;
      const float* x0 = p.x + m0 * ldx;
      for (size_t k0 = 0; k0 < k; k0 += kChunk) {
        const size_t k1 = std::min(k, k0 + kChunk);
        for (size_t i = 0; i < mb; ++i) {
          const float* xr = x0 + i * ldx;
          for (size_t kk = k0; kk < k1; ++kk) xt[kk * mp + i] = xr[kk];
        }
        for (size_t kk = k0; kk < k1; ++kk)
          for (size_t i = mb; i < mp; ++i) xt[kk * mp + i] = 0.0f;
      }
    }
    const bool blocked = may_block && mp % 16 == 0 && k * mp * sizeof(float) >= kBlockedMinBytes;
    const size_t tile_rows = blocked ? kBlockedTileRows : kTileRows;
    parallel_for(static_cast<std::ptrdiff_t>(tasks), [&](std::ptrdiff_t t) {
      size_t r0, r1;
      split_rows(p.row_ptr, n, tasks, static_cast<size_t>(t), &r0, &r1);
      float* tile = tiles + static_cast<size_t>(t) * tile_max * mp_max;
      for (size_t n0 = r0; n0 < r1; n0 += tile_rows) {
        const size_t nr = std::min(tile_rows, r1 - n0);
        if (blocked) {
          uk.rows_blocked(rows_at(p, n0), bounds + n0 * (nb + 1), nb, nr, xt, mp, tile);
        } else {
          uk.rows(rows_at(p, n0), nr, xt, mp, tile);
        }
        if (uk.store_tile != nullptr) {
          uk.store_tile(tile, mp, nr, mb, p.y + m0 * ldy + n0, ldy, p.bias ? p.bias + n0 : nullptr, p.relu);
          continue;
        }
        for (size_t i = 0; i < mb; ++i) {
          float* yr = p.y + (m0 + i) * ldy + n0;
          for (size_t r = 0; r < nr; ++r) yr[r] = epilogue(tile[r * mp + i], p.bias, n0 + r, p.relu);
        }
      }
    });
  }
  return Status::kOk;
}

}  // namespace

Status spmm(const SpmmParams& p) { return spmm_run(p, nullptr, 0); }

}  // namespace nnslim

namespace nnslim {

struct PackedCsr {
  int64_t rows = 0, cols = 0;
  std::vector<int32_t> row_ptr, col_idx;
  std::vector<float> values, scales;
  std::vector<int8_t> q;
  // Column-panel layout for m == 1 (spmm_ukernel.h), where a kernel can use it.
  bool has_panels = false;
  size_t slices = 0, panels = 0;
  std::vector<uint8_t> steps, pidx;
  std::vector<size_t> slice_start;
  std::vector<float> pvalues, pscales;
  std::vector<int8_t> pq;
  // Column-block bounds for rows_blocked (spmm_ukernel.h), where a kernel can use them:
  // rows * (col_blocks + 1) offsets, empty when the matrix has a single block.
  size_t col_blocks = 0;
  std::vector<int32_t> col_bounds;
};

namespace {

using spmm_detail::kPanelCols;
using spmm_detail::kPanelPad;
using spmm_detail::kSliceRows;

// Whether this CPU runs a kernel with rows_blocked (AVX2 or AVX-512).
bool blocks_useful() {
#if defined(__x86_64__)
  return isa_supported(Isa::kAvx2);
#else
  return false;
#endif
}

bool panels_useful() {
#if defined(__x86_64__)
  return isa_supported(Isa::kAvx512);
#else
  return false;
#endif
}

// Slice s, panel p: lane r takes row 16 s + r's non-zeros in columns [32 p, 32 p + 32) in
// order; the panel has as many steps as its fullest lane.
void build_panels(PackedCsr* w) {
  const size_t n = static_cast<size_t>(w->rows), k = static_cast<size_t>(w->cols);
  const bool quant = !w->scales.empty();
  w->slices = (n + kSliceRows - 1) / kSliceRows;
  w->panels = (k + kPanelCols - 1) / kPanelCols;
  w->steps.assign(w->slices * w->panels, 0);
  w->slice_start.assign(w->slices + 1, 0);
  std::vector<int32_t> cur(kSliceRows);
  size_t total = 0;
  for (size_t s = 0; s < w->slices; ++s) {
    for (size_t r = 0; r < kSliceRows; ++r) {
      const size_t row = s * kSliceRows + r;
      cur[r] = row < n ? w->row_ptr[row] : 0;
    }
    for (size_t p = 0; p < w->panels; ++p) {
      const int32_t c1 = static_cast<int32_t>(std::min(k, (p + 1) * kPanelCols));
      size_t L = 0;
      for (size_t r = 0; r < kSliceRows; ++r) {
        const size_t row = s * kSliceRows + r;
        if (row >= n) break;
        int32_t j = cur[r];
        while (j < w->row_ptr[row + 1] && w->col_idx[j] < c1) ++j;
        L = std::max(L, static_cast<size_t>(j - cur[r]));
        cur[r] = j;
      }
      w->steps[s * w->panels + p] = static_cast<uint8_t>(L);
      total += L;
    }
    w->slice_start[s + 1] = total;
  }
  w->pidx.assign(total * 16, kPanelPad);
  if (quant) {
    w->pq.assign(total * 16, 0);
    w->pscales.assign(w->slices * kSliceRows, 0.0f);
    for (size_t r = 0; r < n; ++r) w->pscales[r] = w->scales[r];
  } else {
    w->pvalues.assign(total * 16, 0.0f);
  }
  for (size_t s = 0; s < w->slices; ++s) {
    size_t st = w->slice_start[s];
    for (size_t r = 0; r < kSliceRows; ++r) {
      const size_t row = s * kSliceRows + r;
      cur[r] = row < n ? w->row_ptr[row] : 0;
    }
    for (size_t p = 0; p < w->panels; ++p) {
      const int32_t c0 = static_cast<int32_t>(p * kPanelCols);
      const int32_t c1 = static_cast<int32_t>(std::min(k, (p + 1) * kPanelCols));
      for (size_t r = 0; r < kSliceRows; ++r) {
        const size_t row = s * kSliceRows + r;
        if (row >= n) break;
        size_t t = 0;
        for (int32_t j = cur[r]; j < w->row_ptr[row + 1] && w->col_idx[j] < c1; ++j, ++t) {
          const size_t o = (st + t) * 16 + r;
          w->pidx[o] = static_cast<uint8_t>(w->col_idx[j] - c0);
          if (quant) {
            w->pq[o] = w->q[j];
          } else {
            w->pvalues[o] = w->values[j];
          }
          cur[r] = j + 1;
        }
      }
      st += w->steps[s * w->panels + p];
    }
  }
  w->has_panels = true;
}

// bounds[r * (nb + 1) + b]: row r's first non-zero in column block b (its columns are sorted).
void build_col_bounds(PackedCsr* w) {
  const size_t rows = static_cast<size_t>(w->rows);
  const size_t nb = detail::div_up(static_cast<size_t>(w->cols), spmm_detail::kColBlock);
  w->col_bounds.resize(rows * (nb + 1));
  for (size_t r = 0; r < rows; ++r) {
    int32_t j = w->row_ptr[r];
    const int32_t end = w->row_ptr[r + 1];
    int32_t* out = w->col_bounds.data() + r * (nb + 1);
    for (size_t b = 0; b < nb; ++b) {
      const size_t c0 = b * spmm_detail::kColBlock;
      while (j < end && static_cast<size_t>(w->col_idx[static_cast<size_t>(j)]) < c0) ++j;
      out[b] = j;
    }
    out[nb] = end;
  }
  w->col_blocks = nb;
}

}  // namespace

Status csr_pack(const CsrInput& in, PackedCsr** out) {
  if (out == nullptr) return Status::kInvalidArgument;
  *out = nullptr;
  if (in.rows < 0 || in.cols < 0 || in.rows > INT32_MAX || in.cols > INT32_MAX || !in.row_ptr)
    return Status::kInvalidArgument;
  const int64_t nnz = in.row_ptr[in.rows];
  if (csr_validate(in.rows, in.cols, in.row_ptr, in.col_idx, nnz) != Status::kOk)
    return Status::kInvalidArgument;
  if (nnz > 0 && (in.values == nullptr) == (in.qvalues == nullptr)) return Status::kInvalidArgument;
  if (in.qvalues != nullptr && in.scales == nullptr) return Status::kInvalidArgument;
  PackedCsr* w = new (std::nothrow) PackedCsr;
  if (w == nullptr) return Status::kOutOfMemory;
  try {
    w->rows = in.rows;
    w->cols = in.cols;
    w->row_ptr.assign(in.row_ptr, in.row_ptr + in.rows + 1);
    w->col_idx.assign(in.col_idx, in.col_idx + nnz);
    if (in.qvalues != nullptr) {
      w->q.assign(in.qvalues, in.qvalues + nnz);
      w->scales.assign(in.scales, in.scales + in.rows);
    } else {
      w->values.assign(in.values, in.values + nnz);
    }
    if (panels_useful() && w->rows > 0 && w->cols > 0) build_panels(w);
    // Column blocks only for density <= 1/3: denser rows walk X^T almost in order, which the
    // hardware prefetchers already serve, and the blocked walk measured slower there
    // (3072 x 768, m = 64, 50-60% sparse: 41-46 -> 33-37 GFLOP/s; 65-90%: 44-50 -> 54-60).
    if (blocks_useful() && static_cast<size_t>(w->cols) > spmm_detail::kColBlock &&
        nnz * 3 <= w->rows * w->cols)
      build_col_bounds(w);
  } catch (...) {
    delete w;
    return Status::kOutOfMemory;
  }
  *out = w;
  return Status::kOk;
}

void csr_packed_free(PackedCsr* w) { delete w; }

void csr_packed_dims(const PackedCsr* w, int64_t* rows, int64_t* cols) {
  *rows = w ? w->rows : 0;
  *cols = w ? w->cols : 0;
}

int64_t csr_packed_bytes(const PackedCsr* w) {
  if (w == nullptr) return 0;
  return static_cast<int64_t>(w->row_ptr.size() * 4 + w->col_idx.size() * 4 + w->values.size() * 4 +
                              w->scales.size() * 4 + w->q.size() + w->steps.size() +
                              w->slice_start.size() * sizeof(size_t) + w->pidx.size() +
                              w->pvalues.size() * 4 + w->pq.size() + w->pscales.size() * 4 +
                              w->col_bounds.size() * 4);
}

Status spmm_packed(const PackedCsr* w, int64_t m, const float* x, int64_t ldx, float* y,
                   int64_t ldy, const float* bias, bool relu) {
  if (w == nullptr) return Status::kInvalidArgument;
  const SpmmUkernel& uk = select_ukernel();
  if (m == 1 && w->has_panels && uk.panel_gemv != nullptr) {
    if (x == nullptr || y == nullptr || ldx < w->cols || ldy < w->rows) return Status::kInvalidArgument;
    spmm_detail::PanelCsr pc{static_cast<size_t>(w->rows), static_cast<size_t>(w->cols), w->slices, w->panels,
                             w->steps.data(), w->slice_start.data(), w->pidx.data(),
                             w->pvalues.empty() ? nullptr : w->pvalues.data(),
                             w->pq.empty() ? nullptr : w->pq.data(),
                             w->pscales.empty() ? nullptr : w->pscales.data()};
    if (pc.values == nullptr && pc.q == nullptr) {
      // No stored values at all (nnz == 0): y = bias.
      for (int64_t j = 0; j < w->rows; ++j) y[j] = epilogue(0.0f, bias, static_cast<size_t>(j), relu);
      return Status::kOk;
    }
    const int threads = get_num_threads();
    const size_t steps = w->slice_start[w->slices];
    size_t tasks = 1;
    if (threads > 1 && static_cast<double>(steps) * 16 >= kMinParallelMacs)
      tasks = std::min<size_t>(static_cast<size_t>(threads), w->slices);
    parallel_for(static_cast<std::ptrdiff_t>(tasks), [&](std::ptrdiff_t t) {
      // Equal step counts per task.
      auto bound = [&](size_t i) {
        if (i == tasks) return w->slices;
        const size_t target = steps * i / tasks;
        return static_cast<size_t>(std::lower_bound(w->slice_start.begin(), w->slice_start.end(), target) - w->slice_start.begin());
      };
      const size_t s0 = std::min(bound(static_cast<size_t>(t)), w->slices);
      const size_t s1 = std::max(s0, std::min(bound(static_cast<size_t>(t) + 1), w->slices));
      if (s0 >= s1) return;
      uk.panel_gemv(pc, s0, s1, x, y);
      if (bias || relu) {
        const size_t r1 = std::min(static_cast<size_t>(w->rows), s1 * kSliceRows);
        for (size_t j = s0 * kSliceRows; j < r1; ++j) y[j] = epilogue(y[j], bias, j, relu);
      }
    });
    return Status::kOk;
  }
  SpmmParams p;
  p.m = m;
  p.n = w->rows;
  p.k = w->cols;
  p.row_ptr = w->row_ptr.data();
  p.col_idx = w->col_idx.data();
  if (!w->q.empty() || !w->scales.empty()) {
    p.qvalues = w->q.data();
    p.scales = w->scales.data();
  } else {
    p.values = w->values.data();
  }
  p.x = x;
  p.ldx = ldx;
  p.y = y;
  p.ldy = ldy;
  p.bias = bias;
  p.relu = relu;
  return spmm_run(p, w->col_bounds.empty() ? nullptr : w->col_bounds.data(), w->col_blocks);
}

}  // namespace nnslim
