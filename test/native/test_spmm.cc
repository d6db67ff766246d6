// CSR construction and SpMM: every ISA variant the host supports against spmm_ref, on
// random shapes around the kernel tiles (m = 1, tile +- 1, 64 +- 1, > 64), float and int8
// weights, strided X/Y, guard-page buffers.
#include <cfloat>
#include <cmath>
#include <cstring>
#include <vector>

#include "nnslim/reference.h"
#include "nnslim/sparse.h"
#include "nnslim/threadpool.h"
#include "testing.h"

using nnslim_test::GuardedBuffer;
using nnslim_test::rng;

namespace {

float uni(float lo, float hi) {
  return std::uniform_real_distribution<float>(lo, hi)(rng());
}

struct Csr {
  int64_t rows = 0, cols = 0;
  std::vector<int32_t> row_ptr, col_idx;
  std::vector<float> values;
  std::vector<int8_t> q;
  std::vector<float> scales;
};

Csr random_csr(int64_t rows, int64_t cols, double density) {
  Csr w;
  w.rows = rows;
  w.cols = cols;
  w.row_ptr.push_back(0);
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      if (uni(0, 1) < density) {
        w.col_idx.push_back(static_cast<int32_t>(j));
        w.values.push_back(uni(-1, 1));
        w.q.push_back(static_cast<int8_t>(std::lround(uni(-127.49f, 127.49f))));
      }
    }
    w.row_ptr.push_back(static_cast<int32_t>(w.col_idx.size()));
    w.scales.push_back(uni(0.001f, 0.02f));
  }
  return w;
}

void check_spmm(int64_t m, int64_t n, int64_t k, double density, bool quant, bool bias, bool relu,
                int64_t pad) {
  const Csr w = random_csr(n, k, density);
  const int64_t ldx = k + pad, ldy = n + pad;
  const size_t nnz = w.col_idx.size();
  GuardedBuffer<float> x(static_cast<size_t>(m * ldx));
  GuardedBuffer<float> y(static_cast<size_t>(m * ldy)), yref(static_cast<size_t>(m * ldy));
  GuardedBuffer<int32_t> col(nnz), rp(w.row_ptr.size());
  GuardedBuffer<float> vals(nnz), sc(static_cast<size_t>(n)), b(static_cast<size_t>(n));
  GuardedBuffer<int8_t> qv(nnz);
  for (size_t i = 0; i < x.size(); ++i) x[i] = uni(-2, 2);
  std::memcpy(rp.data(), w.row_ptr.data(), w.row_ptr.size() * 4);
  if (nnz > 0) {
    std::memcpy(col.data(), w.col_idx.data(), nnz * 4);
    std::memcpy(vals.data(), w.values.data(), nnz * 4);
    std::memcpy(qv.data(), w.q.data(), nnz);
  }
  std::memcpy(sc.data(), w.scales.data(), static_cast<size_t>(n) * 4);
  for (int64_t i = 0; i < n; ++i) b[static_cast<size_t>(i)] = uni(-1, 1);
  EXPECT_TRUE(nnslim::csr_validate(n, k, rp.data(), col.data(), static_cast<int64_t>(nnz)) == nnslim::Status::kOk);

  nnslim::SpmmParams p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.row_ptr = rp.data();
  p.col_idx = nnz ? col.data() : nullptr;
  if (quant) {
    p.qvalues = nnz ? qv.data() : nullptr;
    p.scales = sc.data();
  } else {
    p.values = nnz ? vals.data() : nullptr;
  }
  p.x = x.data();
  p.ldx = ldx;
  p.ldy = ldy;
  p.bias = bias ? b.data() : nullptr;
  p.relu = relu;
  for (size_t i = 0; i < y.size(); ++i) y[i] = yref[i] = -777.0f;
  p.y = yref.data();
  EXPECT_TRUE(nnslim::spmm_ref(p) == nnslim::Status::kOk);
  nnslim_test::for_each_isa([&](nnslim::Isa isa) {
    for (size_t i = 0; i < y.size(); ++i) y[i] = -777.0f;
    p.y = y.data();
    EXPECT_TRUE(nnslim::spmm(p) == nnslim::Status::kOk);
    int bad = 0;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t r = 0; r < n; ++r) {
        double mag = 0;
        for (int32_t j = w.row_ptr[r]; j < w.row_ptr[r + 1]; ++j)
          mag += std::fabs((quant ? w.q[j] * w.scales[r] : w.values[j]) * x[i * ldx + w.col_idx[j]]);
        const int cnt = w.row_ptr[r + 1] - w.row_ptr[r];
        const double tol = 2.0 * (cnt + 2) * FLT_EPSILON * mag + 2 * FLT_EPSILON * (bias ? 1 : 0) + 1e-30;
        const float got = y[i * ldy + r], want = yref[i * ldy + r];
        if (!(std::fabs(got - want) <= tol) && bad++ < 3)
          EXPECT_MSG(false, std::string(nnslim::isa_name(isa)) + " m=" + std::to_string(m) + " n=" +
                                std::to_string(n) + " k=" + std::to_string(k) + " q=" + std::to_string(quant) +
                                " at (" + std::to_string(i) + "," + std::to_string(r) + "): " +
                                std::to_string(got) + " vs " + std::to_string(want));
      }
      for (int64_t r = n; r < ldy; ++r)
        EXPECT_TRUE(y[i * ldy + r] == -777.0f);  // padding untouched
    }
  });
}

}  // namespace

