// Portable quantize / range / dequantize loops: the definitions of quantize_ukernel.h.
#include "quantize_ukernel.h"

namespace nnslim {
namespace quantize_detail {
namespace {

void quantize(const float* x, size_t n, float inv, int32_t zp, int32_t qmin, int32_t qmax, uint8_t* out) {
  for (size_t i = 0; i < n; ++i) out[i] = quantize_one(x[i], inv, zp, qmin, qmax);
}

}  // namespace

const QuantizeUkernel kQuantizeScalar = {"q8_quantize__scalar", Isa::kScalar, quantize, minmax_scalar_tail,
                                         dequantize_scalar_tail};

}  // namespace quantize_detail
}  // namespace nnslim
