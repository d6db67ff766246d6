// CSR construction, packing and SpMM. TypeScript validates first; here only what memory
// safety needs: types, extents, aliasing, and the CSR structure (checked once, at packing).
#include <algorithm>
#include <limits>

#include "args.h"
#include "families.h"
#include "nnslim/sparse.h"
#include "worker.h"

namespace nnslim_binding {
namespace {

constexpr int64_t kMaxDim = std::numeric_limits<int32_t>::max();

struct DenseCall {
  nnslim::CsrFromDenseParams p;
  View<float> dense;
  View<uint8_t> mask;
};

// Args: dense, mask|null, rows, cols, threshold
DenseCall parse_dense(const Napi::CallbackInfo& info) {
  DenseCall d;
  d.dense = typed_view<float>(info[0], "dense");
  d.mask = typed_view<uint8_t>(info[1], "mask", /*allow_null=*/true);
  auto& p = d.p;
  p.rows = int_arg(info[2], "rows", 0, kMaxDim);
  p.cols = int_arg(info[3], "cols", 0, kMaxDim);
  p.threshold = static_cast<float>(number_arg(info[4], "threshold"));
  const int64_t need = span_elements(p.rows, p.cols, std::max<int64_t>(1, p.cols));
  if (need < 0) throw_range("matrix extent overflows");
  if (static_cast<int64_t>(d.dense.length) < need) throw_range("dense is shorter than rows * cols");
  if (d.mask.value.IsTypedArray() && static_cast<int64_t>(d.mask.length) < need) throw_range("mask is shorter than rows * cols");
  p.dense = d.dense.data;
  p.ld = std::max<int64_t>(1, p.cols);
  p.mask = d.mask.value.IsTypedArray() ? d.mask.data : nullptr;
  p.ld_mask = p.ld;
  if (p.mask == nullptr && d.mask.value.IsTypedArray() && need > 0) throw_range("mask is shorter than rows * cols");
  return d;
}

// csrCount(dense, mask|null, rows, cols, threshold, rowPtr) -> nnz
Napi::Value CsrCount(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    if (info.Length() != 6) throw_type("csrCount expects 6 arguments");
    DenseCall d = parse_dense(info);
    View<int32_t> rp = typed_view<int32_t>(info[5], "rowPtr");
    if (static_cast<int64_t>(rp.length) < d.p.rows + 1) throw_range("rowPtr is shorter than rows + 1");
    if (nnslim::csr_count(d.p, rp.data) != nnslim::Status::kOk)
      throw_range("csrCount: the number of kept elements does not fit an Int32Array index");
    return Napi::Number::New(info.Env(), rp.data[d.p.rows]);
  });
}

// csrFill(dense, mask|null, rows, cols, threshold, rowPtr, colIdx, values)
Napi::Value CsrFill(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    if (info.Length() != 8) throw_type("csrFill expects 8 arguments");
    DenseCall d = parse_dense(info);
    View<int32_t> rp = typed_view<int32_t>(info[5], "rowPtr");
    View<int32_t> ci = typed_view<int32_t>(info[6], "colIdx");
    View<float> v = typed_view<float>(info[7], "values");
    const int64_t rows = d.p.rows;
    if (static_cast<int64_t>(rp.length) < rows + 1) throw_range("rowPtr is shorter than rows + 1");
    // The fill writes row_ptr[i] .. row_ptr[i + 1] - 1 of every row: the offsets must be a
    // non-decreasing sequence from 0 that fits the outputs.
    if (rp.data[0] != 0) throw_range("rowPtr[0] must be 0");
    for (int64_t i = 0; i < rows; ++i)
      if (rp.data[i + 1] < rp.data[i] || rp.data[i + 1] - rp.data[i] > d.p.cols) throw_range("rowPtr is not a valid row offset array");
    const int64_t nnz = rp.data[rows];
    if (static_cast<int64_t>(ci.length) < nnz || static_cast<int64_t>(v.length) < nnz) throw_range("colIdx/values are shorter than rowPtr[rows]");
    if (overlaps(v.data, v.length, d.dense.data, d.dense.length)) throw_range("values must not overlap dense");
    if (nnslim::csr_fill(d.p, rp.data, ci.data, v.data) != nnslim::Status::kOk) throw_range("csrFill: invalid arguments");
    return info.Env().Undefined();
  });
}

