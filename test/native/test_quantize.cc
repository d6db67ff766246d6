// quantize / dequantize / fused dynamic quantization against the *_ref loops, bit for bit:
// exact .5 ties, values that round across the clamp, +-Inf, NaN, huge values, every zero
// point extreme, per-tensor and per-channel, large arrays (threaded path), at every ISA level.
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "nnslim/cpu.h"
#include "nnslim/qgemm.h"
#include "nnslim/reference.h"
#include "testing.h"

using namespace nnslim;
using nnslim_test::GuardedBuffer;
using nnslim_test::rng;

namespace {

float rand_float(float lo, float hi) {
  return lo + (hi - lo) * static_cast<float>(rng()() >> 40) / static_cast<float>(1 << 24);
}

// Values around every tie k + 0.5 of x * (1 / scale), plus specials.
std::vector<float> tricky_values(float scale, size_t n_random) {
  std::vector<float> v;
  const float inv = 1.0f / scale;
  for (int t = -300; t <= 300; ++t) {
    const float x = (static_cast<float>(t) + 0.5f) / inv;
    v.push_back(x);
    v.push_back(std::nextafter(x, INFINITY));
    v.push_back(std::nextafter(x, -INFINITY));
    v.push_back(static_cast<float>(t) * scale);
  }
  const float inf = std::numeric_limits<float>::infinity();
  for (float s : {0.0f, -0.0f, inf, -inf, 1e30f, -1e30f, 3e9f, -3e9f, 2147483520.0f, 1e-40f, -1e-40f, NAN, -NAN})
    v.push_back(s);
  for (size_t i = 0; i < n_random; ++i) v.push_back(rand_float(-400.0f, 400.0f) * scale);
  return v;
}

}  // namespace

TEST(quantize_per_tensor_matches_ref) {
  nnslim_test::for_each_isa([&](Isa) {
    for (int t = 0; t < 2; ++t) {
      const QDtype type = t ? QDtype::kInt8 : QDtype::kUint8;
      const std::vector<int32_t> zps = t ? std::vector<int32_t>{-128, -1, 0, 1, 127}
                                         : std::vector<int32_t>{0, 1, 127, 128, 255};
      for (float scale : {1.0f, 0.1f, 0.0078125f, 0.3333333f, 1e-3f, 7.5f}) {
        const std::vector<float> x = tricky_values(scale, 5000);
        GuardedBuffer<float> xin(x.size());
        std::memcpy(xin.data(), x.data(), x.size() * sizeof(float));
        for (int32_t zp : zps) {
          GuardedBuffer<uint8_t> got(x.size()), want(x.size());
          EXPECT_TRUE(quantize_per_tensor(xin.data(), x.size(), scale, zp, type, got.data()) == Status::kOk);
          EXPECT_TRUE(quantize_per_tensor_ref(xin.data(), x.size(), scale, zp, type, want.data()) == Status::kOk);
          for (size_t i = 0; i < x.size(); ++i) {
            if (got[i] != want[i]) {
              EXPECT_MSG(false, "x=" + std::to_string(x[i]) + " scale=" + std::to_string(scale) +
                                    " zp=" + std::to_string(zp) + " got " + std::to_string(got[i]) +
                                    " want " + std::to_string(want[i]));
              return;
            }
          }
          // And back: dequantize is one rounding of scale * (q - zp).
          GuardedBuffer<float> dq(x.size());
          std::vector<float> dq_ref(x.size());
          EXPECT_TRUE(dequantize_per_tensor(got.data(), x.size(), type, scale, zp, dq.data()) == Status::kOk);
          dequantize_per_channel_ref(got.data(), 1, 1, x.size(), type, &scale, &zp, dq_ref.data());
          EXPECT_TRUE(std::memcmp(dq.data(), dq_ref.data(), x.size() * sizeof(float)) == 0);
        }
      }
    }
  });
}

TEST(quantize_nan_gives_qmin) {
  nnslim_test::for_each_isa([&](Isa) {
    const float x[3] = {NAN, -NAN, 1.0f};
    uint8_t q[3];
    int8_t s[3];
    EXPECT_TRUE(quantize_per_tensor(x, 3, 0.5f, 7, QDtype::kUint8, q) == Status::kOk);
    EXPECT_EQ(q[0], 0);
    EXPECT_EQ(q[1], 0);
    EXPECT_EQ(q[2], 9);
    EXPECT_TRUE(quantize_per_tensor(x, 3, 0.5f, 7, QDtype::kInt8, s) == Status::kOk);
    EXPECT_EQ(s[0], -128);
    EXPECT_EQ(s[2], 9);
  });
}

TEST(quantize_per_channel_matches_ref_large) {
  nnslim_test::for_each_isa([&](Isa) {
    // outer x channels x inner, big enough for the threaded path.
    const size_t shapes[][3] = {{1, 7, 3}, {3, 5, 1}, {2, 3, 70000}, {300, 64, 17}, {1, 1, 200000}};
    for (const auto& sh : shapes) {
      const size_t n = sh[0] * sh[1] * sh[2];
      GuardedBuffer<float> x(n);
      for (size_t i = 0; i < n; ++i) x[i] = rand_float(-3.0f, 3.0f);
      std::vector<float> scales(sh[1]);
      std::vector<int32_t> zps(sh[1]);
      for (int t = 0; t < 2; ++t) {
        const QDtype type = t ? QDtype::kInt8 : QDtype::kUint8;
        for (size_t c = 0; c < sh[1]; ++c) {
          scales[c] = rand_float(0.005f, 0.05f);
          zps[c] = t ? static_cast<int32_t>(rng()() % 256) - 128 : static_cast<int32_t>(rng()() % 256);
        }
        GuardedBuffer<uint8_t> got(n), want(n);
        EXPECT_TRUE(quantize_per_channel(x.data(), sh[0], sh[1], sh[2], scales.data(), zps.data(), type, got.data()) == Status::kOk);
        quantize_per_channel_ref(x.data(), sh[0], sh[1], sh[2], scales.data(), zps.data(), type, want.data());
        EXPECT_TRUE(std::memcmp(got.data(), want.data(), n) == 0);
        GuardedBuffer<float> dq(n);
        std::vector<float> dq_ref(n);
        EXPECT_TRUE(dequantize_per_channel(got.data(), sh[0], sh[1], sh[2], type, scales.data(), zps.data(), dq.data()) == Status::kOk);
        dequantize_per_channel_ref(got.data(), sh[0], sh[1], sh[2], type, scales.data(), zps.data(), dq_ref.data());
        EXPECT_TRUE(std::memcmp(dq.data(), dq_ref.data(), n * sizeof(float)) == 0);
      }
    }
  });
}

