// Float32 FMA throughput of this machine: each thread runs independent chains of vector FMAs
// (enough chains to hide the FMA latency) for a fixed time, and the best of several
// repetitions is reported. This is the ceiling a GEMM microkernel can approach, measured,
// not taken from a datasheet. Built at bench time by bench/gemm.js; prints one tagged JSON line.
//
// usage: fma_peak THREADS [MS_PER_REP] [REPS]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#elif defined(__aarch64__)
#include <arm_neon.h>
#define HAVE_NEON 1
#endif

namespace {

constexpr long kInner = 1 << 14;  // FMA groups between clock reads

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Each loop keeps its chains in named locals (an array would be spilled to memory and time
// store-forwarding instead of FMAs), returns its flops per second, and feeds the sink.
#define NN_REPEAT12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define NN_REPEAT16(X) NN_REPEAT12(X) X(12) X(13) X(14) X(15)
std::atomic<float> g_sink{0};

#if HAVE_X86
__attribute__((target("avx512f"))) double loop_avx512(double seconds) {
#define DECL(i) __m512 a##i = _mm512_set1_ps(0.001f * i);
#define STEP(i) a##i = _mm512_fmadd_ps(a##i, b, c);
#define SUM(i) s = _mm512_add_ps(s, a##i);
  NN_REPEAT16(DECL)
  const __m512 b = _mm512_set1_ps(0.9999999f), c = _mm512_set1_ps(1e-7f);
  long groups = 0;
  double t0 = now_s();
  do {
    for (long r = 0; r < kInner; ++r) {
      NN_REPEAT16(STEP)
    }
    groups += kInner;
  } while (now_s() - t0 < seconds);
  double dt = now_s() - t0;
  __m512 s = _mm512_setzero_ps();
  NN_REPEAT16(SUM)
#undef DECL
#undef STEP
#undef SUM
  g_sink.store(g_sink.load() + _mm512_reduce_add_ps(s));
  return double(groups) * 16 * 16 * 2 / dt;
}

__attribute__((target("avx2,fma"))) double loop_avx2(double seconds) {
#define DECL(i) __m256 a##i = _mm256_set1_ps(0.001f * i);
#define STEP(i) a##i = _mm256_fmadd_ps(a##i, b, c);
#define SUM(i) s = _mm256_add_ps(s, a##i);
  NN_REPEAT12(DECL)
  const __m256 b = _mm256_set1_ps(0.9999999f), c = _mm256_set1_ps(1e-7f);
  long groups = 0;
  double t0 = now_s();
  do {
    for (long r = 0; r < kInner; ++r) {
      NN_REPEAT12(STEP)
    }
    groups += kInner;
  } while (now_s() - t0 < seconds);
  double dt = now_s() - t0;
  __m256 s = _mm256_setzero_ps();
  NN_REPEAT12(SUM)
#undef DECL
#undef STEP
#undef SUM
  float lanes[8];
  _mm256_storeu_ps(lanes, s);
  g_sink.store(g_sink.load() + lanes[0] + lanes[7]);
  return double(groups) * 12 * 8 * 2 / dt;
}
#endif

#if HAVE_NEON
double loop_neon(double seconds) {
#define DECL(i) float32x4_t a##i = vdupq_n_f32(0.001f * i);
#define STEP(i) a##i = vfmaq_f32(c, a##i, b);
#define SUM(i) s = vaddq_f32(s, a##i);
  NN_REPEAT16(DECL)
  const float32x4_t b = vdupq_n_f32(0.9999999f), c = vdupq_n_f32(1e-7f);
  long groups = 0;
  double t0 = now_s();
  do {
    for (long r = 0; r < kInner; ++r) {
      NN_REPEAT16(STEP)
    }
    groups += kInner;
  } while (now_s() - t0 < seconds);
  double dt = now_s() - t0;
  float32x4_t s = vdupq_n_f32(0.f);
  NN_REPEAT16(SUM)
#undef DECL
#undef STEP
#undef SUM
  g_sink.store(g_sink.load() + vaddvq_f32(s));
  return double(groups) * 16 * 4 * 2 / dt;
}
#endif

// Best aggregate GFLOP/s of `threads` threads running `loop` together, over `reps` repetitions.
double measure(double (*loop)(double), int threads, double seconds, int reps) {
  double best = 0;
  for (int r = 0; r < reps; ++r) {
    std::vector<double> rates(threads);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back([&, t] { rates[t] = loop(seconds); });
    for (auto& th : pool) th.join();
    double sum = 0;
    for (double v : rates) sum += v;
    best = std::max(best, sum / 1e9);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  double seconds = (argc > 2 ? std::atof(argv[2]) : 200) / 1000.0;
  int reps = argc > 3 ? std::atoi(argv[3]) : 5;
  if (threads < 1) threads = 1;
  std::string out;
  char buf[128];
#if HAVE_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    std::snprintf(buf, sizeof buf, "\"avx2\":%.4g", measure(loop_avx2, threads, seconds, reps));
    out += buf;
  }
  if (__builtin_cpu_supports("avx512f")) {
    std::snprintf(buf, sizeof buf, "%s\"avx512\":%.4g", out.empty() ? "" : ",", measure(loop_avx512, threads, seconds, reps));
    out += buf;
  }
#elif HAVE_NEON
  std::snprintf(buf, sizeof buf, "\"neon\":%.4g", measure(loop_neon, threads, seconds, reps));
  out += buf;
#endif
  std::printf("\n@@nnslim-bench-result@@ {\"contender\":\"fma-peak\",\"threads\":%d,\"gflops\":{%s},\"sink\":%g}\n", threads,
              out.c_str(), double(g_sink.load()));
  return 0;
}
