// int8 GEMM: every variant the host supports against qgemm_ref, bit for bit (int32, float32
// and requantized outputs), on edge shapes relative to each tile (MR, NR), k = 1, 2, 3, prime,
// >= 4096 and the largest allowed k, extreme values and zero points, per-tensor and
// per-channel / per-row quantization parameters. Guard pages behind every buffer.
// NNSLIM_TEST_LONG=1 runs the exhaustive shape sweep.
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "nnslim/cpu.h"
#include "nnslim/qgemm.h"
#include "nnslim/reference.h"
#include "nnslim/threadpool.h"
#include "testing.h"

using namespace nnslim;
using nnslim_test::GuardedBuffer;
using nnslim_test::rng;

namespace {

enum class Fill { kRandom, kMin, kMax, kAlt };

struct Case {
  int64_t m, n, k;
  QDtype a_type = QDtype::kUint8;
  QgemmOutput out = QgemmOutput::kInt32;
  bool w_zp_per_channel = false;
  bool w_zp_nonzero = false;
  bool a_per_row = false;
  bool w_scale_per_channel = false;
  bool bias = false;
  bool relu = false;
  int32_t a_zp = -1000;  // -1000: random
  int32_t w_zp = -1000;
  Fill a_fill = Fill::kRandom, w_fill = Fill::kRandom;
  int64_t lda_pad = 0, ldc_pad = 0;
};

int32_t rand_int(int32_t lo, int32_t hi) {
  return static_cast<int32_t>(lo + static_cast<int64_t>(rng()() % static_cast<uint64_t>(hi - lo + 1)));
}
float rand_float(float lo, float hi) {
  return lo + (hi - lo) * static_cast<float>(rng()() >> 40) / static_cast<float>(1 << 24);
}

std::string describe(const Case& c) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "isa=%s m=%lld n=%lld k=%lld a=%s out=%d wzp_pc=%d wzp=%d arow=%d ws_pc=%d bias=%d relu=%d",
                isa_name(active_isa()), static_cast<long long>(c.m), static_cast<long long>(c.n),
                static_cast<long long>(c.k), c.a_type == QDtype::kUint8 ? "u8" : "s8",
                static_cast<int>(c.out), c.w_zp_per_channel, c.w_zp_nonzero, c.a_per_row,
                c.w_scale_per_channel, c.bias, c.relu);
  return buf;
}

