// Argument views and checks for the binding. TypeScript validates first with rich messages;
// this layer re-checks only what memory safety needs (types, extents, detached buffers) and
// throws through one helper family that sets `.code`.
#pragma once

#include <napi.h>

#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

namespace nnslim_binding {

// Thrown inside binding functions; caught at the boundary and turned into a JS error.
struct ArgError {
  enum Kind { kType, kRange, kState } kind;
  std::string message;
};

[[noreturn]] inline void throw_type(const std::string& msg) { throw ArgError{ArgError::kType, msg}; }
[[noreturn]] inline void throw_range(const std::string& msg) { throw ArgError{ArgError::kRange, msg}; }
[[noreturn]] inline void throw_state(const std::string& msg) { throw ArgError{ArgError::kState, msg}; }

Napi::Error to_js_error(Napi::Env env, const ArgError& e);

// Runs body and converts ArgError into a thrown JS exception with a code.
template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, F&& body) {
  try {
    return body();
  } catch (const ArgError& e) {
    to_js_error(info.Env(), e).ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
}

template <typename T>
struct TypedArrayTraits;
template <>
struct TypedArrayTraits<float> {
  static constexpr napi_typedarray_type kType = napi_float32_array;
  static constexpr const char* kName = "Float32Array";
};
template <>
struct TypedArrayTraits<int8_t> {
  static constexpr napi_typedarray_type kType = napi_int8_array;
  static constexpr const char* kName = "Int8Array";
};
template <>
struct TypedArrayTraits<uint8_t> {
  static constexpr napi_typedarray_type kType = napi_uint8_array;
  static constexpr const char* kName = "Uint8Array";
};
template <>
struct TypedArrayTraits<int32_t> {
  static constexpr napi_typedarray_type kType = napi_int32_array;
  static constexpr const char* kName = "Int32Array";
};

// A zero-copy view of a TypedArray argument (data + byteOffset), with its element count.
template <typename T>
struct View {
  T* data = nullptr;
  size_t length = 0;
  Napi::Value value;  // the JS object, for pinning in async work
};

template <typename T>
View<T> typed_view(const Napi::Value& v, const char* name, bool allow_null = false) {
  View<T> out;
  out.value = v;
  if (allow_null && (v.IsNull() || v.IsUndefined())) return out;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != TypedArrayTraits<T>::kType)
    throw_type(std::string("Expected a ") + TypedArrayTraits<T>::kName + " for " + name);
  // napi_get_typedarray_info gives the element pointer for views on an ArrayBuffer and on a
  // SharedArrayBuffer alike (Napi::ArrayBuffer::Data() throws a code-less Error for the latter).
  napi_typedarray_type type;
  size_t length = 0, offset = 0;
  void* data = nullptr;
  napi_value buffer = nullptr;
  if (napi_get_typedarray_info(v.Env(), v, &type, &length, &data, &buffer, &offset) != napi_ok)
    throw_type(std::string("Expected a ") + TypedArrayTraits<T>::kName + " for " + name);
  // Index arrays (CSR row offsets and column indices) are checked and then followed: over a
  // SharedArrayBuffer another thread could change them in between, so they must be private.
  // Numeric data may be shared (a concurrent write changes numbers, never memory safety).
  if (std::is_same<T, int32_t>::value) {
    bool is_ab = false;
    if (napi_is_arraybuffer(v.Env(), buffer, &is_ab) != napi_ok || !is_ab)
      throw_type(std::string("Expected a ") + TypedArrayTraits<T>::kName + " for " + name +
                 " over an ArrayBuffer (index arrays on a SharedArrayBuffer are not supported)");
  }
  bool detached = false;
  // Fails (and leaves detached false) for a SharedArrayBuffer, which cannot be detached.
  napi_is_detached_arraybuffer(v.Env(), buffer, &detached);
  if (detached || (data == nullptr && length > 0))
    throw_type(std::string("Expected a ") + TypedArrayTraits<T>::kName + " for " + name + " but its buffer is detached");
  if (offset % alignof(T) != 0) throw_range(std::string(name) + " is not aligned to its element size");
  out.length = length;
  out.data = length == 0 ? nullptr : static_cast<T*>(data);
  return out;
}

inline int64_t int_arg(const Napi::Value& v, const char* name, int64_t min, int64_t max) {
  if (!v.IsNumber()) throw_type(std::string("Expected an integer for ") + name);
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= static_cast<double>(min) && d <= static_cast<double>(max)) || d != static_cast<double>(static_cast<int64_t>(d)))
    throw_range(std::string("Expected an integer in [") + std::to_string(min) + ", " + std::to_string(max) + "] for " + name);
  return static_cast<int64_t>(d);
}

inline double number_arg(const Napi::Value& v, const char* name) {
  if (!v.IsNumber()) throw_type(std::string("Expected a number for ") + name);
  return v.As<Napi::Number>().DoubleValue();
}

inline bool bool_arg(const Napi::Value& v, const char* name) {
  if (!v.IsBoolean()) throw_type(std::string("Expected a boolean for ") + name);
  return v.As<Napi::Boolean>().Value();
}

// Elements a row-major matrix of `rows` x `cols` with row stride `ld` spans; -1 on overflow.
inline int64_t span_elements(int64_t rows, int64_t cols, int64_t ld) {
  if (rows == 0 || cols == 0) return 0;
  const int64_t kMax = std::numeric_limits<int64_t>::max() / 2;
  if (rows - 1 > kMax / (ld > 0 ? ld : 1)) return -1;
  return (rows - 1) * ld + cols;
}

// True if [a, a + na) and [b, b + nb) overlap in memory.
template <typename A, typename B>
bool overlaps(const A* a, size_t na, const B* b, size_t nb) {
  if (a == nullptr || b == nullptr || na == 0 || nb == 0) return false;
  auto pa = reinterpret_cast<uintptr_t>(a), pb = reinterpret_cast<uintptr_t>(b);
  return pa < pb + nb * sizeof(B) && pb < pa + na * sizeof(A);
}

}  // namespace nnslim_binding
