// sgemm: every ISA variant the host supports against sgemm_ref, on edge sizes relative to
// the micro-kernel tile, all transpose combinations, wide strides and guard-page buffers.
//
// Tolerance. The reference accumulates in double and rounds once; sgemm accumulates in
// float32 in blocks over k. With |a| <= amax and |b| <= bmax, the float error of a k-term
// sum is at most ~k * eps32 * k * amax * bmax in the worst case but ~sqrt(k) * eps32 * ... in
// practice; we use the documented bound
//   |c - ref| <= 1e-6 * k * amax * bmax * |alpha| + 1e-6 * (|beta * c_old| + |bias| + 1)
// (1e-6 ~ 8.4 eps32 per unit of k; the second term covers the rounding of the epilogue).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "nnslim/cpu.h"
#include "nnslim/kernels.h"
#include "nnslim/reference.h"
#include "nnslim/threadpool.h"
#include "testing.h"

using nnslim::Isa;
using nnslim::SgemmParams;
using nnslim::Status;
using nnslim_test::GuardedBuffer;

namespace {

struct Shape {
  int64_t m, n, k;
  bool ta = false, tb = false;
  int64_t pad_a = 0, pad_b = 0, pad_c = 0;  // extra leading-dimension elements
  float alpha = 1.0f, beta = 0.0f;
  bool bias = false, relu = false;
  bool nan_c = false;  // fill C with NaN (only meaningful with beta == 0)
};

std::string describe(const Shape& s) {
  char buf[256];
  std::snprintf(buf, sizeof(buf),
                "[%s] m=%lld n=%lld k=%lld ta=%d tb=%d pads=%lld/%lld/%lld alpha=%g beta=%g bias=%d "
                "relu=%d nan_c=%d",
                nnslim::sgemm_kernel_name(), static_cast<long long>(s.m),
                static_cast<long long>(s.n), static_cast<long long>(s.k), s.ta, s.tb,
                static_cast<long long>(s.pad_a), static_cast<long long>(s.pad_b),
                static_cast<long long>(s.pad_c), s.alpha, s.beta, s.bias, s.relu, s.nan_c);
  return buf;
}

float uniform(float lo, float hi) {
  std::uniform_real_distribution<float> d(lo, hi);
  return d(nnslim_test::rng());
}

// Elements a stored rows x cols matrix with row stride ld needs, exactly (so the guard page
// sits right after its last element).
size_t extent(int64_t rows, int64_t cols, int64_t ld) {
  return rows == 0 || cols == 0 ? 1 : static_cast<size_t>((rows - 1) * ld + cols);
}

// Runs one shape through sgemm and sgemm_ref; returns false (after reporting) on mismatch.
bool check_shape(const Shape& s) {
  const int64_t a_rows = s.ta ? s.k : s.m, a_cols = s.ta ? s.m : s.k;
  const int64_t b_rows = s.tb ? s.n : s.k, b_cols = s.tb ? s.k : s.n;
  const int64_t lda = std::max<int64_t>(1, a_cols + s.pad_a);
  const int64_t ldb = std::max<int64_t>(1, b_cols + s.pad_b);
  const int64_t ldc = std::max<int64_t>(1, s.n + s.pad_c);
  GuardedBuffer<float> a(extent(a_rows, a_cols, lda)), b(extent(b_rows, b_cols, ldb));
  GuardedBuffer<float> c(extent(s.m, s.n, ldc)), bias(std::max<int64_t>(1, s.n));
  std::vector<float> c_ref(c.size());
  const float amax = 1.0f, bmax = 1.0f;
  for (size_t i = 0; i < a.size(); ++i) a[i] = uniform(-amax, amax);
  for (size_t i = 0; i < b.size(); ++i) b[i] = uniform(-bmax, bmax);
  for (size_t i = 0; i < bias.size(); ++i) bias[i] = uniform(-1.0f, 1.0f);
  const float sentinel = 12345.0f;
  for (size_t i = 0; i < c.size(); ++i) c[i] = s.nan_c ? std::nanf("") : uniform(-1.0f, 1.0f);
  // Padding between rows of C must survive untouched.
  for (int64_t i = 0; i < s.m; ++i)
    for (int64_t j = s.n; j < ldc && i * ldc + j < static_cast<int64_t>(c.size()); ++j)
      c[i * ldc + j] = sentinel;
  std::copy(c.data(), c.data() + c.size(), c_ref.begin());

  SgemmParams p;
  p.trans_a = s.ta;
  p.trans_b = s.tb;
  p.m = s.m;
  p.n = s.n;
  p.k = s.k;
  p.alpha = s.alpha;
  p.beta = s.beta;
  p.a = a.data();
  p.lda = lda;
  p.b = b.data();
  p.ldb = ldb;
  p.c = c.data();
  p.ldc = ldc;
  p.bias = s.bias ? bias.data() : nullptr;
  p.relu = s.relu;
  const Status st = nnslim::sgemm(p);
  if (st != Status::kOk) {
    nnslim_test::report_failure(__FILE__, __LINE__, describe(s) + ": sgemm failed");
    return false;
  }
  SgemmParams r = p;
  r.c = c_ref.data();
  if (nnslim::sgemm_ref(r) != Status::kOk) {
    nnslim_test::report_failure(__FILE__, __LINE__, describe(s) + ": sgemm_ref failed");
    return false;
  }
  const double k_term = 1e-6 * static_cast<double>(s.k) * amax * bmax * std::fabs(s.alpha);
  for (int64_t i = 0; i < s.m; ++i) {
    for (int64_t j = 0; j < ldc; ++j) {
      const int64_t idx = i * ldc + j;
      if (idx >= static_cast<int64_t>(c.size())) break;
      const float got = c[idx], want = c_ref[idx];
      if (j >= s.n) {
        if (got != sentinel) {
          nnslim_test::report_failure(__FILE__, __LINE__,
                         describe(s) + ": wrote padding of C at row " + std::to_string(i));
          return false;
        }
        continue;
      }
      if (std::isnan(want) || std::isnan(got)) {
        if (std::isnan(want) != std::isnan(got)) {
          nnslim_test::report_failure(__FILE__, __LINE__,
                         describe(s) + ": NaN mismatch at (" + std::to_string(i) + "," +
                             std::to_string(j) + ") got " + std::to_string(got) + " want " +
                             std::to_string(want));
          return false;
        }
        continue;
      }
      // c_old is not recoverable here; bound |beta * c_old| by |beta| (C was in [-1, 1]).
      const double tol = k_term + 1e-6 * (std::fabs(s.beta) + (s.bias ? 1.0 : 0.0) + 1.0);
      if (!(std::fabs(static_cast<double>(got) - want) <= tol)) {
        char buf[160];
        std::snprintf(buf, sizeof(buf), ": mismatch at (%lld,%lld) got %.9g want %.9g tol %.3g",
                      static_cast<long long>(i), static_cast<long long>(j), got, want, tol);
        nnslim_test::report_failure(__FILE__, __LINE__, describe(s) + buf);
        return false;
      }
    }
  }
  return true;
}

// The tile of the kernel in use, parsed from its name (f32_gemm_ukernel_<MR>x<NR>__<isa>).
void kernel_tile(int* mr, int* nr) {
  const char* name = nnslim::sgemm_kernel_name();
  const char* p = std::strstr(name, "ukernel_");
  *mr = *nr = 0;
  if (p != nullptr) std::sscanf(p + 8, "%dx%d", mr, nr);
}

void for_all_trans(Shape s, const std::function<bool(const Shape&)>& fn) {
  for (int t = 0; t < 4; ++t) {
    s.ta = (t & 1) != 0;
    s.tb = (t & 2) != 0;
    if (!fn(s)) return;
  }
}

// Restores the thread count at scope exit.
struct ThreadsScope {
  int saved = nnslim::get_num_threads();
  explicit ThreadsScope(int n) { nnslim::set_num_threads(n); }
  ~ThreadsScope() { nnslim::set_num_threads(saved); }
};

}  // namespace

