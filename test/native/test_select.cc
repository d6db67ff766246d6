// Magnitude selection against the sort-based *_ref: random sizes around the direct/histogram
// switch and the chunk size, every k class (0, middle, n - 1), masks, heavy ties, signed
// zeros, denormals, infinities, NaN rejection, and the tie budget spent in index order.
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "nnslim/reference.h"
#include "nnslim/select.h"
#include "nnslim/threadpool.h"
#include "testing.h"

using namespace nnslim;
using nnslim_test::GuardedBuffer;
using nnslim_test::rng;

namespace {

enum class Dist { kNormal, kFewValues, kAllEqual, kSpecials };

void fill(float* x, size_t n, Dist d) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const float specials[] = {0.0f, -0.0f, 1e-40f, -1e-40f, 1e-45f, std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(), 1.0f, -1.0f, 3e38f};
  for (size_t i = 0; i < n; ++i) {
    switch (d) {
      case Dist::kNormal: x[i] = normal(rng()); break;
      case Dist::kFewValues: x[i] = static_cast<float>(static_cast<int>(rng()() % 7) - 3) * 0.25f; break;
      case Dist::kAllEqual: x[i] = (rng()() & 1) ? 0.5f : -0.5f; break;
      case Dist::kSpecials: x[i] = (rng()() % 3 == 0) ? specials[rng()() % 10] : normal(rng()) * 1e-38f; break;
    }
  }
}

void check_case(size_t n, Dist d, bool use_mask, const std::string& what) {
  GuardedBuffer<float> x(n);
  fill(x.data(), n, d);
  GuardedBuffer<uint8_t> mask(n);
  size_t candidates = n;
  if (use_mask) {
    candidates = 0;
    for (size_t i = 0; i < n; ++i) candidates += (mask[i] = (rng()() % 4 != 0));
  }
  if (candidates == 0) return;
  const uint8_t* m = use_mask ? mask.data() : nullptr;
  for (size_t k : {size_t{0}, candidates / 3, candidates / 2, candidates - 1}) {
    float got = -1, want = -2;
    size_t got_less = 0, want_less = 1;
    EXPECT_TRUE(kth_smallest_magnitude(x.data(), m, n, k, &got, &got_less) == Status::kOk);
    EXPECT_TRUE(kth_smallest_magnitude_ref(x.data(), m, n, k, &want, &want_less) == Status::kOk);
    uint32_t gb, wb;
    std::memcpy(&gb, &got, 4);
    std::memcpy(&wb, &want, 4);
    EXPECT_MSG(gb == wb && got_less == want_less,
               what + " k=" + std::to_string(k) + ": got " + std::to_string(got) + " less " + std::to_string(got_less) +
                   ", want " + std::to_string(want) + " less " + std::to_string(want_less));
    // The mask update prunes exactly k + 1 candidates, like the reference.
    const size_t ties = k + 1 - want_less;
    GuardedBuffer<uint8_t> m1(n), m2(n);
    for (size_t i = 0; i < n; ++i) m1[i] = m2[i] = use_mask ? mask[i] : 1;
    size_t left1 = 9, left2 = 9;
    EXPECT_TRUE(magnitude_prune_mask(x.data(), m1.data(), n, got, ties, &left1) == Status::kOk);
    EXPECT_TRUE(magnitude_prune_mask_ref(x.data(), m2.data(), n, want, ties, &left2) == Status::kOk);
    EXPECT_EQ(left1, size_t{0});
    EXPECT_EQ(left2, size_t{0});
    size_t pruned = 0, diff = 0;
    for (size_t i = 0; i < n; ++i) {
      pruned += (use_mask ? mask[i] : 1) - m1[i];
      diff += m1[i] != m2[i];
    }
    EXPECT_MSG(diff == 0, what + " k=" + std::to_string(k) + ": " + std::to_string(diff) + " mask entries differ");
    EXPECT_EQ(pruned, k + 1);
  }
}

}  // namespace

TEST(select_kth_matches_sort_ref) {
  const size_t sizes[] = {1, 2, 3, 17, 1000, (size_t{1} << 16) - 1, size_t{1} << 16, (size_t{1} << 16) + 1,
                          (size_t{1} << 18) + 1, 3 * (size_t{1} << 18) - 5, 1000003};
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    for (size_t n : sizes) {
      for (Dist d : {Dist::kNormal, Dist::kFewValues, Dist::kAllEqual, Dist::kSpecials}) {
        for (bool use_mask : {false, true}) {
          check_case(n, d, use_mask, "n=" + std::to_string(n) + " dist=" + std::to_string(static_cast<int>(d)) +
                                         " mask=" + std::to_string(use_mask) + " threads=" + std::to_string(threads));
        }
      }
    }
  }
  set_num_threads(2);
}

