// int8 dot-product throughput of this machine: each thread runs 24 independent chains of
// vpdpbusd (zmm, AVX-512 VNNI; ymm, AVX-VNNI) or sdot (NEON dotprod) for a fixed time; the
// best of several repetitions is reported in GOP/s (one multiply-add = 2 ops) per CPU-second. The ceiling of
// the int8 GEMM micro-kernel, measured. Built at bench time by bench/int8.js.
//
// usage: vnni_peak THREADS [MS_PER_REP] [REPS]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <time.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define HAVE_X86 1
#elif defined(__aarch64__)
#include <arm_neon.h>
#define HAVE_ARM 1
#endif

namespace {

constexpr long kInner = 1 << 13;
std::atomic<long> g_sink{0};

// Thread CPU time, not wall time: on a shared machine a preempted thread would otherwise
// lower the "peak"; the rates are per CPU-second actually received.
double now_s() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

#define NN_REPEAT24(X) \
  X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15) X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23)

#if HAVE_X86
// Inline assembly: with 24 intrinsic chains GCC spills accumulators and times the stores.
__attribute__((target("avx512f,avx512vnni"))) double loop_avx512vnni(double seconds) {
  long groups = 0;
  double t0 = now_s();
  do {
    long n = kInner;
    __asm__ volatile(
      "vpternlogd $0xff, %%zmm30, %%zmm30, %%zmm30\n"
      "vpternlogd $0xff, %%zmm31, %%zmm31, %%zmm31\n"
      "1:\n"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm0\n"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm1\n"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm2\n"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm3\n"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm4\n"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm5\n"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm6\n"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm7\n"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm8\n"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm9\n"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm10\n"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm11\n"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm12\n"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm13\n"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm14\n"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm15\n"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm16\n"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm17\n"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm18\n"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm19\n"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm20\n"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm21\n"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm22\n"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm23\n"
      "dec %0\n"
      "jnz 1b\n"
      : "+r"(n)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
        "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm30",
        "xmm31", "cc");
    groups += kInner;
  } while (now_s() - t0 < seconds);
  double dt = now_s() - t0;
  return double(groups) * 24 * 64 * 2 / dt;
}

__attribute__((target("avx2,avxvnni"))) double loop_avxvnni(double seconds) {
  long groups = 0;
  double t0 = now_s();
  do {
    long n = kInner;
    __asm__ volatile(
      "vpcmpeqd %%ymm14, %%ymm14, %%ymm14\n"
      "vpcmpeqd %%ymm15, %%ymm15, %%ymm15\n"
      "1:\n"
      "%{vex%} vpdpbusd %%ymm15, %%ymm14, %%ymm0\n"
      "%{vex%} vpdpbusd %%ymm15, %%ymm14, %%ymm1\n"
      "%{vex%} vpdpbusd %%ymm15, %%ymm14, %%ymm2\n"
      "%{vex%} vpdpbusd %%ymm15, %%ymm14, %%ymm3\n"
      "%{vex%} vpdpbusd %%ymm15, %%ymm14, %%ymm4\n"
      "%{vex%} vpdpbusd %%ymm15, %%ymm14, %%ymm5\n"
      "%{vex%} vpdpbusd %%ymm15, %%ymm14, %%ymm6\n"
      "%{vex%} vpdpbusd %%ymm15, %%ymm14, %%ymm7\n"
      "%{vex%} vpdpbusd %%ymm15, %%ymm14, %%ymm8\n"
      "%{vex%} vpdpbusd %%ymm15, %%ymm14, %%ymm9\n"
      "%{vex%} vpdpbusd %%ymm15, %%ymm14, %%ymm10\n"
      "%{vex%} vpdpbusd %%ymm15, %%ymm14, %%ymm11\n"
      "%{vex%} vpdpbusd %%ymm15, %%ymm14, %%ymm0\n"
      "%{vex%} vpdpbusd %%ymm15, %%ymm14, %%ymm1\n"
      "%{vex%} vpdpbusd %%ymm15, %%ymm14, %%ymm2\n"
      "%{vex%} vpdpbusd %%ymm15, %%ymm14, %%ymm3\n"
      "%{vex%} vpdpbusd %%ymm15, %%ymm14, %%ymm4\n"
      "%{vex%} vpdpbusd %%ymm15, %%ymm14, %%ymm5\n"
      "%{vex%} vpdpbusd %%ymm15, %%ymm14, %%ymm6\n"
      "%{vex%} vpdpbusd %%ymm15, %%ymm14, %%ymm7\n"
      "%{vex%} vpdpbusd %%ymm15, %%ymm14, %%ymm8\n"
      "%{vex%} vpdpbusd %%ymm15, %%ymm14, %%ymm9\n"
      "%{vex%} vpdpbusd %%ymm15, %%ymm14, %%ymm10\n"
      "%{vex%} vpdpbusd %%ymm15, %%ymm14, %%ymm11\n"
      "dec %0\n"
      "jnz 1b\n"
      : "+r"(n)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm14",
        "xmm15", "cc");
    groups += kInner;
  } while (now_s() - t0 < seconds);
  double dt = now_s() - t0;
  return double(groups) * 24 * 32 * 2 / dt;
}
#endif

#if HAVE_ARM
__attribute__((target("+dotprod"))) double loop_dotprod(double seconds) {
#define DECL(i) int32x4_t a##i = vdupq_n_s32(i);
#define STEP(i) a##i = vdotq_s32(a##i, x, y);
#define SUM(i) s = vaddq_s32(s, a##i);
  NN_REPEAT24(DECL)
  const int8x16_t x = vdupq_n_s8(1), y = vdupq_n_s8(2);
  long groups = 0;
  double t0 = now_s();
  do {
    for (long r = 0; r < kInner; ++r) {
      NN_REPEAT24(STEP)
    }
    groups += kInner;
  } while (now_s() - t0 < seconds);
  double dt = now_s() - t0;
  int32x4_t s = vdupq_n_s32(0);
  NN_REPEAT24(SUM)
#undef DECL
#undef STEP
#undef SUM
  g_sink += vaddvq_s32(s);
  return double(groups) * 24 * 16 * 2 / dt;
}
#endif

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
  double seconds = (argc > 2 ? std::atof(argv[2]) : 50) / 1000.0;
  int reps = argc > 3 ? std::atoi(argv[3]) : 5;
  if (threads < 1) threads = 1;
  std::string out;
  char buf[128];
#if HAVE_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512vnni")) {
    std::snprintf(buf, sizeof buf, "\"avx512vnni\":%.4g", measure(loop_avx512vnni, threads, seconds, reps));
    out += buf;
  }
  unsigned a, b, c, d;
  __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(1));
  if ((a >> 4) & 1) {  // AVX-VNNI
    std::snprintf(buf, sizeof buf, "%s\"avxvnni\":%.4g", out.empty() ? "" : ",", measure(loop_avxvnni, threads, seconds, reps));
    out += buf;
  }
#elif HAVE_ARM
  std::snprintf(buf, sizeof buf, "\"dotprod\":%.4g", measure(loop_dotprod, threads, seconds, reps));
  out += buf;
#endif
  std::printf("\n@@nnslim-bench-result@@ {\"contender\":\"int8-peak\",\"threads\":%d,\"gops\":{%s},\"sink\":%ld}\n", threads,
              out.c_str(), g_sink.load());
  return 0;
}
