#include <limits>

#include "args.h"
#include "families.h"
#include "nnslim/kernels.h"
#include "worker.h"

namespace nnslim_binding {
namespace {

constexpr int64_t kMaxDim = std::numeric_limits<int32_t>::max();

struct SgemmCall {
  nnslim::SgemmParams p;
  View<float> a, b, c, bias;
};

// Args: a, b, c, bias|null, m, n, k, lda, ldb, ldc, transA, transB, alpha, beta, relu
SgemmCall parse_sgemm(const Napi::CallbackInfo& info) {
  if (info.Length() != 15) throw_type("sgemm expects 15 arguments");
  SgemmCall s;
  s.a = typed_view<float>(info[0], "a");
  s.b = typed_view<float>(info[1], "b");
  s.c = typed_view<float>(info[2], "out");
  s.bias = typed_view<float>(info[3], "bias", /*allow_null=*/true);
  auto& p = s.p;
  p.m = int_arg(info[4], "m", 0, kMaxDim);
  p.n = int_arg(info[5], "n", 0, kMaxDim);
  p.k = int_arg(info[6], "k", 0, kMaxDim);
  p.lda = int_arg(info[7], "lda", 1, kMaxDim);
  p.ldb = int_arg(info[8], "ldb", 1, kMaxDim);
  p.ldc = int_arg(info[9], "ldc", 1, kMaxDim);
  p.trans_a = bool_arg(info[10], "transA");
  p.trans_b = bool_arg(info[11], "transB");
  p.alpha = static_cast<float>(number_arg(info[12], "alpha"));
  p.beta = static_cast<float>(number_arg(info[13], "beta"));
  p.relu = bool_arg(info[14], "relu");
  const int64_t a_rows = p.trans_a ? p.k : p.m, a_cols = p.trans_a ? p.m : p.k;
  const int64_t b_rows = p.trans_b ? p.n : p.k, b_cols = p.trans_b ? p.k : p.n;
  if (p.lda < a_cols || p.ldb < b_cols || p.ldc < p.n) throw_range("leading dimension smaller than the row length");
  const int64_t need_a = span_elements(a_rows, a_cols, p.lda);
  const int64_t need_b = span_elements(b_rows, b_cols, p.ldb);
  const int64_t need_c = span_elements(p.m, p.n, p.ldc);
  if (need_a < 0 || need_b < 0 || need_c < 0) throw_range("matrix extent overflows");
  if (static_cast<int64_t>(s.a.length) < need_a) throw_range("a is shorter than its shape and stride require");
  if (static_cast<int64_t>(s.b.length) < need_b) throw_range("b is shorter than its shape and stride require");
  if (static_cast<int64_t>(s.c.length) < need_c) throw_range("out is shorter than its shape and stride require");
  if (s.bias.data != nullptr && static_cast<int64_t>(s.bias.length) < p.n) throw_range("bias is shorter than n");
  if (s.bias.value.IsTypedArray() && s.bias.length == 0 && p.n > 0) throw_range("bias is shorter than n");
  if (overlaps(s.c.data, need_c, s.a.data, need_a) || overlaps(s.c.data, need_c, s.b.data, need_b) ||
      overlaps(s.c.data, need_c, s.bias.data, s.bias.length))
    throw_range("out must not overlap a, b or bias");
  p.a = s.a.data;
  p.b = s.b.data;
  p.c = s.c.data;
  p.bias = s.bias.data;
  return s;
}

Napi::Value Sgemm(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    SgemmCall s = parse_sgemm(info);
    const nnslim::Status st = nnslim::sgemm(s.p);
    if (st != nnslim::Status::kOk) throw_range(std::string("sgemm: ") + nnslim::status_message(st));
    return s.c.value;
  });
}

Napi::Value SgemmAsync(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    SgemmCall s = parse_sgemm(info);
    nnslim::SgemmParams p = s.p;
    auto* w = new KernelWorker(info.Env(), [p]() { return nnslim::sgemm(p); });
    w->pin(s.c.value, "out");  // first: the resolved value
    w->pin(s.a.value, "a");
    w->pin(s.b.value, "b");
    w->pin(s.bias.value, "bias");
    Napi::Promise promise = w->promise();
    w->Queue();
    return promise;
  });
}

}  // namespace

void init_gemm(Napi::Env env, Napi::Object exports) {
  exports.Set("sgemm", Napi::Function::New(env, Sgemm, "sgemm"));
  exports.Set("sgemmAsync", Napi::Function::New(env, SgemmAsync, "sgemmAsync"));
}

}  // namespace nnslim_binding
