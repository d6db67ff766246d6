// The ISA-free int8 GEMM driver: weight packing, validation, micro-kernel selection,
// per-call epilogue vectors, activation packing and the threaded tile loop.
//
//   pack all of X (MR-row micro-panels + row sums), in parallel over panels
//   tasks = rectangles of (row panels x column tiles); in each task:
//     for each block of column tiles whose packed weights fit in L2
//       for each row panel                      (the A micro-panel stays in L1)
//         for each tile of the block            micro-kernel over the full k + epilogue
//
// The full k is one pass (k <= kQgemmMaxK), so tiles are independent and need no C
// accumulation; every scratch byte lives in one arena of the calling thread.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include "nnslim/cpu.h"
#include "nnslim/qgemm.h"
#include "nnslim/threadpool.h"
#include "scratch.h"
#include "shape.h"
#include "../ukernels/qgemm/qgemm_ukernel.h"

namespace nnslim {

using qgemm_detail::APack;
using qgemm_detail::Domain;
using qgemm_detail::Epilogue;
using qgemm_detail::QgemmUkernel;

namespace {

constexpr size_t kL2Budget = 384 * 1024;   // packed weight bytes per column block
constexpr double kMinParallelMacs = 1 << 19;  // below: the calling thread only
constexpr size_t kTailPad = 1024;             // zero bytes after the packed weights

using detail::div_up;
using detail::round_up;

const QgemmUkernel& select_ukernel() {
#if defined(__x86_64__)
  if (isa_allows(Isa::kAmx)) return qgemm_detail::kQgemmAmx;
  if (isa_allows(Isa::kAvx512Vnni)) return qgemm_detail::kQgemmAvx512Vnni;
  if (isa_allows(Isa::kAvxVnni)) return qgemm_detail::kQgemmAvxVnni;
  if (isa_allows(Isa::kAvx2)) return qgemm_detail::kQgemmAvx2;
#elif defined(__aarch64__)
  if (isa_allows(Isa::kNeonI8mm)) return qgemm_detail::kQgemmNeonI8mm;
  if (isa_allows(Isa::kNeonDot)) return qgemm_detail::kQgemmNeonDot;
  if (isa_allows(Isa::kNeon)) return qgemm_detail::kQgemmNeon;
#elif defined(__arm__)
  if (isa_allows(Isa::kNeon)) return qgemm_detail::kQgemmNeonMull;
#endif
  return qgemm_detail::kQgemmScalar;
}

struct QgemmScratchTag {};

bool finite_positive(float s) { return std::isfinite(s) && s > 0.0f; }

using detail::matrix_ok;

int64_t out_elem_size(QgemmOutput t) {
  return t == QgemmOutput::kUint8 || t == QgemmOutput::kInt8 ? 1 : 4;
}

// Packs rows [0, rows) of X (k columns) into one micro-panel in `layout`, flipping the top
// bit of each byte when flip is set, and writes the row sums of the original values.
void pack_a_panel(const QgemmUkernel& uk, size_t rows, size_t k, size_t k4, const void* a,
                  size_t lda, QDtype type, uint8_t flip, uint8_t* dst, int32_t* row_sum,
                  bool need_row_sum) {
  const size_t mr = static_cast<size_t>(uk.mr);
  const bool s8 = type == QDtype::kInt8;
  for (size_t i = 0; i < rows && need_row_sum; ++i) {
    int32_t sum = 0;
    if (s8) {
      const int8_t* src = static_cast<const int8_t*>(a) + i * lda;
      for (size_t l = 0; l < k; ++l) sum += src[l];
    } else {
      const uint8_t* src = static_cast<const uint8_t*>(a) + i * lda;
      for (size_t l = 0; l < k; ++l) sum += src[l];
    }
    row_sum[i] = sum;
  }
  for (size_t i = rows; i < mr; ++i) row_sum[i] = 0;
  switch (uk.a_pack) {
    case APack::kQuads8: {
      // Whole quads move as 32-bit words; the last partial quad and missing rows are 0.
      const uint32_t flip4 = flip * 0x01010101u;
      const size_t full = k / 4, kq = k4 / 4;
      for (size_t i = 0; i < rows; ++i) {
        const uint8_t* src = static_cast<const uint8_t*>(a) + i * lda;
        uint8_t* d = dst + i * 4;
        for (size_t q = 0; q < full; ++q) {
          uint32_t v;
          std::memcpy(&v, src + 4 * q, 4);
          v ^= flip4;
          std::memcpy(d + q * mr * 4, &v, 4);
        }
        if (full < kq) {
          uint8_t tail[4] = {0, 0, 0, 0};
          for (size_t l = 4 * full; l < k; ++l) tail[l - 4 * full] = src[l] ^ flip;
          std::memcpy(d + full * mr * 4, tail, 4);
        }
      }
      for (size_t i = rows; i < mr; ++i)
        for (size_t q = 0; q < kq; ++q) std::memset(dst + q * mr * 4 + i * 4, 0, 4);
      break;
    }
    case APack::kQuads16: {
      int16_t* d = reinterpret_cast<int16_t*>(dst);
      std::memset(d, 0, mr * k4 * sizeof(int16_t));
      for (size_t i = 0; i < rows; ++i) {
        for (size_t l = 0; l < k; ++l) {
          const int16_t v = s8 ? static_cast<const int8_t*>(a)[i * lda + l]
                               : static_cast<const uint8_t*>(a)[i * lda + l];
          d[(l >> 2) * mr * 4 + i * 4 + (l & 3)] = v;
        }
      }
      break;
    }
    case APack::kRows64: {
      const size_t k64 = round_up(k, 64);
      std::memset(dst, 0, mr * k64);
      for (size_t i = 0; i < rows; ++i) {
        const uint8_t* src = static_cast<const uint8_t*>(a) + i * lda;
        uint8_t* d = dst + i * k64;
        if (flip == 0) {
          std::memcpy(d, src, k);
        } else {
          for (size_t l = 0; l < k; ++l) d[l] = src[l] ^ flip;
        }
      }
      break;
    }
  }
}

size_t a_panel_bytes(const QgemmUkernel& uk, size_t k4) {
  const size_t mr = static_cast<size_t>(uk.mr);
  switch (uk.a_pack) {
    case APack::kQuads8: return round_up(mr * k4, 64);
    case APack::kQuads16: return round_up(mr * k4 * 2, 64);
    case APack::kRows64: return round_up(mr * round_up(k4, 64), 64);
  }
  return 0;
}

void split(size_t count, size_t parts, size_t index, size_t* lo, size_t* hi) {
  const size_t base = count / parts, extra = count % parts;
  *lo = index * base + std::min(index, extra);
  *hi = *lo + base + (index < extra ? 1 : 0);
}

}  // namespace

Status qgemm_pack_weights(const int8_t* w, int64_t n, int64_t k, int64_t ldw,
                          const int32_t* zero_points, bool per_channel, PackedInt8Weights** out) {
  if (out == nullptr) return Status::kInvalidArgument;
  *out = nullptr;
  if (n < 1 || n > kQgemmMaxN || k < 1 || k > kQgemmMaxK || ldw < k || w == nullptr ||
      zero_points == nullptr)
    return Status::kInvalidArgument;
  if (!matrix_ok(n, k, ldw, w, 1)) return Status::kInvalidArgument;
  const int64_t nzp = per_channel ? n : 1;
  for (int64_t j = 0; j < nzp; ++j)
    if (zero_points[j] < -128 || zero_points[j] > 127) return Status::kInvalidArgument;

  const size_t un = static_cast<size_t>(n), uk = static_cast<size_t>(k);
  const size_t k4 = round_up(uk, 4), n16 = round_up(un, 16);
  const size_t data_bytes = round_up(n16 * k4 + kTailPad, 64);
  const size_t vec_bytes = round_up(n16 * sizeof(int32_t), 64);
  auto* pw = new (std::nothrow) PackedInt8Weights();
  if (pw == nullptr) return Status::kOutOfMemory;
  auto* mem = static_cast<uint8_t*>(std::aligned_alloc(64, data_bytes + 3 * vec_bytes));
  if (mem == nullptr) {
    delete pw;
    return Status::kOutOfMemory;
  }
  std::memset(mem, 0, data_bytes + 3 * vec_bytes);
  pw->n = n;
  pw->k = k;
  pw->k4 = static_cast<int64_t>(k4);
  pw->n16 = static_cast<int64_t>(n16);
  pw->per_channel_zero_points = per_channel;
  pw->data = reinterpret_cast<int8_t*>(mem);
  pw->col_sums = reinterpret_cast<int32_t*>(mem + data_bytes);
  pw->zero_points = reinterpret_cast<int32_t*>(mem + data_bytes + vec_bytes);
  pw->col_corr = reinterpret_cast<int32_t*>(mem + data_bytes + 2 * vec_bytes);
  pw->bytes = sizeof(PackedInt8Weights) + data_bytes + 3 * vec_bytes;
  const size_t ldw_u = static_cast<size_t>(ldw);
  for (size_t j = 0; j < un; ++j) {
    const int8_t* row = w + j * ldw_u;
    int8_t* panel = pw->data + (j / 16) * k4 * 16 + (j % 16) * 4;
    int32_t sum = 0;
    for (size_t l = 0; l < uk; ++l) {
      panel[(l / 4) * 64 + (l % 4)] = row[l];
      sum += row[l];
    }
    const int32_t zp = per_channel ? zero_points[j] : zero_points[0];
    pw->col_sums[j] = sum;
    pw->zero_points[j] = zp;
    pw->col_corr[j] = sum - static_cast<int32_t>(k) * zp;
    if (zp != 0) pw->has_zero_points = true;
  }
  *out = pw;
  return Status::kOk;
}

void qgemm_free_weights(PackedInt8Weights* w) {
  if (w == nullptr) return;
  std::free(w->data);
  delete w;
}

const char* qgemm_kernel_name() { return select_ukernel().name; }

Status qgemm_check(const QgemmParams& p) {
  const PackedInt8Weights* w = p.w;
  if (w == nullptr || w->data == nullptr || p.m < 0) return Status::kInvalidArgument;
  if (p.a_type != QDtype::kUint8 && p.a_type != QDtype::kInt8) return Status::kInvalidArgument;
  const int out = static_cast<int>(p.out_type);
  if (out < 0 || out > 3) return Status::kInvalidArgument;
  if (!matrix_ok(p.m, w->k, p.lda, p.a, 1)) return Status::kInvalidArgument;
  if (!matrix_ok(p.m, w->n, p.ldc, p.c, out_elem_size(p.out_type))) return Status::kInvalidArgument;
  int64_t mn = 0, mnk = 0;
  if (__builtin_mul_overflow(p.m, w->n, &mn) || __builtin_mul_overflow(mn, w->k, &mnk))
    return Status::kInvalidArgument;
  const int32_t amin = p.a_type == QDtype::kUint8 ? 0 : -128, amax = amin + 255;
  if ((p.a_scales == nullptr) != (p.a_zero_points == nullptr)) return Status::kInvalidArgument;
  if (p.m == 0) return Status::kOk;
  if (p.a_scales != nullptr) {
    for (int64_t i = 0; i < p.m; ++i) {
      if (!finite_positive(p.a_scales[i])) return Status::kInvalidArgument;
      if (p.a_zero_points[i] < amin || p.a_zero_points[i] > amax) return Status::kInvalidArgument;
    }
  } else {
    if (!finite_positive(p.a_scale)) return Status::kInvalidArgument;
    if (p.a_zero_point < amin || p.a_zero_point > amax) return Status::kInvalidArgument;
  }
  if (p.w_scales == nullptr) return Status::kInvalidArgument;
  const int64_t nws = p.w_scales_per_channel ? w->n : 1;
  for (int64_t j = 0; j < nws; ++j)
    if (!finite_positive(p.w_scales[j])) return Status::kInvalidArgument;
  if (p.bias != nullptr)
    for (int64_t j = 0; j < w->n; ++j)
      if (!std::isfinite(p.bias[j])) return Status::kInvalidArgument;
  if (p.out_type == QgemmOutput::kUint8 || p.out_type == QgemmOutput::kInt8) {
    const int32_t omin = p.out_type == QgemmOutput::kUint8 ? 0 : -128;
    if (!finite_positive(p.out_scale)) return Status::kInvalidArgument;
    if (p.out_zero_point < omin || p.out_zero_point > omin + 255) return Status::kInvalidArgument;
  }
  return Status::kOk;
}

Status qgemm(const QgemmParams& p) {
  const Status st = qgemm_check(p);
  if (st != Status::kOk) return st;
  if (p.m == 0) return Status::kOk;
  const PackedInt8Weights& w = *p.w;
  const QgemmUkernel& uk = select_ukernel();
  const size_t m = static_cast<size_t>(p.m), n = static_cast<size_t>(w.n),
               k = static_cast<size_t>(w.k), k4 = static_cast<size_t>(w.k4),
               n16 = static_cast<size_t>(w.n16);
  const size_t mr_tile = static_cast<size_t>(uk.mr), nr_tile = static_cast<size_t>(uk.nr);
  const size_t m_panels = div_up(m, mr_tile), n_tiles = div_up(n, nr_tile);
  const size_t n_cols = n_tiles * nr_tile;  // per-column vectors cover whole tiles

  // Operand domain: flip the activations' top bit and correct by shift * colsum.
  uint8_t flip = 0;
  int32_t shift = 0;
  if (uk.domain == Domain::kU8 && p.a_type == QDtype::kInt8) {
    flip = 0x80;
    shift = 128;  // the kernel sums (x + 128) * w
  } else if (uk.domain == Domain::kS8 && p.a_type == QDtype::kUint8) {
    flip = 0x80;
    shift = -128;  // the kernel sums (x - 128) * w
  }

  // Scratch: column vectors, row sums, per-row zero points / scales, packed activations.
  const size_t col_bytes = round_up(n_cols * 4, 64);
  const size_t rows_pad = m_panels * mr_tile;
  const size_t row_bytes = round_up(rows_pad * 4, 64);
  const size_t pa = a_panel_bytes(uk, k4);
  const size_t total = 3 * col_bytes + 3 * row_bytes + m_panels * pa;
  uint8_t* arena = static_cast<uint8_t*>(detail::thread_scratch<QgemmScratchTag>().get(total));
  if (arena == nullptr) return Status::kOutOfMemory;
  int32_t* col_term = reinterpret_cast<int32_t*>(arena);
  float* col_scale = reinterpret_cast<float*>(arena + col_bytes);
  float* bias = reinterpret_cast<float*>(arena + 2 * col_bytes);
  int32_t* row_sum = reinterpret_cast<int32_t*>(arena + 3 * col_bytes);
  int32_t* row_zp = reinterpret_cast<int32_t*>(arena + 3 * col_bytes + row_bytes);
  float* row_scale = reinterpret_cast<float*>(arena + 3 * col_bytes + 2 * row_bytes);
  uint8_t* apack = arena + 3 * col_bytes + 3 * row_bytes;

  const bool per_row = p.a_scales != nullptr;
  const uint32_t za = per_row ? 0u : static_cast<uint32_t>(p.a_zero_point);
  for (size_t j = 0; j < n_cols; ++j) {
    if (j < n16) {
      uint32_t t = 0u - za * static_cast<uint32_t>(w.col_corr[j]) -
                   static_cast<uint32_t>(shift) * static_cast<uint32_t>(w.col_sums[j]);
      col_term[j] = static_cast<int32_t>(t);
    } else {
      col_term[j] = 0;
    }
    const float sw = j < n ? (p.w_scales_per_channel ? p.w_scales[j] : p.w_scales[0]) : 1.0f;
    col_scale[j] = per_row ? sw : p.a_scale * sw;
    bias[j] = p.bias != nullptr && j < n ? p.bias[j] : 0.0f;
  }
  for (size_t i = 0; i < rows_pad; ++i) {
    row_zp[i] = per_row && i < m ? p.a_zero_points[i] : 0;
    row_scale[i] = per_row && i < m ? p.a_scales[i] : 1.0f;
  }

  Epilogue base{};
  base.col_term = col_term;
  base.col_corr = w.col_corr;
  base.row_zp = per_row ? row_zp : nullptr;
  base.w_zp = w.has_zero_points ? w.zero_points : nullptr;
  base.row_sum = row_sum;
  base.col_scale = col_scale;
  base.row_scale = per_row ? row_scale : nullptr;
  base.bias = bias;
  base.relu = p.relu;
  base.out = p.out_type;
  base.inv_out_scale = 1.0f;
  base.out_lo = base.out_hi = 0.0f;
  base.out_zp = 0;
  if (p.out_type == QgemmOutput::kUint8 || p.out_type == QgemmOutput::kInt8) {
    const int32_t qmin = p.out_type == QgemmOutput::kUint8 ? 0 : -128;
    base.inv_out_scale = 1.0f / p.out_scale;
    base.out_zp = p.out_zero_point;
    base.out_lo = static_cast<float>(qmin - p.out_zero_point);
    base.out_hi = static_cast<float>(qmin + 255 - p.out_zero_point);
  }
  base.ldc = static_cast<size_t>(p.ldc);
  const size_t out_size = static_cast<size_t>(out_elem_size(p.out_type));

  const int threads = get_num_threads();
  const bool parallel =
      threads > 1 && static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) >= kMinParallelMacs;
  const size_t lda = static_cast<size_t>(p.lda);

