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

// info[0, 5): an update's Float32Array buffers, param first; those from `first_optional` on
// may be null (nullptr here). Each has param's length and no two overlap.
struct UpdateBuffers {
  float* data[5];
  size_t n;
};
UpdateBuffers update_buffers(const Napi::CallbackInfo& info, const char* const (&names)[5], int first_optional,
                             const char* what) {
  View<float> bufs[5];
  for (int i = 0; i < 5; ++i) bufs[i] = typed_view<float>(info[i], names[i], /*allow_null=*/i >= first_optional);
  UpdateBuffers out;
  out.n = bufs[0].length;
  for (int i = 1; i < 5; ++i)
    if (bufs[i].value.IsTypedArray()) check_len(bufs[i], out.n, names[i]);
  for (int i = 0; i < 5; ++i)
    for (int j = i + 1; j < 5; ++j) check_disjoint(bufs[i], bufs[j], what);
  for (int i = 0; i < 5; ++i) out.data[i] = bufs[i].value.IsTypedArray() ? bufs[i].data : nullptr;
  return out;
}

// adamUpdate(param, grad, expAvg, expAvgSq, maxExpAvgSq|null, beta1, oneMinusBeta1, beta2, oneMinusBeta2,
//            eps, negStepSize, invBc2Sqrt, weightDecay, decay, decoupled, maximize)
Napi::Value AdamUpdate(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    if (info.Length() != 16) throw_type("adamUpdate expects 16 arguments");
    static const char* const names[5] = {"param", "grad", "expAvg", "expAvgSq", "maxExpAvgSq"};
    const UpdateBuffers b = update_buffers(info, names, 4, "adamUpdate buffers");
    nnslim::AdamParams p;
    p.param = b.data[0];
    p.grad = b.data[1];
    p.exp_avg = b.data[2];
    p.exp_avg_sq = b.data[3];
    p.max_exp_avg_sq = b.data[4];
    p.n = b.n;
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
    static const char* const names[5] = {"param", "grad", "squareAvg", "gradAvg", "momentumBuffer"};
    const UpdateBuffers b = update_buffers(info, names, 3, "rmspropUpdate buffers");
    nnslim::RmspropParams p;
    p.param = b.data[0];
    p.grad = b.data[1];
    p.square_avg = b.data[2];
    p.grad_avg = b.data[3];
    p.momentum_buffer = b.data[4];
    p.n = b.n;
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
