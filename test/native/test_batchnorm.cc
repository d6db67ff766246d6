// Fused batchnorm: every ISA variant against the *_ref loops on [N, C] and [N, C, L] shapes
// around the vector widths, in-place apply, the non-temporal path, and a large-offset input
// (mean >> std) for the stability of the one-pass statistics.
#include <cfloat>
#include <cmath>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "nnslim/batchnorm.h"
#include "nnslim/reference.h"
#include "nnslim/threadpool.h"
#include "testing.h"

using nnslim_test::GuardedBuffer;
using nnslim_test::rng;

namespace {

float uni(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(rng()); }

bool close(float got, float want, double rel, double abs_tol) {
  return std::fabs(static_cast<double>(got) - want) <= abs_tol + rel * std::fabs(static_cast<double>(want));
}

// gx, gy: floats left between the end of x (y) and its guard page, which sets where the array
// starts within a 4 KiB page; y's gap holds a sentinel that no call may overwrite.
void check_bn(int64_t n, int64_t c, int64_t l, float offset, bool affine, bool relu, size_t gx = 0, size_t gy = 0) {
  const size_t total = static_cast<size_t>(n * c * l);
  const size_t cs = static_cast<size_t>(c);
  GuardedBuffer<float> x(total + gx, 1), y(total + gy, 1), yref(total), dy(total), dx(total), dxref(total);
  constexpr float kSentinel = -12345.0f;
  for (size_t i = total; i < total + gy; ++i) y[i] = kSentinel;
  auto gap_intact = [&] {
    for (size_t i = total; i < total + gy; ++i)
      if (y[i] != kSentinel) return false;
    return true;
  };
  std::vector<float> gamma(cs), beta(cs), mean(cs), var(cs), invstd(cs), mref(cs), vref(cs), iref(cs);
  std::vector<float> dg(cs), db(cs), dgref(cs), dbref(cs);
  for (size_t i = 0; i < total; ++i) {
    x[i] = offset + uni(-3, 3) * (1.0f + static_cast<float>(i % cs) * 0.1f);
    dy[i] = uni(-1, 1);
  }
  for (size_t j = 0; j < cs; ++j) {
    gamma[j] = uni(0.5f, 1.5f);
    beta[j] = uni(-1, 1);
  }
  nnslim::BatchnormTrainParams tp;
  tp.n = n;
  tp.c = c;
  tp.l = l;
  tp.x = x.data();
  tp.gamma = affine ? gamma.data() : nullptr;
  tp.beta = affine ? beta.data() : nullptr;
  tp.relu = relu;
  tp.y = yref.data();
  tp.mean = mref.data();
  tp.var = vref.data();
  tp.invstd = iref.data();
  nnslim::batchnorm_train_forward_ref(tp);
  nnslim::BatchnormBackwardParams bp;
  bp.n = n;
  bp.c = c;
  bp.l = l;
  bp.x = x.data();
  bp.dy = dy.data();
  bp.mean = mref.data();
  bp.invstd = iref.data();
  bp.gamma = affine ? gamma.data() : nullptr;
  bp.dx = dxref.data();
  bp.dgamma = dgref.data();
  bp.dbeta = dbref.data();
  nnslim::batchnorm_backward_ref(bp);
  nnslim::BatchnormApplyParams ap;
  ap.n = n;
  ap.c = c;
  ap.l = l;
  ap.x = x.data();
  ap.scale = gamma.data();
  ap.shift = beta.data();
  ap.relu = relu;
  std::vector<float> aref(total);
  ap.y = aref.data();
  nnslim::batchnorm_apply_ref(ap);
  // Eval-mode apply with the batch statistics as running statistics: (x - mean) * scale + shift.
  std::vector<float> evscale(cs), mref_ref(total);
  for (size_t j = 0; j < cs; ++j) evscale[j] = (affine ? gamma[j] : 1.0f) * iref[j];
  nnslim::BatchnormApplyParams em = ap;
  em.mean = mref.data();
  em.scale = evscale.data();
  em.y = mref_ref.data();
  nnslim::batchnorm_apply_ref(em);

  const std::string shape = "[" + std::to_string(n) + "," + std::to_string(c) + "," + std::to_string(l) + "]";
  nnslim_test::for_each_isa([&](nnslim::Isa isa) {
    const std::string where = std::string(nnslim::isa_name(isa)) + " " + shape;
    tp.y = y.data();
    tp.mean = mean.data();
    tp.var = var.data();
    tp.invstd = invstd.data();
    EXPECT_TRUE(nnslim::batchnorm_train_forward(tp) == nnslim::Status::kOk);
    EXPECT_MSG(gap_intact(), where + " training forward wrote past y");
    int bad = 0;
    for (size_t j = 0; j < cs; ++j) {
      // The mean is accurate relative to the channel's spread, not to its own size.
      const double sd = std::sqrt(static_cast<double>(vref[j]));
      if (!close(mean[j], mref[j], 1e-6, 1e-6 * sd + 1e-7) || !close(var[j], vref[j], 1e-5, 1e-7) ||
          !close(invstd[j], iref[j], 1e-5, 0))
        if (bad++ < 3) EXPECT_MSG(false, where + " stats c=" + std::to_string(j) + ": " + std::to_string(mean[j]) + "/" +
                                             std::to_string(mref[j]) + " var " + std::to_string(var[j]) + "/" + std::to_string(vref[j]));
    }
    // |y| is O(1) after normalization; x - mean in float loses ulp(x, mean) * gamma * invstd.
    for (size_t i = 0; i < total; ++i) {
      const size_t ch = (i / static_cast<size_t>(l)) % cs;
      const double ytol = 4e-6 + 2.0 * FLT_EPSILON * (std::fabs(x[i]) + std::fabs(mref[ch])) * iref[ch] *
                                     (affine ? gamma[ch] : 1.0f);
      if (!close(y[i], yref[i], 1e-5, ytol) && bad++ < 3)
        EXPECT_MSG(false, where + " y[" + std::to_string(i) + "] " + std::to_string(y[i]) + " vs " + std::to_string(yref[i]));
    }
    bp.dx = dx.data();
    bp.dgamma = dg.data();
    bp.dbeta = db.data();
    bp.mean = mref.data();
    bp.invstd = iref.data();
    EXPECT_TRUE(nnslim::batchnorm_backward(bp) == nnslim::Status::kOk);
    const double scale_sum = std::sqrt(static_cast<double>(n * l));
    for (size_t j = 0; j < cs; ++j)
      if ((!close(db[j], dbref[j], 1e-5, 1e-5 * scale_sum) || !close(dg[j], dgref[j], 1e-5, 1e-5 * scale_sum)) && bad++ < 3)
        EXPECT_MSG(false, where + " dgamma/dbeta c=" + std::to_string(j));
    for (size_t i = 0; i < total; ++i)
      if (!close(dx[i], dxref[i], 1e-4, 1e-5) && bad++ < 3)
        EXPECT_MSG(false, where + " dx[" + std::to_string(i) + "] " + std::to_string(dx[i]) + " vs " + std::to_string(dxref[i]));
    // eval-mode backward: dx = dy * gamma * invstd
    bp.training = false;
    EXPECT_TRUE(nnslim::batchnorm_backward(bp) == nnslim::Status::kOk);
    for (size_t i = 0; i < total; ++i) {
      const size_t ch = (i / static_cast<size_t>(l)) % cs;
      const float want = dy[i] * (affine ? gamma[ch] : 1.0f) * iref[ch];
      if (!close(dx[i], want, 1e-6, 1e-7) && bad++ < 3) EXPECT_MSG(false, where + " eval dx");
    }
    bp.training = true;
    // inference apply, out of place then in place
    ap.y = y.data();
    EXPECT_TRUE(nnslim::batchnorm_apply(ap) == nnslim::Status::kOk);
    EXPECT_MSG(gap_intact(), where + " apply wrote past y");
    for (size_t i = 0; i < total; ++i)
      if (!close(y[i], aref[i], 1e-6, 1e-6 * (1 + std::fabs(offset))) && bad++ < 3) EXPECT_MSG(false, where + " apply");
    for (size_t i = 0; i < total; ++i) y[i] = x[i];
    ap.x = y.data();
    EXPECT_TRUE(nnslim::batchnorm_apply(ap) == nnslim::Status::kOk);
    EXPECT_MSG(gap_intact(), where + " in-place apply wrote past y");
    ap.x = x.data();
    for (size_t i = 0; i < total; ++i)
      if (!close(y[i], aref[i], 1e-6, 1e-6 * (1 + std::fabs(offset))) && bad++ < 3) EXPECT_MSG(false, where + " apply in place");
    // with a mean: the kernel folds it into the shift (x * scale + (shift - mean * scale), the
    // alpha / beta form PyTorch uses), which costs ulp(mean * scale) against the reference.
    em.y = y.data();
    EXPECT_TRUE(nnslim::batchnorm_apply(em) == nnslim::Status::kOk);
    for (size_t i = 0; i < total; ++i) {
      const size_t ch = (i / static_cast<size_t>(l)) % cs;
      const double tol = 4e-6 + 2.0 * FLT_EPSILON * (std::fabs(x[i]) + std::fabs(mref[ch])) * evscale[ch];
      if (!close(y[i], mref_ref[i], 1e-5, tol) && bad++ < 3)
        EXPECT_MSG(false, where + " apply with mean y[" + std::to_string(i) + "] " + std::to_string(y[i]) + " vs " + std::to_string(mref_ref[i]));
    }
  });
}

}  // namespace

