#include <cmath>
#include <cstdint>

#include "nnslim/reference.h"

namespace nnslim {

namespace {

// PyTorch's vectorized quantize (x86): t = value * inv_scale; cvtps_epi32(t) + zero_point,
// clamped; the int32 conversion of NaN or of t >= 2^31 gives INT_MIN, hence qmin.
template <typename T>
T quantize_one(float x, float inv_scale, int32_t zp, int32_t qmin, int32_t qmax) {
  const float t = x * inv_scale;
  if (!(t < 2147483648.0f)) return static_cast<T>(qmin);
  float v = static_cast<float>(zp) + std::nearbyint(t);
  v = std::fmin(std::fmax(v, static_cast<float>(qmin)), static_cast<float>(qmax));
  return static_cast<T>(v);
}

template <typename T>
void quantize_range(const float* x, size_t n, float scale, int32_t zp, T* out) {
  const int32_t qmin = static_cast<T>(-1) < 0 ? -128 : 0, qmax = qmin + 255;
  const float inv = 1.0f / scale;
  for (size_t i = 0; i < n; ++i) out[i] = quantize_one<T>(x[i], inv, zp, qmin, qmax);
}

bool scale_ok(float s) { return std::isfinite(s) && s > 0.0f; }

}  // namespace

Status quantize_per_tensor_ref(const float* x, size_t n, float scale, int32_t zero_point,
                               QDtype type, void* out) {
  return quantize_per_channel_ref(x, 1, 1, n, &scale, &zero_point, type, out);
}

Status quantize_per_channel_ref(const float* x, size_t outer, size_t channels, size_t inner,
                                const float* scales, const int32_t* zero_points, QDtype type,
                                void* out) {
  for (size_t c = 0; c < channels; ++c)
    if (!scale_ok(scales[c])) return Status::kInvalidArgument;
  for (size_t o = 0; o < outer; ++o) {
    for (size_t c = 0; c < channels; ++c) {
      const size_t off = (o * channels + c) * inner;
      if (type == QDtype::kUint8) {
        quantize_range(x + off, inner, scales[c], zero_points[c], static_cast<uint8_t*>(out) + off);
      } else {
        quantize_range(x + off, inner, scales[c], zero_points[c], static_cast<int8_t*>(out) + off);
      }
    }
  }
  return Status::kOk;
}

Status dequantize_per_channel_ref(const void* q, size_t outer, size_t channels, size_t inner,
                                  QDtype type, const float* scales, const int32_t* zero_points,
                                  float* out) {
  for (size_t o = 0; o < outer; ++o) {
    for (size_t c = 0; c < channels; ++c) {
      for (size_t i = 0; i < inner; ++i) {
        const size_t idx = (o * channels + c) * inner + i;
        const int32_t v = type == QDtype::kUint8 ? static_cast<const uint8_t*>(q)[idx]
                                                 : static_cast<const int8_t*>(q)[idx];
        out[idx] = static_cast<float>(static_cast<double>(scales[c]) * (v - zero_points[c]));
      }
    }
  }
  return Status::kOk;
}

Status quantize_dynamic_ref(const float* x, int64_t m, int64_t k, int64_t ldx,
                            int64_t rows_per_group, QDtype type, int32_t qmin, int32_t qmax,
                            void* out, int64_t ldo, float* scales, int32_t* zero_points) {
  if (m < 0 || k < 0 || rows_per_group < 1 || ldx < k || ldo < k) return Status::kInvalidArgument;
  for (int64_t g0 = 0; g0 < m; g0 += rows_per_group) {
    const int64_t g1 = g0 + rows_per_group < m ? g0 + rows_per_group : m;
    float lo = 0.0f, hi = 0.0f;
    bool any = false;
    for (int64_t i = g0; i < g1; ++i) {
      for (int64_t l = 0; l < k; ++l) {
        const float v = x[i * ldx + l];
        if (std::isnan(v)) continue;
        if (!any || v < lo) lo = v;
        if (!any || v > hi) hi = v;
        any = true;
      }
    }
    float scale;
    int32_t zp;
    choose_qparams(lo, hi, qmin, qmax, &scale, &zp);
    const float inv = 1.0f / scale;
    for (int64_t i = g0; i < g1; ++i) {
      for (int64_t l = 0; l < k; ++l) {
        const float v = x[i * ldx + l];
        if (type == QDtype::kUint8) {
          static_cast<uint8_t*>(out)[i * ldo + l] = quantize_one<uint8_t>(v, inv, zp, qmin, qmax);
        } else {
          static_cast<int8_t*>(out)[i * ldo + l] = quantize_one<int8_t>(v, inv, zp, qmin, qmax);
        }
      }
    }
    scales[g0 / rows_per_group] = scale;
    zero_points[g0 / rows_per_group] = zp;
  }
  return Status::kOk;
}

}  // namespace nnslim
