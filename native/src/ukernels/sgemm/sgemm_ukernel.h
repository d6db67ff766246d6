// Internal interface between the ISA-free sgemm driver (ops/sgemm.cc) and the per-ISA
// micro-kernels (ukernels/sgemm/<isa>.cc). Not part of the public API.
//
// Packed layouts (all panels zero-padded to the full tile, so kernels never branch on
// edges inside the k loop):
//   A micro-panel: MR rows x kc, k-major:   ap[k * MR + i] = op(A)[i0 + i][k0 + k]
//   B micro-panel: kc x NR columns, k-major: bp[k * NR + j] = op(B)[k0 + k][j0 + j]
// A packed B block of nc columns is ceil(nc / NR) micro-panels of kc * NR floats each.
#pragma once

#include <cstddef>
#include <cstdint>

#include "nnslim/cpu.h"

namespace nnslim {
namespace sgemm_detail {

// What a kernel does with its accumulator `acc` (the dot products over its kc) when it
// stores the tile:  v = alpha * acc;  if (beta != 0) v += beta * C;  if (bias) v += bias[j];
// if (relu) v = (v < 0 ? 0 : v);  C = v.  The driver passes the user's beta for the first k
// block and beta = 1 for later ones, and bias/relu only with the last k block.
struct Epilogue {
  float alpha;
  float beta;          // 0: C is write-only (never read, so NaN in C is ignored)
  const float* bias;   // null, or the bias of the tile's first column
  bool relu;
  // Not part of the epilogue: null, or the start of kc * 64 bytes that the driver will read
  // soon (the source of the next B block). A kernel may prefetch them into L2, one cache
  // line per k step, to overlap that memory traffic with its arithmetic. Prefetches never
  // fault, so the range need not be valid memory.
  const char* prefetch = nullptr;
};

// C[mr x nr] (row stride ldc) = epilogue(packed A micro-panel * packed B micro-panel).
// 1 <= mr <= MR, 1 <= nr <= NR, kc >= 1. b is 64-byte aligned (a need not be). Writes only
// the mr x nr tile of C.
using GemmFn = void (*)(size_t mr, size_t nr, size_t kc, const float* a, const float* b,
                        float* c, size_t ldc, const Epilogue& ep);

// Packs rows [0, kc) x columns [0, nc) of op(B) into ceil(nc / NR) micro-panels at bp
// (64-byte aligned), zero-padding the last panel's columns. `b` points at op(B)[k0][j0]:
// element (k, j) is b[k * ldb + j] (trans_b = false) or b[j * ldb + k] (trans_b = true).
using PackBFn = void (*)(size_t kc, size_t nc, const float* b, size_t ldb, bool trans_b,
                         float* bp);

// Packs rows [0, mr) x columns [0, kc) of op(A) into one micro-panel at ap, zero-padding
// rows mr..MR-1. `a` points at op(A)[i0][k0]: element (i, k) is a[i * lda + k]
// (trans_a = false) or a[k * lda + i] (trans_a = true).
using PackAFn = void (*)(size_t mr, size_t kc, const float* a, size_t lda, bool trans_a,
                         float* ap);

// Small-m paths that read op(B) unpacked (m <= kSmallM, the full k in one pass):
// C[m x n] = epilogue(A * op(B)) with A row-major (element (i, k) at a[i * lda + k]).
//   gemv_bt: B is n x k (trans_b = true, the nn.Linear layout): dot products of rows.
//   gemv_bn: B is k x n (trans_b = false).
using SmallFn = void (*)(size_t m, size_t n, size_t k, const float* a, size_t lda,
                         const float* b, size_t ldb, float* c, size_t ldc, const Epilogue& ep);

constexpr size_t kSmallM = 8;

struct SgemmUkernel {
  const char* name;  // f32_gemm_ukernel_<MR>x<NR>__<isa>
  Isa isa;
  int mr, nr;
  GemmFn gemm;
  PackAFn pack_a;    // null: the driver's portable packer
  PackBFn pack_b;    // null: the driver's portable packer
  SmallFn gemv_bt;   // null: the packed path is used for small m too
  SmallFn gemv_bn;
};

// One per ISA file. avx2/avx512 exist only in x86-64 builds, neon only in ARM builds
// (aarch64, and armv7 with NEON + VFPv4).
extern const SgemmUkernel kSgemmScalar;
#if defined(__x86_64__)
extern const SgemmUkernel kSgemmAvx2;
extern const SgemmUkernel kSgemmAvx512;
#endif
#if defined(__aarch64__) || defined(__arm__)
extern const SgemmUkernel kSgemmNeon;
#endif

// Portable packers (ops/sgemm.cc); ISA files may call them for layouts they do not
// specialize.
void pack_a_generic(int mr_tile, size_t mr, size_t kc, const float* a, size_t lda, bool trans_a,
                    float* ap);
void pack_b_generic(int nr_tile, size_t kc, size_t nc, const float* b, size_t ldb, bool trans_b,
                    float* bp);

// Applies the epilogue to one value: the single definition every kernel's tail follows.
inline float apply_epilogue(float acc, float c_old, size_t j, const Epilogue& ep) {
  float v = ep.alpha * acc;
  if (ep.beta != 0.0f) v += ep.beta * c_old;
  if (ep.bias) v += ep.bias[j];
  if (ep.relu) v = v < 0.0f ? 0.0f : v;  // NaN passes through, as in torch.relu
  return v;
}

}  // namespace sgemm_detail
}  // namespace nnslim
