// Quantize / dequantize of large arrays and the fused dynamic quantization of activations:
// the ISA-free driver (validation, per-channel and row-group splitting, threading) over the
// element-wise loops of ukernels/quantize/<isa>.cc, picked at the active ISA level.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "nnslim/cpu.h"
#include "nnslim/qgemm.h"
#include "nnslim/threadpool.h"
#include "../ukernels/quantize/quantize_ukernel.h"

namespace nnslim {

using quantize_detail::QuantizeUkernel;

namespace {

constexpr size_t kChunk = 1 << 16;     // elements per parallel task
constexpr float kSmallScale = 6.1e-5f;  // PyTorch's / FBGEMM's SMALL_SCALE_THRESHOLD

const QuantizeUkernel& select_ukernel() {
#if defined(__x86_64__)
  if (isa_allows(Isa::kAvx512)) return quantize_detail::kQuantizeAvx512;
  if (isa_allows(Isa::kAvx2)) return quantize_detail::kQuantizeAvx2;
#elif defined(__aarch64__)
  if (isa_allows(Isa::kNeon)) return quantize_detail::kQuantizeNeon;
#endif
  return quantize_detail::kQuantizeScalar;
}

bool scale_ok(float s) { return std::isfinite(s) && s > 0.0f; }
int32_t qmin_of(QDtype t) { return t == QDtype::kUint8 ? 0 : -128; }
bool type_ok(QDtype t) { return t == QDtype::kUint8 || t == QDtype::kInt8; }
bool zp_ok(QDtype t, int32_t zp) { return zp >= qmin_of(t) && zp <= qmin_of(t) + 255; }

void quantize_any(const QuantizeUkernel& uk, const float* x, size_t n, float scale, int32_t zp,
                  int32_t qmin, int32_t qmax, void* out) {
  uk.quantize(x, n, 1.0f / scale, zp, qmin, qmax, static_cast<uint8_t*>(out));
}

// Runs fn(c, o) for every (outer, channel) row of `inner` elements, chunked over the pool.
template <typename F>
void for_rows(size_t outer, size_t channels, size_t inner, F fn) {
  const size_t rows = outer * channels;
  const size_t total = rows * inner;
  const int threads = get_num_threads();
  if (threads <= 1 || total < 2 * kChunk) {
    DenormalGuard guard;
    for (size_t r = 0; r < rows; ++r) fn(r % channels, r, 0, inner);
    return;
  }
  if (rows >= static_cast<size_t>(threads)) {
    const size_t per = std::max<size_t>(1, kChunk / std::max<size_t>(inner, 1));
    const size_t tasks = (rows + per - 1) / per;
    parallel_for(static_cast<std::ptrdiff_t>(tasks), [&](std::ptrdiff_t t) {
      const size_t r0 = static_cast<size_t>(t) * per, r1 = std::min(rows, r0 + per);
      for (size_t r = r0; r < r1; ++r) fn(r % channels, r, 0, inner);
    });
    return;
  }
  const size_t pieces = (inner + kChunk - 1) / kChunk;
  parallel_for(static_cast<std::ptrdiff_t>(rows * pieces), [&](std::ptrdiff_t t) {
    const size_t r = static_cast<size_t>(t) / pieces, p = static_cast<size_t>(t) % pieces;
    const size_t i0 = p * kChunk, i1 = std::min(inner, i0 + kChunk);
    fn(r % channels, r, i0, i1);
  });
}

}  // namespace

const char* quantize_kernel_name() { return select_ukernel().name; }

Status quantize_per_tensor(const float* x, size_t n, float scale, int32_t zero_point, QDtype type,
                           void* out) {
  return quantize_per_channel(x, 1, 1, n, &scale, &zero_point, type, out);
}

Status quantize_per_channel(const float* x, size_t outer, size_t channels, size_t inner,
                            const float* scales, const int32_t* zero_points, QDtype type,
                            void* out) {
  if (!type_ok(type) || scales == nullptr || zero_points == nullptr) return Status::kInvalidArgument;
  for (size_t c = 0; c < channels; ++c)
    if (!scale_ok(scales[c]) || !zp_ok(type, zero_points[c])) return Status::kInvalidArgument;
  if (outer * channels * inner == 0) return Status::kOk;
  if (x == nullptr || out == nullptr) return Status::kInvalidArgument;
  const int32_t qmin = qmin_of(type), qmax = qmin + 255;
  const QuantizeUkernel& uk = select_ukernel();
  for_rows(outer, channels, inner, [&](size_t c, size_t r, size_t i0, size_t i1) {
    const size_t off = r * inner + i0;
    quantize_any(uk, x + off, i1 - i0, scales[c], zero_points[c], qmin, qmax,
                 static_cast<uint8_t*>(out) + off);
  });
  return Status::kOk;
}

Status dequantize_per_tensor(const void* q, size_t n, QDtype type, float scale, int32_t zero_point,
                             float* out) {
  return dequantize_per_channel(q, 1, 1, n, type, &scale, &zero_point, out);
}

Status dequantize_per_channel(const void* q, size_t outer, size_t channels, size_t inner,
                              QDtype type, const float* scales, const int32_t* zero_points,
                              float* out) {
  if (!type_ok(type) || scales == nullptr || zero_points == nullptr) return Status::kInvalidArgument;
  for (size_t c = 0; c < channels; ++c)
    if (!scale_ok(scales[c]) || !zp_ok(type, zero_points[c])) return Status::kInvalidArgument;
  if (outer * channels * inner == 0) return Status::kOk;
  if (q == nullptr || out == nullptr) return Status::kInvalidArgument;
  const QuantizeUkernel& uk = select_ukernel();
  for_rows(outer, channels, inner, [&](size_t c, size_t r, size_t i0, size_t i1) {
    const size_t off = r * inner + i0;
    uk.dequantize(static_cast<const uint8_t*>(q) + off, i1 - i0, type == QDtype::kInt8, scales[c],
                  zero_points[c], out + off);
  });
  return Status::kOk;
}

void choose_qparams(float min_val, float max_val, int32_t qmin, int32_t qmax, float* scale_out,
                    int32_t* zero_point_out) {
  float lo = std::isfinite(min_val) ? std::min(min_val, 0.0f) : 0.0f;
  float hi = std::isfinite(max_val) ? std::max(max_val, 0.0f) : 0.0f;
  double scale = (static_cast<double>(hi) - lo) / (static_cast<double>(qmax) - qmin);
  if (static_cast<float>(scale) == 0.0f || std::isinf(1.0f / static_cast<float>(scale))) scale = 0.1;
  if (scale < kSmallScale) {
    const float org = static_cast<float>(scale);
    scale = kSmallScale;
    if (lo == 0.0f) {
      hi = kSmallScale * static_cast<float>(qmax - qmin);
    } else if (hi == 0.0f) {
      lo = -kSmallScale * static_cast<float>(qmax - qmin);
    } else {
      const float amplifier = kSmallScale / org;
      lo *= amplifier;
      hi *= amplifier;
    }
  }
  const double zp_from_min = qmin - lo / scale;
  const double zp_from_max = qmax - hi / scale;
  const double err_min = std::abs(qmin) + std::abs(lo / scale);
  const double err_max = std::abs(qmax) + std::abs(hi / scale);
  const double initial = err_min < err_max ? zp_from_min : zp_from_max;
  int32_t zp;
  if (initial < qmin) {
    zp = qmin;
  } else if (initial > qmax) {
    zp = qmax;
  } else {
    zp = static_cast<int32_t>(std::nearbyint(initial));
  }
  *scale_out = static_cast<float>(scale);
  *zero_point_out = zp;
}

Status quantize_dynamic(const float* x, int64_t m, int64_t k, int64_t ldx, int64_t rows_per_group,
                        QDtype type, int32_t qmin, int32_t qmax, void* out, int64_t ldo,
                        float* scales, int32_t* zero_points) {
  if (!type_ok(type) || m < 0 || k < 0 || rows_per_group < 1 || ldx < std::max<int64_t>(k, 1) ||
      ldo < std::max<int64_t>(k, 1))
    return Status::kInvalidArgument;
  if (qmin < qmin_of(type) || qmax > qmin_of(type) + 255 || qmin >= qmax) return Status::kInvalidArgument;
  if (m == 0) return Status::kOk;
  if (x == nullptr || out == nullptr || scales == nullptr || zero_points == nullptr)
    return Status::kInvalidArgument;
  const size_t um = static_cast<size_t>(m), uk = static_cast<size_t>(k);
  const size_t sx = static_cast<size_t>(ldx), so = static_cast<size_t>(ldo);
  const size_t g = static_cast<size_t>(rows_per_group);
  const size_t groups = (um + g - 1) / g;
  const QuantizeUkernel& ukq = select_ukernel();
  // One pass per group: its range (NaN ignored: it fails both comparisons), its qparams,
  // then the quantization while the rows are still in cache.
  auto run_group = [&](size_t gi, size_t r0, size_t r1, bool write_params, float lo, float hi) {
    (void)gi;
    float scale;
    int32_t zp;
    choose_qparams(lo, hi, qmin, qmax, &scale, &zp);
    for (size_t i = r0; i < r1; ++i)
      quantize_any(ukq, x + i * sx, uk, scale, zp, qmin, qmax, static_cast<uint8_t*>(out) + i * so);
    if (write_params) {
      scales[gi] = scale;
      zero_points[gi] = zp;
    }
  };
  auto range_of = [&](size_t r0, size_t r1, float* lo_out, float* hi_out) {
    float lo = INFINITY, hi = -INFINITY;
    for (size_t i = r0; i < r1; ++i) ukq.minmax(x + i * sx, uk, &lo, &hi);
    *lo_out = lo;
    *hi_out = hi;
  };
  const int threads = get_num_threads();
  const bool big = threads > 1 && um * uk >= 2 * kChunk;
  if (!big || groups >= static_cast<size_t>(threads)) {
    auto body = [&](size_t gi) {
      const size_t r0 = gi * g, r1 = std::min(um, r0 + g);
      float lo, hi;
      range_of(r0, r1, &lo, &hi);
      run_group(gi, r0, r1, true, lo, hi);
    };
    if (!big) {
      DenormalGuard guard;
      for (size_t gi = 0; gi < groups; ++gi) body(gi);
    } else {
      parallel_for(static_cast<std::ptrdiff_t>(groups), [&](std::ptrdiff_t t) { body(static_cast<size_t>(t)); });
    }
    return Status::kOk;
  }
  // Few large groups (per-tensor): a parallel range pass, then a parallel quantize pass.
  const size_t tasks = static_cast<size_t>(threads);
  for (size_t gi = 0; gi < groups; ++gi) {
    const size_t r0 = gi * g, r1 = std::min(um, r0 + g), rows = r1 - r0;
    const size_t parts = std::min(tasks, rows);
    float lo[64], hi[64];
    const size_t used = std::min<size_t>(parts, 64);
    parallel_for(static_cast<std::ptrdiff_t>(used), [&](std::ptrdiff_t t) {
      const size_t a = r0 + rows * static_cast<size_t>(t) / used, b = r0 + rows * (static_cast<size_t>(t) + 1) / used;
      range_of(a, b, &lo[t], &hi[t]);
    });
    float glo = INFINITY, ghi = -INFINITY;
    for (size_t t = 0; t < used; ++t) {
      glo = lo[t] < glo ? lo[t] : glo;
      ghi = hi[t] > ghi ? hi[t] : ghi;
    }
    parallel_for(static_cast<std::ptrdiff_t>(used), [&](std::ptrdiff_t t) {
      const size_t a = r0 + rows * static_cast<size_t>(t) / used, b = r0 + rows * (static_cast<size_t>(t) + 1) / used;
      run_group(gi, a, b, t == 0, glo, ghi);
    });
  }
  return Status::kOk;
}

}  // namespace nnslim
