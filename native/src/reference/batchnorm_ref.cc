#include <cmath>
#include <vector>

#include "nnslim/batchnorm.h"
#include "nnslim/reference.h"

namespace nnslim {

Status batchnorm_apply_ref(const BatchnormApplyParams& p) {
  for (int64_t i = 0; i < p.n; ++i)
    for (int64_t c = 0; c < p.c; ++c)
      for (int64_t l = 0; l < p.l; ++l) {
        const int64_t o = (i * p.c + c) * p.l + l;
        float v = (p.x[o] - (p.mean ? p.mean[c] : 0.0f)) * p.scale[c] + p.shift[c];
        if (p.relu) v = v < 0.0f ? 0.0f : v;
        p.y[o] = v;
      }
  return Status::kOk;
}

// Two passes in double: mean, then the biased variance of (x - mean).
Status batchnorm_train_forward_ref(const BatchnormTrainParams& p) {
  const double count = static_cast<double>(p.n * p.l);
  for (int64_t c = 0; c < p.c; ++c) {
    double sum = 0.0, sq = 0.0;
    for (int64_t i = 0; i < p.n; ++i)
      for (int64_t l = 0; l < p.l; ++l) sum += p.x[(i * p.c + c) * p.l + l];
    const double mean = sum / count;
    for (int64_t i = 0; i < p.n; ++i)
      for (int64_t l = 0; l < p.l; ++l) {
        const double d = p.x[(i * p.c + c) * p.l + l] - mean;
        sq += d * d;
      }
    const double var = sq / count;
    const double invstd = 1.0 / std::sqrt(var + static_cast<double>(p.eps));
    if (p.mean) p.mean[c] = static_cast<float>(mean);
    if (p.var) p.var[c] = static_cast<float>(var);
    if (p.invstd) p.invstd[c] = static_cast<float>(invstd);
    if (!p.y) continue;
    const double g = p.gamma ? p.gamma[c] : 1.0, b = p.beta ? p.beta[c] : 0.0;
    for (int64_t i = 0; i < p.n; ++i)
      for (int64_t l = 0; l < p.l; ++l) {
        const int64_t o = (i * p.c + c) * p.l + l;
        float v = static_cast<float>((p.x[o] - mean) * invstd * g + b);
        if (p.relu) v = v < 0.0f ? 0.0f : v;
        p.y[o] = v;
      }
  }
  return Status::kOk;
}

Status batchnorm_backward_ref(const BatchnormBackwardParams& p) {
  const double count = static_cast<double>(p.n * p.l);
  for (int64_t c = 0; c < p.c; ++c) {
    double sg = 0.0, sgx = 0.0;
    const double mean = p.mean[c], is = p.invstd[c], g = p.gamma ? p.gamma[c] : 1.0;
    for (int64_t i = 0; i < p.n; ++i)
      for (int64_t l = 0; l < p.l; ++l) {
        const int64_t o = (i * p.c + c) * p.l + l;
        sg += p.dy[o];
        sgx += static_cast<double>(p.dy[o]) * ((p.x[o] - mean) * is);
      }
    if (p.dbeta) p.dbeta[c] = static_cast<float>(sg);
    if (p.dgamma) p.dgamma[c] = static_cast<float>(sgx);
    if (!p.dx) continue;
    for (int64_t i = 0; i < p.n; ++i)
      for (int64_t l = 0; l < p.l; ++l) {
        const int64_t o = (i * p.c + c) * p.l + l;
        double v = p.dy[o];
        if (p.training) v -= sg / count + (p.x[o] - mean) * is * sgx / count;
        p.dx[o] = static_cast<float>(g * is * v);
      }
  }
  return Status::kOk;
}

}  // namespace nnslim