TEST(sgemm_kernel_names) {
  nnslim_test::for_each_isa([](Isa isa) {
    const char* name = nnslim::sgemm_kernel_name();
    EXPECT_MSG(std::strncmp(name, "f32_gemm_ukernel_", 17) == 0, std::string("bad name ") + name);
    int mr = 0, nr = 0;
    kernel_tile(&mr, &nr);
    EXPECT_TRUE(mr > 0 && nr > 0);
    std::printf("     %s -> %s\n", nnslim::isa_name(isa), name);
  });
}

TEST(sgemm_mn_1_to_17) {
  nnslim_test::for_each_isa([](Isa) {
    for (int64_t k : {1, 2, 3, 17}) {
      bool ok = true;
      for (int64_t m = 1; m <= 17 && ok; ++m)
        for (int64_t n = 1; n <= 17 && ok; ++n)
          for_all_trans(Shape{m, n, k}, [&](const Shape& s) { return ok = check_shape(s); });
    }
  });
}

TEST(sgemm_m_lt_mr) {
  nnslim_test::for_each_isa([](Isa) {
    int mr, nr;
    kernel_tile(&mr, &nr);
    for (int64_t m : {int64_t{mr} - 1, int64_t{mr} + 1, 2 * int64_t{mr} - 1})
      for_all_trans(Shape{std::max<int64_t>(1, m), 3 * nr + 5, 37}, check_shape);
  });
}