TEST(batchnorm_matches_reference_2d) {
  for (int64_t n : {1, 2, 3, 5, 64, 65, 130})
    for (int64_t c : {1, 7, 16, 17, 33, 100}) check_bn(n, c, 1, 0.0f, (n + c) % 2 == 0, c % 3 == 0);
}

TEST(batchnorm_matches_reference_3d) {
  for (int64_t n : {1, 2, 5})
    for (int64_t c : {1, 3, 8})
      for (int64_t l : {2, 7, 16, 33, 200}) check_bn(n, c, l, 0.0f, l % 2 == 1, c == 3);
}

TEST(batchnorm_wide_rows) {
  // Channel counts across the apply chunk (1024) and the reduction group (kGroup vectors),
  // row counts across the 8-row sub-block and the 64-row float block.
  check_bn(9, 1100, 1, 0.25f, true, false);
  check_bn(71, 2111, 1, -0.5f, false, true);
  // Whole 64-byte lines per row (c % 16 == 0) on misaligned buffers: the parameter copies at
  // y's line offset and the scalar steps up to the first aligned element.
  check_bn(37, 1088, 1, 0.75f, true, false);
}

TEST(batchnorm_page_columns) {
  // Channels repeating within 16 pages, cache-resident: apply and the statistics walk 4 KiB
  // page columns with rotated per-channel arrays. Page offsets of x and y (floats): 0, 4 (malloc's
  // and V8's), 1 (not a whole vector), 1000, 1023 (the partial first page one float long), and
  // x and y at different offsets; rows across the 4-row steps and the 64-row blocks.
  check_bn(2, 1024, 1, 0.25f, true, false);
  check_bn(3, 1024, 1, 0.5f, false, true, 1020, 1020);
  check_bn(5, 2048, 1, -1.0f, true, true, 1023, 1023);
  check_bn(65, 3072, 1, 0.0f, true, false, 1020, 1020);
  check_bn(67, 1024, 1, 2.0f, false, false, 24, 1);
  check_bn(130, 2048, 1, 0.75f, true, true, 1, 24);
  check_bn(7, 3072, 1, 100.0f, true, false, 0, 1020);
  // Channels repeating with a period of several rows (P = lcm(C, 1024)): 1536 (P = 2C),
  // 1280 (4C), 2304 (4C, nine columns); a last page cut short (N * C not whole pages).
  check_bn(5, 1536, 1, 0.5f, true, true, 1020, 1020);
  check_bn(66, 1536, 1, -2.0f, false, false, 0, 0);
  check_bn(9, 1280, 1, 1.0f, true, false, 1, 1000);
  check_bn(13, 2304, 1, 0.25f, true, true, 1020, 1023);
  // Narrow rows: one column (P = 1024: 16, 64, 256 channels) or a few (3: P = 3072, 7: 7168),
  // parameters replicated along the page; the smallest totals of two periods.
  check_bn(128, 16, 1, 0.5f, true, false, 1020, 1020);
  check_bn(131, 64, 1, -1.0f, false, true, 3, 1000);
  check_bn(9, 256, 1, 0.0f, true, false, 0, 0);
  check_bn(2048, 3, 1, 2.0f, true, true, 1020, 1020);
  check_bn(2101, 7, 1, 0.5f, false, false, 1, 1023);
  check_bn(2047, 3, 1, 0.5f, true, false, 1020, 1020);  // 6141 < 2 * 3072 floats: the row walk
  const int saved = nnslim::get_num_threads();
  nnslim::set_num_threads(3);  // apply's page rows and the statistics' page slices split over tasks
  check_bn(33, 2048, 1, 0.5f, true, true, 1020, 1020);
  check_bn(40, 3072, 1, -0.5f, false, false, 1023, 0);
  check_bn(45, 1536, 1, 0.5f, true, false, 1020, 1020);
  nnslim::set_num_threads(saved);
}