TEST(spmm_matches_reference_edges) {
  const int64_t ms[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 33, 48, 63, 64, 65, 100, 130};
  for (int64_t m : ms) {
    check_spmm(m, 37, 53, 0.3, false, true, false, 0);
    check_spmm(m, 19, 129, 0.1, true, true, true, 3);
  }
  for (int64_t k : {1, 2, 3, 17, 257}) check_spmm(5, 16, k, 0.5, false, false, true, 1);
  check_spmm(1, 33, 1000, 0.05, false, true, false, 0);   // gather path, long rows, masked tails
  check_spmm(1, 33, 1000, 0.05, true, false, false, 0);
  check_spmm(4, 8, 8, 0.0, false, true, true, 0);         // empty matrix: bias/relu only
  check_spmm(3, 8, 8, 1.0, true, false, false, 0);        // dense
}

TEST(spmm_multithreaded_matches_reference) {
  const int saved = nnslim::get_num_threads();
  nnslim::set_num_threads(4);
  check_spmm(1, 300, 700, 0.1, false, true, false, 0);
  check_spmm(70, 300, 500, 0.1, false, true, true, 0);
  check_spmm(64, 257, 300, 0.2, true, false, true, 2);
  nnslim::set_num_threads(saved);
}

TEST(spmm_rejects_bad_arguments) {
  int32_t rp[3] = {0, 1, 1};
  int32_t ci[1] = {0};
  float v[1] = {1}, x[4] = {}, y[4] = {};
  nnslim::SpmmParams p;
  p.m = 2;
  p.n = 2;
  p.k = 2;
  p.row_ptr = rp;
  p.col_idx = ci;
  p.values = v;
  p.x = x;
  p.ldx = 1;  // < k
  p.y = y;
  p.ldy = 2;
  EXPECT_TRUE(nnslim::spmm(p) == nnslim::Status::kInvalidArgument);
  p.ldx = 2;
  EXPECT_TRUE(nnslim::spmm(p) == nnslim::Status::kOk);
  p.values = nullptr;
  EXPECT_TRUE(nnslim::spmm(p) == nnslim::Status::kInvalidArgument);
  int8_t q[1] = {1};
  p.qvalues = q;  // without scales
  EXPECT_TRUE(nnslim::spmm(p) == nnslim::Status::kInvalidArgument);
}