TEST(sgemm_m_eq_mr) {
  nnslim_test::for_each_isa([](Isa) {
    int mr, nr;
    kernel_tile(&mr, &nr);
    for (int64_t m : {int64_t{mr}, 2 * int64_t{mr}, 3 * int64_t{mr}})
      for_all_trans(Shape{m, 2 * nr, 41}, check_shape);
  });
}

TEST(sgemm_n_edges_nr) {
  nnslim_test::for_each_isa([](Isa) {
    int mr, nr;
    kernel_tile(&mr, &nr);
    for (int64_t n : {int64_t{nr} - 1, int64_t{nr}, int64_t{nr} + 1, 2 * int64_t{nr} + 1})
      for (int64_t m : {int64_t{mr} - 1, int64_t{mr}, int64_t{mr} + 1, int64_t{9}, int64_t{33}})
        for_all_trans(Shape{std::max<int64_t>(1, m), std::max<int64_t>(1, n), 29}, check_shape);
  });
}

TEST(sgemm_k_small_and_prime) {
  nnslim_test::for_each_isa([](Isa) {
    for (int64_t k : {1, 2, 3, 5, 16, 17, 257})
      for (int64_t m : {1, 5, 8, 9, 30})
        for_all_trans(Shape{m, 45, k}, check_shape);
  });
}

TEST(sgemm_k_gt_kc) {
  nnslim_test::for_each_isa([](Isa) {
    for (int64_t k : {300, 513, 1031})
      for (int64_t m : {3, 31})
        for_all_trans(Shape{m, 70, k, false, false, 0, 0, 0, 1.0f, 0.5f, true, true}, check_shape);
  });
}

TEST(sgemm_k_ge_4096) {
  nnslim_test::for_each_isa([](Isa) {
    for_all_trans(Shape{20, 37, 4099}, check_shape);
    for_all_trans(Shape{2, 19, 4096}, check_shape);
  });
}

TEST(sgemm_wide_strides) {
  nnslim_test::for_each_isa([](Isa) {
    for (int64_t m : {1, 7, 16, 29})
      for_all_trans(Shape{m, 33, 19, false, false, 5, 11, 3}, check_shape);
    for_all_trans(Shape{40, 70, 300, false, false, 64, 33, 17, 0.5f, 2.0f, true, false}, check_shape);
  });
}

TEST(sgemm_alpha_beta_bias_relu) {
  nnslim_test::for_each_isa([](Isa) {
    for (float alpha : {1.0f, -0.75f, 2.5f})
      for (float beta : {0.0f, 1.0f, -1.5f})
        for (int flags = 0; flags < 4; ++flags)
          for (int64_t m : {3, 8, 21})
            for_all_trans(Shape{m, 35, 23, false, false, 0, 0, 0, alpha, beta, (flags & 1) != 0,
                                (flags & 2) != 0},
                          check_shape);
  });
}

TEST(sgemm_beta0_ignores_nan_c) {
  nnslim_test::for_each_isa([](Isa) {
    for (int64_t m : {1, 4, 8, 15, 40})
      for (int64_t k : {1, 300})
        for_all_trans(Shape{m, 50, k, false, false, 0, 0, 2, 1.0f, 0.0f, true, false, true},
                      check_shape);
  });
}

TEST(sgemm_small_m_paths) {
  // m <= 8 takes the unpacked-B paths (both B layouts); n and k cover every remainder.
  nnslim_test::for_each_isa([](Isa) {
    for (int64_t m = 1; m <= 9; ++m)
      for (int64_t n : {1, 7, 16, 31, 47, 50, 63, 65, 130})
        for (int64_t k : {1, 15, 16, 33, 100})
          for_all_trans(Shape{m, n, k, false, false, 1, 2, 3, 1.0f, 0.25f, n % 2 == 1, k % 2 == 1},
                        check_shape);
  });
}

