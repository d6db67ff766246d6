// Promise-returning async work on libuv's pool: the kernel runs in Execute() off the event
// loop; every JS object the kernel reads or writes is held by a persistent reference until
// the promise settles, so GC cannot free a buffer mid-call.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>
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

  void pin(const Napi::Value& v) {
    if (v.IsObject()) pinned_.push_back(Napi::Persistent(v.As<Napi::Object>()));
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
    status_ = run_();
    if (status_ != nnslim::Status::kOk) SetError(nnslim::status_message(status_));
  }
  void OnOK() override {
    Napi::HandleScope scope(Env());
    if (resolve_) {
      deferred_.Resolve(resolve_(Env(), pinned_));
    } else {
      deferred_.Resolve(pinned_.empty() ? Env().Undefined() : pinned_[0].Value());
    }
    release();
  }
  void OnError(const Napi::Error& e) override {
    Napi::HandleScope scope(Env());
    Napi::Error err = Napi::Error::New(Env(), std::string("nnslim kernel failed: ") + e.Message());
    err.Set("code", Napi::String::New(Env(), "ERR_NNSLIM_KERNEL"));
    deferred_.Reject(err.Value());
    release();
  }

 private:
  void release() {
    for (auto& r : pinned_) r.Reset();
    pinned_.clear();
  }
  Napi::Promise::Deferred deferred_;
  std::function<nnslim::Status()> run_;
  Resolver resolve_;
  std::vector<Napi::ObjectReference> pinned_;
  std::vector<std::unique_ptr<void, void (*)(void*)>> kept_;
  nnslim::Status status_ = nnslim::Status::kOk;
};

}  // namespace nnslim_binding