// Runs one case through qgemm and qgemm_ref; returns false (and reports) on a mismatch.
bool run_case(const Case& c) {
  const int64_t lda = c.k + c.lda_pad, ldc = c.n + c.ldc_pad;
  const int32_t amin = c.a_type == QDtype::kUint8 ? 0 : -128, amax = amin + 255;
  const int64_t a_len = (c.m - 1) * lda + c.k;
  GuardedBuffer<uint8_t> a(static_cast<size_t>(a_len));
  GuardedBuffer<int8_t> w(static_cast<size_t>(c.n * c.k));
  for (int64_t i = 0; i < a_len; ++i) {
    int32_t v = 0;
    switch (c.a_fill) {
      case Fill::kRandom: v = rand_int(amin, amax); break;
      case Fill::kMin: v = amin; break;
      case Fill::kMax: v = amax; break;
      case Fill::kAlt: v = (i & 1) ? amax : amin; break;
    }
    a[static_cast<size_t>(i)] = static_cast<uint8_t>(v);
  }
  for (int64_t i = 0; i < c.n * c.k; ++i) {
    int32_t v = 0;
    switch (c.w_fill) {
      case Fill::kRandom: v = rand_int(-128, 127); break;
      case Fill::kMin: v = -128; break;
      case Fill::kMax: v = 127; break;
      case Fill::kAlt: v = (i & 1) ? 127 : -128; break;
    }
    w[static_cast<size_t>(i)] = static_cast<int8_t>(v);
  }
  std::vector<int32_t> wzp(static_cast<size_t>(c.n));
  for (auto& z : wzp) z = !c.w_zp_nonzero ? 0 : (c.w_zp != -1000 ? c.w_zp : rand_int(-128, 127));
  std::vector<float> ws(static_cast<size_t>(c.n));
  for (auto& s : ws) s = rand_float(0.001f, 0.05f);
  std::vector<float> bias(static_cast<size_t>(c.n));
  for (auto& b : bias) b = rand_float(-2.0f, 2.0f);
  std::vector<float> as(static_cast<size_t>(c.m));
  std::vector<int32_t> azp(static_cast<size_t>(c.m));
  for (auto& s : as) s = rand_float(0.005f, 0.05f);
  for (auto& z : azp) z = c.a_zp != -1000 ? c.a_zp : rand_int(amin, amax);

  PackedInt8Weights* pw = nullptr;
  EXPECT_TRUE(qgemm_pack_weights(w.data(), c.n, c.k, c.k, wzp.data(), c.w_zp_per_channel, &pw) == Status::kOk);
  if (pw == nullptr) return false;

  QgemmParams p;
  p.m = c.m;
  p.a_type = c.a_type;
  p.a = a.data();
  p.lda = lda;
  p.w = pw;
  p.a_scale = as[0];
  p.a_zero_point = azp[0];
  if (c.a_per_row) {
    p.a_scales = as.data();
    p.a_zero_points = azp.data();
  }
  p.w_scales = ws.data();
  p.w_scales_per_channel = c.w_scale_per_channel;
  p.bias = c.bias ? bias.data() : nullptr;
  p.relu = c.relu;
  p.out_type = c.out;
  p.ldc = ldc;
  p.out_scale = rand_float(0.02f, 0.3f);
  p.out_zero_point = c.out == QgemmOutput::kUint8 ? rand_int(0, 255) : rand_int(-128, 127);
  const size_t esize = c.out == QgemmOutput::kUint8 || c.out == QgemmOutput::kInt8 ? 1 : 4;
  const size_t cbytes = static_cast<size_t>((c.m - 1) * ldc + c.n) * esize;
  GuardedBuffer<uint8_t> got(cbytes), want(cbytes);
  std::memset(got.data(), 0xA5, cbytes);
  std::memset(want.data(), 0xA5, cbytes);
  p.c = got.data();
  const Status s1 = qgemm(p);
  QgemmRefWeights rw;
  rw.w = w.data();
  rw.n = c.n;
  rw.k = c.k;
  rw.ldw = c.k;
  rw.zero_points = wzp.data();
  rw.per_channel = c.w_zp_per_channel;
  p.c = want.data();
  const Status s2 = qgemm_ref(p, rw);
  qgemm_free_weights(pw);
  if (s1 != Status::kOk || s2 != Status::kOk) {
    EXPECT_MSG(false, "status " + std::to_string(static_cast<int>(s1)) + "/" +
                          std::to_string(static_cast<int>(s2)) + " " + describe(c));
    return false;
  }
  if (std::memcmp(got.data(), want.data(), cbytes) != 0) {
    size_t at = 0;
    while (got[at] == want[at]) ++at;
    const size_t el = at / esize;
    std::string detail;
    if (esize == 4) {
      int32_t g, wv;
      std::memcpy(&g, got.data() + el * 4, 4);
      std::memcpy(&wv, want.data() + el * 4, 4);
      detail = " got bits " + std::to_string(g) + " want " + std::to_string(wv);
    } else {
      detail = " got " + std::to_string(got[at]) + " want " + std::to_string(want[at]);
    }
    EXPECT_MSG(false, "mismatch at row " + std::to_string(el / static_cast<size_t>(ldc)) + " col " +
                          std::to_string(el % static_cast<size_t>(ldc)) + detail + " " + describe(c));
    return false;
  }
  return true;
}

