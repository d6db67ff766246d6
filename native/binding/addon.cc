// Addon entry: registers every kernel family and the runtime controls (cpuInfo, setIsa,
// threads). Per-env state lives in instance data, so the addon loads in worker_threads.
#include <napi.h>

#include "args.h"
#include "families.h"
#include "nnslim/cpu.h"
#include "nnslim/kernels.h"
#include "nnslim/qgemm.h"
#include "nnslim/sparse.h"
#include "nnslim/batchnorm.h"
#include "nnslim/threadpool.h"

namespace nnslim_binding {

Napi::Error to_js_error(Napi::Env env, const ArgError& e) {
  Napi::Error err;
  const char* code = "ERR_NNSLIM_STATE";
  switch (e.kind) {
    case ArgError::kType:
      err = Napi::TypeError::New(env, e.message);
      code = "ERR_NNSLIM_TYPE";
      break;
    case ArgError::kRange:
      err = Napi::RangeError::New(env, e.message);
      code = "ERR_NNSLIM_RANGE";
      break;
    case ArgError::kState:
      err = Napi::Error::New(env, e.message);
      break;
  }
  err.Set("code", Napi::String::New(env, code));
  return err;
}

namespace {

Napi::Value CpuInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto& f = nnslim::cpu_features();
  Napi::Object out = Napi::Object::New(env);
  out.Set("arch", f.arch);
  Napi::Object feats = Napi::Object::New(env);
  auto flag = [&](const char* name, bool v) { feats.Set(name, Napi::Boolean::New(env, v)); };
#if defined(__x86_64__)
  flag("avx2", f.avx2);
  flag("fma", f.fma);
  flag("f16c", f.f16c);
  flag("avx512f", f.avx512f);
  flag("avx512bw", f.avx512bw);
  flag("avx512vl", f.avx512vl);
  flag("avx512dq", f.avx512dq);
  flag("avx512vnni", f.avx512vnni);
  flag("avxvnni", f.avxvnni);
  flag("amxTile", f.amx_tile);
  flag("amxInt8", f.amx_int8);
  flag("amxPermitted", f.amx_permitted);
#else
  flag("neon", f.neon);
  flag("dotprod", f.dotprod);
  flag("i8mm", f.i8mm);
#endif
  out.Set("features", feats);
  Napi::Array supported = Napi::Array::New(env);
  uint32_t n = 0;
  for (int i = 0; i < static_cast<int>(nnslim::Isa::kCount); ++i) {
    const auto isa = static_cast<nnslim::Isa>(i);
    if (nnslim::isa_supported(isa)) supported.Set(n++, nnslim::isa_name(isa));
  }
  out.Set("supportedIsas", supported);
  out.Set("bestIsa", nnslim::isa_name(nnslim::best_isa()));
  out.Set("isa", nnslim::isa_name(nnslim::active_isa()));
  Napi::Object kernels = Napi::Object::New(env);
  kernels.Set("sgemm", nnslim::sgemm_kernel_name());
  kernels.Set("spmm", nnslim::spmm_kernel_name());
  kernels.Set("batchnorm", nnslim::batchnorm_kernel_name());
  kernels.Set("qgemm", nnslim::qgemm_kernel_name());
  kernels.Set("quantize", nnslim::quantize_kernel_name());
  out.Set("kernels", kernels);
  out.Set("numThreads", nnslim::get_num_threads());
  return out;
}

Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsString()) throw_type("Expected a string for isa");
    const std::string name = info[0].As<Napi::String>().Utf8Value();
    nnslim::Isa isa;
    if (!nnslim::parse_isa(name.c_str(), &isa)) throw_range("Unknown ISA level '" + name + "'");
    if (!nnslim::force_isa(isa))
      throw_range("ISA level '" + name + "' is not supported by this CPU (best: " +
                  nnslim::isa_name(nnslim::best_isa()) + ")");
    return Napi::String::New(info.Env(), nnslim::isa_name(nnslim::active_isa()));
  });
}

Napi::Value IsaEnvError(const Napi::CallbackInfo& info) {
  const char* err = nnslim::isa_env_error();
  return err ? Napi::String::New(info.Env(), err) : info.Env().Null();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), nnslim::get_num_threads());
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    if (info.Length() < 1) throw_type("Expected an integer for n");
    nnslim::set_num_threads(static_cast<int>(int_arg(info[0], "n", 1, 1024)));
    return info.Env().Undefined();
  });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("cpuInfo", Napi::Function::New(env, CpuInfo, "cpuInfo"));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa, "setIsa"));
  exports.Set("isaEnvError", Napi::Function::New(env, IsaEnvError, "isaEnvError"));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads, "getNumThreads"));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads, "setNumThreads"));
  exports.Set("abiVersion", Napi::Number::New(env, 1));
  init_gemm(env, exports);
  init_sparse(env, exports);
  init_batchnorm(env, exports);
  init_qgemm(env, exports);
  init_select(env, exports);
  init_optim(env, exports);
  init_io(env, exports);
  return exports;
}

}  // namespace
}  // namespace nnslim_binding

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  return nnslim_binding::Init(env, exports);
}

NODE_API_MODULE(nnslim, InitAddon)
