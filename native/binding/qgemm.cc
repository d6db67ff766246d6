// int8 GEMM and quantize family: packed weights as a type-tagged wrapped object (freed by
// GC, its size reported to V8), qgemm (sync / Promise), quantize / dequantize and the fused
// dynamic quantization. Argument checks here are the memory-safety ones; TypeScript
// validates first with rich messages.
#include <limits>
#include <string>

#include "args.h"
#include "families.h"
#include "nnslim/qgemm.h"
#include "worker.h"

namespace nnslim_binding {
namespace {

constexpr int64_t kMaxDim = std::numeric_limits<int32_t>::max();
const napi_type_tag kPackedTag = {0x6e6e736c696d5138ULL, 0x5061636b65645731ULL};

// A TypedArray view with two N-API calls (napi_get_typedarray_info gives the type, length and
// the data pointer with its byte offset applied): this family serves per-token calls of a few
// microseconds. A detached buffer has length 0, which every extent check below rejects.
template <typename T>
View<T> fast_view(const Napi::Value& v, const char* name, bool allow_null = false) {
  View<T> out;
  out.value = v;
  napi_env env = v.Env();
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) {
    if (allow_null && (v.IsNull() || v.IsUndefined())) return out;
    throw_type(std::string("Expected a ") + TypedArrayTraits<T>::kName + " for " + name);
  }
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != TypedArrayTraits<T>::kType)
    throw_type(std::string("Expected a ") + TypedArrayTraits<T>::kName + " for " + name);
  out.length = data == nullptr ? 0 : length;
  out.data = out.length == 0 ? nullptr : static_cast<T*>(data);
  return out;
}

napi_typedarray_type typed_array_type(const Napi::Value& v) {
  bool is_ta = false;
  napi_typedarray_type type = napi_biguint64_array;
  if (napi_is_typedarray(v.Env(), v, &is_ta) == napi_ok && is_ta)
    napi_get_typedarray_info(v.Env(), v, &type, nullptr, nullptr, nullptr, nullptr);
  return type;
}

// ---- packed weights ----

void finalize_packed(napi_env env, void* data, void* /*hint*/) {
  auto* w = static_cast<nnslim::PackedInt8Weights*>(data);
  int64_t adjusted = 0;
  napi_adjust_external_memory(env, -static_cast<int64_t>(w->bytes), &adjusted);
  nnslim::qgemm_free_weights(w);
}

const nnslim::PackedInt8Weights* unwrap_packed(const Napi::Value& v, const char* name) {
  napi_env env = v.Env();
  bool tagged = false;
  if (v.IsObject()) napi_check_object_type_tag(env, v, &kPackedTag, &tagged);
  if (!tagged) throw_type(std::string("Expected packed int8 weights (from packInt8Weights) for ") + name);
  void* data = nullptr;
  if (napi_unwrap(env, v, &data) != napi_ok || data == nullptr)
    throw_state(std::string(name) + " has been released");
  return static_cast<const nnslim::PackedInt8Weights*>(data);
}

