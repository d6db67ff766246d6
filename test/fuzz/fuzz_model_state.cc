// libFuzzer harness: the stored form of a quantized Linear layer (nnslim::qlinear_record_check
// / _decode, what io.loadModel uses) and the int8 weight packing that follows it.
// Input: dimensions, a flags byte (per channel, plain or bitmask form, bias, length
// perturbations), then the arrays. Properties: the verdict and the decoded weights agree
// with an independent decoder; decoding never writes outside its buffer; accepted records
// pack (qgemm_pack_weights) and the packed int8 GEMM matches qgemm_ref bit for bit.
#include <cmath>
#include <string>
#include <vector>

#include "fuzz_input.h"
#include "nnslim/model_state.h"
#include "nnslim/qgemm.h"
#include "nnslim/reference.h"
#include "nnslim/threadpool.h"

namespace {

struct Oracle {
  bool ok = false;
  std::vector<int8_t> w;
};

Oracle oracle(int64_t out, int64_t in, bool per_channel, const std::vector<int8_t>* plain, const std::vector<uint8_t>& mask,
              const std::vector<int8_t>& values, const std::vector<float>& scales, const std::vector<int32_t>& zps,
              const std::vector<float>* bias) {
  Oracle o;
  const int64_t n = out * in, q = per_channel ? out : 1;
  if (static_cast<int64_t>(scales.size()) != q || static_cast<int64_t>(zps.size()) != q) return o;
  if (bias && static_cast<int64_t>(bias->size()) != out) return o;
  for (int64_t i = 0; i < q; ++i)
    if (!(std::isfinite(scales[i]) && scales[i] > 0) || zps[i] < -128 || zps[i] > 127) return o;
  if (bias)
    for (const float b : *bias)
      if (!std::isfinite(b)) return o;
  if (plain) {
    if (static_cast<int64_t>(plain->size()) != n) return o;
    o.w = *plain;
  } else {
    if (static_cast<int64_t>(mask.size()) != (n + 7) / 8) return o;
    o.w.assign(static_cast<size_t>(n), 0);
    size_t j = 0;
    for (int64_t i = 0; i < static_cast<int64_t>(mask.size()) * 8; ++i) {
      if (!((mask[i / 8] >> (i % 8)) & 1)) continue;
      if (i >= n || j >= values.size()) return o;
      o.w[i] = values[j++];
    }
    if (j != values.size()) return o;
  }
  o.ok = true;
  return o;
}

float pick_float(uint8_t b) {
  switch (b % 8) {
    case 0: return 0.0f;
    case 1: return -0.5f;
    case 2: return NAN;
    case 3: return INFINITY;
    default: return 0.0078125f * static_cast<float>(1 + b / 8);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  nnslim::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nnslim_fuzz::Input in(data, size);
  const int64_t out = 1 + in.u8() % 24;
  const int64_t k = 1 + in.u8() % 40;
  const uint8_t flags = in.u8();
  const uint8_t skew = in.u8();
  const bool per_channel = flags & 1, plain = flags & 2, has_bias = flags & 4;
  const int64_t n = out * k, q = per_channel ? out : 1;
  auto len = [&](int64_t want, int bit) { return (skew >> bit) & 1 ? static_cast<int64_t>(in.u8() % 64) : want; };

  std::vector<int8_t> weight;
  std::vector<uint8_t> mask;
  std::vector<int8_t> values;
  if (plain) {
    weight.resize(static_cast<size_t>(len(n, 0)));
    for (auto& v : weight) v = static_cast<int8_t>(in.u8());
  } else {
    mask.resize(static_cast<size_t>(len((n + 7) / 8, 0)));
    int64_t bits = 0;
    for (auto& v : mask) {
      v = in.u8();
      bits += __builtin_popcount(v);
    }
    if (!(skew & 2) && !mask.empty() && n % 8) {
      // usually keep the tail clean so the record can be valid
      bits -= __builtin_popcount(mask.back() >> (n % 8));
      mask.back() &= static_cast<uint8_t>((1u << (n % 8)) - 1);
    }
    values.resize(static_cast<size_t>(len(bits, 2)));
    for (auto& v : values) v = static_cast<int8_t>(in.u8());
  }
  std::vector<float> scales(static_cast<size_t>(len(q, 3)));
  for (auto& v : scales) v = (skew & 16) ? pick_float(in.u8()) : 0.0078125f * static_cast<float>(1 + in.u8() % 64);
  std::vector<int32_t> zps(static_cast<size_t>(len(q, 5)));
  for (auto& v : zps) v = (skew & 64) ? static_cast<int32_t>(in.u32()) : static_cast<int32_t>(static_cast<int8_t>(in.u8()));
  std::vector<float> bias(has_bias ? static_cast<size_t>(len(out, 7)) : 0);
  for (auto& v : bias) v = (flags & 8) ? pick_float(in.u8()) : static_cast<float>(static_cast<int8_t>(in.u8()));

  // Heap arrays of exactly their length (vectors with 0 elements pass a distinct pointer).
  static const int8_t kEmpty8 = 0;
  static const uint8_t kEmptyU8 = 0;
  static const float kEmptyF = 0;
  static const int32_t kEmptyI = 0;
  nnslim::QLinearRecord r;
  r.out_features = out;
  r.in_features = k;
  r.per_channel = per_channel;
  if (plain) {
    r.weight = weight.empty() ? &kEmpty8 : weight.data();
    r.weight_len = static_cast<int64_t>(weight.size());
  } else {
    r.mask = mask.empty() ? &kEmptyU8 : mask.data();
    r.mask_len = static_cast<int64_t>(mask.size());
    r.values = values.empty() ? &kEmpty8 : values.data();
    r.values_len = static_cast<int64_t>(values.size());
  }
  r.scales = scales.empty() ? &kEmptyF : scales.data();
  r.scales_len = static_cast<int64_t>(scales.size());
  r.zero_points = zps.empty() ? &kEmptyI : zps.data();
  r.zero_points_len = static_cast<int64_t>(zps.size());
  if (has_bias) {
    r.bias = bias.empty() ? &kEmptyF : bias.data();
    r.bias_len = static_cast<int64_t>(bias.size());
  }

  const Oracle o = oracle(out, k, per_channel, plain ? &weight : nullptr, mask, values, scales, zps, has_bias ? &bias : nullptr);
  std::vector<int8_t> decoded(static_cast<size_t>(n), 99);
  std::string problem;
  const nnslim::Status s = nnslim::qlinear_record_decode(r, decoded.data(), n, &problem);
  FUZZ_CHECK((s == nnslim::Status::kOk) == o.ok);
  if (!o.ok) {
    FUZZ_CHECK(s == nnslim::Status::kInvalidArgument && !problem.empty());
    return 0;
  }
  FUZZ_CHECK(decoded == o.w);

  // Pack and run the int8 GEMM: bit-exact against the reference on the unpacked weights.
  nnslim::PackedInt8Weights* pw = nullptr;
  FUZZ_CHECK(nnslim::qgemm_pack_weights(decoded.data(), out, k, k, zps.data(), per_channel, &pw) == nnslim::Status::kOk);
  const int64_t m = 1 + in.u8() % 3;
  std::vector<uint8_t> x(static_cast<size_t>(m * k));
  for (auto& v : x) v = in.u8();
  nnslim::QgemmParams p;
  p.m = m;
  p.a_type = nnslim::QDtype::kUint8;
  p.a = x.data();
  p.lda = k;
  p.w = pw;
  p.a_scale = 0.5f;
  p.a_zero_point = in.u8();
  p.w_scales = scales.data();
  p.w_scales_per_channel = per_channel;
  p.bias = has_bias ? bias.data() : nullptr;
  p.ldc = out;
  nnslim::QgemmRefWeights rw;
  rw.w = decoded.data();
  rw.n = out;
  rw.k = k;
  rw.ldw = k;
  rw.zero_points = zps.data();
  rw.per_channel = per_channel;
  for (const auto type : {nnslim::QgemmOutput::kInt32, nnslim::QgemmOutput::kFloat32}) {
    std::vector<int32_t> got(static_cast<size_t>(m * out), 7), want(static_cast<size_t>(m * out), 9);
    p.out_type = type;
    p.c = got.data();
    FUZZ_CHECK(nnslim::qgemm(p) == nnslim::Status::kOk);
    p.c = want.data();
    FUZZ_CHECK(nnslim::qgemm_ref(p, rw) == nnslim::Status::kOk);
    FUZZ_CHECK(got == want);  // int32 bits, or float32 bits: bit-exact either way
  }
  nnslim::qgemm_free_weights(pw);
  return 0;
}
