// safetensors header parsing and validation (see safetensors.h for the rules).
#include "nnslim/safetensors.h"

#include <algorithm>
#include <cmath>
#include <new>
#include <numeric>
#include <string_view>

#include "json.h"

namespace nnslim {
namespace {

using json::Document;
using json::Kind;
using json::Node;

bool dtype_from(std::string_view s, StDtype* t) {
  static const struct { const char* name; StDtype t; } kTypes[] = {
      {"F32", StDtype::kF32}, {"F16", StDtype::kF16}, {"I8", StDtype::kI8},
      {"U8", StDtype::kU8},   {"I32", StDtype::kI32}};
  for (const auto& e : kTypes)
    if (s == e.name) {
      *t = e.t;
      return true;
    }
  return false;
}

// A JSON number that is an integer in [0, 2^53) (JavaScript's Number.isSafeInteger(v) && v >= 0).
bool safe_nonneg(const Node& n, uint64_t* v) {
  if (n.kind != Kind::kNumber) return false;
  const double d = n.number;
  if (!(d >= 0.0) || d > static_cast<double>(kStMaxSafeInteger) || std::floor(d) != d) return false;
  *v = static_cast<uint64_t>(d);
  return true;
}

// A short rendering of a value for messages (numbers as written, strings quoted).
std::string render(const Document& doc, const Node& n) {
  switch (n.kind) {
    case Kind::kNull: return "null";
    case Kind::kFalse: return "false";
    case Kind::kTrue: return "true";
    case Kind::kNumber: return std::string(doc.text(n));
    case Kind::kString: {
      std::string_view t = doc.text(n);
      if (t.size() > 64) {  // cut at a character boundary: messages stay valid UTF-8
        size_t cut = 64;
        while (cut > 0 && (static_cast<unsigned char>(t[cut]) & 0xc0) == 0x80) --cut;
        t = t.substr(0, cut);
      }
      return json::quote(t);
    }
    case Kind::kArray: return "an array";
    case Kind::kObject: return "an object";
  }
  return "?";
}

class HeaderReader {
 public:
  HeaderReader(const Document& doc, uint64_t data_len, StHeader* out, std::string* problem)
      : doc_(doc), data_len_(data_len), out_(out), problem_(problem) {}

  bool run() {
    const Node& root = doc_.nodes[0];
    if (root.kind != Kind::kObject) return fail("header is not a JSON object");
    for (uint32_t c = root.first; c != json::kNone; c = doc_.nodes[c].next) {
      const Node& e = doc_.nodes[c];
      const std::string_view name = doc_.key(e);
      if (name == "__metadata__") {
        if (!metadata(e)) return false;
      } else if (!tensor(name, e)) {
        return false;
      }
    }
    return tiles();
  }

 private:
  bool fail(const std::string& p) {
    *problem_ = p;
    return false;
  }

  bool metadata(const Node& e) {
    if (e.kind != Kind::kObject) return fail("__metadata__ is not an object");
    for (uint32_t c = e.first; c != json::kNone; c = doc_.nodes[c].next) {
      const Node& v = doc_.nodes[c];
      if (v.kind != Kind::kString) return fail("__metadata__[" + json::quote(doc_.key(v)) + "] is not a string");
      out_->metadata.emplace_back(std::string(doc_.key(v)), std::string(doc_.text(v)));
    }
    return true;
  }

  bool tensor(std::string_view name, const Node& e) {
    const std::string where = "tensor " + json::quote(name);
    if (name.empty()) return fail("empty tensor name");
    if (e.kind != Kind::kObject) return fail(where + " is not an object");
    const Node* dtype = nullptr;
    const Node* shape = nullptr;
    const Node* offsets = nullptr;
    for (uint32_t c = e.first; c != json::kNone; c = doc_.nodes[c].next) {
      const Node& f = doc_.nodes[c];
      const std::string_view k = doc_.key(f);
      if (k == "dtype") dtype = &f;
      else if (k == "shape") shape = &f;
      else if (k == "data_offsets") offsets = &f;
      else return fail(where + " has an unknown field " + json::quote(k));
    }
    StTensor t;
    t.name.assign(name.data(), name.size());
    if (dtype == nullptr || dtype->kind != Kind::kString) return fail(where + " has no dtype");
    if (!dtype_from(doc_.text(*dtype), &t.dtype))
      return fail(where + " has unsupported dtype " + json::quote(doc_.text(*dtype)) + " (nnslim reads F32, F16, I8, U8, I32)");
    if (shape == nullptr || shape->kind != Kind::kArray || shape->count > kStMaxDims) return fail(where + " has no valid shape");
    uint64_t count = 1;
    for (uint32_t c = shape->first; c != json::kNone; c = doc_.nodes[c].next) {
      uint64_t d = 0;
      if (!safe_nonneg(doc_.nodes[c], &d)) return fail(where + " has a bad dimension " + render(doc_, doc_.nodes[c]));
      // count * d <= 2^53 - 1, tested without forming the product (count, d < 2^53).
      if (d != 0 && count > kStMaxSafeInteger / d) return fail(where + " has a shape whose size overflows");
      count *= d;
      t.shape.push_back(static_cast<int64_t>(d));
    }
    uint64_t be[2] = {0, 0};
    bool ok = offsets != nullptr && offsets->kind == Kind::kArray && offsets->count == 2;
    if (ok) {
      int k = 0;
      for (uint32_t c = offsets->first; c != json::kNone && ok; c = doc_.nodes[c].next) ok = safe_nonneg(doc_.nodes[c], &be[k++]);
    }
    if (!ok) return fail(where + " has no valid data_offsets [begin, end]");
    t.begin = be[0];
    t.end = be[1];
    if (t.begin > t.end)
      return fail(where + " has data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) + "] with begin > end");
    if (t.end > data_len_)
      return fail(where + " ends at " + std::to_string(t.end) + ", past the data section (" + std::to_string(data_len_) + " bytes; file truncated?)");
    const uint64_t size = count * static_cast<uint64_t>(st_dtype_size(t.dtype));  // < 2^56
    if (size > kStMaxSafeInteger || t.end - t.begin != size) {
      std::string dims;
      for (size_t i = 0; i < t.shape.size(); ++i) dims += (i ? ", " : "") + std::to_string(t.shape[i]);
      return fail(where + " has " + std::to_string(t.end - t.begin) + " bytes but shape [" + dims + "] of " +
                  st_dtype_name(t.dtype) + " needs " + std::to_string(size));
    }
    out_->tensors.push_back(std::move(t));
    return true;
  }

