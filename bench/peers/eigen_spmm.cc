// Eigen peer of the SpMM suite: a row-major Eigen::SparseMatrix<float> W (N x K, random
// unstructured sparsity) times a dense matrix, Y[M x N] = X[M x K] * W^T, timed two ways and
// both reported: "colmajor" maps X as the column-major K x M matrix X^T (no copy: Y^T = W X^T,
// Eigen's sparse-row x dense-column dot products), "rowmajor" gives Eigen X^T as a row-major
// K x M matrix transposed outside the timing (Eigen's row-axpy kernel, its best case).
// Built at bench time by bench/sparse.js (g++ -O3 -I/usr/include/eigen3); benchmark-only.
//
// usage: eigen_spmm TIME_MS MIN_ITERS WARMUP_MS MxKxN@SPARSITY [...]
#include <Eigen/Dense>
#include <Eigen/Sparse>

#include <algorithm>
#include <chrono>
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
  double next01() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(s >> 40) / static_cast<double>(1ULL << 24);
  }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

template <typename F>
double time_it(F&& run, double time_ms, int min_iters, double warmup_ms, size_t* count) {
  const double t_start = now_ms();
  do run(); while (now_ms() - t_start < warmup_ms);
  std::vector<double> samples;
  double total = 0;
  while ((static_cast<int>(samples.size()) < min_iters || total < time_ms) && samples.size() < 1000000) {
    const double t0 = now_ms();
    run();
    const double dt = now_ms() - t0;
    samples.push_back(dt);
    total += dt;
  }
  *count = samples.size();
  return median(samples);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s TIME_MS MIN_ITERS WARMUP_MS MxKxN@SPARSITY...\n", argv[0]);
    return 2;
  }
  const double time_ms = std::atof(argv[1]);
  const int min_iters = std::atoi(argv[2]);
  const double warmup_ms = std::atof(argv[3]);
  std::string results;
  for (int a = 4; a < argc; ++a) {
    int m = 0, k = 0, n = 0;
    double sparsity = 0;
    if (std::sscanf(argv[a], "%dx%dx%d@%lf", &m, &k, &n, &sparsity) != 4 || m < 1 || k < 1 || n < 1) {
      std::fprintf(stderr, "bad shape %s\n", argv[a]);
      return 2;
    }
    Lcg rng{0x5eed0000ULL + static_cast<uint64_t>(a)};
    std::vector<Eigen::Triplet<float>> trip;
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < k; ++j) {
        const float v = static_cast<float>(rng.next01() * 2 - 1);
        if (rng.next01() >= sparsity) trip.emplace_back(i, j, v);
      }
    Eigen::SparseMatrix<float, Eigen::RowMajor> w(n, k);
    w.setFromTriplets(trip.begin(), trip.end());
    w.makeCompressed();
    std::vector<float> x(size_t(m) * k), y(size_t(m) * n);
    for (auto& v : x) v = static_cast<float>(rng.next01() * 2 - 1);
    Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>> xt(x.data(), k, m);
    Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>> yt(y.data(), n, m);
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> xt_row = xt;
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> yt_row(n, m);
    size_t c1 = 0, c2 = 0;
    const double col_ms = time_it([&] { yt.noalias() = w * xt; }, time_ms, min_iters, warmup_ms, &c1);
    const double row_ms = time_it([&] { yt_row.noalias() = w * xt_row; }, time_ms, min_iters, warmup_ms, &c2);
    const double diff = (yt_row - yt).cwiseAbs().maxCoeff();
    char buf[320];
    std::snprintf(buf, sizeof buf,
                  "%s{\"m\":%d,\"k\":%d,\"n\":%d,\"sparsity\":%g,\"nnz\":%ld,\"colmajorMs\":%.6g,\"rowmajorMs\":%.6g,\"samples\":%zu,\"layoutDiff\":%.3g}",
                  results.empty() ? "" : ",", m, k, n, sparsity, static_cast<long>(w.nonZeros()), col_ms, row_ms, c1 + c2, diff);
    results += buf;
  }
  std::printf("\n@@nnslim-bench-result@@ {\"contender\":\"eigen\",\"version\":\"%d.%d.%d\",\"results\":[%s]}\n",
              EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION, results.c_str());
  return 0;
}
