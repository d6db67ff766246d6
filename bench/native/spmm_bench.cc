// Standalone SpMM benchmark (no Node): median time of nnslim::spmm, Y = X · Wᵀ with W sparse
// (random unstructured sparsity), 1 thread, in GFLOP/s counted as 2 · nnz · M, through the
// raw-CSR entry point and through packed weights (csr_pack, what nn.SparseLinear uses). For quick
// kernel work; `npm run bench` (bench/sparse.js) is the benchmark of record.
//
//   g++ -O2 -std=c++17 -Inative/include bench/native/spmm_bench.cc
//       -Wl,--start-group build-cmake/libnnslim_kernels.a build-cmake/libnnslim_isa_*.a
//       -Wl,--end-group -lpthread -o spmm_bench
//   spmm_bench [N K M sparsity [iterations]]       (default 768 768 64 0.9 200)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "nnslim/cpu.h"
#include "nnslim/sparse.h"
#include "nnslim/threadpool.h"

int main(int argc, char** argv) {
  const int64_t n = argc > 4 ? std::atoll(argv[1]) : 768;
  const int64_t k = argc > 4 ? std::atoll(argv[2]) : 768;
  const int64_t m = argc > 4 ? std::atoll(argv[3]) : 64;
  const double sparsity = argc > 4 ? std::atof(argv[4]) : 0.9;
  const int iters = argc > 5 ? std::atoi(argv[5]) : 200;
  if (n < 1 || k < 1 || m < 1 || !(sparsity >= 0 && sparsity < 1) || iters < 1) {
    std::fprintf(stderr, "usage: spmm_bench [N K M sparsity [iterations]]\n");
    return 2;
  }
  nnslim::set_num_threads(1);
  uint64_t s = 88172645463325252ull;
  auto next = [&] {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return static_cast<double>(s >> 11) / 9007199254740992.0;
  };
  std::vector<int32_t> row_ptr(1, 0), col_idx;
  std::vector<float> values;
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t c = 0; c < k; ++c) {
      if (next() < sparsity) continue;
      col_idx.push_back(static_cast<int32_t>(c));
      values.push_back(static_cast<float>(next() * 2 - 1));
    }
    row_ptr.push_back(static_cast<int32_t>(col_idx.size()));
  }
  std::vector<float> x(static_cast<size_t>(m * k)), y(static_cast<size_t>(m * n));
  for (float& v : x) v = static_cast<float>(next() * 2 - 1);
  nnslim::SpmmParams p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.row_ptr = row_ptr.data();
  p.col_idx = col_idx.data();
  p.values = values.data();
  p.x = x.data();
  p.ldx = k;
  p.y = y.data();
  p.ldy = n;
  nnslim::CsrInput in;
  in.rows = n;
  in.cols = k;
  in.row_ptr = row_ptr.data();
  in.col_idx = col_idx.data();
  in.values = values.data();
  nnslim::PackedCsr* packed = nullptr;
  if (nnslim::csr_pack(in, &packed) != nnslim::Status::kOk) {
    std::fprintf(stderr, "csr_pack failed\n");
    return 1;
  }
  // The raw-CSR call and the packed one (what nn.SparseLinear and `npm run bench` use).
  struct Way {
    const char* name;
    std::function<nnslim::Status()> run;
  };
  const Way ways[] = {
      {"spmm (raw CSR)", [&] { return nnslim::spmm(p); }},
      {"spmm_packed", [&] { return nnslim::spmm_packed(packed, m, x.data(), k, y.data(), n, nullptr, false); }},
  };
  const double nnz = static_cast<double>(col_idx.size());
  std::printf("W %lldx%lld sparsity %.2f (nnz %.0f), M %lld, kernel %s, 1 thread\n", static_cast<long long>(n),
              static_cast<long long>(k), sparsity, nnz, static_cast<long long>(m), nnslim::spmm_kernel_name());
  double worst = 0;
  for (const Way& way : ways) {
    std::fill(y.begin(), y.end(), 0.0f);
    if (way.run() != nnslim::Status::kOk) {
      std::fprintf(stderr, "%s failed\n", way.name);
      return 1;
    }
    // Spot check against a double-precision dot product.
    for (int64_t i = 0; i < m; i += 7)
      for (int64_t r = 0; r < n; r += 13) {
        double ref = 0, mag = 0;
        for (int32_t j = row_ptr[r]; j < row_ptr[r + 1]; ++j) {
          ref += static_cast<double>(values[j]) * x[i * k + col_idx[j]];
          mag += std::abs(static_cast<double>(values[j]) * x[i * k + col_idx[j]]);
        }
        worst = std::max(worst, std::abs(ref - y[i * n + r]) / (mag + 1e-30));
      }
    std::vector<double> ms;
    for (int it = 0; it < iters; ++it) {
      const auto t0 = std::chrono::steady_clock::now();
      way.run();
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    const double med = ms[ms.size() / 2];
    std::printf("  %-16s %9.1f us %7.1f GFLOP/s\n", way.name, med * 1e3, 2 * nnz * static_cast<double>(m) / (med * 1e6));
  }
  std::printf("  max rel err %.1e\n", worst);
  nnslim::csr_packed_free(packed);
  return worst < 1e-4 ? 0 : 1;
}