// csrPack(rows, cols, rowPtr, colIdx, values|null, qvalues|null, scales|null) -> handle
Napi::Value CsrPack(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    if (info.Length() != 7) throw_type("csrPack expects 7 arguments");
    nnslim::CsrInput in;
    in.rows = int_arg(info[0], "rows", 0, kMaxDim);
    in.cols = int_arg(info[1], "cols", 0, kMaxDim);
    View<int32_t> rp = typed_view<int32_t>(info[2], "rowPtr");
    View<int32_t> ci = typed_view<int32_t>(info[3], "colIdx");
    View<float> v = typed_view<float>(info[4], "values", true);
    View<int8_t> q = typed_view<int8_t>(info[5], "qvalues", true);
    View<float> sc = typed_view<float>(info[6], "scales", true);
    if (static_cast<int64_t>(rp.length) != in.rows + 1) throw_range("rowPtr must have rows + 1 elements");
    const int64_t nnz = rp.data[in.rows];
    if (nnz < 0 || static_cast<int64_t>(ci.length) < nnz) throw_range("colIdx is shorter than rowPtr[rows]");
    const bool quant = q.value.IsTypedArray();
    if (quant == v.value.IsTypedArray()) throw_type("csrPack expects exactly one of values and qvalues");
    if (quant) {
      if (static_cast<int64_t>(q.length) < nnz) throw_range("qvalues is shorter than rowPtr[rows]");
      if (!sc.value.IsTypedArray() || static_cast<int64_t>(sc.length) < in.rows) throw_range("scales must have rows elements");
    } else if (static_cast<int64_t>(v.length) < nnz) {
      throw_range("values is shorter than rowPtr[rows]");
    }
    in.row_ptr = rp.data;
    in.col_idx = ci.data;
    in.values = quant ? nullptr : v.data;
    in.qvalues = quant ? q.data : nullptr;
    in.scales = quant ? sc.data : nullptr;
    nnslim::PackedCsr* w = nullptr;
    const nnslim::Status st = nnslim::csr_pack(in, &w);
    if (st == nnslim::Status::kOutOfMemory) throw_state("csrPack: out of memory");
    if (st != nnslim::Status::kOk)
      throw_range("csrPack: invalid CSR structure (rowPtr must start at 0, not decrease and end at nnz; colIdx must be in [0, cols) and strictly increasing within each row)");
    const int64_t bytes = nnslim::csr_packed_bytes(w);
    Napi::MemoryManagement::AdjustExternalMemory(info.Env(), bytes);
    auto ext = Napi::External<nnslim::PackedCsr>::New(info.Env(), w, [bytes](Napi::Env env, nnslim::PackedCsr* p) {
      nnslim::csr_packed_free(p);
      Napi::MemoryManagement::AdjustExternalMemory(env, -bytes);
    });
    // Read-only, non-configurable properties: pinning this object in an async call keeps the
    // External (and so the packed matrix) alive, since `handle` cannot be replaced meanwhile.
    Napi::Env env = info.Env();
    Napi::Object out = Napi::Object::New(env);
    out.DefineProperties({
        Napi::PropertyDescriptor::Value("handle", ext, napi_enumerable),
        Napi::PropertyDescriptor::Value("rows", Napi::Number::New(env, static_cast<double>(in.rows)), napi_enumerable),
        Napi::PropertyDescriptor::Value("cols", Napi::Number::New(env, static_cast<double>(in.cols)), napi_enumerable),
        Napi::PropertyDescriptor::Value("bytes", Napi::Number::New(env, static_cast<double>(bytes)), napi_enumerable),
    });
    return out;
  });
}

struct SpmmCall {
  nnslim::PackedCsr* w = nullptr;
  Napi::Value packed;
  View<float> x, y, bias;
  int64_t m = 0, n = 0, k = 0;
  bool relu = false;
};