Case random_config(int64_t m, int64_t n, int64_t k) {
  Case c{m, n, k};
  const uint64_t r = rng()();
  c.a_type = (r & 1) ? QDtype::kInt8 : QDtype::kUint8;
  c.out = static_cast<QgemmOutput>((r >> 1) % 4);
  c.w_zp_nonzero = (r >> 3) & 1;
  c.w_zp_per_channel = (r >> 4) & 1;
  c.a_per_row = ((r >> 5) & 3) == 0;
  c.w_scale_per_channel = (r >> 7) & 1;
  c.bias = (r >> 8) & 1;
  c.relu = (r >> 9) & 1;
  c.lda_pad = ((r >> 10) & 3) == 0 ? static_cast<int64_t>((r >> 12) % 7) : 0;
  c.ldc_pad = ((r >> 15) & 3) == 0 ? static_cast<int64_t>((r >> 17) % 5) : 0;
  return c;
}

bool long_mode() { return std::getenv("NNSLIM_TEST_LONG") != nullptr; }

}  // namespace

TEST(qgemm_edge_shapes_every_isa) {
  const std::vector<int64_t> ms = {1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 33};
  const std::vector<int64_t> ns = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 49, 95, 97};
  const std::vector<int64_t> ks = {1, 2, 3, 4, 5, 7, 8, 13, 63, 64, 65, 127};
  nnslim_test::for_each_isa([&](Isa) {
    size_t idx = 0;
    for (int64_t m : ms) {
      for (int64_t n : ns) {
        // Two k values per (m, n) in the quick mode, every k in the long mode.
        for (size_t t = 0; t < (long_mode() ? ks.size() : 2); ++t) {
          const int64_t k = long_mode() ? ks[t] : ks[(idx++ * 7 + t * 5) % ks.size()];
          if (!run_case(random_config(m, n, k))) return;
        }
      }
    }
  });
}

TEST(qgemm_every_option_every_isa) {
  nnslim_test::for_each_isa([&](Isa) {
    for (int a_s8 = 0; a_s8 < 2; ++a_s8)
      for (int out = 0; out < 4; ++out)
        for (int opt = 0; opt < 16; ++opt) {
          Case c{13, 53, 37};
          c.a_type = a_s8 ? QDtype::kInt8 : QDtype::kUint8;
          c.out = static_cast<QgemmOutput>(out);
          c.w_zp_nonzero = opt & 1;
          c.w_zp_per_channel = (opt >> 1) & 1;
          c.a_per_row = (opt >> 2) & 1;
          c.bias = (opt >> 3) & 1;
          c.relu = (opt >> 3) & 1;
          c.w_scale_per_channel = (opt >> 1) & 1;
          if (!run_case(c)) return;
        }
  });
}

TEST(qgemm_large_k_every_isa) {
  nnslim_test::for_each_isa([&](Isa) {
    for (int64_t k : {257, 1031, 4096, 4099}) {
      if (!run_case(random_config(5, 35, k))) return;
    }
  });
}

// All-extreme inputs with every extreme zero point: the corrections are largest here.
TEST(qgemm_extreme_values_every_isa) {
  const Fill fills[] = {Fill::kMin, Fill::kMax, Fill::kAlt};
  nnslim_test::for_each_isa([&](Isa) {
    for (int a_s8 = 0; a_s8 < 2; ++a_s8) {
      const std::vector<int32_t> azps = a_s8 ? std::vector<int32_t>{-128, 0, 1, 127}
                                             : std::vector<int32_t>{0, 1, 127, 128, 255};
      for (Fill af : fills)
        for (Fill wf : fills)
          for (int32_t azp : azps)
            for (int32_t wzp : {0, 1, 127, -128}) {
              Case c{9, 49, 300};
              c.a_type = a_s8 ? QDtype::kInt8 : QDtype::kUint8;
              c.a_fill = af;
              c.w_fill = wf;
              c.a_zp = azp;
              c.w_zp = wzp;
              c.w_zp_nonzero = wzp != 0;
              c.out = QgemmOutput::kInt32;
              if (!run_case(c)) return;
              c.out = QgemmOutput::kFloat32;
              c.bias = true;
              if (!run_case(c)) return;
            }
    }
  });
}

