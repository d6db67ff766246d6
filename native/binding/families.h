// One init function per kernel family; addon.cc calls each to fill the exports object.
#pragma once

#include <napi.h>

namespace nnslim_binding {

void init_gemm(Napi::Env env, Napi::Object exports);

}  // namespace nnslim_binding
