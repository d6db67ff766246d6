// Standalone batchnorm benchmark (no Node): median time of the [N, C] batchnorm kernels
// against memcpy between the same buffers, all interleaved in one loop so the ratios share the
// machine's noise. On x86-64 it also times loops that bound what a vector kernel can do: a
// plain AVX-512 load/store copy, the apply loop holding scale/shift in registers over a column
// strip, and, when C is a multiple of 1024, the page-column walk of the kernels alone (a copy
// in that order: the inference apply's memory traffic; a read pass then a copy pass: the
// training forward's).
// Link it against the kernels of two builds to compare them under the same conditions.
//
//   g++ -O2 -std=c++17 -Inative/include bench/native/batchnorm_bench.cc
//       -Wl,--start-group build-cmake/libnnslim_kernels.a build-cmake/libnnslim_isa_*.a
//       -Wl,--end-group -lpthread -o batchnorm_bench
//   batchnorm_bench [N C [iterations [offset [mode]]]]   (default 256 3072 300 4 interleaved)
// offset: floats past a 64-byte boundary where every array starts; 4 (16 bytes) is where
// glibc malloc, and so V8's ArrayBuffer allocator, puts large blocks.
// mode: interleaved (each task once per iteration, in turn) or repeat (5 rounds; in each,
// every task runs `iterations` times back to back, the cache state tinybench and so
// `npm run bench` time in; the median of the rounds' medians is printed).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "nnslim/batchnorm.h"
#include "nnslim/cpu.h"
#include "nnslim/threadpool.h"

namespace {

volatile float sink;

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

#if defined(__x86_64__)
// memmove's loop shape: destination aligned, four vectors loaded, then four aligned stores.
__attribute__((target("avx512f"))) void copy_loop(const float* x, float* y, size_t n) {
  size_t i = 0;
  for (; i < n && ((reinterpret_cast<uintptr_t>(y + i) & 63) != 0); ++i) y[i] = x[i];
  for (; i + 64 <= n; i += 64) {
    const __m512 v0 = _mm512_loadu_ps(x + i), v1 = _mm512_loadu_ps(x + i + 16);
    const __m512 v2 = _mm512_loadu_ps(x + i + 32), v3 = _mm512_loadu_ps(x + i + 48);
    _mm512_store_ps(y + i, v0);
    _mm512_store_ps(y + i + 16, v1);
    _mm512_store_ps(y + i + 32, v2);
    _mm512_store_ps(y + i + 48, v3);
  }
  for (; i < n; ++i) y[i] = x[i];
}

// The memory walk of the page-column kernels without their arithmetic (C a multiple of 1024):
// the flat tensor cut at y's 4 KiB page boundaries, pages visited a column at a time (page k
// is in column k mod C / 1024). walk_pages<true> moves x to y in that order (the apply's
// walk); walk_pages<false> sums x in that order (the statistics' walk).
template <bool Copy>
__attribute__((target("avx512f"))) float walk_pages(size_t total, size_t c, const float* x, float* y) {
  const size_t off = (reinterpret_cast<uintptr_t>(y) % 4096) / sizeof(float), m = c / 1024;
  const size_t pages = (total + off + 1023) / 1024;
  __m512 acc = _mm512_setzero_ps();
  for (size_t q = 0; q < m; ++q)
    for (size_t k = q; k < pages; k += m) {
      const size_t lo = k * 1024 < off ? 0 : k * 1024 - off, hi = std::min(total, (k + 1) * 1024 - off);
      size_t i = lo;
      if (hi - lo == 1024) {
        for (; i < hi; i += 64) {
          const __m512 v0 = _mm512_loadu_ps(x + i), v1 = _mm512_loadu_ps(x + i + 16);
          const __m512 v2 = _mm512_loadu_ps(x + i + 32), v3 = _mm512_loadu_ps(x + i + 48);
          if (Copy) {
            _mm512_store_ps(y + i, v0);
            _mm512_store_ps(y + i + 16, v1);
            _mm512_store_ps(y + i + 32, v2);
            _mm512_store_ps(y + i + 48, v3);
          } else {
            acc = _mm512_add_ps(acc, _mm512_add_ps(_mm512_add_ps(v0, v1), _mm512_add_ps(v2, v3)));
          }
        }
      }
      for (; i < hi; ++i) {
        if (Copy) y[i] = x[i];
        else acc = _mm512_add_ps(acc, _mm512_set1_ps(x[i]));
      }
    }
  float lanes[16];
  _mm512_storeu_ps(lanes, acc);
  return lanes[0];
}

// y = x * a + b over column strips of 12 vectors: a and b stay in 24 registers for all rows.
__attribute__((target("avx512f,fma"))) void strip_apply(size_t n, size_t c, const float* x,
                                                        const float* a, const float* b, float* y) {
  constexpr size_t kV = 12;
  size_t c0 = 0;
  for (; c0 + 16 * kV <= c; c0 += 16 * kV) {
    __m512 va[kV], vb[kV];
    for (size_t v = 0; v < kV; ++v) {
      va[v] = _mm512_loadu_ps(a + c0 + 16 * v);
      vb[v] = _mm512_loadu_ps(b + c0 + 16 * v);
    }
    for (size_t r = 0; r < n; ++r)
      for (size_t v = 0; v < kV; ++v)
        _mm512_storeu_ps(y + r * c + c0 + 16 * v, _mm512_fmadd_ps(_mm512_loadu_ps(x + r * c + c0 + 16 * v), va[v], vb[v]));
  }
  for (size_t r = 0; r < n; ++r)
    for (size_t j = c0; j < c; ++j) y[r * c + j] = x[r * c + j] * a[j] + b[j];
}
#endif

}  // namespace

