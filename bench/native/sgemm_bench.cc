// Standalone sgemm benchmark (no Node): median GFLOP/s of nnslim::sgemm on shapes from
// transformer Linear layers, X[M x K] * W[N x K]^T (trans_b = true, the nn.Linear layout),
// plus 1024^3 in both B layouts, at 1 and 2 threads. With -DNNSLIM_BENCH_OPENBLAS (link
// -lopenblas) OpenBLAS cblas_sgemm runs interleaved with nnslim in the same loop, so the
// ratio is measured under the same machine noise. Also measures the FMA peak of one core.
//
//   g++ -O2 -std=c++17 -Inative/include bench/native/sgemm_bench.cc <kernel objects>
//       [-DNNSLIM_BENCH_OPENBLAS -lopenblas] -lpthread -o sgemm_bench
//   sgemm_bench [--quick] [--threads 1,2] [--filter 1024]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "nnslim/cpu.h"
#include "nnslim/kernels.h"
#include "nnslim/threadpool.h"

#pragma GCC diagnostic ignored "-Wuninitialized"

#if defined(NNSLIM_BENCH_OPENBLAS)
extern "C" {
// The cblas.h subset used here (Debian keeps cblas.h under a multiarch path; these
// declarations match it and avoid depending on where it lives).
enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 };
enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112 };
void cblas_sgemm(CBLAS_ORDER order, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k,
                 float alpha, const float* a, int lda, const float* b, int ldb, float beta, float* c,
                 int ldc);
void openblas_set_num_threads(int n);
char* openblas_get_corename(void);
}
#endif

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// CPU time of the calling thread: with 1 thread all the work runs here, so this time does
// not count the moments another process held the core (the machine may be shared).
double thread_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

#if defined(__x86_64__)
// 12 independent FMA chains: enough to cover latency x throughput on current x86 cores.
__attribute__((target("avx512f"))) double fma_peak_avx512(long iters) {
  __m512 a0 = _mm512_set1_ps(1.0f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0,
         a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
  const __m512 b = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  const double t0 = thread_cpu_seconds();
  for (long i = 0; i < iters; ++i) {
    a0 = _mm512_fmadd_ps(a0, b, c); a1 = _mm512_fmadd_ps(a1, b, c);
    a2 = _mm512_fmadd_ps(a2, b, c); a3 = _mm512_fmadd_ps(a3, b, c);
    a4 = _mm512_fmadd_ps(a4, b, c); a5 = _mm512_fmadd_ps(a5, b, c);
    a6 = _mm512_fmadd_ps(a6, b, c); a7 = _mm512_fmadd_ps(a7, b, c);
    a8 = _mm512_fmadd_ps(a8, b, c); a9 = _mm512_fmadd_ps(a9, b, c);
    a10 = _mm512_fmadd_ps(a10, b, c); a11 = _mm512_fmadd_ps(a11, b, c);
    __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6),
                     "+v"(a7), "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11));
  }
  const double s = thread_cpu_seconds() - t0;
  volatile float sink = _mm512_reduce_add_ps(_mm512_add_ps(a0, a11));
  (void)sink;
  return iters * 12.0 * 16 * 2 / s / 1e9;
}
__attribute__((target("avx2,fma"))) double fma_peak_avx2(long iters) {
  __m256 a0 = _mm256_set1_ps(1.0f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0,
         a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
  const __m256 b = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
  const double t0 = thread_cpu_seconds();
  for (long i = 0; i < iters; ++i) {
    a0 = _mm256_fmadd_ps(a0, b, c); a1 = _mm256_fmadd_ps(a1, b, c);
    a2 = _mm256_fmadd_ps(a2, b, c); a3 = _mm256_fmadd_ps(a3, b, c);
    a4 = _mm256_fmadd_ps(a4, b, c); a5 = _mm256_fmadd_ps(a5, b, c);
    a6 = _mm256_fmadd_ps(a6, b, c); a7 = _mm256_fmadd_ps(a7, b, c);
    a8 = _mm256_fmadd_ps(a8, b, c); a9 = _mm256_fmadd_ps(a9, b, c);
    a10 = _mm256_fmadd_ps(a10, b, c); a11 = _mm256_fmadd_ps(a11, b, c);
    __asm__ volatile("" : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3), "+x"(a4), "+x"(a5), "+x"(a6),
                     "+x"(a7), "+x"(a8), "+x"(a9), "+x"(a10), "+x"(a11));
  }
  const double s = thread_cpu_seconds() - t0;
  float out[8];
  _mm256_storeu_ps(out, _mm256_add_ps(a0, a11));
  volatile float sink = out[0];
  (void)sink;
  return iters * 12.0 * 8 * 2 / s / 1e9;
}
#endif

void report_fma_peak() {
#if defined(__x86_64__)
  const auto& f = nnslim::cpu_features();
  std::vector<double> zmm, ymm;
  for (int r = 0; r < 9; ++r) {
    if (f.avx512f && f.os_avx512) zmm.push_back(fma_peak_avx512(5000000));
    if (f.avx2 && f.fma && f.os_avx) ymm.push_back(fma_peak_avx2(5000000));
  }
  if (!zmm.empty()) std::printf("FMA peak, 1 core, zmm: %.1f GFLOP/s (median of 9, per CPU second)\n", median(zmm));
  if (!ymm.empty()) std::printf("FMA peak, 1 core, ymm: %.1f GFLOP/s (median of 9, per CPU second)\n", median(ymm));
#endif
}

struct Case {
  int m, n, k;
  bool trans_b;
};

struct Buffers {
  std::vector<float> a, b, c;
};

void fill(std::vector<float>& v, size_t n) {
  std::mt19937 r(42);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  v.resize(n);
  for (auto& x : v) x = d(r);
}

