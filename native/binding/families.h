// One init function per kernel family; addon.cc calls each to fill the exports object.
#pragma once

#include <napi.h>

namespace nnslim_binding {

void init_gemm(Napi::Env env, Napi::Object exports);
void init_sparse(Napi::Env env, Napi::Object exports);
void init_batchnorm(Napi::Env env, Napi::Object exports);
void init_qgemm(Napi::Env env, Napi::Object exports);
void init_select(Napi::Env env, Napi::Object exports);
void init_optim(Napi::Env env, Napi::Object exports);
void init_io(Napi::Env env, Napi::Object exports);

}  // namespace nnslim_binding