int main(int argc, char** argv) {
  const size_t n = argc > 2 ? std::strtoul(argv[1], nullptr, 10) : 256;
  const size_t c = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 3072;
  const int iters = argc > 3 ? std::atoi(argv[3]) : 300;
  const size_t offset = argc > 4 ? std::strtoul(argv[4], nullptr, 10) % 16 : 4;
  const bool repeat = argc > 5 && std::strcmp(argv[5], "repeat") == 0;
  if (argc > 5 && !repeat && std::strcmp(argv[5], "interleaved") != 0) {
    std::fprintf(stderr, "mode must be interleaved or repeat\n");
    return 2;
  }
  if (n < 2 || c < 1 || iters < 1) {
    std::fprintf(stderr, "usage: batchnorm_bench [N C [iterations]]  (N >= 2)\n");
    return 2;
  }
  nnslim::set_num_threads(1);
  const size_t total = n * c;
  // Every array at the same offset within a 4 KiB page, as separate large blocks from malloc
  // (V8's typed arrays) are: page-sized strides between them.
  constexpr size_t kPage = 1024;
  std::vector<float> store(4 * (total + 2 * kPage) + 8 * (c + 2 * kPage) + kPage);
  float* base = store.data() + (kPage - (reinterpret_cast<uintptr_t>(store.data()) / sizeof(float)) % kPage) % kPage;
  auto take = [&](size_t count) {
    float* p = base + offset;
    base += (count + offset + kPage - 1) / kPage * kPage + kPage;
    return p;
  };
  float *x = take(total), *y = take(total), *dy = take(total), *dx = take(total);
  for (size_t i = 0; i < total; ++i) {
    x[i] = static_cast<float>((i * 2654435761u) % 1000) / 250.0f - 2.0f;
    dy[i] = static_cast<float>((i * 40503u) % 1000) / 500.0f - 1.0f;
  }
  float *scale = take(c), *shift = take(c), *rmean = take(c), *mean = take(c), *var = take(c),
        *invstd = take(c), *dg = take(c), *db = take(c);
  for (size_t j = 0; j < c; ++j) {
    scale[j] = 1.0f + static_cast<float>(j) / c;
    shift[j] = static_cast<float>(j) / c - 0.5f;
    rmean[j] = 0.01f * static_cast<float>(j) / c;
  }
  nnslim::BatchnormApplyParams ap;
  ap.n = static_cast<int64_t>(n);
  ap.c = static_cast<int64_t>(c);
  ap.x = x;
  ap.y = y;
  ap.scale = scale;
  ap.shift = shift;
  nnslim::BatchnormApplyParams apm = ap;
  apm.mean = rmean;
  nnslim::BatchnormTrainParams tp;
  tp.n = ap.n;
  tp.c = ap.c;
  tp.x = x;
  tp.y = y;
  tp.gamma = scale;
  tp.beta = shift;
  tp.mean = mean;
  tp.var = var;
  tp.invstd = invstd;
  nnslim::batchnorm_train_forward(tp);
  nnslim::BatchnormTrainParams stats = tp;
  stats.y = nullptr;
  nnslim::BatchnormBackwardParams bp;
  bp.n = ap.n;
  bp.c = ap.c;
  bp.x = x;
  bp.dy = dy;
  bp.mean = mean;
  bp.invstd = invstd;
  bp.gamma = scale;
  bp.dx = dx;
  bp.dgamma = dg;
  bp.dbeta = db;

  struct Task {
    const char* name;
    double bytes;  // in units of B = N * C * 4
    std::function<void()> run;
  };
  std::vector<Task> tasks = {
      {"memcpy", 2, [&] { std::memcpy(y, x, total * sizeof(float)); }},
      {"apply", 2, [&] { nnslim::batchnorm_apply(ap); }},
      {"apply + mean", 2, [&] { nnslim::batchnorm_apply(apm); }},
      {"train forward", 3, [&] { nnslim::batchnorm_train_forward(tp); }},
      {"statistics only", 1, [&] { nnslim::batchnorm_train_forward(stats); }},
      {"backward", 5, [&] { nnslim::batchnorm_backward(bp); }},
  };
#if defined(__x86_64__)
  if (nnslim::isa_allows(nnslim::Isa::kAvx512)) {
    tasks.push_back({"avx512 copy loop", 2, [&] { copy_loop(x, y, total); }});
    tasks.push_back({"avx512 strip apply", 2, [&] { strip_apply(n, c, x, scale, shift, y); }});
    if (c % 1024 == 0) {
      tasks.push_back({"page-column copy", 2, [&] { walk_pages<true>(total, c, x, y); }});
      tasks.push_back({"page-column read+copy", 3, [&] { sink = sink + walk_pages<false>(total, c, x, y); walk_pages<true>(total, c, x, y); }});
    }
  }
#endif
  std::vector<std::vector<double>> ms(tasks.size());
  auto time_once = [&](size_t k) {
    const double t0 = now_ms();
    tasks[k].run();
    return now_ms() - t0;
  };
  if (repeat) {
    for (int round = 0; round < 5; ++round)
      for (size_t k = 0; k < tasks.size(); ++k) {
        std::vector<double> one;
        for (int it = 0; it < iters; ++it) one.push_back(time_once(k));
        std::sort(one.begin(), one.end());
        ms[k].push_back(one[one.size() / 2]);
      }
  } else {
    for (int it = 0; it < iters; ++it)
      for (size_t k = 0; k < tasks.size(); ++k) ms[k].push_back(time_once(k));
  }
  std::printf("[%zu, %zu] float32, 1 thread, kernel %s, %d %s iterations (median)\n", n, c,
              nnslim::batchnorm_kernel_name(), iters, repeat ? "back-to-back (5 rounds)" : "interleaved");
  const double b = static_cast<double>(total) * sizeof(float);
  double copy_gbs = 0;
  for (size_t k = 0; k < tasks.size(); ++k) {
    std::sort(ms[k].begin(), ms[k].end());
    const double med = ms[k][ms[k].size() / 2];
    const double gbs = tasks[k].bytes * b / (med * 1e6);
    if (k == 0) copy_gbs = gbs;
    std::printf("  %-20s %10.4f ms %7.1f GB/s  %.2fx memcpy GB/s\n", tasks[k].name, med, gbs, gbs / copy_gbs);
  }
  return 0;
}