// Args: w (Int8Array, n x k row-major), n, k, zeroPoints (Int32Array, 1 or n), perChannel
Napi::Value QgemmPack(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    if (info.Length() != 5) throw_type("qgemmPack expects 5 arguments");
    View<int8_t> w = fast_view<int8_t>(info[0], "weight");
    const int64_t n = int_arg(info[1], "n", 1, kMaxDim);
    const int64_t k = int_arg(info[2], "k", 1, nnslim::kQgemmMaxK);
    View<int32_t> zp = fast_view<int32_t>(info[3], "zeroPoints");
    const bool per_channel = bool_arg(info[4], "perChannel");
    if (static_cast<int64_t>(w.length) != n * k) throw_range("weight length must be n * k");
    if (static_cast<int64_t>(zp.length) != (per_channel ? n : 1)) throw_range("zeroPoints length must be n (per channel) or 1");
    nnslim::PackedInt8Weights* pw = nullptr;
    const nnslim::Status st = nnslim::qgemm_pack_weights(w.data, n, k, k, zp.data, per_channel, &pw);
    if (st == nnslim::Status::kOutOfMemory) throw_state("packInt8Weights: out of memory");
    if (st != nnslim::Status::kOk) throw_range(std::string("packInt8Weights: ") + nnslim::status_message(st));
    Napi::Env env = info.Env();
    Napi::Object obj = Napi::Object::New(env);
    if (napi_wrap(env, obj, pw, finalize_packed, nullptr, nullptr) != napi_ok) {
      nnslim::qgemm_free_weights(pw);
      throw_state("packInt8Weights: could not wrap the packed weights");
    }
    napi_type_tag_object(env, obj, &kPackedTag);
    int64_t adjusted = 0;
    napi_adjust_external_memory(env, static_cast<int64_t>(pw->bytes), &adjusted);
    obj.Set("byteLength", Napi::Number::New(env, static_cast<double>(pw->bytes)));
    obj.Set("n", Napi::Number::New(env, static_cast<double>(n)));
    obj.Set("k", Napi::Number::New(env, static_cast<double>(k)));
    return obj;
  });
}

// ---- qgemm ----

struct QgemmCall {
  nnslim::QgemmParams p;
  Napi::Value a, packed, a_scales, a_zps, w_scales, bias, out;
};

