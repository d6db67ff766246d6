// Fused Adam/AdamW and RMSprop updates (optim.h). Plain loops the compiler vectorizes; each
// variant is a template instance so the hot loop has no per-element option branches.
//
// The results must equal the TypeScript path bit for bit, so no a * b + c may be fused into
// one FMA behind our back (GCC contracts by default where FMA is baseline, e.g. aarch64).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif
#include "nnslim/optim.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "nnslim/threadpool.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <xmmintrin.h>
#endif

namespace nnslim {
namespace {

constexpr size_t kChunk = size_t{1} << 16;

// parallel_for sets FTZ/DAZ; these updates must keep denormals to match JavaScript.
class KeepDenormals {
 public:
  KeepDenormals() {
#if defined(__x86_64__) || defined(_M_X64)
    saved_ = _mm_getcsr();
    _mm_setcsr(saved_ & ~0x8040u);
#elif defined(__aarch64__)
    __asm__ volatile("mrs %0, fpcr" : "=r"(saved_));
    const uint64_t fpcr = saved_ & ~(uint64_t{1} << 24);
    __asm__ volatile("msr fpcr, %0" : : "r"(fpcr));
#elif defined(__arm__) && defined(__ARM_FP)
    __asm__ volatile("vmrs %0, fpscr" : "=r"(saved_));
    const unsigned fpscr = saved_ & ~(1u << 24);  // FZ off (VFP arithmetic keeps denormals)
    __asm__ volatile("vmsr fpscr, %0" : : "r"(fpscr));
#endif
  }
  ~KeepDenormals() {
#if defined(__x86_64__) || defined(_M_X64)
    _mm_setcsr(saved_);
#elif defined(__aarch64__)
    __asm__ volatile("msr fpcr, %0" : : "r"(saved_));
#elif defined(__arm__) && defined(__ARM_FP)
    __asm__ volatile("vmsr fpscr, %0" : : "r"(saved_));
#endif
  }
  KeepDenormals(const KeepDenormals&) = delete;
  KeepDenormals& operator=(const KeepDenormals&) = delete;

