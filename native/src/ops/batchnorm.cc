// The ISA-free batchnorm driver: validation, kernel selection, threading and the per-channel
// parameter math (double). The streaming loops live in ukernels/batchnorm/<isa>.cc.
//   [N, C] (L = 1): channels are contiguous within a row; reductions split channels over
//     tasks and sum blocks of 64 rows in float (8 rows at a time, several channel vectors
//     side by side), adding each block into double. Apply walks rows in 1024-channel chunks.
//   [N, C] whose channels repeat every few pages, cache-resident: page columns (walk_column).
//   [N, C, L]: each (sample, channel) run of L values is contiguous; tasks split channels.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "nnslim/batchnorm.h"
#include "nnslim/cpu.h"
#include "nnslim/threadpool.h"
#include "scratch.h"
#include "../ukernels/batchnorm/batchnorm_ukernel.h"

namespace nnslim {

using batchnorm_detail::BatchnormUkernel;
using batchnorm_detail::kBlockRows;
using batchnorm_detail::ReduceShape;

namespace {

// Outputs at least this large bypass the cache (non-temporal stores), like memcpy does.
constexpr size_t kStreamBytes = size_t{16} << 20;
// Whether a tensor of `total` floats is that large: apply streams its output, and the
// reductions take their DRAM loop shape.
bool beyond_cache(size_t total) { return total * sizeof(float) >= kStreamBytes; }
constexpr size_t kMinParallel = size_t{1} << 15;

const BatchnormUkernel& select_ukernel() {
#if defined(__x86_64__)
  if (isa_allows(Isa::kAvx512)) return batchnorm_detail::kBatchnormAvx512;
  if (isa_allows(Isa::kAvx2)) return batchnorm_detail::kBatchnormAvx2;
#elif defined(__aarch64__) || defined(__arm__)
  if (isa_allows(Isa::kNeon)) return batchnorm_detail::kBatchnormNeon;
#endif
  return batchnorm_detail::kBatchnormScalar;
}

bool shape_ok(int64_t n, int64_t c, int64_t l, size_t* total) {
  if (n < 0 || c < 0 || l < 1) return false;
  int64_t t = 0, bytes = 0;
  if (__builtin_mul_overflow(n, c, &t) || __builtin_mul_overflow(t, l, &t) ||
      __builtin_mul_overflow(t, int64_t{4}, &bytes))
    return false;
  *total = static_cast<size_t>(t);
  return true;
}

size_t task_count(size_t work, size_t units) {
  const int threads = get_num_threads();
  if (threads <= 1 || work < kMinParallel) return 1;
  return std::max<size_t>(1, std::min<size_t>(static_cast<size_t>(threads), units));
}

void split(size_t count, size_t parts, size_t t, size_t align, size_t* lo, size_t* hi) {
  const size_t units = (count + align - 1) / align;
  *lo = std::min(count, units * t / parts * align);
  *hi = std::min(count, units * (t + 1) / parts * align);
}

// Copies of a and b placed at y's offset within a 64-byte line, so that once the kernel has
// aligned its stores to y (every row shares the offset when a row is whole lines) the
// parameter loads are aligned too. Returns false (nothing copied) when rows differ.
bool align_params(size_t c, const float* y, const float* a, const float* b, std::unique_ptr<float[]>& store,
                  const float** ac, const float** bc) {
  constexpr size_t kLine = 64 / sizeof(float);
  if (c % kLine != 0) return false;
  const size_t off = (reinterpret_cast<uintptr_t>(y) / sizeof(float)) % kLine;
  if (reinterpret_cast<uintptr_t>(y) % sizeof(float) != 0) return false;
  const size_t span = c + 2 * kLine;
  store.reset(new float[2 * span + kLine]);
  float* base = store.get();
  base += (kLine - (reinterpret_cast<uintptr_t>(base) / sizeof(float)) % kLine) % kLine;
  float* a2 = base + off;
  float* b2 = base + span + off;
  std::copy(a, a + c, a2);
  std::copy(b, b + c, b2);
  *ac = a2;
  *bc = b2;
  return true;
}

// Page columns. Cut at 4 KiB page boundaries, a cache-resident [N, C] tensor whose channels
// repeat with a period P = lcm(C, 1024) floats (a few pages) is m = P / 1024 columns of
// page-long runs: page k (flat floats [k * 1024 - off, k * 1024 - off + 1024), off = the
// tensor's offset in its first page) is run k / m of column k mod m, and position j of a page
// in column q holds channel (q * 1024 + j - off) mod C, the same for every run of the column.
// A column walked top to bottom uses one 1024-long range of each per-channel array
// (parameters, pivots, partial sums), copied out in that rotated, period-long order: a few KiB
// that stay in L1 under the x and y streams, with every load and store on whole lines. Rows
// walked left to right evict the 24 KiB of a and b every row of [256, 3072]; 1024-channel
// chunks cut from channel 0 straddle pages and lines (Zen 4, [256, 3072] cache-resident,
// 1 thread, batchnorm_bench: apply 0.086 -> 0.075 ms, statistics 0.068 -> 0.050 ms). Narrow
// tensors gain too, walked in whole-line steps instead of rows of a few vectors and a scalar
// tail ([3072, 256], one column: apply 0.85x -> 0.92x of memcpy, training forward 0.56x ->
// 0.81x; [1024, 768]: 0.87x -> 0.91x and 0.73x -> 0.82x; [512, 1536]: 0.70x -> 0.90x and
// 0.52x -> 0.80x).
constexpr size_t kPageFloats = 4096 / sizeof(float);
// The longest period taken (C = 2304: 9216; 1536, 768, 3: 3072; 3000: 375 pages, not taken).
constexpr size_t kMaxPeriod = 16 * kPageFloats;

// Floats from the start of p's page; kPageFloats when p is not float-aligned.
size_t page_offset(const void* p) {
  const uintptr_t v = reinterpret_cast<uintptr_t>(p);
  return v % sizeof(float) != 0 ? kPageFloats : (v % 4096) / sizeof(float);
}

struct PageGrid {
  size_t total;   // floats in the tensor
  size_t c;       // channels
  size_t off;     // the tensor's offset in its first page (floats)
  size_t period;  // P = lcm(C, 1024)
  size_t m;       // columns, P / 1024
  size_t pages;   // pages the tensor touches
};

// Whether the tensor at `base` takes the page columns, and their grid.
bool page_grid(size_t n, size_t c, size_t l, size_t total, const void* base, PageGrid* g) {
  if (l != 1 || c == 0 || beyond_cache(total) || page_offset(base) >= kPageFloats) return false;
  size_t a = c, b = kPageFloats;
  while (b != 0) a = std::exchange(b, a % b);  // gcd(C, 1024)
  g->period = c / a * kPageFloats;
  // At least two periods: below, copying the parameters out in rotated order costs more than
  // walking the rows.
  if (g->period > kMaxPeriod || total < 2 * g->period) return false;
  g->total = total;
  g->c = c;
  g->off = page_offset(base);
  g->m = g->period / kPageFloats;
  g->pages = (total + g->off + kPageFloats - 1) / kPageFloats;
  return true;
}

// Pages (runs) in column q.
size_t column_pages(const PageGrid& g, size_t q) { return q < g.pages ? (g.pages - q + g.m - 1) / g.m : 0; }
// Floats of the tensor in its last page (1024 when that page is whole).
size_t last_page_floats(const PageGrid& g) { return g.total + g.off - (g.pages - 1) * kPageFloats; }

// Calls run(flat_start, rotated_start, count, rows) for the runs of column q in its rows
// [i0, i1): `rows` runs of `count` floats, P apart. The tensor's first and last pages can be
// partial.
template <typename Run>
void walk_column(const PageGrid& g, size_t q, size_t i0, size_t i1, Run&& run) {
  const size_t q0 = q * kPageFloats;
  i1 = std::min(i1, column_pages(g, q));
  if (i0 >= i1) return;
  const size_t last = g.pages - 1;  // its start, last * 1024 - off, is >= 0: the tensor spans > 1 page
  const bool tail = last % g.m == q && last / g.m == i1 - 1 && last_page_floats(g) < kPageFloats;
  if (tail) --i1;
  if (q == 0 && g.off > 0 && i0 == 0) {  // the first page: rotated [off, 1024)
    run(size_t{0}, g.off, kPageFloats - g.off, size_t{1});
    i0 = 1;
  }
  if (i1 > i0) run(i0 * g.period + q0 - g.off, q0, kPageFloats, i1 - i0);
  if (tail) run(last * kPageFloats - g.off, q0, last_page_floats(g), size_t{1});
}

// Per-channel arrays in rotated order, placed at chosen page offsets. A load whose address
// matches a store still in flight in its low 12 bits waits for that store (4K aliasing): x, y
// and these arrays all advance one line per step, so an array that a loop loads must not sit a
// few lines behind one that it stores to (Zen 4, [256, 3072], standalone loops: the apply with
// a and b at y's page offset 0.087 ms, 8 and 16 lines ahead of it 0.073; the statistics with
// the pivots and partial sums at x's page offset 0.050, at the offsets used below 0.042).
// The storage is the calling thread's scratch arena (ops/scratch.h), kept between calls:
// freed, a few hundred KiB go back to the kernel and cost page faults on the next call
// ([341, 2304] statistics, P = 9216: 141 -> 56 us; [2, 3072] training forward 15 -> 11 us).
struct BatchnormScratchTag {};

class PagedArrays {
 public:
  // `arrays` float arrays of `count` floats, then `doubles` doubles; ok() is false when the
  // arena cannot grow.
  PagedArrays(size_t count, size_t arrays, size_t doubles = 0)
      : span_((count + kPageFloats - 1) / kPageFloats * kPageFloats + kPageFloats) {
    const size_t floats = arrays * span_ + 2 * doubles + kPageFloats;
    float* store = static_cast<float*>(detail::thread_scratch<BatchnormScratchTag>().get(floats * sizeof(float)));
    if (store == nullptr) return;
    const uintptr_t v = reinterpret_cast<uintptr_t>(store);
    base_ = store + ((4096 - v % 4096) % 4096) / sizeof(float);
    doubles_ = reinterpret_cast<double*>(base_ + arrays * span_);
  }
  bool ok() const { return base_ != nullptr; }
  // Array k, starting `lines` 64-byte lines past a page boundary.
  float* at(size_t k, size_t lines) { return base_ + k * span_ + lines * 16 % kPageFloats; }
  double* doubles() { return doubles_; }

