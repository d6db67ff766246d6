// Internal interface between the ISA-free batchnorm driver (ops/batchnorm.cc) and the
// per-ISA streaming kernels (ukernels/batchnorm/<isa>.cc). Not part of the public API.
//
// "vec" kernels walk a run of channels (per-element parameter arrays, the [N, C] layout),
// "bc" kernels walk a run of one channel (broadcast parameters, the [N, C, L] layout).
// Float accumulators in the vec reductions cover at most kBlockRows rows before the kernel
// adds them to double totals, so rounding error does not grow with N.
#pragma once

#include <cstddef>

#include "nnslim/cpu.h"

namespace nnslim {
namespace batchnorm_detail {

constexpr size_t kBlockRows = 64;

// How the statistics kernel walks a block: kCache, rows of a cache-resident tensor (kGroup
// channel vectors side by side, 8 rows at a time); kRuns, the driver's page-column runs (whole
// vectors, aligned); kStream, a tensor larger than the cache (one vector per step).
enum class ReduceShape { kCache, kRuns, kStream };

struct BatchnormUkernel {
  const char* name;
  Isa isa;
  // For rows r < nrows (row stride ld): y[r*ld + i] = x[r*ld + i] * a[i] + b[i] (relu);
  // stream: non-temporal stores for outputs larger than the cache.
  void (*apply_vec)(size_t n, size_t nrows, size_t ld, const float* x, const float* a,
                    const float* b, float* y, bool relu, bool stream);
  void (*apply_bc)(size_t n, const float* x, float a, float b, float* y, bool relu, bool stream);
  // For rows r < nrows <= kBlockRows (row stride ld): d = x[r*ld + i] - p[i]; s1[i] += d;
  // s2[i] += d*d, summed in float over the block (f1, f2: n floats of scratch), then added to
  // the double totals.
  void (*stats_vec)(size_t n, size_t nrows, size_t ld, const float* x, const float* p, float* f1,
                    float* f2, double* s1, double* s2, ReduceShape shape);
  // s1 += sum(x - p), s2 += sum((x - p)^2) over a contiguous run (double totals).
  void (*stats_bc)(size_t n, const float* x, float p, double* s1, double* s2);
  // Per channel j < c: s1[j] = pivot[j] + s1[j] * inv_count (the mean), s2[j] = the biased
  // variance max(0, s2[j] * inv_count - (s1[j] * inv_count)^2), invstd[j] = 1 / sqrt(var + eps).
  void (*stats_params)(size_t c, double* s1, double* s2, const float* pivot, double inv_count,
                       double eps, float* invstd);
  // For rows r < nrows <= kBlockRows: g = dy[r*ld + i]; sg[i] += g;
  // sgx[i] += g * (x[r*ld + i] - mean[i]), in float over the block, then added in double.
  void (*bwd_reduce_vec)(size_t n, size_t nrows, size_t ld, const float* dy, const float* x,
                         const float* mean, float* f1, float* f2, double* sg, double* sgx, bool stream);
  void (*bwd_reduce_bc)(size_t n, const float* dy, const float* x, float mean, double* sg,
                        double* sgx);
  // dx[i] = (dy[i] - ((x[i] - m[i]) * q[i] + d[i])) * k[i]   (bc: scalar m, q, d, k)
  void (*bwd_apply_vec)(size_t n, const float* dy, const float* x, const float* m, const float* q,
                        const float* d, const float* k, float* dx);
  void (*bwd_apply_bc)(size_t n, const float* dy, const float* x, float m, float q, float d,
                       float k, float* dx);
};

extern const BatchnormUkernel kBatchnormScalar;
#if defined(__x86_64__)
extern const BatchnormUkernel kBatchnormAvx2;
extern const BatchnormUkernel kBatchnormAvx512;
#endif
#if defined(__aarch64__) || defined(__arm__)
extern const BatchnormUkernel kBatchnormNeon;
#endif

}  // namespace batchnorm_detail
}  // namespace nnslim