// Args: packed {handle, rows, cols}, x, y, bias|null, m, relu
SpmmCall parse_spmm(const Napi::CallbackInfo& info) {
  if (info.Length() != 6) throw_type("spmm expects 6 arguments");
  SpmmCall s;
  if (!info[0].IsObject()) throw_type("Expected a packed CSR matrix for weight");
  Napi::Object po = info[0].As<Napi::Object>();
  Napi::Value h = po.Get("handle");
  if (!h.IsExternal()) throw_type("Expected a packed CSR matrix for weight");
  s.packed = po;
  s.w = h.As<Napi::External<nnslim::PackedCsr>>().Data();
  s.n = int_arg(po.Get("rows"), "weight.rows", 0, kMaxDim);
  s.k = int_arg(po.Get("cols"), "weight.cols", 0, kMaxDim);
  // The kernel walks the packed matrix's own rows and columns: the declared ones must agree.
  int64_t rows = 0, cols = 0;
  nnslim::csr_packed_dims(s.w, &rows, &cols);
  if (rows != s.n || cols != s.k) throw_range("weight.rows / weight.cols do not match the packed CSR matrix");
  s.x = typed_view<float>(info[1], "x");
  s.y = typed_view<float>(info[2], "out");
  s.bias = typed_view<float>(info[3], "bias", true);
  s.m = int_arg(info[4], "m", 0, kMaxDim);
  s.relu = bool_arg(info[5], "relu");
  const int64_t need_x = span_elements(s.m, s.k, std::max<int64_t>(1, s.k));
  const int64_t need_y = span_elements(s.m, s.n, std::max<int64_t>(1, s.n));
  if (need_x < 0 || need_y < 0) throw_range("matrix extent overflows");
  if (static_cast<int64_t>(s.x.length) < need_x) throw_range("x is shorter than m * weight.cols");
  if (static_cast<int64_t>(s.y.length) < need_y) throw_range("out is shorter than m * weight.rows");
  if (s.bias.value.IsTypedArray() && static_cast<int64_t>(s.bias.length) < s.n) throw_range("bias is shorter than weight.rows");
  if (overlaps(s.y.data, need_y, s.x.data, need_x) || overlaps(s.y.data, need_y, s.bias.data, s.bias.length))
    throw_range("out must not overlap x or bias");
  return s;
}

struct SpmmRun {
  const nnslim::PackedCsr* w;
  int64_t m, n, k;
  const float* x;
  float* y;
  const float* bias;
  bool relu;
  nnslim::Status operator()() const {
    return nnslim::spmm_packed(w, m, x, std::max<int64_t>(1, k), y, std::max<int64_t>(1, n), bias, relu);
  }
};

// The packed matrix knows its own size; the rows/cols on the JS object must agree.
SpmmRun checked_run(const SpmmCall& s) {
  int64_t rows = 0, cols = 0;
  nnslim::csr_packed_dims(s.w, &rows, &cols);
  if (rows != s.n || cols != s.k) throw_range("weight.rows/cols do not match the packed matrix");
  return SpmmRun{s.w, s.m, s.n, s.k, s.x.data, s.y.data, s.bias.data, s.relu};
}

Napi::Value Spmm(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    SpmmCall s = parse_spmm(info);
    const nnslim::Status st = checked_run(s)();
    if (st != nnslim::Status::kOk) throw_range(std::string("spmm: ") + nnslim::status_message(st));
    return s.y.value;
  });
}

Napi::Value SpmmAsync(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    SpmmCall s = parse_spmm(info);
    auto* w = new KernelWorker(info.Env(), checked_run(s));
    w->pin(s.y.value, "out");
    w->pin(s.x.value, "x");
    w->pin(s.bias.value, "bias");
    w->pin(s.packed, "weight");
    Napi::Promise promise = w->promise();
    w->Queue();
    return promise;
  });
}

}  // namespace

void init_sparse(Napi::Env env, Napi::Object exports) {
  exports.Set("csrCount", Napi::Function::New(env, CsrCount, "csrCount"));
  exports.Set("csrFill", Napi::Function::New(env, CsrFill, "csrFill"));
  exports.Set("csrPack", Napi::Function::New(env, CsrPack, "csrPack"));
  exports.Set("spmm", Napi::Function::New(env, Spmm, "spmm"));
  exports.Set("spmmAsync", Napi::Function::New(env, SpmmAsync, "spmmAsync"));
}

}  // namespace nnslim_binding
