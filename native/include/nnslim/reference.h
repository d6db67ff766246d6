// Reference ("*_ref") implementations: slow, obvious, single-threaded loops that define
// the numeric contract of each kernel. Tests compare every SIMD variant against them.
#pragma once

#include "nnslim/kernels.h"
#include "nnslim/qgemm.h"
#include "nnslim/sparse.h"
#include "nnslim/batchnorm.h"
#include "nnslim/select.h"

namespace nnslim {

// Triple loop in double precision over k, rounded to float once, then alpha/beta/bias/relu
// applied in float in the order documented in kernels.h.
Status sgemm_ref(const SgemmParams& p);

// ---- int8 GEMM and quantize (qgemm.h) ----

// Unpacked weights for qgemm_ref: W is n x k int8 (row stride ldw), zero points 1 or n values.
struct QgemmRefWeights {
  const int8_t* w = nullptr;
  int64_t n = 0, k = 0, ldw = 0;
  const int32_t* zero_points = nullptr;
  bool per_channel = false;
};
// int64 accumulation, then the epilogue of qgemm.h in float32 (fmaf, nearbyint). p.w is
// ignored; the sizes come from `w`.
Status qgemm_ref(const QgemmParams& p, const QgemmRefWeights& w);
Status quantize_per_tensor_ref(const float* x, size_t n, float scale, int32_t zero_point,
                               QDtype type, void* out);
Status quantize_per_channel_ref(const float* x, size_t outer, size_t channels, size_t inner,
                                const float* scales, const int32_t* zero_points, QDtype type,
                                void* out);
Status dequantize_per_channel_ref(const void* q, size_t outer, size_t channels, size_t inner,
                                  QDtype type, const float* scales, const int32_t* zero_points,
                                  float* out);
Status quantize_dynamic_ref(const float* x, int64_t m, int64_t k, int64_t ldx,
                            int64_t rows_per_group, QDtype type, int32_t qmin, int32_t qmax,
                            void* out, int64_t ldo, float* scales, int32_t* zero_points);

// ---- CSR SpMM and batchnorm (sparse.h, batchnorm.h) ----

// Per output: the row's non-zeros in storage order, double accumulation, rounded to float
// once (int8: times the row scale in double first), then + bias, then ReLU.
Status spmm_ref(const SpmmParams& p);
// Plain loops: y = x * scale + shift in float; statistics in double with two passes (mean,
// then the variance of x - mean); backward sums in double.
Status batchnorm_apply_ref(const BatchnormApplyParams& p);
Status batchnorm_train_forward_ref(const BatchnormTrainParams& p);
Status batchnorm_backward_ref(const BatchnormBackwardParams& p);

// ---- magnitude selection (select.h) ----

// Copy the candidates' |x| as float, std::sort, take index k; *less = lower_bound of it.
Status kth_smallest_magnitude_ref(const float* x, const uint8_t* mask, size_t n, size_t k,
                                  float* value, size_t* less);
// The loop of select.h's contract, comparing |x| and |threshold| in double.
Status magnitude_prune_mask_ref(const float* x, uint8_t* mask, size_t n, float threshold,
                                size_t ties, size_t* ties_left);

}  // namespace nnslim