TEST(sgemm_small_m_long_k) {
  // m <= 8 with k long enough to be summed in chunks (A interleaved in steps on AVX-512 and
  // AVX2, with a tail step), n across several column groups.
  nnslim_test::for_each_isa([](Isa) {
    for (int64_t m = 1; m <= 8; ++m)
      for (int64_t k : {1024, 3001})
        for_all_trans(Shape{m, 200, k, false, false, 0, 1, 0, 1.0f, 0.5f, true, true}, check_shape);
  });
}

TEST(sgemm_random_shapes) {
  nnslim_test::for_each_isa([](Isa) {
    std::uniform_int_distribution<int> dim(1, 150), pad(0, 9), bit(0, 1);
    auto& r = nnslim_test::rng();
    for (int iter = 0; iter < 60; ++iter) {
      Shape s{dim(r), dim(r), dim(r) * 3, bit(r) == 1, bit(r) == 1, pad(r), pad(r), pad(r)};
      s.alpha = bit(r) ? 1.0f : 0.5f;
      s.beta = bit(r) ? 0.0f : 1.0f;
      s.bias = bit(r) == 1;
      s.relu = bit(r) == 1;
      if (!check_shape(s)) break;
    }
  });
}

TEST(sgemm_threads_1_and_2) {
  for (int threads : {1, 2, 3}) {
    ThreadsScope scope(threads);
    nnslim_test::for_each_isa([](Isa) {
      for_all_trans(Shape{131, 157, 263, false, false, 1, 0, 3, 1.0f, 0.5f, true, true},
                    check_shape);
      // Large enough to run in parallel: the small-m path split over n, the packed path
      // split over m (n is one panel).
      for_all_trans(Shape{6, 1100, 1000}, check_shape);
      for_all_trans(Shape{300, 20, 400}, check_shape);
      // Few rows, large: two tasks per thread along n.
      check_shape(Shape{40, 1000, 900, false, true, 0, 0, 0, 1.0f, 1.0f, true, false});
    });
  }
}

TEST(sgemm_large_square) {
  nnslim_test::for_each_isa([](Isa) { check_shape(Shape{256, 256, 256}); });
  check_shape(Shape{520, 530, 300, false, true});
}

TEST(sgemm_blocking_orders) {
  // Few rows (the B-major order: A packed over the whole k, narrow B column blocks over
  // the whole k, several of them) and many rows (A block per k block, B block per column
  // block), each with several k and column blocks and a partial last one.
  nnslim_test::for_each_isa([](Isa) {
    for (bool tb : {false, true}) {
      check_shape(Shape{70, 300, 1500, false, tb, 0, 3, 0, 1.0f, 0.5f, true, true});
      check_shape(Shape{600, 420, 800, tb, tb, 2, 0, 1, 1.0f, 0.0f, true, false});
    }
  });
}

TEST(sgemm_k_zero) {
  nnslim_test::for_each_isa([](Isa) {
    for (float beta : {0.0f, 1.0f, 0.5f})
      for (int flags = 0; flags < 4; ++flags)
        for_all_trans(Shape{7, 9, 0, false, false, 0, 0, 1, 1.0f, beta, (flags & 1) != 0,
                            (flags & 2) != 0},
                      check_shape);
  });
}

TEST(sgemm_m_or_n_zero_writes_nothing) {
  nnslim_test::for_each_isa([](Isa) {
    GuardedBuffer<float> a(64), b(64), c(64);
    for (size_t i = 0; i < 64; ++i) a[i] = b[i] = c[i] = 7.0f;
    for (int which = 0; which < 2; ++which) {
      SgemmParams p;
      p.m = which == 0 ? 0 : 4;
      p.n = which == 0 ? 4 : 0;
      p.k = 4;
      p.a = a.data();
      p.lda = 4;
      p.b = b.data();
      p.ldb = 4;
      p.c = c.data();
      p.ldc = 4;
      EXPECT_TRUE(nnslim::sgemm(p) == Status::kOk);
    }
    for (size_t i = 0; i < 64; ++i) EXPECT_TRUE(c[i] == 7.0f);
  });
}

