// The ISA-free sgemm driver: validation, micro-kernel selection, cache blocking, packing,
// threading and the small-m paths (m <= 8: kernels that read B unpacked). Goto/BLIS-style
// loop nests per task, in one of two orders:
//
//   A-major (many rows)                       B-major (<= 512 rows, the nn.Linear case)
//   for ic in task rows, step MC              for ic: pack A over the whole k (mc x k)
//     for pc in 0..K, step kc (~KC)             for jc, narrow (~512 KiB of B over k)
//       pack the A block (mc x kc)                pack B over the whole k (rows of a
//       for jc in task columns, step NC             trans_b B read sequentially)
//         pack the B block (kc x nc, L2)          for pc: for ir: for jr: micro-kernel,
//         for ir (MR), jr (NR): micro-kernel        which prefetches the next jc's B
//
// The A micro-panel (MR x kc) stays in L1 while packed B panels stream past it; the
// epilogue (alpha, beta, bias, relu) is applied when the last k block is stored. Software
// prefetch of the next B source overlaps the memory-bound packing with arithmetic.
// Tasks are rectangles of C (a tm x tn grid, tm * tn <= threads, or twice that along n
// for few rows); each task packs what it reads, so tasks need no barrier. All scratch
// memory is one arena owned by the calling thread and carved into per-task slots,
// allocated before C is touched.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "nnslim/cpu.h"
#include "nnslim/kernels.h"
#include "nnslim/threadpool.h"
#include "scratch.h"
#include "shape.h"
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
// past it from L2, where the packed B block (KC x NC) lives. The packed A block (MC x KC)
// is read one micro-panel at a time (L3/L2) and packed once per k block.
constexpr size_t kKc = 384;
constexpr size_t kNc = 384;
constexpr size_t kMc = 1024;
// B-major loop order (see packed()) for tasks of at most this many rows, while their packed
// A over the whole k stays under this many floats (4 MiB, 16 MiB over all tasks); its B
// column blocks hold about kBMajorBlockFloats (512 KiB) over the whole k.
constexpr size_t kBMajorMaxRows = 512;
constexpr size_t kBMajorMaxFloats = size_t{1} << 20;
constexpr size_t kBMajorBlockFloats = size_t{1} << 17;
// Below this many multiply-adds a call runs on the calling thread only: waking a worker
// costs ~10-50 us, the time of ~1-5 M multiply-adds on one core.
constexpr double kMinParallelMacs = 1 << 21;
// Smallest task worth splitting off when a call is already parallel.
constexpr double kMinTaskMacs = 1 << 23;
// The small-m paths stream B once; below this many elements of B (4 MiB) one core's
// bandwidth finishes it before a second thread would have started.
constexpr double kMinParallelSmallB = 1 << 20;

const SgemmUkernel& select_ukernel() {
#if defined(__x86_64__)
  if (isa_allows(Isa::kAvx512)) return sgemm_detail::kSgemmAvx512;
  if (isa_allows(Isa::kAvx2)) return sgemm_detail::kSgemmAvx2;
#elif defined(__aarch64__) || defined(__arm__)
  if (isa_allows(Isa::kNeon)) return sgemm_detail::kSgemmNeon;
#endif
  return sgemm_detail::kSgemmScalar;
}

using detail::div_up;
using detail::matrix_ok;
using detail::round_up;

