// Fused batchnorm kernels: inference apply, training forward (statistics + normalize) and
// backward. Shapes are [n, c, l] (l = 1 for [N, C]); per-channel arrays have c elements.
#include <limits>

#include "args.h"
#include "families.h"
#include "nnslim/batchnorm.h"
#include "worker.h"

namespace nnslim_binding {
namespace {

constexpr int64_t kMaxDim = std::numeric_limits<int32_t>::max();

struct Shape {
  int64_t n, c, l, total;
};

Shape shape_args(const Napi::CallbackInfo& info, size_t at) {
  Shape s;
  s.n = int_arg(info[at], "n", 0, kMaxDim);
  s.c = int_arg(info[at + 1], "c", 0, kMaxDim);
  s.l = int_arg(info[at + 2], "l", 1, kMaxDim);
  s.total = span_elements(s.n, s.c * s.l, s.c * s.l);
  if (s.total < 0 || s.c * s.l / s.l != s.c) throw_range("tensor extent overflows");
  return s;
}

template <typename T>
void need(const View<T>& v, int64_t n, const char* what) {
  if (v.value.IsTypedArray() && static_cast<int64_t>(v.length) < n)
    throw_range(std::string(what) + " is shorter than its shape requires");
}

// out must be x itself (in place) or disjoint from every input.
void no_alias(const View<float>& out, int64_t n, std::initializer_list<const View<float>*> ins, const char* what) {
  for (const View<float>* in : ins)
    if (in->data != out.data && overlaps(out.data, n, in->data, in->length))
      throw_range(std::string(what) + " must not partially overlap an input");
}

struct ApplyCall {
  nnslim::BatchnormApplyParams p;
  View<float> x, y, mean, scale, shift;
};

// batchnormApply(x, y, mean|null, scale, shift, n, c, l, relu)
ApplyCall parse_apply(const Napi::CallbackInfo& info) {
  if (info.Length() != 9) throw_type("batchnormApply expects 9 arguments");
  ApplyCall a;
  a.x = typed_view<float>(info[0], "x");
  a.y = typed_view<float>(info[1], "out");
  a.mean = typed_view<float>(info[2], "mean", true);
  a.scale = typed_view<float>(info[3], "scale");
  a.shift = typed_view<float>(info[4], "shift");
  const Shape s = shape_args(info, 5);
  a.p.relu = bool_arg(info[8], "relu");
  need(a.x, s.total, "x");
  need(a.y, s.total, "out");
  need(a.mean, s.c, "mean");
  need(a.scale, s.c, "scale");
  need(a.shift, s.c, "shift");
  no_alias(a.y, s.total, {&a.x, &a.mean, &a.scale, &a.shift}, "out");
  if (a.y.data == a.x.data) {
    // in place is fine; per-channel arrays must not be the tensor itself
  }
  a.p.n = s.n;
  a.p.c = s.c;
  a.p.l = s.l;
  a.p.x = a.x.data;
  a.p.y = a.y.data;
  a.p.mean = a.mean.data;
  a.p.scale = a.scale.data;
  a.p.shift = a.shift.data;
  return a;
}

Napi::Value Apply(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    ApplyCall a = parse_apply(info);
    if (nnslim::batchnorm_apply(a.p) != nnslim::Status::kOk) throw_range("batchnormApply: invalid arguments");
    return a.y.value;
  });
}

Napi::Value ApplyAsync(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    ApplyCall a = parse_apply(info);
    const nnslim::BatchnormApplyParams p = a.p;
    auto* w = new KernelWorker(info.Env(), [p]() { return nnslim::batchnorm_apply(p); });
    w->pin(a.y.value, "out");
    w->pin(a.x.value, "x");
    w->pin(a.mean.value, "mean");
    w->pin(a.scale.value, "scale");
    w->pin(a.shift.value, "shift");
    Napi::Promise promise = w->promise();
    w->Queue();
    return promise;
  });
}

