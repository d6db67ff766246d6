// Fused optimizer updates (optim.h). Checks types, lengths and aliasing only; the TypeScript
// layer computes the float32 constants.
#include <string>

#include "args.h"
#include "families.h"
#include "nnslim/optim.h"

namespace nnslim_binding {
namespace {

template <typename T>
void check_len(const View<T>& v, size_t n, const char* name) {
  if (v.length != n) throw_range(std::string(name) + ".length must equal param.length");
}

template <typename T, typename U>
void check_disjoint(const View<T>& a, const View<U>& b, const char* what) {
  if (overlaps(a.data, a.length, b.data, b.length))
    throw_range(std::string(what) + " must not overlap");
}

float f32(const Napi::Value& v, const char* name) { return static_cast<float>(number_arg(v, name)); }

// adamUpdate(param, grad, expAvg, expAvgSq, maxExpAvgSq|null, beta1, oneMinusBeta1, beta2, oneMinusBeta2,
//            eps, negStepSize, invBc2Sqrt, weightDecay, decay, decoupled, maximize)
Napi::Value AdamUpdate(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    if (info.Length() != 16) throw_type("adamUpdate expects 16 arguments");
    View<float> bufs[5] = {
        typed_view<float>(info[0], "param"), typed_view<float>(info[1], "grad"), typed_view<float>(info[2], "expAvg"),
        typed_view<float>(info[3], "expAvgSq"), typed_view<float>(info[4], "maxExpAvgSq", /*allow_null=*/true)};
    const char* names[5] = {"param", "grad", "expAvg", "expAvgSq", "maxExpAvgSq"};
    const size_t n = bufs[0].length;
    for (int i = 1; i < 5; ++i) {
      if (i == 4 && !bufs[4].value.IsTypedArray()) continue;
      check_len(bufs[i], n, names[i]);
    }
    for (int i = 0; i < 5; ++i)
      for (int j = i + 1; j < 5; ++j) check_disjoint(bufs[i], bufs[j], "adamUpdate buffers");
    nnslim::AdamParams p;
    p.param = bufs[0].data;
    p.grad = bufs[1].data;
    p.exp_avg = bufs[2].data;
    p.exp_avg_sq = bufs[3].data;
    p.max_exp_avg_sq = bufs[4].value.IsTypedArray() ? bufs[4].data : nullptr;
    p.n = n;
    p.beta1 = f32(info[5], "beta1");
    p.one_minus_beta1 = f32(info[6], "oneMinusBeta1");
    p.beta2 = f32(info[7], "beta2");
    p.one_minus_beta2 = f32(info[8], "oneMinusBeta2");
    p.eps = f32(info[9], "eps");
    p.neg_step_size = f32(info[10], "negStepSize");
    p.inv_bc2_sqrt = number_arg(info[11], "invBc2Sqrt");
    p.weight_decay = f32(info[12], "weightDecay");
    p.decay = f32(info[13], "decay");
    p.decoupled = bool_arg(info[14], "decoupled");
    p.maximize = bool_arg(info[15], "maximize");
    const nnslim::Status st = nnslim::adam_update(p);
    if (st != nnslim::Status::kOk) throw_range(std::string("adamUpdate: ") + nnslim::status_message(st));
    return info.Env().Undefined();
  });
}

// rmspropUpdate(param, grad, squareAvg, gradAvg|null, momentumBuffer|null, alpha, oneMinusAlpha, eps,
//               weightDecay, momentum, negLr, maximize)
Napi::Value RmspropUpdate(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    if (info.Length() != 12) throw_type("rmspropUpdate expects 12 arguments");
    View<float> bufs[5] = {
        typed_view<float>(info[0], "param"), typed_view<float>(info[1], "grad"), typed_view<float>(info[2], "squareAvg"),
        typed_view<float>(info[3], "gradAvg", /*allow_null=*/true),
        typed_view<float>(info[4], "momentumBuffer", /*allow_null=*/true)};
    const char* names[5] = {"param", "grad", "squareAvg", "gradAvg", "momentumBuffer"};
    const size_t n = bufs[0].length;
    for (int i = 1; i < 5; ++i) {
      if (i >= 3 && !bufs[i].value.IsTypedArray()) continue;
      check_len(bufs[i], n, names[i]);
    }
    for (int i = 0; i < 5; ++i)
      for (int j = i + 1; j < 5; ++j) check_disjoint(bufs[i], bufs[j], "rmspropUpdate buffers");
    nnslim::RmspropParams p;
    p.param = bufs[0].data;
    p.grad = bufs[1].data;
    p.square_avg = bufs[2].data;
    p.grad_avg = bufs[3].value.IsTypedArray() ? bufs[3].data : nullptr;
    p.momentum_buffer = bufs[4].value.IsTypedArray() ? bufs[4].data : nullptr;
    p.n = n;
    p.alpha = f32(info[5], "alpha");
    p.one_minus_alpha = f32(info[6], "oneMinusAlpha");
    p.eps = f32(info[7], "eps");
    p.weight_decay = f32(info[8], "weightDecay");
    p.momentum = f32(info[9], "momentum");
    p.neg_lr = f32(info[10], "negLr");
    p.maximize = bool_arg(info[11], "maximize");
    const nnslim::Status st = nnslim::rmsprop_update(p);
    if (st != nnslim::Status::kOk) throw_range(std::string("rmspropUpdate: ") + nnslim::status_message(st));
    return info.Env().Undefined();
  });
}

}  // namespace

void init_optim(Napi::Env env, Napi::Object exports) {
  exports.Set("adamUpdate", Napi::Function::New(env, AdamUpdate, "adamUpdate"));
  exports.Set("rmspropUpdate", Napi::Function::New(env, RmspropUpdate, "rmspropUpdate"));
}

}  // namespace nnslim_binding
