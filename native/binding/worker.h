// Promise-returning async work on libuv's pool: the kernel runs in Execute() off the event
// loop; every JS object the kernel reads or writes is held by a persistent reference until
// the promise settles, so GC cannot free a buffer mid-call.
#pragma once

#include <napi.h>

#include <functional>
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
  nnslim::Status status_ = nnslim::Status::kOk;
};

}  // namespace nnslim_binding