TEST(csr_validate_catches_bad_structure) {
  int32_t rp_ok[3] = {0, 2, 3}, ci_ok[3] = {0, 2, 1};
  EXPECT_TRUE(nnslim::csr_validate(2, 3, rp_ok, ci_ok, 3) == nnslim::Status::kOk);
  int32_t rp_start[3] = {1, 2, 3};
  EXPECT_TRUE(nnslim::csr_validate(2, 3, rp_start, ci_ok, 3) == nnslim::Status::kInvalidArgument);
  int32_t rp_dec[3] = {0, 3, 2};
  EXPECT_TRUE(nnslim::csr_validate(2, 3, rp_dec, ci_ok, 2) == nnslim::Status::kInvalidArgument);
  EXPECT_TRUE(nnslim::csr_validate(2, 3, rp_ok, ci_ok, 4) == nnslim::Status::kInvalidArgument);
  int32_t ci_range[3] = {0, 3, 1};
  EXPECT_TRUE(nnslim::csr_validate(2, 3, rp_ok, ci_range, 3) == nnslim::Status::kInvalidArgument);
  int32_t ci_neg[3] = {-1, 2, 1};
  EXPECT_TRUE(nnslim::csr_validate(2, 3, rp_ok, ci_neg, 3) == nnslim::Status::kInvalidArgument);
  int32_t ci_unsorted[3] = {2, 0, 1};
  EXPECT_TRUE(nnslim::csr_validate(2, 3, rp_ok, ci_unsorted, 3) == nnslim::Status::kInvalidArgument);
  int32_t ci_dup[3] = {1, 1, 1};
  EXPECT_TRUE(nnslim::csr_validate(2, 3, rp_ok, ci_dup, 3) == nnslim::Status::kInvalidArgument);
}

TEST(csr_from_dense_threshold_and_mask) {
  for (int threads : {1, 3}) {
    const int saved = nnslim::get_num_threads();
    nnslim::set_num_threads(threads);
    for (int64_t rows : {1, 5, 300}) {
      for (int64_t cols : {1, 7, 513}) {
        const int64_t ld = cols + 2;
        GuardedBuffer<float> a(static_cast<size_t>(rows * ld));
        GuardedBuffer<uint8_t> mask(static_cast<size_t>(rows * cols));
        for (size_t i = 0; i < a.size(); ++i) a[i] = uni(0, 1) < 0.3f ? 0.0f : uni(-1, 1);
        a[0] = NAN;
        for (size_t i = 0; i < mask.size(); ++i) mask[i] = uni(0, 1) < 0.4f ? 1 : 0;
        for (int use_mask = 0; use_mask < 2; ++use_mask) {
          nnslim::CsrFromDenseParams p;
          p.rows = rows;
          p.cols = cols;
          p.dense = a.data();
          p.ld = ld;
          p.mask = use_mask ? mask.data() : nullptr;
          p.ld_mask = cols;
          p.threshold = 0.25f;
          std::vector<int32_t> rp(static_cast<size_t>(rows + 1));
          EXPECT_TRUE(nnslim::csr_count(p, rp.data()) == nnslim::Status::kOk);
          const int32_t nnz = rp[static_cast<size_t>(rows)];
          std::vector<int32_t> ci(static_cast<size_t>(nnz) + 1);
          std::vector<float> v(static_cast<size_t>(nnz) + 1);
          EXPECT_TRUE(nnslim::csr_fill(p, rp.data(), ci.data(), v.data()) == nnslim::Status::kOk);
          EXPECT_TRUE(nnslim::csr_validate(rows, cols, rp.data(), ci.data(), nnz) == nnslim::Status::kOk);
          // Naive rebuild.
          size_t o = 0;
          bool same = true;
          for (int64_t i = 0; i < rows; ++i) {
            for (int64_t j = 0; j < cols; ++j) {
              const float e = a[static_cast<size_t>(i * ld + j)];
              const bool kept = use_mask ? mask[static_cast<size_t>(i * cols + j)] != 0 : !(std::fabs(e) <= 0.25f);
              if (!kept) continue;
              if (o >= static_cast<size_t>(nnz) || ci[o] != j ||
                  !(v[o] == e || (std::isnan(v[o]) && std::isnan(e))))
                same = false;
              ++o;
            }
            if (rp[static_cast<size_t>(i + 1)] != static_cast<int32_t>(o)) same = false;
          }
          EXPECT_TRUE(same && o == static_cast<size_t>(nnz));
        }
      }
    }
    nnslim::set_num_threads(saved);
  }
}

