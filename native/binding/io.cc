// File-format readers: the safetensors header and the stored form of quantized Linear
// layers. The parsing and every check live in the kernel library (safetensors.h,
// model_state.h); a problem comes back as a string for TypeScript to wrap in its format
// error (code ERR_NNSLIM_FORMAT), so the messages name the file.
#include <string>

#include "args.h"
#include "families.h"
#include "nnslim/model_state.h"
#include "nnslim/safetensors.h"

namespace nnslim_binding {
namespace {

// safetensorsHeader(bytes) -> { headerLength, dataStart, tensors: [{ name, dtype, shape,
// begin, end }], metadata: [[key, value]] } | problem string
Napi::Value SafetensorsHeader(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    if (info.Length() != 1) throw_type("safetensorsHeader expects 1 argument");
    View<uint8_t> bytes = typed_view<uint8_t>(info[0], "bytes");
    Napi::Env env = info.Env();
    nnslim::StHeader h;
    std::string problem;
    const nnslim::Status st = nnslim::st_parse(bytes.data, bytes.length, &h, &problem);
    if (st == nnslim::Status::kOutOfMemory) throw_state("safetensorsHeader: out of memory");
    if (st != nnslim::Status::kOk) return Napi::String::New(env, problem);
    Napi::Array tensors = Napi::Array::New(env, h.tensors.size());
    for (size_t i = 0; i < h.tensors.size(); ++i) {
      const nnslim::StTensor& t = h.tensors[i];
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", Napi::String::New(env, t.name.data(), t.name.size()));
      o.Set("dtype", Napi::String::New(env, nnslim::st_dtype_name(t.dtype)));
      Napi::Array shape = Napi::Array::New(env, t.shape.size());
      for (size_t d = 0; d < t.shape.size(); ++d) shape.Set(static_cast<uint32_t>(d), Napi::Number::New(env, static_cast<double>(t.shape[d])));
      o.Set("shape", shape);
      o.Set("begin", Napi::Number::New(env, static_cast<double>(t.begin)));
      o.Set("end", Napi::Number::New(env, static_cast<double>(t.end)));
      tensors.Set(static_cast<uint32_t>(i), o);
    }
    Napi::Array metadata = Napi::Array::New(env, h.metadata.size());
    for (size_t i = 0; i < h.metadata.size(); ++i) {
      Napi::Array kv = Napi::Array::New(env, 2);
      kv.Set(0u, Napi::String::New(env, h.metadata[i].first.data(), h.metadata[i].first.size()));
      kv.Set(1u, Napi::String::New(env, h.metadata[i].second.data(), h.metadata[i].second.size()));
      metadata.Set(static_cast<uint32_t>(i), kv);
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("headerLength", Napi::Number::New(env, static_cast<double>(h.header_len)));
    out.Set("dataStart", Napi::Number::New(env, static_cast<double>(h.data_start)));
    out.Set("tensors", tensors);
    out.Set("metadata", metadata);
    return out;
  });
}

// qlinearDecode(outFeatures, inFeatures, perChannel, weight|null, mask|null, values|null,
//               scales, zeroPoints, bias|null) -> Int8Array (out * in) | problem string
Napi::Value QlinearDecode(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    if (info.Length() != 9) throw_type("qlinearDecode expects 9 arguments");
    nnslim::QLinearRecord r;
    r.out_features = int_arg(info[0], "outFeatures", 1, 2147483647);
    r.in_features = int_arg(info[1], "inFeatures", 1, 2147483647);
    r.per_channel = bool_arg(info[2], "perChannel");
    View<int8_t> w = typed_view<int8_t>(info[3], "weight", true);
    View<uint8_t> mask = typed_view<uint8_t>(info[4], "mask", true);
    View<int8_t> values = typed_view<int8_t>(info[5], "values", true);
    View<float> scales = typed_view<float>(info[6], "scales");
    View<int32_t> zps = typed_view<int32_t>(info[7], "zeroPoints");
    View<float> bias = typed_view<float>(info[8], "bias", true);
    Napi::Env env = info.Env();
    // An empty TypedArray views as null data: tell "absent" from "empty" by the JS value.
    static const int8_t kEmptyI8 = 0;
    static const uint8_t kEmptyU8 = 0;
    static const float kEmptyF = 0;
    static const int32_t kEmptyI32 = 0;
    if (w.value.IsTypedArray()) { r.weight = w.length ? w.data : &kEmptyI8; r.weight_len = static_cast<int64_t>(w.length); }
    if (mask.value.IsTypedArray()) { r.mask = mask.length ? mask.data : &kEmptyU8; r.mask_len = static_cast<int64_t>(mask.length); }
    if (values.value.IsTypedArray()) { r.values = values.length ? values.data : &kEmptyI8; r.values_len = static_cast<int64_t>(values.length); }
    r.scales = scales.length ? scales.data : &kEmptyF;
    r.scales_len = static_cast<int64_t>(scales.length);
    r.zero_points = zps.length ? zps.data : &kEmptyI32;
    r.zero_points_len = static_cast<int64_t>(zps.length);
    if (bias.value.IsTypedArray()) { r.bias = bias.length ? bias.data : &kEmptyF; r.bias_len = static_cast<int64_t>(bias.length); }
    std::string problem;
    nnslim::Status st = nnslim::qlinear_record_check(r, &problem);
    if (st == nnslim::Status::kOutOfMemory) throw_state("qlinearDecode: out of memory");
    if (st != nnslim::Status::kOk) return Napi::String::New(env, problem);
    const int64_t n = r.out_features * r.in_features;
    if (n > 0x7fffffffLL) throw_range("qlinearDecode: more weights than an Int8Array holds");
    Napi::Int8Array out = Napi::Int8Array::New(env, static_cast<size_t>(n));
    st = nnslim::qlinear_record_decode(r, out.Data(), n, &problem);
    if (st != nnslim::Status::kOk) return Napi::String::New(env, problem);
    return out;
  });
}

}  // namespace

void init_io(Napi::Env env, Napi::Object exports) {
  exports.Set("safetensorsHeader", Napi::Function::New(env, SafetensorsHeader, "safetensorsHeader"));
  exports.Set("qlinearDecode", Napi::Function::New(env, QlinearDecode, "qlinearDecode"));
}

}  // namespace nnslim_binding