// Args: a (Uint8Array | Int8Array), m, lda, packed, aScales (Float32Array), aZeroPoints
// (Int32Array), wScales (Float32Array, 1 or n), bias (Float32Array | null), relu, out
// (Float32Array | Uint8Array | Int8Array | Int32Array), ldc, outScale, outZeroPoint.
// aScales / aZeroPoints hold 1 value (per tensor) or m values (per row).
QgemmCall parse_qgemm(const Napi::CallbackInfo& info) {
  if (info.Length() != 13) throw_type("qgemm expects 13 arguments");
  QgemmCall s;
  auto& p = s.p;
  s.a = info[0];
  s.packed = info[3];
  s.a_scales = info[4];
  s.a_zps = info[5];
  s.w_scales = info[6];
  s.bias = info[7];
  s.out = info[9];
  p.w = unwrap_packed(info[3], "weights");
  const int64_t n = p.w->n, k = p.w->k;
  p.m = int_arg(info[1], "m", 0, kMaxDim);
  p.lda = int_arg(info[2], "lda", 1, kMaxDim);
  size_t a_len = 0;
  if (typed_array_type(info[0]) == napi_int8_array) {
    View<int8_t> a = fast_view<int8_t>(info[0], "x");
    p.a_type = nnslim::QDtype::kInt8;
    p.a = a.data;
    a_len = a.length;
  } else {
    View<uint8_t> a = fast_view<uint8_t>(info[0], "x");
    p.a_type = nnslim::QDtype::kUint8;
    p.a = a.data;
    a_len = a.length;
  }
  View<float> as = fast_view<float>(info[4], "activationScales");
  View<int32_t> az = fast_view<int32_t>(info[5], "activationZeroPoints");
  View<float> ws = fast_view<float>(info[6], "weightScales");
  View<float> bias = fast_view<float>(info[7], "bias", /*allow_null=*/true);
  p.relu = bool_arg(info[8], "relu");
  p.ldc = int_arg(info[10], "ldc", 1, kMaxDim);
  p.out_scale = static_cast<float>(number_arg(info[11], "outScale"));
  p.out_zero_point = static_cast<int32_t>(int_arg(info[12], "outZeroPoint", -128, 255));
  size_t out_len = 0, out_bytes = 0;
  void* out_ptr = nullptr;
  switch (typed_array_type(info[9])) {
    case napi_float32_array: {
      View<float> o = fast_view<float>(info[9], "out");
      p.out_type = nnslim::QgemmOutput::kFloat32;
      out_ptr = o.data;
      out_len = o.length;
      out_bytes = 4;
      break;
    }
    case napi_int32_array: {
      View<int32_t> o = fast_view<int32_t>(info[9], "out");
      p.out_type = nnslim::QgemmOutput::kInt32;
      out_ptr = o.data;
      out_len = o.length;
      out_bytes = 4;
      break;
    }
    case napi_uint8_array: {
      View<uint8_t> o = fast_view<uint8_t>(info[9], "out");
      p.out_type = nnslim::QgemmOutput::kUint8;
      out_ptr = o.data;
      out_len = o.length;
      out_bytes = 1;
      break;
    }
    case napi_int8_array: {
      View<int8_t> o = fast_view<int8_t>(info[9], "out");
      p.out_type = nnslim::QgemmOutput::kInt8;
      out_ptr = o.data;
      out_len = o.length;
      out_bytes = 1;
      break;
    }
    default:
      throw_type("Expected a Float32Array, Uint8Array, Int8Array or Int32Array for out");
  }
  p.c = out_ptr;
  if (p.lda < k || p.ldc < n) throw_range("leading dimension smaller than the row length");
  const int64_t need_a = span_elements(p.m, k, p.lda), need_c = span_elements(p.m, n, p.ldc);
  if (need_a < 0 || need_c < 0) throw_range("matrix extent overflows");
  if (static_cast<int64_t>(a_len) < need_a) throw_range("x is shorter than its shape and stride require");
  if (static_cast<int64_t>(out_len) < need_c) throw_range("out is shorter than its shape and stride require");
  if (as.length != az.length || (as.length != 1 && static_cast<int64_t>(as.length) != p.m) || as.length == 0)
    throw_range("activationScales / activationZeroPoints must hold 1 or m values");
  if (as.length == 1) {
    p.a_scale = as.data[0];
    p.a_zero_point = az.data[0];
  } else {
    p.a_scales = as.data;
    p.a_zero_points = az.data;
  }
  if (ws.length != 1 && static_cast<int64_t>(ws.length) != n) throw_range("weightScales must hold 1 or n values");
  p.w_scales = ws.data;
  p.w_scales_per_channel = static_cast<int64_t>(ws.length) == n && n != 1;
  if (!bias.value.IsNull() && !bias.value.IsUndefined() && static_cast<int64_t>(bias.length) != n)
    throw_range("bias must hold n values");
  p.bias = bias.data;
  const size_t c_bytes = static_cast<size_t>(need_c) * out_bytes;
  const uint8_t* c = static_cast<const uint8_t*>(out_ptr);
  if (overlaps(c, c_bytes, static_cast<const uint8_t*>(p.a), static_cast<size_t>(need_a)) ||
      overlaps(c, c_bytes, as.data, as.length) || overlaps(c, c_bytes, az.data, az.length) ||
      overlaps(c, c_bytes, ws.data, ws.length) || overlaps(c, c_bytes, bias.data, bias.length))
    throw_range("out must not overlap the other arguments");
  const nnslim::Status st = nnslim::qgemm_check(p);
  if (st != nnslim::Status::kOk) throw_range(std::string("qgemm: ") + nnslim::status_message(st));
  return s;
}

Napi::Value Qgemm(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    QgemmCall s = parse_qgemm(info);
    const nnslim::Status st = nnslim::qgemm(s.p);
    if (st == nnslim::Status::kOutOfMemory) throw_state("qgemm: out of memory");
    if (st != nnslim::Status::kOk) throw_range(std::string("qgemm: ") + nnslim::status_message(st));
    return s.out;
  });
}

Napi::Value QgemmAsync(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    QgemmCall s = parse_qgemm(info);
    nnslim::QgemmParams p = s.p;
    auto* w = new KernelWorker(info.Env(), [p]() { return nnslim::qgemm(p); });
    w->pin(s.out, "out");  // first: the resolved value
    w->pin(s.a, "x");
    w->pin(s.packed, "weights");
    w->pin(s.a_scales, "activationScales");
    w->pin(s.a_zps, "activationZeroPoints");
    w->pin(s.w_scales, "weightScales");
    w->pin(s.bias, "bias");
    Napi::Promise promise = w->promise();
    w->Queue();
    return promise;
  });
}