void run_nnslim(const Case& cs, Buffers& buf) {
  nnslim::SgemmParams p;
  p.trans_b = cs.trans_b;
  p.m = cs.m;
  p.n = cs.n;
  p.k = cs.k;
  p.a = buf.a.data();
  p.lda = cs.k;
  p.b = buf.b.data();
  p.ldb = cs.trans_b ? cs.k : cs.n;
  p.c = buf.c.data();
  p.ldc = cs.n;
  if (nnslim::sgemm(p) != nnslim::Status::kOk) {
    std::fprintf(stderr, "sgemm failed\n");
    std::exit(1);
  }
}

#if defined(NNSLIM_BENCH_OPENBLAS)
void run_openblas(const Case& cs, Buffers& buf) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, cs.trans_b ? CblasTrans : CblasNoTrans, cs.m, cs.n,
              cs.k, 1.0f, buf.a.data(), cs.k, buf.b.data(), cs.trans_b ? cs.k : cs.n, 0.0f,
              buf.c.data(), cs.n);
}
#endif

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::vector<int> thread_counts = {1, 2};
  const char* filter = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      thread_counts.clear();
      for (const char* s = argv[++i]; *s;) {
        thread_counts.push_back(std::atoi(s));
        while (*s && *s != ',') ++s;
        if (*s == ',') ++s;
      }
    } else if (std::strcmp(argv[i], "--filter") == 0 && i + 1 < argc) {
      filter = argv[++i];
    }
  }
  std::printf("nnslim sgemm bench: isa %s, kernel %s\n", nnslim::isa_name(nnslim::active_isa()),
              nnslim::sgemm_kernel_name());
#if defined(NNSLIM_BENCH_OPENBLAS)
  std::printf("OpenBLAS core: %s\n", openblas_get_corename());
#endif
  report_fma_peak();

  std::vector<Case> cases;
  for (int m : {1, 8, 64, 256})
    for (auto kn : {std::make_pair(768, 768), std::make_pair(768, 3072), std::make_pair(3072, 768)})
      cases.push_back({m, kn.second, kn.first, true});
  cases.push_back({1024, 1024, 1024, true});
  cases.push_back({1024, 1024, 1024, false});

  std::printf("GFLOP/s, medians; the cpu columns (1 thread) divide by the thread's CPU time\n");
  std::printf("%-24s %3s %10s %10s %7s %10s %10s %7s\n", "shape (MxNxK, B)", "thr", "nnslim",
              "openblas", "ratio", "nnslim.cpu", "blas.cpu", "ratio");
  for (int threads : thread_counts) {
    nnslim::set_num_threads(threads);
#if defined(NNSLIM_BENCH_OPENBLAS)
    openblas_set_num_threads(threads);
#endif
    for (const Case& cs : cases) {
      char label[64];
      std::snprintf(label, sizeof(label), "%dx%dx%d %s", cs.m, cs.n, cs.k, cs.trans_b ? "B^T" : "B");
      if (filter && std::strstr(label, filter) == nullptr) continue;
      Buffers buf;
      fill(buf.a, static_cast<size_t>(cs.m) * cs.k);
      fill(buf.b, static_cast<size_t>(cs.n) * cs.k);
      buf.c.assign(static_cast<size_t>(cs.m) * cs.n, 0.0f);
      const double flop = 2.0 * cs.m * cs.n * cs.k;
      // Repetitions: ~0.3 s per implementation (0.1 s with --quick), at least 5.
      const double target = quick ? 0.1 : 0.3;
      run_nnslim(cs, buf);  // warm-up (scratch allocation, pool start)
      auto t0 = Clock::now();
      run_nnslim(cs, buf);
      const double once = std::max(seconds_since(t0), 1e-7);
      const int reps = std::max(5, std::min(20000, static_cast<int>(target / once)));
      std::vector<double> ours, theirs, ours_cpu, theirs_cpu;
#if defined(NNSLIM_BENCH_OPENBLAS)
      run_openblas(cs, buf);
#endif
      for (int r = 0; r < reps; ++r) {
        double c0 = thread_cpu_seconds();
        t0 = Clock::now();
        run_nnslim(cs, buf);
        ours.push_back(seconds_since(t0));
        ours_cpu.push_back(thread_cpu_seconds() - c0);
#if defined(NNSLIM_BENCH_OPENBLAS)
        c0 = thread_cpu_seconds();
        t0 = Clock::now();
        run_openblas(cs, buf);
        theirs.push_back(seconds_since(t0));
        theirs_cpu.push_back(thread_cpu_seconds() - c0);
#endif
      }
      auto gflops = [&](const std::vector<double>& t) { return flop / median(t) / 1e9; };
      char line[160];
      int len = std::snprintf(line, sizeof(line), "%-24s %3d %10.1f", label, threads, gflops(ours));
      if (!theirs.empty()) {
        len += std::snprintf(line + len, sizeof(line) - len, " %10.1f %7.2f", gflops(theirs),
                             gflops(ours) / gflops(theirs));
      } else {
        len += std::snprintf(line + len, sizeof(line) - len, " %10s %7s", "-", "-");
      }
      if (threads == 1) {  // CPU-time based numbers (see thread_cpu_seconds)
        len += std::snprintf(line + len, sizeof(line) - len, " %10.1f", gflops(ours_cpu));
        if (!theirs_cpu.empty())
          std::snprintf(line + len, sizeof(line) - len, " %10.1f %7.2f", gflops(theirs_cpu),
                        gflops(ours_cpu) / gflops(theirs_cpu));
      }
      std::printf("%s\n", line);
      std::fflush(stdout);
    }
  }
  return 0;
}
