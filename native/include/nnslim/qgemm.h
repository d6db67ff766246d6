// int8 GEMM and quantize / dequantize kernels: the public contract.
//
//   Y[m x n] = epilogue( X[m x k] * W[n x k]^T )          (the nn.Linear layout)
//
// X: uint8 or int8 activations (row stride lda), W: int8 weights packed once by
// qgemm_pack_weights. Every variant accepts both activation types (u8 x s8 is the main path;
// kernels that need unsigned operands, VNNI/AMX/i8mm, add 128 to int8 activations and correct
// through the column sums; NEON dotprod subtracts 128 from uint8 activations likewise).
//
// Numeric rules (bit-exact for every variant; the *_ref functions in reference.h model them):
//   acc[i][j] = sum_k (X[i][k] - za_i) * (W[j][k] - zw_j)          exact integer, must fit int32
//     za_i: activation zero point (per tensor, or per row), zw_j: weight zero point (per
//     tensor or per output channel). Kernels compute it as
//     sum X*W - za_i * (colsum_j - k * zw_j) - zw_j * rowsum_i in wrapping int32 arithmetic,
//     exact because the true value fits (k <= kQgemmMaxK guarantees it).
//   mult[i][j] = float(sa_i * sw_j)                                 float32 product
//   y = fmaf(float(acc), mult, bias_j)                               one rounding (bias 0 if absent)
//   relu: y = y > 0 ? y : 0
//   output kFloat32: y;  kInt32: acc (no scale, bias or relu: for tests and custom epilogues);
//   kUint8 / kInt8: q = clamp(nearbyint(y * inv_so) + zo, qmin, qmax) with inv_so = 1.0f / so
//     in float32, round half to even, saturating: quantize_per_tensor(y, so, zo) below for
//     every |y * inv_so| < 2^31.
// Inputs: scales and bias finite, scales > 0 (checked; NaN/Inf give kInvalidArgument).
// Sizes may be 0 (m == 0 writes nothing). Threads: the kernel pool; FTZ/DAZ on.
#pragma once

#include <cstddef>
#include <cstdint>

#include "nnslim/kernels.h"

