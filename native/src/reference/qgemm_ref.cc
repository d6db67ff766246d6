#include <cmath>
#include <cstdint>

#include "nnslim/reference.h"
#include "nnslim/threadpool.h"

namespace nnslim {

namespace {

int32_t qmin_of(QgemmOutput t) { return t == QgemmOutput::kUint8 ? 0 : -128; }
int32_t qmax_of(QgemmOutput t) { return t == QgemmOutput::kUint8 ? 255 : 127; }

}  // namespace

// The literal formula of qgemm.h: exact int64 sum of (x - za)(w - zw), then float32 epilogue.
Status qgemm_ref(const QgemmParams& p, const QgemmRefWeights& w) {
  if (p.m < 0 || w.n < 1 || w.k < 1 || w.k > kQgemmMaxK || w.ldw < w.k) return Status::kInvalidArgument;
  if (p.m == 0) return Status::kOk;
  if (p.a == nullptr || p.lda < w.k || p.c == nullptr || p.ldc < w.n || w.w == nullptr ||
      w.zero_points == nullptr || p.w_scales == nullptr)
    return Status::kInvalidArgument;
  DenormalGuard guard;  // the kernels run with FTZ/DAZ too
  const float inv_so = 1.0f / p.out_scale;
  for (int64_t i = 0; i < p.m; ++i) {
    const int32_t za = p.a_zero_points ? p.a_zero_points[i] : p.a_zero_point;
    const float sa = p.a_scales ? p.a_scales[i] : p.a_scale;
    for (int64_t j = 0; j < w.n; ++j) {
      const int32_t zw = w.per_channel ? w.zero_points[j] : w.zero_points[0];
      int64_t acc = 0;
      for (int64_t l = 0; l < w.k; ++l) {
        const int32_t x = p.a_type == QDtype::kUint8
                              ? static_cast<const uint8_t*>(p.a)[i * p.lda + l]
                              : static_cast<const int8_t*>(p.a)[i * p.lda + l];
        acc += static_cast<int64_t>(x - za) * (w.w[j * w.ldw + l] - zw);
      }
      const int32_t r = static_cast<int32_t>(acc);
      const int64_t o = i * p.ldc + j;
      if (p.out_type == QgemmOutput::kInt32) {
        static_cast<int32_t*>(p.c)[o] = r;
        continue;
      }
      const float sw = p.w_scales_per_channel ? p.w_scales[j] : p.w_scales[0];
      const float mult = sa * sw;
      float y = std::fma(static_cast<float>(r), mult, p.bias ? p.bias[j] : 0.0f);
      if (p.relu) y = y > 0.0f ? y : 0.0f;
      if (p.out_type == QgemmOutput::kFloat32) {
        static_cast<float*>(p.c)[o] = y;
        continue;
      }
      float q = std::nearbyint(y * inv_so) + static_cast<float>(p.out_zero_point);
      q = std::fmin(std::fmax(q, static_cast<float>(qmin_of(p.out_type))),
                    static_cast<float>(qmax_of(p.out_type)));
      if (p.out_type == QgemmOutput::kUint8) {
        static_cast<uint8_t*>(p.c)[o] = static_cast<uint8_t>(q);
      } else {
        static_cast<int8_t*>(p.c)[o] = static_cast<int8_t>(q);
      }
    }
  }
  return Status::kOk;
}

}  // namespace nnslim
