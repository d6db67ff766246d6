// Reference ("*_ref") implementations: slow, obvious, single-threaded loops that define
// the numeric contract of each kernel. Tests compare every SIMD variant against them.
#pragma once

#include "nnslim/kernels.h"

namespace nnslim {

// Triple loop in double precision over k, rounded to float once, then alpha/beta/bias/relu
// applied in float in the order documented in kernels.h.
Status sgemm_ref(const SgemmParams& p);

}  // namespace nnslim