namespace nnslim {

enum class QDtype : int32_t { kUint8 = 0, kInt8 = 1 };
enum class QgemmOutput : int32_t { kFloat32 = 0, kUint8 = 1, kInt8 = 2, kInt32 = 3 };

// Largest k: 255 * 255 * k < 2^31 keeps the exact result in int32 for any zero points.
constexpr int64_t kQgemmMaxK = 33025;
constexpr int64_t kQgemmMaxN = int64_t{1} << 31;

// Packed weights: panels of 16 output channels, k in groups of 4 (the vpdpbusd / sdot /
// AMX-B layout that every variant reads):
//   data[p * k4 * 16 + (kk / 4) * 64 + c * 4 + kk % 4] = W[16 p + c][kk]
// for p < n16 / 16, c < 16, kk < k4; zero where 16 p + c >= n or kk >= k.
// k4 = k rounded up to 4 (at least 4), n16 = n rounded up to 16. data is 64-byte aligned and
// followed by 1024 zero bytes (so a 16-quad tile load past the last quad stays in bounds).
// col_sums[j] = sum_k W[j][k]; zero_points[j] = zw_j; col_corr[j] = col_sums[j] - k * zw_j
// (all n16 long, 0 in the padding). Create with qgemm_pack_weights, free with
// qgemm_free_weights; immutable afterwards, so any number of threads may use it at once.
struct PackedInt8Weights {
  int64_t n = 0, k = 0, k4 = 0, n16 = 0;
  bool per_channel_zero_points = false;
  bool has_zero_points = false;  // some zw_j != 0
  int8_t* data = nullptr;
  int32_t* col_sums = nullptr;
  int32_t* zero_points = nullptr;
  int32_t* col_corr = nullptr;
  size_t bytes = 0;  // everything this object owns, for GC accounting
};

// W is n x k int8 with row stride ldw (>= k). zero_points: 1 value (per_channel = false) or
// n values in [-128, 127]. 1 <= n <= kQgemmMaxN, 1 <= k <= kQgemmMaxK.
Status qgemm_pack_weights(const int8_t* w, int64_t n, int64_t k, int64_t ldw,
                          const int32_t* zero_points, bool per_channel, PackedInt8Weights** out);
void qgemm_free_weights(PackedInt8Weights* w);

struct QgemmParams {
  int64_t m = 0;
  QDtype a_type = QDtype::kUint8;
  const void* a = nullptr;  // m x k (k = w->k), row stride lda >= k
  int64_t lda = 0;
  const PackedInt8Weights* w = nullptr;
  // Activation quantization: per tensor (a_scale, a_zero_point) or per row when a_scales /
  // a_zero_points are non-null (both or neither; m values). Zero points in the range of a_type.
  float a_scale = 1.0f;
  int32_t a_zero_point = 0;
  const float* a_scales = nullptr;
  const int32_t* a_zero_points = nullptr;
  // Weight scales: 1 value (w_scales_per_channel = false) or n values.
  const float* w_scales = nullptr;
  bool w_scales_per_channel = false;
  const float* bias = nullptr;  // null or n values
  bool relu = false;
  QgemmOutput out_type = QgemmOutput::kFloat32;
  void* c = nullptr;  // m x n elements of out_type, row stride ldc >= n
  int64_t ldc = 0;
  float out_scale = 1.0f;  // kUint8 / kInt8 only: so > 0 and zo in the type's range
  int32_t out_zero_point = 0;
};

Status qgemm(const QgemmParams& p);
Status qgemm_check(const QgemmParams& p);
// Name of the micro-kernel qgemm uses at the active ISA level.
const char* qgemm_kernel_name();

// ---- quantize / dequantize (PyTorch's CPU arithmetic) ----
// quantize: inv = 1.0f / scale (float32); t = x * inv (float32);
//   q = clamp(nearbyint(t) + zp, qmin, qmax), ties to even; qmin/qmax: the full range of the
//   type. As PyTorch's x86 kernel (whose int32 conversion overflows to INT_MIN), t >= 2^31,
//   +Inf and NaN give qmin; t <= -2^31 and -Inf give qmin by the clamp.
// dequantize: x = float(scale * (q - zp)) (one rounding of the exact product).
// Per channel: x is viewed as [outer, channels, inner] (row-major); channel c uses
// scales[c], zero_points[c].
// Scales finite and > 0 (kInvalidArgument otherwise), zero points in the type's range.
Status quantize_per_tensor(const float* x, size_t n, float scale, int32_t zero_point, QDtype type,
                           void* out);
Status quantize_per_channel(const float* x, size_t outer, size_t channels, size_t inner,
                            const float* scales, const int32_t* zero_points, QDtype type,
                            void* out);
Status dequantize_per_tensor(const void* q, size_t n, QDtype type, float scale,
                             int32_t zero_point, float* out);
Status dequantize_per_channel(const void* q, size_t outer, size_t channels, size_t inner,
                              QDtype type, const float* scales, const int32_t* zero_points,
                              float* out);

// Quantization parameters for the range [min_val, max_val]: PyTorch's
// quant_utils::ChooseQuantizationParams (preserve_sparsity = false), what its dynamic
// quantized Linear uses: the range is widened to include 0; scale = (max - min) /
// (qmax - qmin) in double (0.1 when it is 0 as a float or its float reciprocal overflows),
// raised to 6.1e-5f (widening the range) when smaller; the zero point is qmin - min / scale
// or qmax - max / scale (the one with the smaller error term), clamped to [qmin, qmax] and
// rounded half to even, all with the double scale; *scale = float(scale). Non-finite bounds
// are treated as 0. PyTorch's reduce_range is qmax = 127 (uint8).
void choose_qparams(float min_val, float max_val, int32_t qmin, int32_t qmax, float* scale,
                    int32_t* zero_point);

// Fused dynamic quantization of activations: for each group of rows_per_group consecutive
// rows of X (m x k, row stride ldx; the last group may be shorter), one pass finds the
// range (NaN ignored) and choose_qparams(min, max, qmin, qmax) gives (scale, zero point);
// the group is then quantized with the quantize rule above into out (row stride ldo) and
// scales[g], zero_points[g] are written, g = row / rows_per_group. rows_per_group = m gives
// per-tensor quantization. qmin < qmax within the type's range.
Status quantize_dynamic(const float* x, int64_t m, int64_t k, int64_t ldx, int64_t rows_per_group,
                        QDtype type, int32_t qmin, int32_t qmax, void* out, int64_t ldo,
                        float* scales, int32_t* zero_points);

const char* quantize_kernel_name();

}  // namespace nnslim