// batchnormTrain(x, y|null, gamma|null, beta|null, n, c, l, eps, relu, mean, var, invstd)
Napi::Value Train(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    if (info.Length() != 12) throw_type("batchnormTrain expects 12 arguments");
    View<float> x = typed_view<float>(info[0], "x");
    View<float> y = typed_view<float>(info[1], "out", true);
    View<float> gamma = typed_view<float>(info[2], "weight", true);
    View<float> beta = typed_view<float>(info[3], "bias", true);
    const Shape s = shape_args(info, 4);
    nnslim::BatchnormTrainParams p;
    p.eps = static_cast<float>(number_arg(info[7], "eps"));
    p.relu = bool_arg(info[8], "relu");
    View<float> mean = typed_view<float>(info[9], "mean");
    View<float> var = typed_view<float>(info[10], "var");
    View<float> invstd = typed_view<float>(info[11], "invstd");
    if (s.n * s.l < 1) throw_range("batchnormTrain needs at least one value per channel");
    if (!(p.eps >= 0.0f)) throw_range("eps must be >= 0");
    need(x, s.total, "x");
    need(y, s.total, "out");
    need(gamma, s.c, "weight");
    need(beta, s.c, "bias");
    need(mean, s.c, "mean");
    need(var, s.c, "var");
    need(invstd, s.c, "invstd");
    if (y.value.IsTypedArray()) no_alias(y, s.total, {&x, &gamma, &beta, &mean, &var, &invstd}, "out");
    for (const View<float>* st : {&mean, &var, &invstd})
      if (overlaps(st->data, s.c, x.data, x.length) || overlaps(st->data, s.c, y.data, y.length))
        throw_range("statistics outputs must not overlap x or out");
    p.n = s.n;
    p.c = s.c;
    p.l = s.l;
    p.x = x.data;
    p.y = y.data;
    p.gamma = gamma.data;
    p.beta = beta.data;
    p.mean = mean.data;
    p.var = var.data;
    p.invstd = invstd.data;
    if (nnslim::batchnorm_train_forward(p) != nnslim::Status::kOk) throw_range("batchnormTrain: invalid arguments");
    return info.Env().Undefined();
  });
}

// batchnormBackward(x, dy, mean, invstd, gamma|null, n, c, l, training, dx|null, dgamma|null, dbeta|null)
Napi::Value Backward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    if (info.Length() != 12) throw_type("batchnormBackward expects 12 arguments");
    View<float> x = typed_view<float>(info[0], "x");
    View<float> dy = typed_view<float>(info[1], "gradOut");
    View<float> mean = typed_view<float>(info[2], "mean");
    View<float> invstd = typed_view<float>(info[3], "invstd");
    View<float> gamma = typed_view<float>(info[4], "weight", true);
    const Shape s = shape_args(info, 5);
    nnslim::BatchnormBackwardParams p;
    p.training = bool_arg(info[8], "training");
    View<float> dx = typed_view<float>(info[9], "gradIn", true);
    View<float> dg = typed_view<float>(info[10], "gradWeight", true);
    View<float> db = typed_view<float>(info[11], "gradBias", true);
    need(x, s.total, "x");
    need(dy, s.total, "gradOut");
    need(mean, s.c, "mean");
    need(invstd, s.c, "invstd");
    need(gamma, s.c, "weight");
    need(dx, s.total, "gradIn");
    need(dg, s.c, "gradWeight");
    need(db, s.c, "gradBias");
    if (!mean.value.IsTypedArray() || !invstd.value.IsTypedArray() || (s.c > 0 && (!mean.data || !invstd.data)))
      throw_range("mean and invstd must have c elements");
    if (dx.value.IsTypedArray())
      for (const View<float>* in : {&x, &dy, &mean, &invstd, &gamma})
        if (overlaps(dx.data, s.total, in->data, in->length)) throw_range("gradIn must not overlap an input");
    for (const View<float>* o : {&dg, &db})
      for (const View<float>* in : {&x, &dy, &mean, &invstd, &gamma, &dx})
        if (overlaps(o->data, s.c, in->data, in->length)) throw_range("gradWeight/gradBias must not overlap another argument");
    p.n = s.n;
    p.c = s.c;
    p.l = s.l;
    p.x = x.data;
    p.dy = dy.data;
    p.mean = mean.data;
    p.invstd = invstd.data;
    p.gamma = gamma.data;
    p.dx = dx.data;
    p.dgamma = dg.data;
    p.dbeta = db.data;
    if (nnslim::batchnorm_backward(p) != nnslim::Status::kOk) throw_range("batchnormBackward: invalid arguments");
    return info.Env().Undefined();
  });
}

}  // namespace

void init_batchnorm(Napi::Env env, Napi::Object exports) {
  exports.Set("batchnormApply", Napi::Function::New(env, Apply, "batchnormApply"));
  exports.Set("batchnormApplyAsync", Napi::Function::New(env, ApplyAsync, "batchnormApplyAsync"));
  exports.Set("batchnormTrain", Napi::Function::New(env, Train, "batchnormTrain"));
  exports.Set("batchnormBackward", Napi::Function::New(env, Backward, "batchnormBackward"));
}

}  // namespace nnslim_binding