 private:
  size_t span_;
  float* base_ = nullptr;
  double* doubles_ = nullptr;
};

// dst[j] = src[channel of rotated position j], j < P.
void rotate(const PageGrid& g, const float* src, float* dst) {
  size_t ch = (g.period - g.off) % g.c;
  for (size_t j = 0; j < g.period;) {
    const size_t run = std::min(g.c - ch, g.period - j);
    std::copy(src + ch, src + ch + run, dst + j);
    j += run;
    ch = 0;
  }
}

// False (nothing done) when the scratch cannot be had.
bool apply_pages(const BatchnormUkernel& uk, const PageGrid& g, const float* x, float* y,
                 const float* a, const float* b, bool relu) {
  PagedArrays params(g.period, 2);
  if (!params.ok()) return false;
  float* ar = params.at(0, 8);
  float* br = params.at(1, 16);
  rotate(g, a, ar);
  rotate(g, b, br);
  const size_t rows = column_pages(g, 0);
  const size_t tasks = task_count(g.total, rows);
  parallel_for(static_cast<std::ptrdiff_t>(tasks), [&](std::ptrdiff_t t) {
    size_t i0, i1;
    split(rows, tasks, static_cast<size_t>(t), 1, &i0, &i1);
    for (size_t q = 0; q < g.m; ++q)
      walk_column(g, q, i0, i1, [&](size_t o, size_t j, size_t count, size_t nrows) {
        uk.apply_vec(count, nrows, g.period, x + o, ar + j, br + j, y + o, relu, false);
      });
  });
  return true;
}

// Per-channel double sums of x - x[0] and of its square (added into s1, s2, which start at
// zero). A page position holds one channel in every run of its column, rows s = P / C apart
// (s positions per channel, their rows in classes r mod s, summed class by class at the end).
// Float partial sums cover 64 consecutive rows of a class, counted from the class's first
// row, so the result does not depend on where the tensor starts in its page: positions before
// `off` in column 0 start a page row later, positions past the end of a partial last page stop
// a page row earlier, and the blocks follow. Tasks take slices of every page (whole lines), so
// each position is summed by the same steps whatever the thread count ([256, 3072] training
// forward, 2 threads: 128 us with the channels split over tasks, 97 us). Keeping the blocks on
// the rows costs the 16-float line at `off` a scalar walk when off is not a whole line
// (V8's 16-byte offset: [256, 3072] statistics 0.049 -> 0.052 ms).
// False (nothing done) when the scratch cannot be had.
bool stats_pages(const BatchnormUkernel& uk, const PageGrid& g, const float* x, double* s1, double* s2) {
  PagedArrays scratch(g.period, 3, 2 * g.period);
  if (!scratch.ok()) return false;
  float* pivot = scratch.at(0, 8);
  float* f1 = scratch.at(1, 24);
  float* f2 = scratch.at(2, 56);
  rotate(g, x, pivot);
  double* d1 = scratch.doubles();
  double* d2 = d1 + g.period;
  std::fill(d1, d2 + g.period, 0.0);
  const size_t last = g.pages - 1, tail = last_page_floats(g);
  const size_t tasks = task_count(g.total, kPageFloats / 16);
  parallel_for(static_cast<std::ptrdiff_t>(tasks), [&](std::ptrdiff_t t) {
    size_t p0, p1;  // this task's positions in every page
    split(kPageFloats, tasks, static_cast<size_t>(t), 16, &p0, &p1);
    for (size_t q = 0; q < g.m; ++q) {
      const size_t q0 = q * kPageFloats, pages = column_pages(g, q);
      // Positions [lo, hi) between cuts share their first and end page rows; the cuts next to
      // off and to the end of the last page keep the long ranges on whole lines.
      size_t cuts[6] = {p0, p1, p1, p1, p1, p1};
      size_t ncuts = 1;
      auto cut = [&](size_t at) {
        if (at > p0 && at < p1) cuts[ncuts++] = at;
      };
      if (q == 0 && g.off > 0) {
        cut(g.off);
        cut((g.off + 15) / 16 * 16);
      }
      if (last % g.m == q && tail < kPageFloats) {
        cut(tail);
        cut(tail / 16 * 16);
      }
      std::sort(cuts, cuts + ncuts);
      cuts[ncuts] = p1;
      for (size_t r = 0; r < ncuts; ++r) {
        const size_t lo = cuts[r], hi = cuts[r + 1];
        if (lo >= hi) continue;
        const size_t first = q == 0 && lo < g.off ? 1 : 0;
        const size_t end = last % g.m == q && lo >= tail ? pages - 1 : pages;
        for (size_t i = first; i < end; i += kBlockRows) {
          const size_t k = q0 + lo;
          uk.stats_vec(hi - lo, std::min(kBlockRows, end - i), g.period, x + i * g.period + k - g.off, pivot + k, f1 + k,
                       f2 + k, d1 + k, d2 + k, ReduceShape::kRuns);
        }
      }
    }
  });
  // channel ch of class t sits at rotated (ch + off + t * C) mod P
  size_t j = g.off;
  for (size_t t = 0; t < g.period / g.c; ++t)
    for (size_t ch = 0; ch < g.c; ++ch) {
      s1[ch] += d1[j];
      s2[ch] += d2[j];
      if (++j == g.period) j = 0;
    }
  return true;
}

// y = x * a[c] + b[c] over the whole tensor (the mean is already folded into b).
void apply(const BatchnormUkernel& uk, size_t n, size_t c, size_t l, const float* x, float* y,
           const float* a, const float* b, bool relu, size_t total) {
  const bool stream = beyond_cache(total) && x != y;
  PageGrid grid;
  if (page_grid(n, c, l, total, y, &grid) && apply_pages(uk, grid, x, y, a, b, relu)) return;
  std::unique_ptr<float[]> aligned;
  if (l == 1 && n > 1) align_params(c, y, a, b, aligned, &a, &b);
  if (l == 1) {
    const size_t tasks = task_count(total, n);
    parallel_for(static_cast<std::ptrdiff_t>(tasks), [&](std::ptrdiff_t t) {
      size_t i0, i1;
      split(n, tasks, static_cast<size_t>(t), 1, &i0, &i1);
      if (stream) {
        uk.apply_vec(c, i1 - i0, c, x + i0 * c, a, b, y + i0 * c, relu, true);
        return;
      }
      // Channel chunks small enough for the parameter vectors to stay in L1 (every element is
      // still read once: the chunks are disjoint). 4 KiB row runs measured best on Zen 4.
      constexpr size_t kChunk = 1024;
      for (size_t c0 = 0; c0 < c; c0 += kChunk) {
        const size_t cn = std::min(kChunk, c - c0);
        uk.apply_vec(cn, i1 - i0, c, x + i0 * c + c0, a + c0, b + c0, y + i0 * c + c0, relu, false);
      }
    });
    return;
  }
  const size_t runs = n * c;
  const size_t tasks = task_count(total, runs);
  parallel_for(static_cast<std::ptrdiff_t>(tasks), [&](std::ptrdiff_t t) {
    size_t r0, r1;
    split(runs, tasks, static_cast<size_t>(t), 1, &r0, &r1);
    for (size_t r = r0; r < r1; ++r) {
      const size_t ch = r % c;
      uk.apply_bc(l, x + r * l, a[ch], b[ch], y + r * l, relu, stream);
    }
  });
}

// Per-channel double sums over rows (L = 1): tasks split channels; the kernel sums blocks of
// kBlockRows rows in float (f1, f2: the task's scratch) and adds each block into double.
template <typename Fn>
void reduce_rows(size_t n, size_t c, size_t total, double* d1, double* d2, Fn&& kernel) {
  const size_t tasks = task_count(total, (c + 15) / 16);
  std::vector<float> f(2 * c);
  parallel_for(static_cast<std::ptrdiff_t>(tasks), [&](std::ptrdiff_t t) {
    size_t c0, c1;
    split(c, tasks, static_cast<size_t>(t), 16, &c0, &c1);
    if (c0 >= c1) return;
    for (size_t i0 = 0; i0 < n; i0 += kBlockRows)
      kernel(i0, std::min(kBlockRows, n - i0), c0, c1 - c0, f.data() + c0, f.data() + c + c0, d1 + c0, d2 + c0);
  });
}

}  // namespace

const char* batchnorm_kernel_name() { return select_ukernel().name; }

Status batchnorm_apply(const BatchnormApplyParams& p) {
  size_t total = 0;
  if (!shape_ok(p.n, p.c, p.l, &total)) return Status::kInvalidArgument;
  if (total == 0) return Status::kOk;
  if (!p.x || !p.y || !p.scale || !p.shift) return Status::kInvalidArgument;
  DenormalGuard guard;
  const size_t c = static_cast<size_t>(p.c);
  std::vector<float> folded;
  const float* b = p.shift;
  if (p.mean) {  // shift - mean * scale, in double (PyTorch's alpha / beta form)
    folded.resize(c);
    for (size_t j = 0; j < c; ++j)
      folded[j] = static_cast<float>(static_cast<double>(p.shift[j]) - static_cast<double>(p.mean[j]) * p.scale[j]);
    b = folded.data();
  }
  apply(select_ukernel(), static_cast<size_t>(p.n), c, static_cast<size_t>(p.l), p.x, p.y, p.scale, b,
        p.relu, total);
  return Status::kOk;
}

Status batchnorm_train_forward(const BatchnormTrainParams& p) {
  size_t total = 0;
  if (!shape_ok(p.n, p.c, p.l, &total) || p.n * p.l < 1) return Status::kInvalidArgument;
  if (p.c == 0) return Status::kOk;
  if (!p.x || !(p.eps >= 0.0f)) return Status::kInvalidArgument;
  DenormalGuard guard;
  const BatchnormUkernel& uk = select_ukernel();
  const size_t n = static_cast<size_t>(p.n), c = static_cast<size_t>(p.c),
               l = static_cast<size_t>(p.l);
  // Shifted sums around a pivot per channel (its first value) keep the one-pass variance exact
  // enough when |mean| >> std. For [N, C] the pivots are the first row itself.
  std::vector<float> pivots(l == 1 ? 0 : c);
  for (size_t j = 0; j < pivots.size(); ++j) pivots[j] = p.x[j * l];
  const float* pivot = l == 1 ? p.x : pivots.data();
  std::vector<double> s1(c, 0.0), s2(c, 0.0);
  PageGrid grid;
  if (page_grid(n, c, l, total, p.x, &grid) && stats_pages(uk, grid, p.x, s1.data(), s2.data())) {
    // summed in page columns
  } else if (l == 1) {
    reduce_rows(n, c, total, s1.data(), s2.data(), [&](size_t i, size_t rows, size_t c0, size_t cn, float* f1, float* f2, double* a1, double* a2) {
      uk.stats_vec(cn, rows, c, p.x + i * c + c0, pivot + c0, f1, f2, a1, a2,
                   beyond_cache(total) ? ReduceShape::kStream : ReduceShape::kCache);
    });
  } else {
    const size_t tasks = task_count(total, c);
    parallel_for(static_cast<std::ptrdiff_t>(tasks), [&](std::ptrdiff_t t) {
      size_t c0, c1;
      split(c, tasks, static_cast<size_t>(t), 1, &c0, &c1);
      for (size_t j = c0; j < c1; ++j)
        for (size_t i = 0; i < n; ++i) uk.stats_bc(l, p.x + (i * c + j) * l, pivot[j], &s1[j], &s2[j]);
    });
  }
  // s1 becomes the mean and s2 the biased variance (double); invstd is rounded to float anyway,
  // so its square root and division are taken in float.
  std::unique_ptr<float[]> is(new float[c]);
  uk.stats_params(c, s1.data(), s2.data(), pivot, 1.0 / static_cast<double>(n * l), p.eps, is.get());
  if (p.mean) for (size_t j = 0; j < c; ++j) p.mean[j] = static_cast<float>(s1[j]);
  if (p.var) for (size_t j = 0; j < c; ++j) p.var[j] = static_cast<float>(s2[j]);
  if (p.invstd) std::copy(is.get(), is.get() + c, p.invstd);
  if (!p.y) return Status::kOk;
  // y = x * a + b with a = gamma * invstd, b = beta - mean * a (PyTorch's alpha / beta form).
  std::unique_ptr<float[]> a(new float[c]), b(new float[c]);
  for (size_t j = 0; j < c; ++j) {
    const double g = p.gamma ? p.gamma[j] : 1.0, be = p.beta ? p.beta[j] : 0.0;
    const double aj = g * is[j];
    a[j] = static_cast<float>(aj);
    b[j] = static_cast<float>(be - s1[j] * aj);
  }
  apply(uk, n, c, l, p.x, p.y, a.get(), b.get(), p.relu, total);
  return Status::kOk;
}

Status batchnorm_backward(const BatchnormBackwardParams& p) {
  size_t total = 0;
  if (!shape_ok(p.n, p.c, p.l, &total)) return Status::kInvalidArgument;
  if (p.c == 0) return Status::kOk;
  if (!p.mean || !p.invstd) return Status::kInvalidArgument;
  if (total > 0 && (!p.x || !p.dy)) return Status::kInvalidArgument;
  DenormalGuard guard;
  const BatchnormUkernel& uk = select_ukernel();
  const size_t n = static_cast<size_t>(p.n), c = static_cast<size_t>(p.c),
               l = static_cast<size_t>(p.l);
  std::vector<double> sg(c, 0.0), sgx(c, 0.0);
  const bool need_sums = p.training || p.dgamma || p.dbeta;
  if (need_sums && total > 0) {
    if (l == 1) {
      reduce_rows(n, c, total, sg.data(), sgx.data(), [&](size_t i, size_t rows, size_t c0, size_t cn, float* f1, float* f2, double* a1, double* a2) {
        uk.bwd_reduce_vec(cn, rows, c, p.dy + i * c + c0, p.x + i * c + c0, p.mean + c0, f1, f2, a1, a2, beyond_cache(total));
      });
    } else {
      const size_t tasks = task_count(total, c);
      parallel_for(static_cast<std::ptrdiff_t>(tasks), [&](std::ptrdiff_t t) {
        size_t c0, c1;
        split(c, tasks, static_cast<size_t>(t), 1, &c0, &c1);
        for (size_t j = c0; j < c1; ++j)
          for (size_t i = 0; i < n; ++i) {
            const size_t o = (i * c + j) * l;
            uk.bwd_reduce_bc(l, p.dy + o, p.x + o, p.mean[j], &sg[j], &sgx[j]);
          }
      });
    }
  }
  const double count = static_cast<double>(n * l);
  // dx = (dy - ((x - mean) * q + d)) * k: k = gamma * invstd; training: q = invstd^2 *
  // sum(dy * (x - mean)) / M, d = sum(dy) / M; eval: q = d = 0.
  std::vector<float> q(c), d(c), k(c);
  for (size_t j = 0; j < c; ++j) {
    const double is = p.invstd[j], g = p.gamma ? p.gamma[j] : 1.0;
    if (p.dbeta) p.dbeta[j] = static_cast<float>(sg[j]);
    if (p.dgamma) p.dgamma[j] = static_cast<float>(sgx[j] * is);
    k[j] = static_cast<float>(g * is);
    q[j] = p.training && count > 0 ? static_cast<float>(is * is * sgx[j] / count) : 0.0f;
    d[j] = p.training && count > 0 ? static_cast<float>(sg[j] / count) : 0.0f;
  }
  if (p.dx && total > 0) {
    if (l == 1) {
      const size_t tasks = task_count(total, n);
      parallel_for(static_cast<std::ptrdiff_t>(tasks), [&](std::ptrdiff_t t) {
        size_t i0, i1;
        split(n, tasks, static_cast<size_t>(t), 1, &i0, &i1);
        for (size_t i = i0; i < i1; ++i)
          uk.bwd_apply_vec(c, p.dy + i * c, p.x + i * c, p.mean, q.data(), d.data(), k.data(), p.dx + i * c);
      });
    } else {
      const size_t runs = n * c;
      const size_t tasks = task_count(total, runs);
      parallel_for(static_cast<std::ptrdiff_t>(tasks), [&](std::ptrdiff_t t) {
        size_t r0, r1;
        split(runs, tasks, static_cast<size_t>(t), 1, &r0, &r1);
        for (size_t r = r0; r < r1; ++r) {
          const size_t ch = r % c;
          uk.bwd_apply_bc(l, p.dy + r * l, p.x + r * l, p.mean[ch], q[ch], d[ch], k[ch], p.dx + r * l);
        }
      });
    }
  }
  return Status::kOk;
}

}  // namespace nnslim
