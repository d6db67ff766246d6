// The ISA-free sgemm driver: validation, micro-kernel selection, cache blocking, packing,
// threading and the small-m paths. Goto/BLIS-style loop nest per task:
//
//   for jc in task columns, step NC          (B block kc x nc stays in L2)
//     for pc in 0..K, step kc (~KC)          pack B block
//       for ir in task rows, step MR         pack one A micro-panel (L1)
//         for jr in 0..nc, step NR           micro-kernel, epilogue on the last pc
//
// Tasks are rectangles of C (a tm x tn grid with tm * tn = threads); each task packs what
// it reads, so tasks need no barrier. All scratch memory is one arena owned by the calling
// thread and carved into per-task slots, allocated before C is touched.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "nnslim/cpu.h"
#include "nnslim/kernels.h"
#include "nnslim/threadpool.h"
#include "../ukernels/sgemm/sgemm_ukernel.h"

namespace nnslim {
namespace sgemm_detail {

void pack_a_generic(int mr_tile, size_t mr, size_t kc, const float* a, size_t lda, bool trans_a,
                    float* ap) {
  const size_t t = static_cast<size_t>(mr_tile);
  if (trans_a) {
    for (size_t k = 0; k < kc; ++k) {
      const float* row = a + k * lda;
      float* dst = ap + k * t;
      for (size_t i = 0; i < mr; ++i) dst[i] = row[i];
      for (size_t i = mr; i < t; ++i) dst[i] = 0.0f;
    }
    return;
  }
  // Walk k in short blocks so the mr source rows are read sequentially and the
  // destination block stays in L1.
  constexpr size_t kBlock = 64;
  for (size_t k0 = 0; k0 < kc; k0 += kBlock) {
    const size_t kn = std::min(kBlock, kc - k0);
    for (size_t i = 0; i < mr; ++i) {
      const float* row = a + i * lda + k0;
      float* dst = ap + k0 * t + i;
      for (size_t k = 0; k < kn; ++k) dst[k * t] = row[k];
    }
    for (size_t i = mr; i < t; ++i)
      for (size_t k = 0; k < kn; ++k) ap[(k0 + k) * t + i] = 0.0f;
  }
}

void pack_b_generic(int nr_tile, size_t kc, size_t nc, const float* b, size_t ldb, bool trans_b,
                    float* bp) {
  const size_t t = static_cast<size_t>(nr_tile);
  const size_t panels = (nc + t - 1) / t;
  for (size_t p = 0; p < panels; ++p) {
    float* dst = bp + p * kc * t;
    const size_t j0 = p * t;
    const size_t w = std::min(t, nc - j0);
    if (!trans_b) {
      for (size_t k = 0; k < kc; ++k) {
        const float* row = b + k * ldb + j0;
        for (size_t j = 0; j < w; ++j) dst[k * t + j] = row[j];
        for (size_t j = w; j < t; ++j) dst[k * t + j] = 0.0f;
      }
    } else {
      for (size_t j = 0; j < w; ++j) {
        const float* col = b + (j0 + j) * ldb;
        for (size_t k = 0; k < kc; ++k) dst[k * t + j] = col[k];
      }
      for (size_t j = w; j < t; ++j)
        for (size_t k = 0; k < kc; ++k) dst[k * t + j] = 0.0f;
    }
  }
}

}  // namespace sgemm_detail

using sgemm_detail::Epilogue;
using sgemm_detail::SgemmUkernel;

namespace {

// Block sizes. KC: the A micro-panel (MR x KC) stays in L1 while B micro-panels stream
// past it; KC x NC (the packed B block) fits in L2.
constexpr size_t kKc = 256;
constexpr size_t kNc = 512;
// Below this many multiply-adds a call runs on the calling thread only.
constexpr double kMinParallelMacs = 1 << 18;

const SgemmUkernel& select_ukernel() {
#if defined(__x86_64__)
  if (isa_allows(Isa::kAvx512)) return sgemm_detail::kSgemmAvx512;
  if (isa_allows(Isa::kAvx2)) return sgemm_detail::kSgemmAvx2;
#elif defined(__aarch64__)
  if (isa_allows(Isa::kNeon)) return sgemm_detail::kSgemmNeon;
#endif
  return sgemm_detail::kSgemmScalar;
}

// A stored rows x cols matrix with row stride ld: ld >= max(1, cols), pointer present when
// the matrix is not empty, and the last element's offset (in bytes) fits int64.
bool matrix_ok(int64_t rows, int64_t cols, int64_t ld, const void* ptr) {
  if (ld < 1 || ld < cols) return false;
  if (rows == 0 || cols == 0) return true;
  if (ptr == nullptr) return false;
  int64_t off = 0;
  if (__builtin_mul_overflow(rows - 1, ld, &off)) return false;
  if (__builtin_add_overflow(off, cols, &off)) return false;
  int64_t bytes = 0;
  return !__builtin_mul_overflow(off, static_cast<int64_t>(sizeof(float)), &bytes);
}

size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }
size_t div_up(size_t x, size_t m) { return (x + m - 1) / m; }

// Growable 64-byte aligned scratch owned by one thread.
class Arena {
 public:
  ~Arena() { std::free(ptr_); }
  float* get(size_t floats) {
    if (floats > cap_) {
      std::free(ptr_);
      cap_ = 0;
      ptr_ = static_cast<float*>(std::aligned_alloc(64, round_up(floats * sizeof(float), 64)));
      if (ptr_ != nullptr) cap_ = floats;
    }
    return ptr_;
  }