namespace {

void check_packed(int64_t m, int64_t n, int64_t k, double density, bool quant, bool relu) {
  const Csr w = random_csr(n, k, density);
  const size_t nnz = w.col_idx.size();
  nnslim::CsrInput in;
  in.rows = n;
  in.cols = k;
  in.row_ptr = w.row_ptr.data();
  in.col_idx = w.col_idx.data();
  if (quant) {
    in.qvalues = w.q.data();
    in.scales = w.scales.data();
  } else {
    in.values = w.values.data();
  }
  nnslim::PackedCsr* pw = nullptr;
  EXPECT_TRUE(nnslim::csr_pack(in, &pw) == nnslim::Status::kOk);
  if (pw == nullptr) return;
  GuardedBuffer<float> x(static_cast<size_t>(m * k)), y(static_cast<size_t>(m * n)), b(static_cast<size_t>(n));
  std::vector<float> yref(static_cast<size_t>(m * n));
  for (size_t i = 0; i < x.size(); ++i) x[i] = uni(-2, 2);
  for (size_t i = 0; i < b.size(); ++i) b[i] = uni(-1, 1);
  // A column no row uses holds inf: padded lanes must not turn it into NaN.
  std::vector<bool> used(static_cast<size_t>(k), false);
  for (int32_t c : w.col_idx) used[static_cast<size_t>(c)] = true;
  for (int64_t c = 0; c < k; ++c)
    if (!used[static_cast<size_t>(c)]) {
      for (int64_t i = 0; i < m; ++i) x[static_cast<size_t>(i * k + c)] = INFINITY;
      break;
    }
  nnslim::SpmmParams p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.row_ptr = w.row_ptr.data();
  p.col_idx = nnz ? w.col_idx.data() : nullptr;
  p.values = quant ? nullptr : w.values.data();
  p.qvalues = quant ? w.q.data() : nullptr;
  p.scales = quant ? w.scales.data() : nullptr;
  p.x = x.data();
  p.ldx = k;
  p.y = yref.data();
  p.ldy = n;
  p.bias = b.data();
  p.relu = relu;
  nnslim::spmm_ref(p);
  nnslim_test::for_each_isa([&](nnslim::Isa isa) {
    for (size_t i = 0; i < y.size(); ++i) y[i] = -777.0f;
    EXPECT_TRUE(nnslim::spmm_packed(pw, m, x.data(), k, y.data(), n, b.data(), relu) == nnslim::Status::kOk);
    int bad = 0;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t r = 0; r < n; ++r) {
        double mag = 0;
        for (int32_t j = w.row_ptr[r]; j < w.row_ptr[r + 1]; ++j)
          mag += std::fabs((quant ? w.q[j] * w.scales[r] : w.values[j]) * x[i * k + w.col_idx[j]]);
        const int cnt = w.row_ptr[r + 1] - w.row_ptr[r];
        const double tol = 2.0 * (cnt + 2) * FLT_EPSILON * mag + 4 * FLT_EPSILON;
        const float got = y[i * n + r], want = yref[i * n + r];
        if (!(std::fabs(got - want) <= tol) && bad++ < 3)
          EXPECT_MSG(false, std::string("packed ") + nnslim::isa_name(isa) + " m=" + std::to_string(m) + " n=" +
                                std::to_string(n) + " k=" + std::to_string(k) + ": " + std::to_string(got) + " vs " +
                                std::to_string(want));
      }
  });
  nnslim::csr_packed_free(pw);
}

}  // namespace

