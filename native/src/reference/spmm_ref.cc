#include "nnslim/reference.h"
#include "nnslim/sparse.h"

namespace nnslim {

Status spmm_ref(const SpmmParams& p) {
  const Status s = spmm_check(p);
  if (s != Status::kOk) return s;
  for (int64_t i = 0; i < p.m; ++i) {
    for (int64_t r = 0; r < p.n; ++r) {
      double acc = 0.0;
      for (int32_t j = p.row_ptr[r]; j < p.row_ptr[r + 1]; ++j) {
        const double w = p.qvalues ? static_cast<double>(p.qvalues[j]) : p.values[j];
        acc += w * static_cast<double>(p.x[i * p.ldx + p.col_idx[j]]);
      }
      float v = p.qvalues ? static_cast<float>(acc * p.scales[r]) : static_cast<float>(acc);
      if (p.bias) v += p.bias[r];
      if (p.relu) v = v < 0.0f ? 0.0f : v;
      p.y[i * p.ldy + r] = v;
    }
  }
  return Status::kOk;
}

}  // namespace nnslim