  // Sorted by (begin, end), the ranges must cover [0, data_len) exactly once.
  bool tiles() {
    const auto& ts = out_->tensors;
    std::vector<size_t> order(ts.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return ts[a].begin != ts[b].begin ? ts[a].begin < ts[b].begin : ts[a].end < ts[b].end;
    });
    uint64_t covered = 0;
    for (const size_t i : order) {
      if (ts[i].begin < covered) return fail("tensor " + json::quote(ts[i].name) + " overlaps another tensor's bytes");
      if (ts[i].begin > covered)
        return fail("bytes " + std::to_string(covered) + ".." + std::to_string(ts[i].begin) + " of the data section belong to no tensor");
      covered = ts[i].end;
    }
    if (covered != data_len_)
      return fail("the data section has " + std::to_string(data_len_ - covered) + " trailing bytes that belong to no tensor");
    return true;
  }

  const Document& doc_;
  uint64_t data_len_;
  StHeader* out_;
  std::string* problem_;
};

}  // namespace

int st_dtype_size(StDtype t) {
  switch (t) {
    case StDtype::kF32: case StDtype::kI32: return 4;
    case StDtype::kF16: return 2;
    case StDtype::kI8: case StDtype::kU8: return 1;
  }
  return 0;
}

const char* st_dtype_name(StDtype t) {
  switch (t) {
    case StDtype::kF32: return "F32";
    case StDtype::kF16: return "F16";
    case StDtype::kI8: return "I8";
    case StDtype::kU8: return "U8";
    case StDtype::kI32: return "I32";
  }
  return "?";
}

Status st_read_header_length(const uint8_t* prefix, uint64_t available, uint64_t file_size,
                             uint64_t* header_len, std::string* problem) {
  if (file_size < 8) {
    *problem = "file too short (" + std::to_string(file_size) + " bytes; the header length alone takes 8)";
    return Status::kInvalidArgument;
  }
  if (prefix == nullptr || available < 8) {
    *problem = "the first 8 bytes are needed to read the header length";
    return Status::kInvalidArgument;
  }
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | prefix[i];
  if (n > kStMaxHeaderBytes) {
    *problem = "header length " + std::to_string(n) + " exceeds the limit of " + std::to_string(kStMaxHeaderBytes) + " bytes";
    return Status::kInvalidArgument;
  }
  if (n > file_size - 8) {
    *problem = "header length " + std::to_string(n) + " exceeds the file size (" + std::to_string(file_size) + " bytes)";
    return Status::kInvalidArgument;
  }
  if (n < 2) {
    *problem = "header length " + std::to_string(n) + " is too small for a JSON object";
    return Status::kInvalidArgument;
  }
  *header_len = n;
  return Status::kOk;
}

Status st_parse_header(const uint8_t* header, uint64_t header_len, uint64_t file_size,
                       StHeader* out, std::string* problem) {
  if (header == nullptr || header_len < 2 || header_len > kStMaxHeaderBytes || file_size < 8 ||
      header_len > file_size - 8) {
    *problem = "header length " + std::to_string(header_len) + " does not fit a file of " + std::to_string(file_size) + " bytes";
    return Status::kInvalidArgument;
  }
  try {
    *out = StHeader();
    out->header_len = header_len;
    out->data_start = 8 + header_len;
    out->data_len = file_size - out->data_start;
    const uint8_t* text = header;
    uint64_t len = header_len;
    if (!json::valid_utf8(text, len)) {
      *problem = "header is not valid UTF-8";
      return Status::kInvalidArgument;
    }
    // A byte order mark is dropped, as TextDecoder does.
    if (len >= 3 && text[0] == 0xef && text[1] == 0xbb && text[2] == 0xbf) {
      text += 3;
      len -= 3;
    }
    Document doc;
    if (!json::parse(reinterpret_cast<const char*>(text), len, json::Limits(), &doc, problem) ||
        !HeaderReader(doc, out->data_len, out, problem).run()) {
      *out = StHeader();
      return Status::kInvalidArgument;
    }
    return Status::kOk;
  } catch (const std::bad_alloc&) {
    *out = StHeader();
    *problem = "out of memory while reading the header";
    return Status::kOutOfMemory;
  }
}

Status st_parse(const uint8_t* bytes, uint64_t size, StHeader* out, std::string* problem) {
  uint64_t n = 0;
  const Status s = st_read_header_length(bytes, size, size, &n, problem);
  if (s != Status::kOk) return s;
  return st_parse_header(bytes + 8, n, size, out, problem);
}

}  // namespace nnslim