TEST(spmm_packed_matches_reference) {
  for (int64_t n : {1, 15, 16, 17, 33})
    for (int64_t k : {1, 31, 32, 33, 100})
      for (int64_t m : {1, 2, 9}) {
        check_packed(m, n, k, 0.2, false, m == 2);
        check_packed(m, n, k, 0.6, true, false);
      }
  check_packed(1, 300, 769, 0.1, false, true);
  check_packed(1, 64, 64, 0.0, false, false);
  check_packed(1, 64, 64, 1.0, true, true);
  const int saved = nnslim::get_num_threads();
  nnslim::set_num_threads(3);
  check_packed(1, 500, 700, 0.1, false, false);
  nnslim::set_num_threads(saved);
}

// Shapes where the packed weights carry column-block bounds (k > 256, density <= 1/3) and X^T
// is large enough for the blocked kernel (k * mp * 4 >= 128 KiB, mp % 16 == 0), next to ones
// just outside those conditions that take the plain rows kernel from the same packing.
TEST(spmm_packed_column_blocks_match_reference) {
  check_packed(64, 200, 600, 0.1, false, true);    // 3 blocks, the last 88 columns wide
  check_packed(57, 130, 700, 0.3, true, false);    // int8, 2 tiles of 64 rows + 2
  check_packed(48, 70, 800, 0.05, false, false);   // mp = 48
  check_packed(128, 65, 520, 0.2, false, true);    // two X blocks of 64 rows
  check_packed(64, 40, 1030, 0.0, false, true);    // no non-zeros: y = relu(bias)
  check_packed(64, 3, 2100, 0.02, true, true);     // many blocks, rows with empty segments
  check_packed(64, 50, 600, 0.5, false, false);    // too dense for bounds: rows kernel
  check_packed(32, 50, 600, 0.1, false, false);    // X^T 75 KiB: rows kernel
  check_packed(40, 50, 900, 0.1, true, false);     // mp = 40: rows kernel
  // Y rows 4 KiB apart: the AVX epilogue stages its transposed rows (16- and 64-row tiles).
  check_packed(64, 1024, 300, 0.1, false, true);
  check_packed(57, 1024, 600, 0.05, true, true);
  const int saved = nnslim::get_num_threads();
  nnslim::set_num_threads(3);
  check_packed(64, 300, 600, 0.1, false, false);
  check_packed(100, 301, 777, 0.15, true, true);
  nnslim::set_num_threads(saved);
}

TEST(csr_pack_rejects_bad_structure) {
  int32_t rp[3] = {0, 2, 3}, ci[3] = {0, 2, 1}, bad_ci[3] = {2, 0, 1};
  float v[3] = {1, 2, 3};
  nnslim::CsrInput in;
  in.rows = 2;
  in.cols = 3;
  in.row_ptr = rp;
  in.col_idx = bad_ci;
  in.values = v;
  nnslim::PackedCsr* w = nullptr;
  EXPECT_TRUE(nnslim::csr_pack(in, &w) == nnslim::Status::kInvalidArgument);
  EXPECT_TRUE(w == nullptr);
  in.col_idx = ci;
  in.values = nullptr;  // neither values nor qvalues
  EXPECT_TRUE(nnslim::csr_pack(in, &w) == nnslim::Status::kInvalidArgument);
  in.values = v;
  EXPECT_TRUE(nnslim::csr_pack(in, &w) == nnslim::Status::kOk);
  EXPECT_TRUE(nnslim::csr_packed_bytes(w) > 0);
  nnslim::csr_packed_free(w);
}