TEST(batchnorm_statistics_do_not_depend_on_threads_or_offset) {
  // The page columns' blocks follow each channel's rows, not the pages, and tasks take slices
  // of every page: the same values at other page offsets and on 1 or 3 threads give the same
  // bits (statistics and outputs).
  for (const auto& [n, c] : std::vector<std::pair<size_t, size_t>>{{64, 1536}, {3000, 16}, {40, 3072}, {9, 1280}, {70, 1024}}) {
    std::vector<float> values(n * c);
    for (float& v : values) v = 3.0f + uni(-2, 2);
    nnslim_test::for_each_isa([&](nnslim::Isa isa) {
      std::vector<float> want_m, want_v, want_y;
      for (size_t gap : {size_t{0}, size_t{1020}, size_t{5}, size_t{1023}})
        for (int threads : {1, 3}) {
          GuardedBuffer<float> x(n * c + gap), y(n * c + gap);
          std::copy(values.begin(), values.end(), x.data());
          std::vector<float> m(c), v(c), is(c);
          nnslim::BatchnormTrainParams tp;
          tp.n = static_cast<int64_t>(n);
          tp.c = static_cast<int64_t>(c);
          tp.x = x.data();
          tp.y = y.data();
          tp.mean = m.data();
          tp.var = v.data();
          tp.invstd = is.data();
          const int saved = nnslim::get_num_threads();
          nnslim::set_num_threads(threads);
          EXPECT_TRUE(nnslim::batchnorm_train_forward(tp) == nnslim::Status::kOk);
          nnslim::set_num_threads(saved);
          std::vector<float> got_y(y.data(), y.data() + n * c);
          if (want_m.empty()) {
            want_m = m;
            want_v = v;
            want_y = got_y;
            continue;
          }
          const std::string where = std::string(nnslim::isa_name(isa)) + " [" + std::to_string(n) + "," + std::to_string(c) +
                                    "] gap " + std::to_string(gap) + " threads " + std::to_string(threads);
          EXPECT_MSG(std::memcmp(m.data(), want_m.data(), c * 4) == 0 && std::memcmp(v.data(), want_v.data(), c * 4) == 0,
                     where + " statistics");
          EXPECT_MSG(std::memcmp(got_y.data(), want_y.data(), n * c * 4) == 0, where + " outputs");
        }
    });
  }
}