// ---- quantize / dequantize ----

struct QView {
  void* data = nullptr;
  size_t length = 0;
  nnslim::QDtype type = nnslim::QDtype::kUint8;
};

QView q_view(const Napi::Value& v, const char* name) {
  QView q;
  if (typed_array_type(v) == napi_int8_array) {
    View<int8_t> t = fast_view<int8_t>(v, name);
    q.data = t.data;
    q.length = t.length;
    q.type = nnslim::QDtype::kInt8;
  } else {
    View<uint8_t> t = fast_view<uint8_t>(v, name);
    q.data = t.data;
    q.length = t.length;
    q.type = nnslim::QDtype::kUint8;
  }
  return q;
}

struct ChannelShape {
  size_t outer, channels, inner;
};

ChannelShape channel_shape(const Napi::CallbackInfo& info, size_t first, size_t length) {
  ChannelShape s;
  s.outer = static_cast<size_t>(int_arg(info[first], "outer", 0, std::numeric_limits<int32_t>::max()));
  s.channels = static_cast<size_t>(int_arg(info[first + 1], "channels", 1, std::numeric_limits<int32_t>::max()));
  s.inner = static_cast<size_t>(int_arg(info[first + 2], "inner", 0, int64_t{1} << 52));
  size_t total = 0;
  if (__builtin_mul_overflow(s.outer, s.channels, &total) || __builtin_mul_overflow(total, s.inner, &total) ||
      total != length)
    throw_range("outer * channels * inner must equal the array length");
  return s;
}

// Args: x (Float32Array), outer, channels, inner, scales (Float32Array, channels),
// zeroPoints (Int32Array, channels), out (Uint8Array | Int8Array, x.length)
Napi::Value Quantize(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    if (info.Length() != 7) throw_type("quantize expects 7 arguments");
    View<float> x = fast_view<float>(info[0], "x");
    const ChannelShape sh = channel_shape(info, 1, x.length);
    View<float> scales = fast_view<float>(info[4], "scales");
    View<int32_t> zps = fast_view<int32_t>(info[5], "zeroPoints");
    const QView out = q_view(info[6], "out");
    if (scales.length != sh.channels || zps.length != sh.channels) throw_range("scales and zeroPoints must hold one value per channel");
    if (out.length != x.length) throw_range("out must have the length of x");
    if (overlaps(static_cast<uint8_t*>(out.data), out.length, x.data, x.length)) throw_range("out must not overlap x");
    const nnslim::Status st = nnslim::quantize_per_channel(x.data, sh.outer, sh.channels, sh.inner, scales.data,
                                                           zps.data, out.type, out.data);
    if (st != nnslim::Status::kOk) throw_range(std::string("quantize: ") + nnslim::status_message(st));
    return info[6];
  });
}

// Args: q (Uint8Array | Int8Array), outer, channels, inner, scales, zeroPoints, out (Float32Array)
Napi::Value Dequantize(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    if (info.Length() != 7) throw_type("dequantize expects 7 arguments");
    const QView q = q_view(info[0], "q");
    const ChannelShape sh = channel_shape(info, 1, q.length);
    View<float> scales = fast_view<float>(info[4], "scales");
    View<int32_t> zps = fast_view<int32_t>(info[5], "zeroPoints");
    View<float> out = fast_view<float>(info[6], "out");
    if (scales.length != sh.channels || zps.length != sh.channels) throw_range("scales and zeroPoints must hold one value per channel");
    if (out.length != q.length) throw_range("out must have the length of q");
    if (overlaps(out.data, out.length, static_cast<uint8_t*>(q.data), q.length)) throw_range("out must not overlap q");
    const nnslim::Status st = nnslim::dequantize_per_channel(q.data, sh.outer, sh.channels, sh.inner, q.type,
                                                             scales.data, zps.data, out.data);
    if (st != nnslim::Status::kOk) throw_range(std::string("dequantize: ") + nnslim::status_message(st));
    return info[6];
  });
}

