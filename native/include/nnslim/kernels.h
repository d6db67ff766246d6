// Public kernel entry points of the nnslim kernel library. Plain C++17: raw pointers,
// element strides, a params struct per op, caller-allocated outputs and a Status return.
// Nothing here knows about Node-API. Every entry point dispatches on the active ISA level
// (cpu.h), runs on the kernel thread pool (threadpool.h) and flushes denormals.
#pragma once

#include <cstdint>

namespace nnslim {

enum class Status : int {
  kOk = 0,
  kInvalidArgument = 1,  // a size, stride or pointer that the contract forbids
  kOutOfMemory = 2,
  kUnsupported = 3,
};

const char* status_message(Status s);

// C = alpha * op(A) * op(B) + beta * C (+ bias[j]) (then max(0, .) if relu), row-major.
//   op(A) is m x k: A is m x k with row stride lda (trans_a = false) or k x m (trans_a = true).
//   op(B) is k x n: B is k x n with row stride ldb (trans_b = false) or n x k (trans_b = true).
//   C is m x n with row stride ldc. When beta == 0, C is write-only (NaN in C is ignored,
//   as in BLAS). bias is null or n floats, added after the alpha/beta combination.
// Sizes may be zero (k == 0 gives C = beta * C + bias). Leading dimensions must be at least
// the row length of the stored matrix (and >= 1).
// Numerics: float32 accumulation in an unspecified order (blocked over k); the result is
// within a bound that grows with k and max|a|*|b| of the reference below.
// Threads: safe to call from several threads at once (scratch memory belongs to the
// calling thread, allocated before C is written; kOutOfMemory leaves C untouched).
struct SgemmParams {
  bool trans_a = false;
  bool trans_b = false;
  int64_t m = 0, n = 0, k = 0;
  float alpha = 1.0f;
  float beta = 0.0f;
  const float* a = nullptr;
  int64_t lda = 0;
  const float* b = nullptr;
  int64_t ldb = 0;
  float* c = nullptr;
  int64_t ldc = 0;
  const float* bias = nullptr;
  bool relu = false;
};

Status sgemm(const SgemmParams& p);
// Validates sizes and strides (the checks sgemm also does); kOk when p is acceptable.
Status sgemm_check(const SgemmParams& p);
// Name of the micro-kernel sgemm uses at the active ISA level.
const char* sgemm_kernel_name();

}  // namespace nnslim
