// Fused batch normalization over float32 [N, C] or [N, C, L] tensors (row-major, contiguous;
// [N, C] is L = 1). Channel c of sample i is x[(i * C + c) * L + l]. Per-channel statistics
// are taken over the N * L values of a channel (PyTorch BatchNorm1d).
#pragma once

#include <cstdint>

#include "nnslim/kernels.h"

namespace nnslim {

// Inference (and the normalize step of training): y = (x - mean[c]) * scale[c] + shift[c]
// (mean null: 0, i.e. y = x * scale + shift), then max(0, .) if relu (NaN passes through).
// One pass; y may equal x (in place) but must not partially overlap it. Computed as PyTorch's
// CPU kernel does, y = x * scale + (shift - mean * scale) with the constant term taken in
// double and rounded once: the error is about ulp(|x * scale| + |mean * scale| + |shift|),
// like PyTorch's, and the loop needs two parameter loads per element instead of three.
struct BatchnormApplyParams {
  int64_t n = 0, c = 0, l = 1;
  const float* x = nullptr;
  float* y = nullptr;
  const float* mean = nullptr;
  const float* scale = nullptr;
  const float* shift = nullptr;
  bool relu = false;
};
Status batchnorm_apply(const BatchnormApplyParams& p);

// Training forward. Batch statistics per channel: mean and the biased variance, from one
// pass of shifted sums (pivot = the channel's first value) accumulated in float over blocks
// of at most 64 values per channel and combined in double, so the error does not grow with
// N * L. Then y = x * a + (beta - mean * a), a = invstd * gamma (gamma/beta null: 1 and 0;
// the alpha / beta form of batchnorm_apply), ReLU optional, invstd = 1 / sqrt(var + eps)
// (var + eps rounded to float, then a correctly rounded float square root and division).
// Writes mean[c], var[c] (biased) and invstd[c] (any may be null); running statistics are the
// caller's business. N * L >= 1. Two passes over x: statistics, then normalize.
struct BatchnormTrainParams {
  int64_t n = 0, c = 0, l = 1;
  const float* x = nullptr;
  float* y = nullptr;  // may be null: statistics only
  const float* gamma = nullptr;
  const float* beta = nullptr;
  float eps = 1e-5f;
  bool relu = false;
  float* mean = nullptr;
  float* var = nullptr;
  float* invstd = nullptr;
};
Status batchnorm_train_forward(const BatchnormTrainParams& p);

// Backward of y = (x - mean) * invstd * gamma + beta (no ReLU: mask dy first).
//   dbeta[c] = sum dy;  dgamma[c] = sum dy * xhat,  xhat = (x - mean) * invstd;
//   training (batch statistics):  dx = gamma * invstd * (dy - dbeta / M - xhat * dgamma / M),
//   M = N * L;  eval (running statistics, constants): dx = dy * gamma * invstd.
// gamma null means 1; dx, dgamma, dbeta may each be null. One reduction pass, one dx pass.
struct BatchnormBackwardParams {
  int64_t n = 0, c = 0, l = 1;
  const float* x = nullptr;
  const float* dy = nullptr;
  const float* mean = nullptr;
  const float* invstd = nullptr;
  const float* gamma = nullptr;
  bool training = true;
  float* dx = nullptr;
  float* dgamma = nullptr;
  float* dbeta = nullptr;
};
Status batchnorm_backward(const BatchnormBackwardParams& p);

const char* batchnorm_kernel_name();

}  // namespace nnslim
