// libFuzzer harness: the safetensors header reader (nnslim::st_parse) and its JSON parser.
// Input: byte 0 selects the mode. Even: the rest is a whole file. Odd: the rest is the JSON
// header; the harness adds the 8-byte length and (byte 0 >> 1) * 4 data bytes, so mutations
// work on the JSON directly. Properties beyond "no crash, no out-of-bounds read, no UB":
// a problem text is valid UTF-8; an accepted table is self-consistent (sizes, offsets tiling
// the data section, valid UTF-8 names), the two-step API agrees with st_parse, and a header re-written from the table
// parses back to the same table.
#include <string>
#include <vector>

#include "fuzz_input.h"
#include "io/json.h"
#include "nnslim/safetensors.h"

namespace {

using nnslim::StHeader;

std::string write_header(const StHeader& h) {
  std::string s = "{";
  if (!h.metadata.empty()) {
    s += "\"__metadata__\":{";
    for (size_t i = 0; i < h.metadata.size(); ++i)
      s += (i ? "," : "") + nnslim::json::quote(h.metadata[i].first) + ":" + nnslim::json::quote(h.metadata[i].second);
    s += "}";
  }
  for (size_t i = 0; i < h.tensors.size(); ++i) {
    const auto& t = h.tensors[i];
    s += (i || !h.metadata.empty()) ? "," : "";
    s += nnslim::json::quote(t.name) + ":{\"dtype\":\"" + nnslim::st_dtype_name(t.dtype) + "\",\"shape\":[";
    for (size_t d = 0; d < t.shape.size(); ++d) s += (d ? "," : "") + std::to_string(t.shape[d]);
    s += "],\"data_offsets\":[" + std::to_string(t.begin) + "," + std::to_string(t.end) + "]}";
  }
  return s + "}";
}

bool same(const StHeader& a, const StHeader& b) {
  if (a.tensors.size() != b.tensors.size() || a.metadata != b.metadata || a.data_len != b.data_len) return false;
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    const auto &x = a.tensors[i], &y = b.tensors[i];
    if (x.name != y.name || x.dtype != y.dtype || x.shape != y.shape || x.begin != y.begin || x.end != y.end) return false;
  }
  return true;
}

std::vector<uint8_t> file_of(const std::string& header, uint64_t data_len) {
  std::vector<uint8_t> f(8 + header.size() + data_len, 0);
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) f[i] = static_cast<uint8_t>(n >> (8 * i));
  std::memcpy(f.data() + 8, header.data(), header.size());
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::vector<uint8_t> file;
  if (data[0] & 1) {
    file = file_of(std::string(reinterpret_cast<const char*>(data + 1), size - 1), static_cast<uint64_t>(data[0] >> 1) * 4);
  } else {
    file.assign(data + 1, data + size);
  }
  // An exact-size heap copy: ASan catches a read one byte past the file.
  const size_t n = file.size();
  uint8_t* bytes = static_cast<uint8_t*>(std::malloc(n ? n : 1));
  if (n) std::memcpy(bytes, file.data(), n);

  StHeader h;
  std::string problem;
  const nnslim::Status s = nnslim::st_parse(bytes, n, &h, &problem);
  FUZZ_CHECK(s == nnslim::Status::kOk || s == nnslim::Status::kInvalidArgument);
  if (s != nnslim::Status::kOk) {
    FUZZ_CHECK(!problem.empty() && h.tensors.empty() && h.metadata.empty());
    // the message becomes a JS string: it must be valid UTF-8 (names and values quoted in it are cut at character boundaries)
    FUZZ_CHECK(nnslim::json::valid_utf8(reinterpret_cast<const uint8_t*>(problem.data()), problem.size()));
    std::free(bytes);
    return 0;
  }
  FUZZ_CHECK(h.data_start == 8 + h.header_len && h.data_start + h.data_len == n);
  uint64_t total = 0;
  for (const auto& t : h.tensors) {
    FUZZ_CHECK(!t.name.empty() && t.name != "__metadata__");
    FUZZ_CHECK(nnslim::json::valid_utf8(reinterpret_cast<const uint8_t*>(t.name.data()), t.name.size()));
    FUZZ_CHECK(t.shape.size() <= nnslim::kStMaxDims);
    uint64_t count = 1;
    for (const int64_t d : t.shape) {
      FUZZ_CHECK(d >= 0);
      count *= static_cast<uint64_t>(d);  // the byte size below bounds it
    }
    FUZZ_CHECK(t.begin <= t.end && t.end <= h.data_len);
    FUZZ_CHECK(t.end - t.begin == count * static_cast<uint64_t>(nnslim::st_dtype_size(t.dtype)));
    total += t.end - t.begin;
  }
  FUZZ_CHECK(total == h.data_len);  // with "no overlap" and "no gap": an exact tiling
  for (const auto& kv : h.metadata) {
    FUZZ_CHECK(nnslim::json::valid_utf8(reinterpret_cast<const uint8_t*>(kv.first.data()), kv.first.size()));
    FUZZ_CHECK(nnslim::json::valid_utf8(reinterpret_cast<const uint8_t*>(kv.second.data()), kv.second.size()));
  }

  // The two-step API on the prefix alone, then on the header bytes, agrees.
  uint64_t header_len = 0;
  FUZZ_CHECK(nnslim::st_read_header_length(bytes, 8, n, &header_len, &problem) == nnslim::Status::kOk && header_len == h.header_len);
  StHeader h2;
  FUZZ_CHECK(nnslim::st_parse_header(bytes + 8, header_len, n, &h2, &problem) == nnslim::Status::kOk && same(h, h2));

  // Re-written (canonical JSON, all escapes re-encoded) and parsed again: the same table.
  const std::vector<uint8_t> again = file_of(write_header(h), h.data_len);
  StHeader h3;
  const nnslim::Status s3 = nnslim::st_parse(again.data(), again.size(), &h3, &problem);
  if (s3 != nnslim::Status::kOk) std::fprintf(stderr, "re-parse failed: %s\n", problem.c_str());
  FUZZ_CHECK(s3 == nnslim::Status::kOk && same(h, h3));
  std::free(bytes);
  return 0;
}
