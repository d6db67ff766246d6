// Magnitude selection for pruning (select.h). Checks types, lengths and aliasing only.
#include <memory>

#include "args.h"
#include "families.h"
#include "nnslim/select.h"
#include "worker.h"

namespace nnslim_binding {
namespace {

constexpr int64_t kMaxLen = (int64_t{1} << 53) - 1;

struct KthCall {
  View<float> x;
  View<uint8_t> mask;
  size_t k = 0;
};

// Args: values, k, mask|null
KthCall parse_kth(const Napi::CallbackInfo& info) {
  if (info.Length() != 3) throw_type("kthSmallestMagnitude expects 3 arguments");
  KthCall c;
  c.x = typed_view<float>(info[0], "values");
  c.k = static_cast<size_t>(int_arg(info[1], "k", 0, kMaxLen));
  c.mask = typed_view<uint8_t>(info[2], "mask", /*allow_null=*/true);
  if (c.mask.value.IsTypedArray() && c.mask.length != c.x.length) throw_range("mask.length must equal values.length");
  if (c.k >= c.x.length) throw_range("k must be < values.length");
  return c;
}

Napi::Object kth_result(Napi::Env env, float value, size_t less) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("value", Napi::Number::New(env, value));
  out.Set("less", Napi::Number::New(env, static_cast<double>(less)));
  return out;
}

const char* kKthError = "kthSmallestMagnitude: k is not below the number of candidates, or a candidate is NaN";

// kthSmallestMagnitude(values, k, mask|null) -> { value, less }
Napi::Value KthSmallestMagnitude(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    KthCall c = parse_kth(info);
    float value = 0;
    size_t less = 0;
    if (nnslim::kth_smallest_magnitude(c.x.data, c.mask.data, c.x.length, c.k, &value, &less) != nnslim::Status::kOk)
      throw_range(kKthError);
    return kth_result(info.Env(), value, less);
  });
}

// kthSmallestMagnitudeAsync(values, k, mask|null) -> Promise<{ value, less }>
Napi::Value KthSmallestMagnitudeAsync(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    KthCall c = parse_kth(info);
    struct Out {
      float value = 0;
      size_t less = 0;
    };
    auto owned = std::make_unique<Out>();
    Out* out = owned.get();
    const float* x = c.x.data;
    const uint8_t* mask = c.mask.data;
    const size_t n = c.x.length, k = c.k;
    auto* w = new KernelWorker(
        info.Env(), [=]() { return nnslim::kth_smallest_magnitude(x, mask, n, k, &out->value, &out->less); },
        [out](Napi::Env env, std::vector<Napi::ObjectReference>&) -> Napi::Value {
          return kth_result(env, out->value, out->less);
        });
    w->keep(std::move(owned));
    w->pin(c.x.value, "values");
    w->pin(c.mask.value, "mask");
    Napi::Promise promise = w->promise();
    w->Queue();
    return promise;
  });
}

// magnitudePruneMask(values, mask, threshold, ties) -> ties left unused
Napi::Value MagnitudePruneMask(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    if (info.Length() != 4) throw_type("magnitudePruneMask expects 4 arguments");
    View<float> x = typed_view<float>(info[0], "values");
    View<uint8_t> mask = typed_view<uint8_t>(info[1], "mask");
    const double thr = number_arg(info[2], "threshold");
    const size_t ties = static_cast<size_t>(int_arg(info[3], "ties", 0, kMaxLen));
    if (mask.length != x.length) throw_range("mask.length must equal values.length");
    if (thr != thr) throw_range("threshold must not be NaN");
    if (overlaps(mask.data, mask.length, x.data, x.length)) throw_range("mask must not overlap values");
    size_t left = 0;
    if (nnslim::magnitude_prune_mask(x.data, mask.data, x.length, static_cast<float>(thr), ties, &left) !=
        nnslim::Status::kOk)
      throw_range("magnitudePruneMask: invalid arguments");
    return Napi::Number::New(info.Env(), static_cast<double>(left));
  });
}

}  // namespace

void init_select(Napi::Env env, Napi::Object exports) {
  exports.Set("kthSmallestMagnitude", Napi::Function::New(env, KthSmallestMagnitude, "kthSmallestMagnitude"));
  exports.Set("kthSmallestMagnitudeAsync", Napi::Function::New(env, KthSmallestMagnitudeAsync, "kthSmallestMagnitudeAsync"));
  exports.Set("magnitudePruneMask", Napi::Function::New(env, MagnitudePruneMask, "magnitudePruneMask"));
}

}  // namespace nnslim_binding