TEST(batchnorm_nan_stays_in_its_channel) {
  // A NaN makes its channel's mean, variance and outputs NaN (as PyTorch and the reference) and
  // leaves the others alone; [8, 2048] takes the page columns, [8, 17] the row walk.
  for (int64_t c : {2048, 17}) {
    const size_t n = 8, cs = static_cast<size_t>(c);
    std::vector<float> x(n * cs), y(n * cs), mean(cs), var(cs), invstd(cs);
    for (size_t i = 0; i < x.size(); ++i) x[i] = uni(-1, 1);
    x[5 * cs + 3] = std::nanf("");
    nnslim::BatchnormTrainParams tp;
    tp.n = static_cast<int64_t>(n);
    tp.c = c;
    tp.x = x.data();
    tp.y = y.data();
    tp.mean = mean.data();
    tp.var = var.data();
    tp.invstd = invstd.data();
    nnslim_test::for_each_isa([&](nnslim::Isa isa) {
      const std::string where = std::string(nnslim::isa_name(isa)) + " c=" + std::to_string(c);
      EXPECT_TRUE(nnslim::batchnorm_train_forward(tp) == nnslim::Status::kOk);
      EXPECT_MSG(std::isnan(mean[3]) && std::isnan(var[3]) && std::isnan(invstd[3]), where + " NaN channel stats");
      EXPECT_MSG(std::isnan(y[3]) && std::isnan(y[7 * cs + 3]), where + " NaN channel outputs");
      EXPECT_MSG(std::isfinite(mean[4]) && std::isfinite(var[4]) && std::isfinite(y[4]) && std::isfinite(y[5 * cs + 2]),
                 where + " other channels");
    });
  }
}

TEST(batchnorm_large_offset_is_stable) {
  check_bn(300, 20, 1, 1000.0f, true, false);
  check_bn(4, 5, 3000, 1000.0f, true, false);
  check_bn(5000, 3, 1, -300.0f, false, false);
}

TEST(batchnorm_multithreaded_and_streaming) {
  const int saved = nnslim::get_num_threads();
  nnslim::set_num_threads(3);
  check_bn(257, 131, 1, 0.5f, true, true);
  check_bn(7, 13, 999, 0.5f, true, false);
  nnslim::set_num_threads(saved);
  // > 16 MiB output: the non-temporal store path with rows not 64-byte aligned (one row at a
  // time), then with whole-line rows (four rows per parameter load, 2 rows left over).
  check_bn(1030, 4099, 1, 0.0f, true, true);
  check_bn(1026, 4112, 1, 0.5f, false, false);
}

TEST(batchnorm_rejects_bad_arguments) {
  nnslim::BatchnormApplyParams ap;
  ap.n = 2;
  ap.c = 2;
  ap.l = 0;
  EXPECT_TRUE(nnslim::batchnorm_apply(ap) == nnslim::Status::kInvalidArgument);
  ap.l = 1;
  EXPECT_TRUE(nnslim::batchnorm_apply(ap) == nnslim::Status::kInvalidArgument);  // null pointers
  nnslim::BatchnormTrainParams tp;
  tp.n = 0;
  tp.c = 3;
  EXPECT_TRUE(nnslim::batchnorm_train_forward(tp) == nnslim::Status::kInvalidArgument);  // no values
}