 private:
  float* ptr_ = nullptr;
  size_t cap_ = 0;
};

Arena& caller_arena() {
  thread_local Arena arena;
  return arena;
}

// k == 0: C = epilogue(0), i.e. beta * C + bias (then relu).
void scale_c(const SgemmParams& p) {
  DenormalGuard guard;
  const Epilogue ep{p.alpha, p.beta, p.bias, p.relu};
  for (int64_t i = 0; i < p.m; ++i) {
    float* c = p.c + i * p.ldc;
    for (int64_t j = 0; j < p.n; ++j)
      c[j] = sgemm_detail::apply_epilogue(0.0f, c[j], static_cast<size_t>(j), ep);
  }
}

// Splits [0, count) into `parts` contiguous ranges of whole units of `unit`.
void split(size_t count, size_t unit, size_t parts, size_t index, size_t* lo, size_t* hi) {
  const size_t units = div_up(count, unit);
  const size_t base = units / parts, extra = units % parts;
  const size_t u0 = index * base + std::min(index, extra);
  const size_t u1 = u0 + base + (index < extra ? 1 : 0);
  *lo = std::min(count, u0 * unit);
  *hi = std::min(count, u1 * unit);
}

Status small_m(const SgemmParams& p, const SgemmUkernel& uk, const sgemm_detail::SmallFn fn,
               int threads) {
  const size_t m = static_cast<size_t>(p.m), n = static_cast<size_t>(p.n),
               k = static_cast<size_t>(p.k);
  const float* a = p.a;
  size_t lda = static_cast<size_t>(p.lda);
  if (p.trans_a) {  // the small kernels read rows of A: make them contiguous (m * k floats)
    float* t = caller_arena().get(m * k);
    if (t == nullptr) return Status::kOutOfMemory;
    for (size_t l = 0; l < k; ++l)
      for (size_t i = 0; i < m; ++i) t[i * k + l] = p.a[l * lda + i];
    a = t;
    lda = k;
  }
  (void)uk;
  const size_t unit = 64;
  size_t tasks = 1;
  if (threads > 1 && static_cast<double>(m) * n * k >= kMinParallelMacs)
    tasks = std::min<size_t>(static_cast<size_t>(threads), div_up(n, unit));
  const size_t ldb = static_cast<size_t>(p.ldb), ldc = static_cast<size_t>(p.ldc);
  parallel_for(static_cast<std::ptrdiff_t>(tasks), [&](std::ptrdiff_t t) {
    size_t j0, j1;
    split(n, unit, tasks, static_cast<size_t>(t), &j0, &j1);
    if (j0 >= j1) return;
    const Epilogue ep{p.alpha, p.beta, p.bias ? p.bias + j0 : nullptr, p.relu};
    const float* b = p.trans_b ? p.b + j0 * ldb : p.b + j0;
    fn(m, j1 - j0, k, a, lda, b, ldb, p.c + j0, ldc, ep);
  });
  return Status::kOk;
}

Status packed(const SgemmParams& p, const SgemmUkernel& uk, int threads) {
  const size_t m = static_cast<size_t>(p.m), n = static_cast<size_t>(p.n),
               k = static_cast<size_t>(p.k);
  const size_t mr_tile = static_cast<size_t>(uk.mr), nr_tile = static_cast<size_t>(uk.nr);
  const size_t m_panels = div_up(m, mr_tile), n_panels = div_up(n, nr_tile);

  // k blocks of near-equal size (a 257 = 129 + 128 split, not 256 + 1).
  const size_t k_blocks = div_up(k, kKc);
  const size_t kc_max = round_up(div_up(k, k_blocks), 4);

  // Task grid: tm x tn rectangles. The cost model counts, per task and per unit of k, the
  // micro-kernel work plus packing (B once per task, A once per NC column block; the A
  // packer is a strided scalar copy, ~16x the cost of a multiply-add per element).
  size_t tm = 1, tn = 1;
  if (threads > 1 && static_cast<double>(m) * n * k >= kMinParallelMacs) {
    double best = 0;
    for (size_t a = 1; a <= static_cast<size_t>(threads); ++a) {
      if (threads % a != 0) continue;
      const size_t b = static_cast<size_t>(threads) / a;
      if (a > m_panels || b > n_panels) continue;
      const double rows = static_cast<double>(div_up(m_panels, a) * mr_tile);
      const double cols = static_cast<double>(div_up(n_panels, b) * nr_tile);
      const double cost = rows * cols + 2.0 * cols + 16.0 * rows * std::ceil(cols / kNc);
      if (best == 0 || cost < best) {
        best = cost;
        tm = a;
        tn = b;
      }
    }
  }
  const size_t tasks = tm * tn;

  // Per-task scratch: one B block (kc x nc, nc rounded to NR) and one A micro-panel.
  const size_t task_cols = std::min(div_up(n_panels, tn) * nr_tile, round_up(kNc, nr_tile));
  const size_t b_floats = round_up(kc_max * task_cols, 16);
  const size_t a_floats = round_up(kc_max * mr_tile, 16);
  const size_t slot = b_floats + a_floats;
  float* arena = caller_arena().get(slot * tasks);
  if (arena == nullptr) return Status::kOutOfMemory;

  const size_t lda = static_cast<size_t>(p.lda), ldb = static_cast<size_t>(p.ldb),
               ldc = static_cast<size_t>(p.ldc);
  const auto pack_a = uk.pack_a;
  const auto pack_b = uk.pack_b;

  parallel_for(static_cast<std::ptrdiff_t>(tasks), [&](std::ptrdiff_t t) {
    const size_t ti = static_cast<size_t>(t) / tn, tj = static_cast<size_t>(t) % tn;
    size_t i0, i1, j0, j1;
    split(m, mr_tile, tm, ti, &i0, &i1);
    split(n, nr_tile, tn, tj, &j0, &j1);
    if (i0 >= i1 || j0 >= j1) return;
    float* bp = arena + static_cast<size_t>(t) * slot;
    float* ap = bp + b_floats;
    // Column blocks of near-equal width, whole NR panels, at most task_cols wide.
    const size_t col_blocks = div_up(j1 - j0, task_cols);
    const size_t nc_step = round_up(div_up(j1 - j0, col_blocks), nr_tile);
    for (size_t jc = j0; jc < j1; jc += nc_step) {
      const size_t nc = std::min(nc_step, j1 - jc);
      for (size_t pc = 0; pc < k; pc += kc_max) {
        const size_t kc = std::min(kc_max, k - pc);
        const bool first = pc == 0, last = pc + kc == k;
        const float* bsrc = p.trans_b ? p.b + jc * ldb + pc : p.b + pc * ldb + jc;
        if (pack_b) {
          pack_b(kc, nc, bsrc, ldb, p.trans_b, bp);
        } else {
          sgemm_detail::pack_b_generic(uk.nr, kc, nc, bsrc, ldb, p.trans_b, bp);
        }
        Epilogue ep{p.alpha, first ? p.beta : 1.0f, nullptr, last && p.relu};
        for (size_t ir = i0; ir < i1; ir += mr_tile) {
          const size_t mr = std::min(mr_tile, i1 - ir);
          const float* asrc = p.trans_a ? p.a + pc * lda + ir : p.a + ir * lda + pc;
          if (pack_a) {
            pack_a(mr, kc, asrc, lda, p.trans_a, ap);
          } else {
            sgemm_detail::pack_a_generic(uk.mr, mr, kc, asrc, lda, p.trans_a, ap);
          }
          float* crow = p.c + ir * ldc + jc;
          for (size_t jr = 0; jr < nc; jr += nr_tile) {
            const size_t nr = std::min(nr_tile, nc - jr);
            ep.bias = last && p.bias ? p.bias + jc + jr : nullptr;
            uk.gemm(mr, nr, kc, ap, bp + jr * kc, crow + jr, ldc, ep);
          }
        }
      }
    }
  });
  return Status::kOk;
}

}  // namespace