  // Pack X.
  auto pack_panels = [&](size_t p0, size_t p1) {
    for (size_t pi = p0; pi < p1; ++pi) {
      const size_t i0 = pi * mr_tile;
      const size_t rows = std::min(mr_tile, m - i0);
      pack_a_panel(uk, rows, k, k4, static_cast<const uint8_t*>(p.a) + i0 * lda, lda,
                   p.a_type, flip, apack + pi * pa, row_sum + i0, w.has_zero_points);
    }
  };
  const size_t pack_tasks = parallel ? std::min<size_t>(static_cast<size_t>(threads), m_panels) : 1;
  if (pack_tasks <= 1) {
    pack_panels(0, m_panels);
  } else {
    parallel_for(static_cast<std::ptrdiff_t>(pack_tasks), [&](std::ptrdiff_t t) {
      size_t p0, p1;
      split(m_panels, pack_tasks, static_cast<size_t>(t), &p0, &p1);
      pack_panels(p0, p1);
    });
  }

  // Task grid: split the column tiles first (each thread keeps its own weights in its L2).
  size_t tn = 1, tm = 1;
  if (parallel) {
    const size_t t = static_cast<size_t>(threads);
    tn = std::min(t, n_tiles);
    tm = std::min(t / tn, m_panels);
  }
  const size_t tasks = tn * tm;
  const size_t w_stride = k4 * 16;
  const size_t tile_w_bytes = nr_tile * k4;
  const size_t block_tiles = std::max<size_t>(1, kL2Budget / tile_w_bytes);