// The largest k: |sum (x - za)(w - zw)| reaches 255 * 255 * k, just below 2^31.
TEST(qgemm_max_k_extremes_every_isa) {
  nnslim_test::for_each_isa([&](Isa) {
    for (int a_s8 = 0; a_s8 < 2; ++a_s8) {
      Case c{3, 17, kQgemmMaxK};
      c.a_type = a_s8 ? QDtype::kInt8 : QDtype::kUint8;
      c.a_fill = Fill::kMax;
      c.a_zp = a_s8 ? -128 : 0;
      c.w_fill = Fill::kMin;
      c.w_zp = 127;
      c.w_zp_nonzero = true;
      if (!run_case(c)) return;
      c.a_fill = Fill::kMin;
      c.a_zp = a_s8 ? 127 : 255;
      if (!run_case(c)) return;
    }
  });
}

// Shapes large enough for the threaded path and the L2 column blocks.
TEST(qgemm_threaded_shapes_every_isa) {
  nnslim_test::for_each_isa([&](Isa) {
    const int64_t shapes[][3] = {{64, 768, 256}, {67, 130, 768}, {1, 3072, 768}, {129, 97, 1000}};
    for (const auto& s : shapes) {
      if (!run_case(random_config(s[0], s[1], s[2]))) return;
    }
  });
}

TEST(qgemm_rejects_bad_arguments) {
  const int8_t w[4] = {1, 2, 3, 4};
  const int32_t zp = 0, bad_zp = 128;
  PackedInt8Weights* pw = nullptr;
  EXPECT_TRUE(qgemm_pack_weights(w, 1, 4, 4, &bad_zp, false, &pw) == Status::kInvalidArgument);
  EXPECT_TRUE(qgemm_pack_weights(w, 1, 4, 3, &zp, false, &pw) == Status::kInvalidArgument);
  EXPECT_TRUE(qgemm_pack_weights(w, 0, 4, 4, &zp, false, &pw) == Status::kInvalidArgument);
  EXPECT_TRUE(qgemm_pack_weights(w, 1, kQgemmMaxK + 1, kQgemmMaxK + 1, &zp, false, &pw) ==
              Status::kInvalidArgument);
  EXPECT_TRUE(qgemm_pack_weights(w, 1, 4, 4, &zp, false, &pw) == Status::kOk);
  EXPECT_TRUE(pw != nullptr && pw->bytes >= 64 + 1024);
  const uint8_t a[4] = {1, 2, 3, 4};
  float c[1];
  const float ws = 0.5f, nan = NAN;
  QgemmParams p;
  p.m = 1;
  p.a = a;
  p.lda = 4;
  p.w = pw;
  p.w_scales = &ws;
  p.c = c;
  p.ldc = 1;
  EXPECT_TRUE(qgemm(p) == Status::kOk);
  EXPECT_TRUE(c[0] == 0.5f * (1 + 4 + 9 + 16));
  p.a_zero_point = 256;
  EXPECT_TRUE(qgemm(p) == Status::kInvalidArgument);
  p.a_zero_point = 0;
  p.a_scale = nan;
  EXPECT_TRUE(qgemm(p) == Status::kInvalidArgument);
  p.a_scale = 1.0f;
  p.lda = 3;
  EXPECT_TRUE(qgemm(p) == Status::kInvalidArgument);
  p.lda = 4;
  p.bias = &nan;
  EXPECT_TRUE(qgemm(p) == Status::kInvalidArgument);
  p.bias = nullptr;
  p.out_type = QgemmOutput::kUint8;
  p.out_scale = 0.0f;
  EXPECT_TRUE(qgemm(p) == Status::kInvalidArgument);
  qgemm_free_weights(pw);
}

TEST(qgemm_kernel_names) {
  nnslim_test::for_each_isa([&](Isa isa) {
    const std::string name = qgemm_kernel_name();
    EXPECT_MSG(name.find("gemm_ukernel_") != std::string::npos, name);
    std::printf("  %-10s %s\n", isa_name(isa), name.c_str());
  });
}
