// OpenBLAS peer of the float32 GEMM suite: times cblas_sgemm(RowMajor, NoTrans, Trans) - the
// nn.Linear layout, Y[M x N] = X[M x K] * W[N x K]^T - on the shapes given on the command line
// and prints one tagged JSON line of per-shape medians. For M = 1 it also times cblas_sgemv on
// the same data, since OpenBLAS's sgemm does not switch to its gemv path by itself.
// Built at bench time by bench/gemm.js
// (g++ -O2 ... -lopenblas); benchmark-only, never linked into nnslim.
//
// usage: openblas_sgemm THREADS TIME_MS MIN_ITERS WARMUP_MS MxKxN [MxKxN ...]
#include <cblas.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

double now_ms() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double, std::milli>(clock::now().time_since_epoch()).count();
}

struct Lcg {
  uint64_t s;
  float next() {  // uniform in [-1, 1)
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<float>(static_cast<double>(s >> 40) / static_cast<double>(1ULL << 24) * 2.0 - 1.0);
  }
};

float* alloc(size_t n) {
  size_t bytes = ((n * sizeof(float) + 63) / 64) * 64;
  return static_cast<float*>(std::aligned_alloc(64, bytes));
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Samples `fn` like the JS trials do: warm-up, then at least `min_iters` calls and `time_ms`.
template <typename F>
double time_median(F fn, double time_ms, int min_iters, double warmup_ms, size_t* count, int* warm) {
  double t_start = now_ms();
  *warm = 0;
  do {
    fn();
    ++*warm;
  } while (now_ms() - t_start < warmup_ms);
  std::vector<double> samples;
  double total = 0;
  while ((static_cast<int>(samples.size()) < min_iters || total < time_ms) && samples.size() < 1000000) {
    double t0 = now_ms();
    fn();
    double dt = now_ms() - t0;
    samples.push_back(dt);
    total += dt;
  }
  *count = samples.size();
  return median(samples);
}

double cpu_ms() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

std::string json_string(const char* s) {
  std::string out = "\"";
  for (; s && *s; ++s) {
    if (*s == '"' || *s == '\\') out += '\\';
    if (static_cast<unsigned char>(*s) >= 0x20) out += *s;
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s THREADS TIME_MS MIN_ITERS WARMUP_MS MxKxN...\n", argv[0]);
    return 2;
  }
  const int threads = std::atoi(argv[1]);
  const double time_ms = std::atof(argv[2]);
  const int min_iters = std::atoi(argv[3]);
  const double warmup_ms = std::atof(argv[4]);
  openblas_set_num_threads(threads);

  std::string results;
  for (int a = 5; a < argc; ++a) {
    int m = 0, k = 0, n = 0;
    if (std::sscanf(argv[a], "%dx%dx%d", &m, &k, &n) != 3 || m < 1 || k < 1 || n < 1) {
      std::fprintf(stderr, "bad shape %s\n", argv[a]);
      return 2;
    }
    float* x = alloc(size_t(m) * k);
    float* w = alloc(size_t(n) * k);
    float* y = alloc(size_t(m) * n);
    Lcg rng{0x5eed0000ULL + static_cast<uint64_t>(a)};
    for (size_t i = 0; i < size_t(m) * k; ++i) x[i] = rng.next();
    for (size_t i = 0; i < size_t(n) * k; ++i) w[i] = rng.next();
    auto run = [&] {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, x, k, w, k, 0.0f, y, n);
    };
    size_t count = 0;
    int warm = 0;
    const double med = time_median(run, time_ms, min_iters, warmup_ms, &count, &warm);
    // Spot-check the last result against a double-precision dot product, scaled by sum |x||w|.
    double max_err = 0;
    for (int s = 0; s < 16; ++s) {
      int i = static_cast<int>((static_cast<int64_t>(s) * 7919) % m);
      int j = static_cast<int>((static_cast<int64_t>(s) * 104729) % n);
      double ref = 0, mag = 0;
      for (int p = 0; p < k; ++p) {
        ref += double(x[size_t(i) * k + p]) * w[size_t(j) * k + p];
        mag += std::fabs(double(x[size_t(i) * k + p]) * w[size_t(j) * k + p]);
      }
      max_err = std::max(max_err, std::fabs(ref - y[size_t(i) * n + j]) / (mag > 0 ? mag : 1));
    }
    char buf[320];
    std::snprintf(buf, sizeof buf, "%s{\"m\":%d,\"k\":%d,\"n\":%d,\"medianMs\":%.6g,\"samples\":%zu,\"warmupIters\":%d,\"relErr\":%.3g",
                  results.empty() ? "" : ",", m, k, n, med, count, warm, max_err);
    results += buf;
    if (m == 1) {
      auto gemv = [&] { cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, 1.0f, w, k, x, 1, 0.0f, y, 1); };
      size_t gcount = 0;
      int gwarm = 0;
      const double gmed = time_median(gemv, time_ms, min_iters, warmup_ms, &gcount, &gwarm);
      std::snprintf(buf, sizeof buf, ",\"gemvMedianMs\":%.6g", gmed);
      results += buf;
    }
    results += "}";
    std::free(x);
    std::free(w);
    std::free(y);
  }
  std::printf("\n@@nnslim-bench-result@@ {\"contender\":\"openblas\",\"threads\":%d,\"numThreads\":%d,\"config\":%s,\"corename\":%s,\"cpuMs\":%.1f,\"results\":[%s]}\n",
              threads, openblas_get_num_threads(), json_string(openblas_get_config()).c_str(),
              json_string(openblas_get_corename()).c_str(), cpu_ms(), results.c_str());
  return 0;
}