  auto run_task = [&](size_t t) {
    size_t t0, t1, p0, p1;
    split(n_tiles, tn, t % tn, &t0, &t1);
    split(m_panels, tm, t / tn, &p0, &p1);
    for (size_t b0 = t0; b0 < t1; b0 += block_tiles) {
      const size_t b1 = std::min(t1, b0 + block_tiles);
      for (size_t pi = p0; pi < p1; ++pi) {
        const size_t i0 = pi * mr_tile;
        const size_t mr = std::min(mr_tile, m - i0);
        for (size_t tj = b0; tj < b1; ++tj) {
          const size_t j0 = tj * nr_tile;
          const size_t nr = std::min(nr_tile, n - j0);
          Epilogue ep = base;
          ep.col_term += j0;
          ep.col_corr += j0;
          if (ep.w_zp) ep.w_zp += j0;
          ep.col_scale += j0;
          ep.bias += j0;
          ep.row_sum += i0;
          if (ep.row_zp) ep.row_zp += i0;
          if (ep.row_scale) ep.row_scale += i0;
          ep.c = static_cast<uint8_t*>(p.c) + (i0 * base.ldc + j0) * out_size;
          uk.gemm(mr, nr, k4 / 4, apack + pi * pa, w.data + (j0 / 16) * w_stride, w_stride, ep);
        }
      }
    }
  };
  if (tasks <= 1) {
    DenormalGuard guard;
    run_task(0);
  } else {
    parallel_for(static_cast<std::ptrdiff_t>(tasks),
                 [&](std::ptrdiff_t t) { run_task(static_cast<size_t>(t)); });
  }
  return Status::kOk;
}

}  // namespace nnslim