 private:
#if defined(__aarch64__)
  uint64_t saved_ = 0;
#else
  unsigned saved_ = 0;
#endif
};

// PyTorch's fused a + b*c, emulated as the TypeScript does: the product of two floats is exact
// in a double, the sum rounds to double and then to float.
inline float fma_emul(float a, float b, float c) {
  return static_cast<float>(static_cast<double>(a) + static_cast<double>(b) * static_cast<double>(c));
}

// Math.max on float32 values: NaN if either is NaN, +0 above -0. Selects only, so it vectorizes:
// equal values differ at most in the sign bit (zeros), and the AND of the bits clears it.
inline float js_max(float a, float b) {
  uint32_t ua, ub;
  std::memcpy(&ua, &a, 4);
  std::memcpy(&ub, &b, 4);
  const uint32_t ueq = ua & ub;
  float eq;
  std::memcpy(&eq, &ueq, 4);
  const float r = a > b ? a : (b > a ? b : eq);
  return (a != a || b != b) ? std::numeric_limits<float>::quiet_NaN() : r;
}

template <bool kMaximize, bool kL2, bool kDecoupled, bool kAmsgrad>
void adam_range(const AdamParams& q, size_t begin, size_t end) {
  float* __restrict p = q.param;
  const float* __restrict g = q.grad;
  float* __restrict m = q.exp_avg;
  float* __restrict v = q.exp_avg_sq;
  float* __restrict vmax = q.max_exp_avg_sq;
  const float b1 = q.beta1, ob1 = q.one_minus_beta1, b2 = q.beta2, ob2 = q.one_minus_beta2;
  const float eps = q.eps, nss = q.neg_step_size, wd = q.weight_decay, decay = q.decay;
  const double rbc2 = q.inv_bc2_sqrt;
  for (size_t i = begin; i < end; ++i) {
    float gi = kMaximize ? -g[i] : g[i];
    float pi = p[i];
    if (kL2) gi = fma_emul(gi, wd, pi);
    if (kDecoupled) pi = pi * decay;
    const float mi = fma_emul(m[i] * b1, ob1, gi);
    m[i] = mi;
    float vi = fma_emul(v[i] * b2, ob2 * gi, gi);
    v[i] = vi;
    if (kAmsgrad) {
      vi = js_max(vmax[i], vi);
      vmax[i] = vi;
    }
    const float denom = static_cast<float>(static_cast<double>(std::sqrt(vi)) * rbc2) + eps;
    p[i] = pi + (nss * mi) / denom;
  }
}

template <bool kMaximize, bool kL2, bool kCentered, bool kMomentum>
void rmsprop_range(const RmspropParams& q, size_t begin, size_t end) {
  float* __restrict p = q.param;
  const float* __restrict g = q.grad;
  float* __restrict sq = q.square_avg;
  float* __restrict ga = q.grad_avg;
  float* __restrict buf = q.momentum_buffer;
  const float a = q.alpha, oa = q.one_minus_alpha, eps = q.eps, wd = q.weight_decay, mom = q.momentum, nlr = q.neg_lr;
  for (size_t i = begin; i < end; ++i) {
    float gi = kMaximize ? -g[i] : g[i];
    if (kL2) gi = fma_emul(gi, wd, p[i]);
    const float si = fma_emul(sq[i] * a, oa * gi, gi);
    sq[i] = si;
    float avg;
    if (kCentered) {
      const float gai = fma_emul(ga[i] * a, oa, gi);
      ga[i] = gai;
      avg = std::sqrt(fma_emul(si, -gai, gai));
    } else {
      avg = std::sqrt(si);
    }
    avg = avg + eps;
    if (kMomentum) {
      const float b = buf[i] * mom + gi / avg;
      buf[i] = b;
      p[i] = fma_emul(p[i], nlr, b);
    } else {
      p[i] = p[i] + (nlr * gi) / avg;
    }
  }
}

template <typename Params>
using RangeFn = void (*)(const Params&, size_t, size_t);

template <bool A, bool B, bool C, bool D>
struct AdamFn {
  static constexpr RangeFn<AdamParams> fn = &adam_range<A, B, C, D>;
};
template <bool A, bool B, bool C, bool D>
struct RmspropFn {
  static constexpr RangeFn<RmspropParams> fn = &rmsprop_range<A, B, C, D>;
};

// Index bits: maximize, l2, then the op's two buffer options.
template <typename Params, template <bool, bool, bool, bool> class F>
RangeFn<Params> pick(bool a, bool b, bool c, bool d) {
  static const RangeFn<Params> table[16] = {
      F<0, 0, 0, 0>::fn, F<0, 0, 0, 1>::fn, F<0, 0, 1, 0>::fn, F<0, 0, 1, 1>::fn,
      F<0, 1, 0, 0>::fn, F<0, 1, 0, 1>::fn, F<0, 1, 1, 0>::fn, F<0, 1, 1, 1>::fn,
      F<1, 0, 0, 0>::fn, F<1, 0, 0, 1>::fn, F<1, 0, 1, 0>::fn, F<1, 0, 1, 1>::fn,
      F<1, 1, 0, 0>::fn, F<1, 1, 0, 1>::fn, F<1, 1, 1, 0>::fn, F<1, 1, 1, 1>::fn,
  };
  return table[(a ? 8 : 0) | (b ? 4 : 0) | (c ? 2 : 0) | (d ? 1 : 0)];
}

template <typename Params>
void run_chunked(const Params& q, RangeFn<Params> fn) {
  const size_t n = q.n;
  if (n <= kChunk) {
    KeepDenormals keep;
    fn(q, 0, n);
    return;
  }
  const auto tasks = static_cast<std::ptrdiff_t>((n + kChunk - 1) / kChunk);
  parallel_for(tasks, [&](std::ptrdiff_t t) {
    KeepDenormals keep;
    const size_t begin = static_cast<size_t>(t) * kChunk;
    fn(q, begin, begin + kChunk < n ? begin + kChunk : n);
  });
}

}  // namespace

Status adam_update(const AdamParams& q) {
  if (q.n == 0) return Status::kOk;
  if (!q.param || !q.grad || !q.exp_avg || !q.exp_avg_sq) return Status::kInvalidArgument;
  const bool amsgrad = q.max_exp_avg_sq != nullptr;
  const bool l2 = !q.decoupled && q.weight_decay != 0.0f;
  run_chunked(q, pick<AdamParams, AdamFn>(q.maximize, l2, q.decoupled, amsgrad));
  return Status::kOk;
}

Status rmsprop_update(const RmspropParams& q) {
  if (q.n == 0) return Status::kOk;
  if (!q.param || !q.grad || !q.square_avg) return Status::kInvalidArgument;
  const bool l2 = q.weight_decay != 0.0f;
  run_chunked(q, pick<RmspropParams, RmspropFn>(q.maximize, l2, q.grad_avg != nullptr, q.momentum_buffer != nullptr));
  return Status::kOk;
}

}  // namespace nnslim
