// Promise-returning async work on libuv's pool: the kernel runs in Execute() off the event
// loop; every JS object the kernel reads or writes is held by a persistent reference until
// the promise settles, so GC cannot free a buffer mid-call. (lib/native.ts also marks the
// buffers untransferable, so postMessage / structuredClone cannot detach them meanwhile.)
//
// Settling never throws: when the environment is being torn down (process.exit(), the end
// of a worker_thread, worker.terminate()) with a call in flight, N-API refuses to run
// JavaScript; the promise can no longer be observed, so the worker just drops its references.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "nnslim/kernels.h"

namespace nnslim_binding {

class KernelWorker : public Napi::AsyncWorker {
 public:
  using Resolver = std::function<Napi::Value(Napi::Env, std::vector<Napi::ObjectReference>&)>;
  // run: executed on a worker thread; returns a Status. resolve: builds the resolved value
  // on the main thread from the pinned objects (default: the first one pinned, the output).
  KernelWorker(Napi::Env env, std::function<nnslim::Status()> run, Resolver resolve = nullptr)
      : Napi::AsyncWorker(env, "nnslim"), deferred_(Napi::Promise::Deferred::New(env)),
        run_(std::move(run)), resolve_(std::move(resolve)) {}

  // name: the argument, for the error if its buffer is detached before the call settles.
  void pin(const Napi::Value& v, const char* name) {
    if (v.IsObject()) {
      pinned_.push_back(Napi::Persistent(v.As<Napi::Object>()));
      names_.push_back(name);
    }
  }
  Napi::Promise promise() { return deferred_.Promise(); }
  // Hands over an object the run and resolve callbacks share (e.g. scalar results); it lives
  // as long as the worker. (No shared_ptr: its refcounting binds __libc_single_threaded,
  // GLIBC_2.32, and the prebuilds target glibc 2.28.)
  template <typename T>
  void keep(std::unique_ptr<T> p) {
    kept_.reserve(kept_.size() + 1);
    kept_.emplace_back(p.release(), [](void* q) { delete static_cast<T*>(q); });
  }

 protected:
  void Execute() override {
    try {
      status_ = run_();
    } catch (const std::bad_alloc&) {
      status_ = nnslim::Status::kOutOfMemory;
    }
  }

  void OnWorkComplete(Napi::Env env, napi_status status) override {
    if (status != napi_cancelled) settle(env);
    for (auto& r : pinned_) r.Reset();
    pinned_.clear();
    Destroy();
  }

 private:
  // The name of a pinned TypedArray whose buffer is detached now, or nullptr.
  const char* detached_pin(napi_env env) {
    for (size_t i = 0; i < pinned_.size(); ++i) {
      napi_value v = pinned_[i].Value();
      bool is_ta = false;
      if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) continue;
      napi_value buffer = nullptr;
      if (napi_get_typedarray_info(env, v, nullptr, nullptr, nullptr, &buffer, nullptr) != napi_ok) continue;
      bool detached = false;
      if (napi_is_detached_arraybuffer(env, buffer, &detached) == napi_ok && detached) return names_[i];
    }
    return nullptr;
  }

  Napi::Value error(Napi::Env env, const std::string& message, const char* code) {
    Napi::Error err = Napi::Error::New(env, message);
    err.Set("code", Napi::String::New(env, code));
    return err.Value();
  }

  void settle(Napi::Env env) {
    napi_handle_scope scope = nullptr;
    if (napi_open_handle_scope(env, &scope) != napi_ok) return;
    try {
      if (status_ != nnslim::Status::kOk) {
        deferred_.Reject(error(env, std::string("nnslim kernel failed: ") + nnslim::status_message(status_), "ERR_NNSLIM_KERNEL"));
      } else if (const char* name = detached_pin(env)) {
        deferred_.Reject(error(env, std::string("nnslim: the buffer of ") + name +
                                        " was detached (transferred) while the call was in flight; its result is lost",
                               "ERR_NNSLIM_DETACHED"));
      } else if (resolve_) {
        deferred_.Resolve(resolve_(env, pinned_));
      } else {
        deferred_.Resolve(pinned_.empty() ? env.Undefined() : pinned_[0].Value());
      }
    } catch (const Napi::Error&) {
      // JavaScript cannot run any more (environment teardown): nobody can observe the promise.
      napi_value ignored = nullptr;
      napi_get_and_clear_last_exception(env, &ignored);
    }
    napi_close_handle_scope(env, scope);
  }

  Napi::Promise::Deferred deferred_;
  std::function<nnslim::Status()> run_;
  Resolver resolve_;
  std::vector<Napi::ObjectReference> pinned_;
  std::vector<const char*> names_;
  std::vector<std::unique_ptr<void, void (*)(void*)>> kept_;
  nnslim::Status status_ = nnslim::Status::kOk;
};

}  // namespace nnslim_binding