struct SgemmScratchTag {};
float* caller_scratch(size_t floats) {
  return static_cast<float*>(detail::thread_scratch<SgemmScratchTag>().get(floats * sizeof(float)));
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

Status small_m(const SgemmParams& p, const sgemm_detail::SmallFn fn, int threads) {
  const size_t m = static_cast<size_t>(p.m), n = static_cast<size_t>(p.n),
               k = static_cast<size_t>(p.k);
  const float* a = p.a;
  size_t lda = static_cast<size_t>(p.lda);
  if (p.trans_a) {  // the small kernels read rows of A: make them contiguous (m * k floats)
    float* t = caller_scratch(m * k);
    if (t == nullptr) return Status::kOutOfMemory;
    for (size_t l = 0; l < k; ++l)
      for (size_t i = 0; i < m; ++i) t[i * k + l] = p.a[l * lda + i];
    a = t;
    lda = k;
  }
  const size_t unit = 64;
  size_t tasks = 1;
  if (threads > 1 && static_cast<double>(n) * k >= kMinParallelSmallB)
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

// op(B) block at (pc, jc): element (k, j) of the block is b[k * ldb + j] or b[j * ldb + k].
const float* b_block(const SgemmParams& p, size_t pc, size_t jc) {
  const size_t ldb = static_cast<size_t>(p.ldb);
  return p.trans_b ? p.b + jc * ldb + pc : p.b + pc * ldb + jc;
}

// Software prefetch of a strided block of rows (row_bytes each, stride_bytes apart), spread
// over `steps` calls of step().
class Prefetcher {
 public:
  Prefetcher() = default;
  Prefetcher(const void* base, size_t rows, size_t row_bytes, size_t stride_bytes)
      : base_(static_cast<const char*>(base)),
        rows_(rows),
        lines_per_row_(div_up(row_bytes, 64)),
        stride_(stride_bytes) {}
  void set_steps(size_t steps) {
    per_step_ = steps == 0 ? 0 : div_up(rows_ * lines_per_row_, steps);
  }
  void step() {
    for (size_t i = 0; i < per_step_ && row_ < rows_; ++i) {
      __builtin_prefetch(base_ + row_ * stride_ + line_ * 64, 0, 1);
      if (++line_ == lines_per_row_) {
        line_ = 0;
        ++row_;
      }
    }
  }

 private:
  const char* base_ = nullptr;
  size_t rows_ = 0, lines_per_row_ = 0, stride_ = 0;
  size_t per_step_ = 0, row_ = 0, line_ = 0;
};

// A byte range handed to successive micro-kernel calls (Epilogue::prefetch), `stride`
// bytes apart, starting after `skip` calls: prefetching only in the last part of a block's
// calls keeps the lines from being evicted (by the streaming A panels) before the packer
// reads them.
class KernelPrefetch {
 public:
  KernelPrefetch() = default;
  // Kept as an integer: the range may run past the end of B (prefetches never fault).
  KernelPrefetch(const void* start, size_t stride, size_t skip)
      : next_(reinterpret_cast<uintptr_t>(start)), stride_(stride), skip_(skip) {}
  bool active() const { return next_ != 0; }
  const char* next() {
    if (skip_ > 0) {
      --skip_;
      return nullptr;
    }
    const uintptr_t p = next_;
    next_ += stride_;
    return reinterpret_cast<const char*>(p);
  }

 private:
  uintptr_t next_ = 0;
  size_t stride_ = 0, skip_ = 0;
};

Prefetcher b_prefetcher(const SgemmParams& p, size_t pc, size_t jc, size_t kc, size_t nc) {
  const size_t stride = static_cast<size_t>(p.ldb) * sizeof(float);
  return p.trans_b ? Prefetcher(b_block(p, pc, jc), nc, kc * sizeof(float), stride)
                   : Prefetcher(b_block(p, pc, jc), kc, nc * sizeof(float), stride);
}

Status packed(const SgemmParams& p, const SgemmUkernel& uk, int threads) {
  const size_t m = static_cast<size_t>(p.m), n = static_cast<size_t>(p.n),
               k = static_cast<size_t>(p.k);
  const size_t mr_tile = static_cast<size_t>(uk.mr), nr_tile = static_cast<size_t>(uk.nr);
  const size_t m_panels = div_up(m, mr_tile), n_panels = div_up(n, nr_tile);

  // k blocks of near-equal size (a 257 = 129 + 128 split, not 256 + 1).
  const size_t k_blocks = div_up(k, kKc);
  const size_t kc_max = round_up(div_up(k, k_blocks), 4);

  // Task grid: tm x tn <= threads rectangles of C, picked by the cost of one task per unit
  // of k: the micro-kernel work plus packing (B once per MC row block, A once), in
  // multiply-add units. Splitting n keeps each task's B private; A is small per task.
  size_t tm = 1, tn = 1;
  if (threads > 1 && static_cast<double>(m) * n * k >= kMinParallelMacs) {
    double best = 0;
    const size_t t = static_cast<size_t>(threads);
    for (size_t a = 1; a <= std::min(t, m_panels); ++a) {
      for (size_t b = 1; b <= std::min(t / a, n_panels); ++b) {
        const double rows = static_cast<double>(div_up(m_panels, a) * mr_tile);
        const double cols = static_cast<double>(div_up(n_panels, b) * nr_tile);
        const double cost = rows * cols + 2.0 * cols * std::ceil(rows / kMc) + 2.0 * rows;
        if (best == 0 || cost < best) {
          best = cost;
          tm = a;
          tn = b;
        }
      }
    }
  }
  // With few rows per task (the B-major order below), splitting n further costs only a
  // repack of the small A per task; two tasks per thread then let a thread that starts
  // late (a busy machine) leave its second task to the others.
  if (tm * tn > 1 && div_up(m_panels, tm) * mr_tile <= kBMajorMaxRows && n_panels >= 2 * tn &&
      static_cast<double>(m) * n * k >= 2.0 * tm * tn * kMinTaskMacs)
    tn *= 2;
  const size_t tasks = tm * tn;

  const size_t task_rows = std::min(div_up(m_panels, tm), div_up(kMc, mr_tile)) * mr_tile;
  const size_t task_cols = std::min(div_up(n_panels, tn), div_up(kNc, nr_tile)) * nr_tile;
  // Loop order. With few rows per task, B dominates the memory traffic and is read once:
  // "B-major" packs all of A's rows over the whole k once, then walks B in narrow column
  // blocks over the whole k (the rows of a trans_b matrix are read as long sequential
  // streams), and the kernels prefetch the next column block while they compute.
  const size_t a_full_floats = k_blocks * kc_max * task_rows;
  const bool b_major = task_rows <= kBMajorMaxRows && a_full_floats <= kBMajorMaxFloats &&
                       a_full_floats * tasks <= 4 * kBMajorMaxFloats;
  const size_t b_major_cols =
      std::min(task_cols, std::max<size_t>(1, kBMajorBlockFloats / (k_blocks * kc_max) / nr_tile) * nr_tile);
  // Per-task scratch: packed B (one kc x nc block, or B-major: k x nc) and packed A (one
  // mc x kc block, or B-major: mc x k).
  const size_t b_block_floats = kc_max * (b_major ? b_major_cols : task_cols);
  const size_t b_floats = round_up((b_major ? k_blocks : 1) * b_block_floats, 16);
  const size_t a_block_floats = kc_max * task_rows;
  // + 16: packers may store a full vector at the last k row of a panel (see avx2.cc).
  const size_t a_floats = round_up((b_major ? k_blocks : 1) * a_block_floats, 16) + 16;
  const size_t slot = b_floats + a_floats;
  float* arena = caller_scratch(slot * tasks);
  if (arena == nullptr) return Status::kOutOfMemory;

  const size_t lda = static_cast<size_t>(p.lda), ldb = static_cast<size_t>(p.ldb);
  const auto pack_a_block = [&](size_t ic, size_t mc, size_t pc, size_t kc, float* ap) {
    for (size_t ir = 0; ir < mc; ir += mr_tile) {
      const size_t row = ic + ir;
      const float* asrc = p.trans_a ? p.a + pc * lda + row : p.a + row * lda + pc;
      const size_t mr = std::min(mr_tile, mc - ir);
      if (uk.pack_a) {
        uk.pack_a(mr, kc, asrc, lda, p.trans_a, ap + ir * kc);
      } else {
        sgemm_detail::pack_a_generic(uk.mr, mr, kc, asrc, lda, p.trans_a, ap + ir * kc);
      }
    }
  };
  const auto pack_b_block = [&](size_t pc, size_t kc, size_t jc, size_t nc, float* bp) {
    if (uk.pack_b) {
      uk.pack_b(kc, nc, b_block(p, pc, jc), static_cast<size_t>(p.ldb), p.trans_b, bp);
    } else {
      sgemm_detail::pack_b_generic(uk.nr, kc, nc, b_block(p, pc, jc), static_cast<size_t>(p.ldb),
                                   p.trans_b, bp);
    }
  };
  // The micro-kernels over one packed mc x kc A block and one packed kc x nc B block.
  // `next` spreads a software prefetch of the next B block over the calls: either in the
  // driver (Prefetcher) or, for the B-major order, in the kernel (a range per call).
  const auto compute = [&](size_t ic, size_t mc, size_t pc, size_t kc, size_t jc, size_t nc,
                           const float* ap, const float* bp, Prefetcher* next,
                           KernelPrefetch* kernel_pf) {
    const bool first = pc == 0, last = pc + kc == k;
    Epilogue ep{p.alpha, first ? p.beta : 1.0f, nullptr, last && p.relu};
    const size_t ldc = static_cast<size_t>(p.ldc);
    if (next) next->set_steps(div_up(mc, mr_tile) * div_up(nc, nr_tile));
    for (size_t ir = 0; ir < mc; ir += mr_tile) {
      const size_t mr = std::min(mr_tile, mc - ir);
      const float* apanel = ap + ir * kc;
      float* crow = p.c + (ic + ir) * ldc + jc;
      for (size_t jr = 0; jr < nc; jr += nr_tile) {
        const size_t nr = std::min(nr_tile, nc - jr);
        ep.bias = last && p.bias ? p.bias + jc + jr : nullptr;
        if (next) next->step();
        if (kernel_pf) ep.prefetch = kernel_pf->next();
        uk.gemm(mr, nr, kc, apanel, bp + jr * kc, crow + jr, ldc, ep);
      }
    }
  };

  parallel_for(static_cast<std::ptrdiff_t>(tasks), [&](std::ptrdiff_t t) {
    const size_t ti = static_cast<size_t>(t) / tn, tj = static_cast<size_t>(t) % tn;
    size_t i0, i1, j0, j1;
    split(m, mr_tile, tm, ti, &i0, &i1);
    split(n, nr_tile, tn, tj, &j0, &j1);
    if (i0 >= i1 || j0 >= j1) return;
    float* bp = arena + static_cast<size_t>(t) * slot;
    float* ap = bp + b_floats;
    // Row and column blocks of near-equal size in whole panels, at most task_rows x task_cols.
    const size_t mc_step = round_up(div_up(i1 - i0, div_up(i1 - i0, task_rows)), mr_tile);
    const size_t nc_step = round_up(div_up(j1 - j0, div_up(j1 - j0, task_cols)), nr_tile);
    for (size_t ic = i0; ic < i1; ic += mc_step) {
      const size_t mc = std::min(mc_step, i1 - ic);
      if (b_major) {
        for (size_t pc = 0, blk = 0; pc < k; pc += kc_max, ++blk)
          pack_a_block(ic, mc, pc, std::min(kc_max, k - pc), ap + blk * a_block_floats);
        const size_t nb_step = std::min(nc_step, b_major_cols);
        for (size_t jc = j0; jc < j1; jc += nb_step) {
          const size_t nc = std::min(nb_step, j1 - jc);
          const size_t panels = div_up(nc, nr_tile);
          if (p.trans_b) {
            // Panel by panel over all k blocks: each stored row of B is read in order.
            for (size_t q = 0; q < panels; ++q) {
              const size_t jq = q * nr_tile, nq = std::min(nr_tile, nc - jq);
              for (size_t pc = 0, blk = 0; pc < k; pc += kc_max, ++blk) {
                const size_t kc = std::min(kc_max, k - pc);
                pack_b_block(pc, kc, jc + jq, nq, bp + blk * b_block_floats + jq * kc);
              }
            }
          } else {
            for (size_t pc = 0, blk = 0; pc < k; pc += kc_max, ++blk)
              pack_b_block(pc, std::min(kc_max, k - pc), jc, nc, bp + blk * b_block_floats);
          }
          // The next column block of a trans_b matrix is a contiguous run of stored rows
          // (the nn.Linear weight): the kernels prefetch it while this block computes.
          KernelPrefetch kpf;
          if (p.trans_b && jc + nb_step < j1) {
            const size_t jn = jc + nb_step, nn = std::min(nb_step, j1 - jn);
            const size_t bytes = ((nn - 1) * ldb + k) * sizeof(float);
            const size_t calls = k_blocks * div_up(mc, mr_tile) * panels;
            // Spread over the last calls, about 1 line per 2 k steps of each.
            const size_t lines = div_up(bytes, 64);
            const size_t pf_calls = std::min(calls, std::max<size_t>(1, div_up(lines * 2, kc_max)));
            kpf = KernelPrefetch(p.b + jn * ldb, round_up(div_up(bytes, pf_calls), 64),
                                 calls - pf_calls);
          }
          for (size_t pc = 0, blk = 0; pc < k; pc += kc_max, ++blk) {
            const size_t kc = std::min(kc_max, k - pc);
            compute(ic, mc, pc, kc, jc, nc, ap + blk * a_block_floats, bp + blk * b_block_floats,
                    nullptr, kpf.active() ? &kpf : nullptr);
          }
        }
        continue;
      }
      for (size_t pc = 0; pc < k; pc += kc_max) {
        const size_t kc = std::min(kc_max, k - pc);
        pack_a_block(ic, mc, pc, kc, ap);
        for (size_t jc = j0; jc < j1; jc += nc_step) {
          const size_t nc = std::min(nc_step, j1 - jc);
          pack_b_block(pc, kc, jc, nc, bp);
          // While this block computes, pull the source of the next B block towards the
          // core, so its packing does not wait on memory.
          Prefetcher next;
          if (jc + nc_step < j1) {
            next = b_prefetcher(p, pc, jc + nc_step, kc, std::min(nc_step, j1 - jc - nc_step));
          } else if (pc + kc < k) {
            next = b_prefetcher(p, pc + kc, j0, std::min(kc_max, k - pc - kc),
                                std::min(nc_step, j1 - j0));
          }
          compute(ic, mc, pc, kc, jc, nc, ap, bp, &next, nullptr);
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
    if (fn != nullptr) return small_m(p, fn, threads);
  }
  return packed(p, uk, threads);
}

}  // namespace nnslim