TEST(select_edge_cases) {
  GuardedBuffer<float> one(1);
  one[0] = -3.5f;
  float v = 0;
  size_t less = 7;
  EXPECT_TRUE(kth_smallest_magnitude(one.data(), nullptr, 1, 0, &v, &less) == Status::kOk);
  EXPECT_TRUE(v == 3.5f && less == 0);
  // k out of range (k = n), no candidates, null pointers.
  EXPECT_TRUE(kth_smallest_magnitude(one.data(), nullptr, 1, 1, &v, &less) == Status::kInvalidArgument);
  GuardedBuffer<uint8_t> none(1);
  none[0] = 0;
  EXPECT_TRUE(kth_smallest_magnitude(one.data(), none.data(), 1, 0, &v, &less) == Status::kInvalidArgument);
  EXPECT_TRUE(kth_smallest_magnitude(nullptr, nullptr, 0, 0, &v, &less) == Status::kInvalidArgument);
  EXPECT_TRUE(kth_smallest_magnitude(one.data(), nullptr, 1, 0, nullptr, &less) == Status::kInvalidArgument);
  // ties = 0 prunes only the strictly smaller entries; n = 0 is fine.
  GuardedBuffer<float> x(4);
  const float vals[] = {1.0f, -1.0f, 0.5f, 2.0f};
  std::memcpy(x.data(), vals, sizeof vals);
  GuardedBuffer<uint8_t> m(4);
  std::memset(m.data(), 1, 4);
  size_t left = 9;
  EXPECT_TRUE(magnitude_prune_mask(x.data(), m.data(), 4, 1.0f, 0, &left) == Status::kOk);
  EXPECT_TRUE(m[0] == 1 && m[1] == 1 && m[2] == 0 && m[3] == 1 && left == 0);
  // Ties spent in index order; surplus ties are reported back.
  std::memset(m.data(), 1, 4);
  EXPECT_TRUE(magnitude_prune_mask(x.data(), m.data(), 4, -1.0f, 1, &left) == Status::kOk);
  EXPECT_TRUE(m[0] == 0 && m[1] == 1 && m[2] == 0 && m[3] == 1 && left == 0);
  std::memset(m.data(), 1, 4);
  EXPECT_TRUE(magnitude_prune_mask(x.data(), m.data(), 4, 1.0f, 5, &left) == Status::kOk);
  EXPECT_TRUE(m[0] == 0 && m[1] == 0 && left == 3);
  EXPECT_TRUE(magnitude_prune_mask(nullptr, nullptr, 0, 1.0f, 0, &left) == Status::kOk);
  EXPECT_TRUE(magnitude_prune_mask(x.data(), m.data(), 4, std::nanf(""), 0, &left) == Status::kInvalidArgument);
}

TEST(select_rejects_nan) {
  for (size_t n : {size_t{5}, size_t{300000}}) {
    GuardedBuffer<float> x(n);
    fill(x.data(), n, Dist::kNormal);
    x[n / 2] = std::nanf("");
    float v = 0;
    size_t less = 0;
    EXPECT_TRUE(kth_smallest_magnitude(x.data(), nullptr, n, 0, &v, &less) == Status::kInvalidArgument);
    // A NaN outside the candidates is rejected too (the call validates the whole weight).
    GuardedBuffer<uint8_t> m(n);
    std::memset(m.data(), 1, n);
    m[n / 2] = 0;
    EXPECT_TRUE(kth_smallest_magnitude(x.data(), m.data(), n, n - 2, &v, &less) == Status::kInvalidArgument);
    EXPECT_TRUE(kth_smallest_magnitude_ref(x.data(), m.data(), n, n - 2, &v, &less) == Status::kInvalidArgument);
    // NaN never cleared by the mask pass.
    std::memset(m.data(), 1, n);
    size_t left = 0;
    EXPECT_TRUE(magnitude_prune_mask(x.data(), m.data(), n, std::numeric_limits<float>::infinity(), n, &left) == Status::kOk);
    EXPECT_TRUE(m[n / 2] == 1 && m[0] == 0);
  }
}