Status sgemm_check(const SgemmParams& p) {
  if (p.m < 0 || p.n < 0 || p.k < 0) return Status::kInvalidArgument;
  const bool a_ok = p.trans_a ? matrix_ok(p.k, p.m, p.lda, p.a) : matrix_ok(p.m, p.k, p.lda, p.a);
  const bool b_ok = p.trans_b ? matrix_ok(p.n, p.k, p.ldb, p.b) : matrix_ok(p.k, p.n, p.ldb, p.b);
  if (!a_ok || !b_ok || !matrix_ok(p.m, p.n, p.ldc, p.c)) return Status::kInvalidArgument;
  int64_t mn = 0, mnk = 0;
  if (__builtin_mul_overflow(p.m, p.n, &mn) || __builtin_mul_overflow(mn, p.k, &mnk))
    return Status::kInvalidArgument;
  return Status::kOk;
}

const char* sgemm_kernel_name() { return select_ukernel().name; }

Status sgemm(const SgemmParams& p) {
  const Status s = sgemm_check(p);
  if (s != Status::kOk) return s;
  if (p.m == 0 || p.n == 0) return Status::kOk;
  if (p.k == 0) {
    scale_c(p);
    return Status::kOk;
  }
  const SgemmUkernel& uk = select_ukernel();
  const int threads = get_num_threads();
  if (static_cast<size_t>(p.m) <= sgemm_detail::kSmallM) {
    const auto fn = p.trans_b ? uk.gemv_bt : uk.gemv_bn;
    if (fn != nullptr) return small_m(p, uk, fn, threads);
  }
  return packed(p, uk, threads);
}

}  // namespace nnslim