TEST(quantize_rejects_bad_arguments) {
  const float x[2] = {1, 2};
  uint8_t q[2];
  EXPECT_TRUE(quantize_per_tensor(x, 2, 0.0f, 0, QDtype::kUint8, q) == Status::kInvalidArgument);
  EXPECT_TRUE(quantize_per_tensor(x, 2, NAN, 0, QDtype::kUint8, q) == Status::kInvalidArgument);
  EXPECT_TRUE(quantize_per_tensor(x, 2, INFINITY, 0, QDtype::kUint8, q) == Status::kInvalidArgument);
  EXPECT_TRUE(quantize_per_tensor(x, 2, 1.0f, 256, QDtype::kUint8, q) == Status::kInvalidArgument);
  EXPECT_TRUE(quantize_per_tensor(x, 2, 1.0f, 128, QDtype::kInt8, q) == Status::kInvalidArgument);
  float s;
  int32_t z;
  EXPECT_TRUE(quantize_dynamic(x, 1, 2, 2, 1, QDtype::kUint8, 0, 0, q, 2, &s, &z) == Status::kInvalidArgument);
  EXPECT_TRUE(quantize_dynamic(x, 1, 2, 1, 1, QDtype::kUint8, 0, 255, q, 2, &s, &z) == Status::kInvalidArgument);
}

TEST(choose_qparams_cases) {
  float s;
  int32_t z;
  // Expected values from torch._choose_qparams_per_tensor (PyTorch 1.13).
  choose_qparams(-1.0f, 1.0f, 0, 255, &s, &z);
  EXPECT_TRUE(s == static_cast<float>(2.0 / 255.0));
  EXPECT_EQ(z, 128);
  choose_qparams(0.0f, 0.0f, 0, 255, &s, &z);
  EXPECT_TRUE(s == 0.1f);
  EXPECT_EQ(z, 0);
  choose_qparams(2.0f, 5.0f, 0, 255, &s, &z);  // widened to [0, 5]
  EXPECT_TRUE(s == static_cast<float>(5.0 / 255.0));
  EXPECT_EQ(z, 0);
  choose_qparams(-5.0f, -2.0f, 0, 255, &s, &z);
  EXPECT_EQ(z, 255);
  choose_qparams(-1e-6f, 1e-6f, 0, 255, &s, &z);  // tiny range: the scale floor
  EXPECT_TRUE(s == 6.1e-5f);
  EXPECT_EQ(z, 128);
  choose_qparams(-1.0f, 3.0f, 0, 255, &s, &z);
  EXPECT_TRUE(s == static_cast<float>(4.0 / 255.0));
  EXPECT_EQ(z, 64);
}

TEST(quantize_dynamic_matches_ref) {
  nnslim_test::for_each_isa([&](Isa) {
    const int64_t shapes[][3] = {{1, 1, 1}, {1, 17, 1}, {5, 33, 2}, {64, 768, 64}, {300, 700, 300}, {7, 3, 7}};
    for (const auto& sh : shapes) {
      const int64_t m = sh[0], k = sh[1], ldx = k + 3;
      GuardedBuffer<float> x(static_cast<size_t>((m - 1) * ldx + k));
      for (size_t i = 0; i < x.size(); ++i) x[i] = rand_float(-2.0f, 5.0f);
      if (x.size() > 3) {
        x[1] = NAN;
        x[2] = -7.0f;
      }
      for (int64_t g : {static_cast<int64_t>(1), sh[2], m}) {
        for (int t = 0; t < 2; ++t) {
          const QDtype type = t ? QDtype::kInt8 : QDtype::kUint8;
          const int32_t qmin = t ? -128 : 0, qmax = t ? 127 : (g == 1 ? 127 : 255);
          const int64_t groups = (m + g - 1) / g;
          GuardedBuffer<uint8_t> got(static_cast<size_t>(m * k)), want(static_cast<size_t>(m * k));
          std::vector<float> s1(static_cast<size_t>(groups)), s2(static_cast<size_t>(groups));
          std::vector<int32_t> z1(static_cast<size_t>(groups)), z2(static_cast<size_t>(groups));
          EXPECT_TRUE(quantize_dynamic(x.data(), m, k, ldx, g, type, qmin, qmax, got.data(), k, s1.data(), z1.data()) == Status::kOk);
          quantize_dynamic_ref(x.data(), m, k, ldx, g, type, qmin, qmax, want.data(), k, s2.data(), z2.data());
          EXPECT_TRUE(std::memcmp(got.data(), want.data(), static_cast<size_t>(m * k)) == 0);
          EXPECT_TRUE(std::memcmp(s1.data(), s2.data(), s1.size() * sizeof(float)) == 0);
          EXPECT_TRUE(z1 == z2);
        }
      }
    }
  });
}
