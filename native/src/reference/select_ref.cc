// Sort-based oracles of select.h.
#include <algorithm>
#include <cmath>
#include <vector>

#include "nnslim/reference.h"
#include "nnslim/select.h"

namespace nnslim {

Status kth_smallest_magnitude_ref(const float* x, const uint8_t* mask, size_t n, size_t k,
                                  float* value, size_t* less) {
  if (value == nullptr || less == nullptr || (n > 0 && x == nullptr)) return Status::kInvalidArgument;
  std::vector<float> mags;
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(x[i])) return Status::kInvalidArgument;
    if (mask == nullptr || mask[i] != 0) mags.push_back(std::fabs(x[i]));
  }
  if (k >= mags.size()) return Status::kInvalidArgument;
  std::sort(mags.begin(), mags.end());
  *value = mags[k];
  *less = static_cast<size_t>(std::lower_bound(mags.begin(), mags.end(), mags[k]) - mags.begin());
  return Status::kOk;
}

Status magnitude_prune_mask_ref(const float* x, uint8_t* mask, size_t n, float threshold,
                                size_t ties, size_t* ties_left) {
  if (ties_left == nullptr || (n > 0 && (x == nullptr || mask == nullptr)) || std::isnan(threshold))
    return Status::kInvalidArgument;
  const double t = std::fabs(static_cast<double>(threshold));
  for (size_t i = 0; i < n; ++i) {
    if (mask[i] == 0) continue;
    const double a = std::fabs(static_cast<double>(x[i]));
    if (a < t) {
      mask[i] = 0;
    } else if (a == t && ties > 0) {
      mask[i] = 0;
      --ties;
    } else {
      mask[i] = 1;
    }
  }
  *ties_left = ties;
  return Status::kOk;
}

}  // namespace nnslim