// Args: x (Float32Array, m x k), m, k, rowsPerGroup, qmin, qmax, out (Uint8Array | Int8Array,
// m x k), scales (Float32Array, groups), zeroPoints (Int32Array, groups)
Napi::Value QuantizeDynamic(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    if (info.Length() != 9) throw_type("quantizeDynamic expects 9 arguments");
    View<float> x = fast_view<float>(info[0], "x");
    const int64_t m = int_arg(info[1], "m", 0, kMaxDim);
    const int64_t k = int_arg(info[2], "k", 1, kMaxDim);
    const int64_t g = int_arg(info[3], "rowsPerGroup", 1, kMaxDim);
    const int32_t qmin = static_cast<int32_t>(int_arg(info[4], "qmin", -128, 255));
    const int32_t qmax = static_cast<int32_t>(int_arg(info[5], "qmax", -128, 255));
    const QView out = q_view(info[6], "out");
    View<float> scales = fast_view<float>(info[7], "scales");
    View<int32_t> zps = fast_view<int32_t>(info[8], "zeroPoints");
    if (static_cast<int64_t>(x.length) != m * k || static_cast<int64_t>(out.length) != m * k)
      throw_range("x and out must hold m * k values");
    const int64_t groups = (m + g - 1) / g;
    if (static_cast<int64_t>(scales.length) < groups || static_cast<int64_t>(zps.length) < groups)
      throw_range("scales and zeroPoints must hold one value per row group");
    if (overlaps(static_cast<uint8_t*>(out.data), out.length, x.data, x.length)) throw_range("out must not overlap x");
    const nnslim::Status st = nnslim::quantize_dynamic(x.data, m, k, k, g, out.type, qmin, qmax, out.data, k,
                                                       scales.data, zps.data);
    if (st != nnslim::Status::kOk) throw_range(std::string("quantizeDynamic: ") + nnslim::status_message(st));
    return info[6];
  });
}

// Args: min, max, qmin, qmax -> [scale, zeroPoint]
Napi::Value ChooseQParams(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    if (info.Length() != 4) throw_type("chooseQParams expects 4 arguments");
    const float lo = static_cast<float>(number_arg(info[0], "min"));
    const float hi = static_cast<float>(number_arg(info[1], "max"));
    const int32_t qmin = static_cast<int32_t>(int_arg(info[2], "qmin", -128, 255));
    const int32_t qmax = static_cast<int32_t>(int_arg(info[3], "qmax", -128, 255));
    if (qmin >= qmax) throw_range("qmin must be < qmax");
    float scale;
    int32_t zp;
    nnslim::choose_qparams(lo, hi, qmin, qmax, &scale, &zp);
    Napi::Array out = Napi::Array::New(info.Env(), 2);
    out.Set(0u, Napi::Number::New(info.Env(), scale));
    out.Set(1u, Napi::Number::New(info.Env(), zp));
    return out;
  });
}

}  // namespace

void init_qgemm(Napi::Env env, Napi::Object exports) {
  exports.Set("qgemmPack", Napi::Function::New(env, QgemmPack, "qgemmPack"));
  exports.Set("qgemm", Napi::Function::New(env, Qgemm, "qgemm"));
  exports.Set("qgemmAsync", Napi::Function::New(env, QgemmAsync, "qgemmAsync"));
  exports.Set("quantize", Napi::Function::New(env, Quantize, "quantize"));
  exports.Set("dequantize", Napi::Function::New(env, Dequantize, "dequantize"));
  exports.Set("quantizeDynamic", Napi::Function::New(env, QuantizeDynamic, "quantizeDynamic"));
  exports.Set("chooseQParams", Napi::Function::New(env, ChooseQParams, "chooseQParams"));
}

}  // namespace nnslim_binding