TEST(sgemm_concurrent_callers) {
  // Several threads call sgemm at once (as worker_threads and libuv threads do); every
  // result must match a single-threaded run.
  const int64_t m = 70, n = 90, k = 130;
  std::vector<float> a(m * k), b(k * n), expect(m * n);
  for (auto& x : a) x = uniform(-1, 1);
  for (auto& x : b) x = uniform(-1, 1);
  SgemmParams p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.a = a.data();
  p.lda = k;
  p.b = b.data();
  p.ldb = n;
  p.ldc = n;
  p.c = expect.data();
  nnslim::sgemm(p);
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<float> c(m * n);
      SgemmParams q = p;
      q.c = c.data();
      for (int iter = 0; iter < 30; ++iter) {
        q.m = (t % 2 == 0) ? m : 5;  // mix the packed and the small-m paths
        std::fill(c.begin(), c.end(), -1.0f);
        if (nnslim::sgemm(q) != Status::kOk) ++bad;
        for (int64_t i = 0; i < q.m * n; ++i)
          if (std::fabs(c[i] - expect[i]) > 1e-4f) {
            ++bad;
            break;
          }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(sgemm_check_rejects_bad_params) {
  float a[16] = {}, b[16] = {}, c[16] = {};
  SgemmParams good;
  good.m = 2;
  good.n = 3;
  good.k = 4;
  good.a = a;
  good.lda = 4;
  good.b = b;
  good.ldb = 3;
  good.c = c;
  good.ldc = 3;
  EXPECT_TRUE(nnslim::sgemm_check(good) == Status::kOk);
  auto bad = [&](const std::function<void(SgemmParams&)>& edit, const char* what) {
    SgemmParams p = good;
    edit(p);
    EXPECT_MSG(nnslim::sgemm_check(p) == Status::kInvalidArgument, std::string("accepted ") + what);
    EXPECT_MSG(nnslim::sgemm(p) == Status::kInvalidArgument, std::string("sgemm accepted ") + what);
    EXPECT_MSG(nnslim::sgemm_ref(p) == Status::kInvalidArgument, std::string("ref accepted ") + what);
  };
  bad([](SgemmParams& p) { p.m = -1; }, "m < 0");
  bad([](SgemmParams& p) { p.n = -1; }, "n < 0");
  bad([](SgemmParams& p) { p.k = -1; }, "k < 0");
  bad([](SgemmParams& p) { p.lda = 3; }, "lda < k");
  bad([](SgemmParams& p) { p.trans_a = true; p.lda = 1; }, "lda < m (trans_a)");
  bad([](SgemmParams& p) { p.ldb = 2; }, "ldb < n");
  bad([](SgemmParams& p) { p.trans_b = true; p.ldb = 3; }, "ldb < k (trans_b)");
  bad([](SgemmParams& p) { p.ldc = 2; }, "ldc < n");
  bad([](SgemmParams& p) { p.ldc = 0; p.n = 0; }, "ldc < 1");
  bad([](SgemmParams& p) { p.lda = 0; p.k = 0; }, "lda < 1");
  bad([](SgemmParams& p) { p.a = nullptr; }, "null a");
  bad([](SgemmParams& p) { p.b = nullptr; }, "null b");
  bad([](SgemmParams& p) { p.c = nullptr; }, "null c");
  bad([](SgemmParams& p) { p.m = int64_t{1} << 40; p.lda = int64_t{1} << 30; p.k = 4; },
      "A extent overflows int64");
  bad([](SgemmParams& p) { p.m = int64_t{1} << 62; p.n = 8; p.ldc = 8; p.k = 1; p.lda = 1; },
      "m * n overflows");
  bad([](SgemmParams& p) { p.m = int64_t{1} << 21; p.n = int64_t{1} << 21; p.k = int64_t{1} << 21;
                           p.lda = p.k; p.ldb = p.n; p.ldc = p.n; },
      "m * n * k overflows");
  // Null pointers are fine where the matrix is empty.
  SgemmParams empty = good;
  empty.k = 0;
  empty.a = nullptr;
  empty.b = nullptr;
  empty.lda = 1;
  EXPECT_TRUE(nnslim::sgemm_check(empty) == Status::kOk);
  empty.m = 0;
  empty.c = nullptr;
  EXPECT_TRUE(nnslim::sgemm_check(empty) == Status::kOk);
}
