// File-format checks: the safetensors header reader (and its JSON parser), CSR validation of
// user arrays, and the stored form of quantized Linear layers. Inputs sit in guard-page
// buffers, so any read past a given length faults.
#include <cstring>
#include <string>
#include <vector>

#include "../../native/src/io/json.h"
#include "nnslim/model_state.h"
#include "nnslim/safetensors.h"
#include "nnslim/sparse.h"
#include "testing.h"

namespace {

using nnslim::Status;
using nnslim_test::GuardedBuffer;

// 8-byte length + header + `data` zero bytes.
std::vector<uint8_t> file_of(const std::string& header, size_t data) {
  std::vector<uint8_t> f(8 + header.size() + data, 0);
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) f[i] = static_cast<uint8_t>(n >> (8 * i));
  std::memcpy(f.data() + 8, header.data(), header.size());
  return f;
}

struct Parsed {
  Status status;
  nnslim::StHeader h;
  std::string problem;
};

Parsed parse_guarded(const std::vector<uint8_t>& f) {
  GuardedBuffer<uint8_t> buf(f.size());
  if (!f.empty()) std::memcpy(buf.data(), f.data(), f.size());
  Parsed p;
  p.status = nnslim::st_parse(f.empty() ? nullptr : buf.data(), f.size(), &p.h, &p.problem);
  return p;
}

Parsed parse(const std::string& header, size_t data) { return parse_guarded(file_of(header, data)); }

void expect_problem(const std::string& header, size_t data, const std::string& needle, int line) {
  const Parsed p = parse(header, data);
  if (p.status != Status::kInvalidArgument || p.problem.find(needle) == std::string::npos)
    nnslim_test::report_failure(__FILE__, line, "header " + header.substr(0, 80) + ": expected a problem containing '" + needle +
                                                    "', got status " + std::to_string(static_cast<int>(p.status)) + " '" + p.problem + "'");
}
#define EXPECT_PROBLEM(header, data, needle) expect_problem((header), (data), (needle), __LINE__)

const char* kT4 = R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})";

}  // namespace

TEST(safetensors_reads_a_valid_header) {
  const std::string h = R"({"__metadata__":{"format":"pt","n\u00e9":"\ud83d\ude00 \"q\""},)"
                        R"("w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
                        R"("b":{"shape":[3],"dtype":"I8","data_offsets":[24,27]},)"
                        R"("s":{"dtype":"I32","shape":[],"data_offsets":[27,31]},)"
                        R"("e":{"dtype":"F16","shape":[0,5],"data_offsets":[31,31]},)"
                        R"("h":{"dtype":"F16","shape":[2.0],"data_offsets":[31,3.5e1]},)"
                        R"("u":{"dtype":"U8","shape":[1e0],"data_offsets":[35,36]}}   )";
  const Parsed p = parse(h, 36);
  EXPECT_MSG(p.status == Status::kOk, p.problem);
  EXPECT_EQ(p.h.header_len, h.size());
  EXPECT_EQ(p.h.data_start, 8 + h.size());
  EXPECT_EQ(p.h.data_len, uint64_t{36});
  EXPECT_EQ(p.h.tensors.size(), size_t{6});
  if (p.h.tensors.size() == 6) {
    const auto& w = p.h.tensors[0];
    EXPECT_TRUE(w.name == "w" && w.dtype == nnslim::StDtype::kF32 && w.shape == std::vector<int64_t>({2, 3}));
    EXPECT_EQ(w.begin, uint64_t{0});
    EXPECT_EQ(w.end, uint64_t{24});
    EXPECT_TRUE(p.h.tensors[1].name == "b" && p.h.tensors[1].dtype == nnslim::StDtype::kI8);
    EXPECT_TRUE(p.h.tensors[2].shape.empty());
    EXPECT_TRUE(p.h.tensors[3].shape == std::vector<int64_t>({0, 5}));
    EXPECT_TRUE(p.h.tensors[4].shape == std::vector<int64_t>({2}) && p.h.tensors[4].end == 35);
    EXPECT_TRUE(p.h.tensors[5].dtype == nnslim::StDtype::kU8);
  }
  EXPECT_EQ(p.h.metadata.size(), size_t{2});
  if (p.h.metadata.size() == 2) {
    EXPECT_TRUE(p.h.metadata[0].first == "format" && p.h.metadata[0].second == "pt");
    EXPECT_TRUE(p.h.metadata[1].first == "n\xc3\xa9");
    EXPECT_TRUE(p.h.metadata[1].second == "\xf0\x9f\x98\x80 \"q\"");
  }
  // A leading byte order mark is dropped, as TextDecoder does.
  EXPECT_TRUE(parse("\xef\xbb\xbf{}", 0).status == Status::kOk);
  EXPECT_TRUE(parse("{}", 0).status == Status::kOk);
}

TEST(safetensors_header_length_checks) {
  for (size_t n = 0; n < 8; ++n) {
    const Parsed p = parse_guarded(std::vector<uint8_t>(n, 0));
    EXPECT_TRUE(p.status == Status::kInvalidArgument && p.problem.find("too short") != std::string::npos);
  }
  std::vector<uint8_t> f = file_of("{}", 0);
  f[0] = 0xff; f[1] = 0xff; f[2] = 0xff; f[3] = 0xff;
  EXPECT_TRUE(parse_guarded(f).problem.find("exceeds the limit") != std::string::npos);
  f = file_of("{}", 0);
  f[4] = 1;
  EXPECT_TRUE(parse_guarded(f).problem.find("limit") != std::string::npos);
  f = file_of("{}", 0);
  f[7] = 0x80;  // 2^63: no overflow in the size arithmetic
  EXPECT_TRUE(parse_guarded(f).problem.find("limit") != std::string::npos);
  f = file_of("{}", 0);
  f[0] = 3;
  EXPECT_TRUE(parse_guarded(f).problem.find("file size") != std::string::npos);
  std::vector<uint8_t> big(16, 0);
  const uint64_t over = nnslim::kStMaxHeaderBytes + 1;
  for (int i = 0; i < 8; ++i) big[i] = static_cast<uint8_t>(over >> (8 * i));
  EXPECT_TRUE(parse_guarded(big).problem.find("limit") != std::string::npos);
  EXPECT_PROBLEM(" ", 0, "too small");
  // The two-step API: the prefix alone, then the header.
  std::string problem;
  uint64_t n = 0;
  f = file_of("{}", 0);
  EXPECT_TRUE(nnslim::st_read_header_length(f.data(), 4, 100, &n, &problem) == Status::kInvalidArgument);
  EXPECT_TRUE(nnslim::st_read_header_length(f.data(), 8, 10, &n, &problem) == Status::kOk && n == 2);
  nnslim::StHeader h;
  EXPECT_TRUE(nnslim::st_parse_header(f.data() + 8, 2, 9, &h, &problem) == Status::kInvalidArgument);
  EXPECT_TRUE(nnslim::st_parse_header(f.data() + 8, 2, 10, &h, &problem) == Status::kOk);
}

TEST(safetensors_rejects_bad_entries) {
  const std::string t4 = kT4;
  EXPECT_PROBLEM(R"({"a":)" + t4 + R"(,"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12, "overlaps");
  EXPECT_PROBLEM(R"({"a":)" + t4 + R"(,"b":)" + t4 + "}", 8, "overlaps");
  EXPECT_PROBLEM(R"({"a":)" + t4 + "}", 4, "past the data section");
  EXPECT_PROBLEM(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", 8, "begin > end");
  EXPECT_PROBLEM(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8, "needs 12");
  EXPECT_PROBLEM(R"({"a":{"dtype":"I32","shape":[3],"data_offsets":[0,3]}})", 3, "needs 12");
  EXPECT_PROBLEM(R"({"a":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,8]}})", 8, "overflows");
  // product < 2^53 but product * 4 is not: a size mismatch, computed without overflow
  EXPECT_PROBLEM(R"({"a":{"dtype":"F32","shape":[4503599627370496],"data_offsets":[0,8]}})", 8, "needs 18014398509481984");
  EXPECT_PROBLEM(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8, "bad dimension -2");
  EXPECT_PROBLEM(R"({"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}})", 8, "bad dimension 1.5");
  EXPECT_PROBLEM(R"({"a":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}})", 8, "bad dimension \"2\"");
  EXPECT_PROBLEM(R"({"a":{"dtype":"F32","shape":[1e400],"data_offsets":[0,8]}})", 8, "bad dimension");
  EXPECT_PROBLEM(R"({"a":{"dtype":"F32","shape":[9007199254740993],"data_offsets":[0,8]}})", 8, "bad dimension");
  EXPECT_PROBLEM(R"({"a":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],"data_offsets":[0,4]}})", 4, "no valid shape");
  EXPECT_PROBLEM(R"({"a":{"dtype":"F32","shape":{},"data_offsets":[0,4]}})", 4, "no valid shape");
  EXPECT_PROBLEM(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0.5,8.5]}})", 9, "data_offsets");
  EXPECT_PROBLEM(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,8]}})", 8, "data_offsets");
  EXPECT_PROBLEM(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[-0.5,8]}})", 8, "data_offsets");
  EXPECT_PROBLEM(R"({"a":{"dtype":"F32","shape":[2]}})", 8, "data_offsets");
  EXPECT_PROBLEM(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8, "belong to no tensor");
  EXPECT_PROBLEM(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 8, "trailing");
  EXPECT_PROBLEM(R"({"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})", 8, "unsupported dtype \"F64\"");
  EXPECT_PROBLEM(R"({"a":{"shape":[1],"data_offsets":[0,4]}})", 4, "has no dtype");
  EXPECT_PROBLEM(R"({"a":{"dtype":7,"shape":[1],"data_offsets":[0,4]}})", 4, "has no dtype");
  EXPECT_PROBLEM(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1}})", 8, "unknown field \"extra\"");
  EXPECT_PROBLEM("[1,2]", 0, "not a JSON object");
  EXPECT_PROBLEM(R"({"__metadata__":{"a":1}})", 0, "__metadata__[\"a\"] is not a string");
  EXPECT_PROBLEM(R"({"__metadata__":"x"})", 0, "__metadata__ is not an object");
  EXPECT_PROBLEM(R"({"a":3})", 0, "tensor \"a\" is not an object");
  EXPECT_PROBLEM(R"({"":)" + t4 + "}", 8, "empty tensor name");
  EXPECT_PROBLEM("{\"a\\n\":3}", 0, "tensor \"a\\n\" is not an object");
}

TEST(safetensors_json_is_strict) {
  const std::string t4 = kT4;
  EXPECT_PROBLEM(R"({"a": {"dtype": "F32",)", 0, "invalid JSON");
  EXPECT_PROBLEM(R"({"a":)" + t4 + "}x", 8, "trailing characters");
  EXPECT_PROBLEM(R"({"a":)" + t4 + R"(,"a":)" + t4 + "}", 8, "duplicate name \"a\"");
  EXPECT_PROBLEM(R"({"__metadata__":{"k":"1","k":"2"}})", 0, "duplicate name \"k\"");
  EXPECT_PROBLEM(R"({"a":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 8, "duplicate name \"dtype\"");
  EXPECT_PROBLEM("{\"a\":\"\x01\"}", 0, "control character");
  EXPECT_PROBLEM(R"({"a":"\x"})", 0, "bad string");
  EXPECT_PROBLEM(R"({"a":"\u12"})", 0, "bad string");
  EXPECT_PROBLEM(R"({"__metadata__":{"a":"\ud800"}})", 0, "lone surrogate");
  EXPECT_PROBLEM(R"({"__metadata__":{"a":"\udc00\ud800"}})", 0, "lone surrogate");
  EXPECT_PROBLEM(R"({"__metadata__":{"a":"\ud800\u0041"}})", 0, "lone surrogate");
  EXPECT_PROBLEM(R"({"a":"abc)", 0, "unterminated string");
  EXPECT_PROBLEM(R"({"a":"abc\)", 0, "unterminated string");
  EXPECT_PROBLEM(R"({"a":tru})", 0, "unexpected token");
  EXPECT_PROBLEM(R"({"a":-})", 0, "unexpected token");
  EXPECT_PROBLEM(R"({"a":01})", 0, "expected ',' or '}'");
  EXPECT_PROBLEM(R"({"a":1.})", 0, "expected ',' or '}'");
  EXPECT_PROBLEM(R"({"a":+1})", 0, "unexpected token");
  EXPECT_PROBLEM(R"({"a" 1})", 0, "expected ':'");
  EXPECT_PROBLEM(R"({a:1})", 0, "expected a key");
  EXPECT_PROBLEM(R"({"a":[1 2]})", 0, "expected ',' or ']'");
  EXPECT_PROBLEM(R"({"a":[1,]})", 0, "unexpected token");
  EXPECT_PROBLEM("{\"a\":\"\xff\"}", 0, "not valid UTF-8");
  EXPECT_PROBLEM("{\"a\":\"\xc0\xaf\"}", 0, "not valid UTF-8");          // overlong '/'
  EXPECT_PROBLEM("{\"a\":\"\xed\xa0\x80\"}", 0, "not valid UTF-8");      // encoded surrogate
  EXPECT_PROBLEM("{\"a\":\"\xf4\x90\x80\x80\"}", 0, "not valid UTF-8");  // > U+10FFFF
  EXPECT_PROBLEM("{\"a\":\"\xe2\x82\"}", 0, "not valid UTF-8");          // truncated sequence
  // Nesting: 64 levels below the root are fine, 65 are not (as the TypeScript parser had it).
  const auto nested = [](int levels) {
    return R"({"__metadata__":{},"x":)" + std::string(levels - 1, '[') + std::string(levels - 1, ']') + "}";
  };
  EXPECT_PROBLEM(nested(64), 0, "tensor \"x\" is not an object");
  EXPECT_PROBLEM(nested(66), 0, "nesting too deep");
  EXPECT_PROBLEM("{\"__metadata__\":" + std::string(5000, '[') + std::string(5000, ']') + "}", 0, "nesting too deep");
  // Escapes decode; "__proto__" is a plain name.
  const Parsed p = parse(R"({"__proto__":)" + t4 + R"(,"__metadata__":{"e":"\"\\\/\b\f\n\r\t\u0000\u00ff\u20ac"}})", 8);
  EXPECT_MSG(p.status == Status::kOk, p.problem);
  if (p.status == Status::kOk) {
    EXPECT_TRUE(p.h.tensors[0].name == "__proto__");
    EXPECT_TRUE(p.h.metadata[0].second == std::string("\"\\/\b\f\n\r\t\0\xc3\xbf\xe2\x82\xac", 14));
  }
}

TEST(safetensors_never_reads_past_the_file) {
  // Every prefix of a valid file, and every single-byte corruption of its header: an error or
  // a consistent table, with the bytes in a guard-page buffer.
  const std::string h = R"({"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
                        R"("b":{"dtype":"I8","shape":[3],"data_offsets":[16,19]}})";
  const std::vector<uint8_t> good = file_of(h, 19);
  EXPECT_TRUE(parse_guarded(good).status == Status::kOk);
  for (size_t n = 0; n < good.size(); ++n) {
    const std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_TRUE(parse_guarded(cut).status == Status::kInvalidArgument);
  }
  int ok = 0;
  for (size_t pos = 0; pos < 8 + h.size(); ++pos) {
    for (const uint8_t v : {0x00, 0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x30, 0x39, 0xff}) {
      std::vector<uint8_t> bad = good;
      bad[pos] = v;
      const Parsed p = parse_guarded(bad);
      if (p.status != Status::kOk) {
        EXPECT_TRUE(p.status == Status::kInvalidArgument && !p.problem.empty());
        continue;
      }
      ++ok;
      uint64_t total = 0;
      for (const auto& t : p.h.tensors) {
        uint64_t count = 1;
        for (const int64_t d : t.shape) count *= static_cast<uint64_t>(d);
        EXPECT_EQ(t.end - t.begin, count * static_cast<uint64_t>(nnslim::st_dtype_size(t.dtype)));
        EXPECT_TRUE(t.end <= p.h.data_len);
        total += t.end - t.begin;
      }
      EXPECT_EQ(total, p.h.data_len);
    }
  }
  EXPECT_TRUE(ok > 0);  // some corruptions are harmless (a metadata letter)
}

TEST(safetensors_limits_the_number_of_json_values) {
  // 2^22 values: each "0," is two bytes; the metadata object holds one big array.
  const size_t n = (size_t{1} << 22) + 10;
  std::string h = R"({"__metadata__":{"a":[)";
  h.reserve(h.size() + 2 * n + 4);
  for (size_t i = 0; i < n; ++i) h += i ? ",0" : "0";
  h += "]}}";
  EXPECT_PROBLEM(h, 0, "more than 4194304 JSON values");
}

namespace {

nnslim::CsrCheck csr(int64_t rows, int64_t cols, std::vector<int32_t> rp, std::vector<int32_t> ci, int64_t values_len) {
  GuardedBuffer<int32_t> r(rp.size()), c(ci.size());
  std::copy(rp.begin(), rp.end(), r.data());
  std::copy(ci.begin(), ci.end(), c.data());
  nnslim::CsrArrays a;
  a.rows = rows;
  a.cols = cols;
  a.row_ptr = rp.empty() ? nullptr : r.data();
  a.row_ptr_len = static_cast<int64_t>(rp.size());
  a.col_idx = ci.empty() ? nullptr : c.data();
  a.col_idx_len = static_cast<int64_t>(ci.size());
  a.values_len = values_len;
  return nnslim::csr_check(a);
}

bool is(const nnslim::CsrCheck& c, nnslim::CsrProblem p, int64_t index, int64_t value) {
  return c.problem == p && c.index == index && c.value == value;
}

}  // namespace

TEST(csr_check_reports_the_first_problem) {
  using P = nnslim::CsrProblem;
  EXPECT_TRUE(csr(2, 3, {0, 2, 3}, {0, 2, 1}, 3).problem == P::kNone);
  EXPECT_TRUE(csr(0, 0, {0}, {}, 0).problem == P::kNone);
  EXPECT_TRUE(csr(3, 0, {0, 0, 0, 0}, {}, 0).problem == P::kNone);
  EXPECT_TRUE(is(csr(-1, 3, {0}, {}, 0), P::kBadDims, 0, -1));
  EXPECT_TRUE(is(csr(1, int64_t{1} << 31, {0, 0}, {}, 0), P::kBadDims, 1, int64_t{1} << 31));
  EXPECT_TRUE(is(csr(2, 3, {0, 2}, {0, 2}, 2), P::kRowPtrLength, 0, 2));
  EXPECT_TRUE(is(csr(2, 3, {}, {}, 0), P::kRowPtrLength, 0, 0));
  EXPECT_TRUE(is(csr(2, 3, {1, 2, 3}, {0, 2, 1}, 3), P::kRowPtrStart, 0, 1));
  EXPECT_TRUE(is(csr(2, 3, {0, 2, 3}, {0, 2}, 3), P::kColIdxLength, 0, 2));
  EXPECT_TRUE(is(csr(2, 3, {0, 2, -1}, {}, 0), P::kColIdxLength, 0, 0));
  EXPECT_TRUE(is(csr(2, 3, {0, 2, 3}, {0, 2, 1}, 4), P::kValuesLength, 0, 4));
  const auto dec = csr(2, 3, {0, 2, 1}, {0}, 1);
  EXPECT_TRUE(is(dec, P::kRowPtrPastEnd, 1, 2));
  EXPECT_TRUE(is(csr(3, 3, {0, 2, 1, 2}, {0, 1}, 2), P::kRowPtrDecreasing, 2, 1));
  EXPECT_TRUE(is(csr(2, 3, {0, 2, 3}, {0, 3, 1}, 3), P::kColumnOutOfRange, 1, 3));
  EXPECT_TRUE(is(csr(2, 3, {0, 2, 3}, {0, 2, -1}, 3), P::kColumnOutOfRange, 2, -1));
  const auto dup = csr(2, 3, {0, 2, 3}, {1, 1, 0}, 3);
  EXPECT_TRUE(is(dup, P::kColumnNotIncreasing, 1, 1) && dup.row == 0 && dup.bound == 1);
  EXPECT_TRUE(is(csr(2, 3, {0, 2, 3}, {2, 0, 0}, 3), P::kColumnNotIncreasing, 1, 0));
  // csr_validate (what csr_pack uses) agrees.
  const int32_t rp[] = {0, 2, 3}, ci[] = {0, 2, 1};
  EXPECT_TRUE(nnslim::csr_validate(2, 3, rp, ci, 3) == Status::kOk);
  EXPECT_TRUE(nnslim::csr_validate(2, 2, rp, ci, 3) == Status::kInvalidArgument);
  EXPECT_TRUE(nnslim::csr_validate(int64_t{1} << 40, 2, rp, ci, 3) == Status::kInvalidArgument);
}

TEST(csr_check_matches_a_brute_force_oracle) {
  // Random small arrays (mostly invalid): csr_check says kNone exactly when the definition
  // holds, checked by an independent formulation (every row's columns form a sorted set).
  auto& g = nnslim_test::rng();
  for (int it = 0; it < 20000; ++it) {
    const int rows = static_cast<int>(g() % 4), cols = static_cast<int>(g() % 4);
    std::vector<int32_t> rp(rows + 1 - (g() % 8 == 0 ? 1 : 0));
    for (auto& v : rp) v = static_cast<int32_t>(g() % 6) - (g() % 16 == 0 ? 1 : 0);
    if (!rp.empty() && g() % 2) {
      rp[0] = 0;
      for (size_t i = 1; i < rp.size(); ++i) rp[i] = rp[i - 1] + static_cast<int32_t>(g() % 3);
    }
    std::vector<int32_t> ci(g() % 7);
    for (auto& v : ci) v = static_cast<int32_t>(g() % 5) - 1;
    const int64_t vals = g() % 8 == 0 ? static_cast<int64_t>(g() % 7) : static_cast<int64_t>(ci.size());
    bool valid = rp.size() == static_cast<size_t>(rows) + 1 && rp[0] == 0 && rp[rows] == static_cast<int32_t>(ci.size()) &&
                 vals == static_cast<int64_t>(ci.size());
    for (int i = 0; valid && i < rows; ++i) {
      if (rp[i + 1] < rp[i] || rp[i + 1] > static_cast<int32_t>(ci.size())) valid = false;
      for (int j = rp[i]; valid && j < rp[i + 1]; ++j)
        valid = ci[j] >= 0 && ci[j] < cols && (j == rp[i] || ci[j] > ci[j - 1]);
    }
    EXPECT_EQ(csr(rows, cols, rp, ci, vals).problem == nnslim::CsrProblem::kNone, valid);
  }
}

namespace {

struct Record {
  int64_t out = 0, in = 0;
  bool per_channel = false;
  std::vector<int8_t> weight;
  bool plain = true;
  std::vector<uint8_t> mask;
  std::vector<int8_t> values;
  std::vector<float> scales{0.5f};
  std::vector<int32_t> zps{0};
  std::vector<float> bias;
  bool has_bias = false;

  nnslim::QLinearRecord view() const {
    nnslim::QLinearRecord r;
    r.out_features = out;
    r.in_features = in;
    r.per_channel = per_channel;
    if (plain) {
      r.weight = weight.data();
      r.weight_len = static_cast<int64_t>(weight.size());
    } else {
      r.mask = mask.data();
      r.mask_len = static_cast<int64_t>(mask.size());
      r.values = values.data();
      r.values_len = static_cast<int64_t>(values.size());
    }
    r.scales = scales.data();
    r.scales_len = static_cast<int64_t>(scales.size());
    r.zero_points = zps.data();
    r.zero_points_len = static_cast<int64_t>(zps.size());
    if (has_bias) {
      r.bias = bias.data();
      r.bias_len = static_cast<int64_t>(bias.size());
    }
    return r;
  }
};

std::string record_problem(const Record& rec) {
  std::string p;
  const int64_t n = rec.out > 0 && rec.in > 0 && rec.out <= 4096 && rec.in <= 4096 ? rec.out * rec.in : 1;
  std::vector<int8_t> out(static_cast<size_t>(n));
  const Status s = nnslim::qlinear_record_decode(rec.view(), out.data(), static_cast<int64_t>(out.size()), &p);
  return s == Status::kOk ? "" : p;
}

}  // namespace

TEST(qlinear_record_decodes_the_bitmask_form) {
  auto& g = nnslim_test::rng();
  for (const auto& dims : std::vector<std::pair<int, int>>{{1, 1}, {1, 7}, {3, 5}, {4, 8}, {5, 13}, {24, 20}}) {
    const int n = dims.first * dims.second;
    std::vector<int8_t> dense(n);
    for (auto& v : dense) v = g() % 3 == 0 ? static_cast<int8_t>(static_cast<int>(g() % 255) - 127) : 0;
    Record rec;
    rec.out = dims.first;
    rec.in = dims.second;
    rec.plain = false;
    rec.mask.assign((n + 7) / 8, 0);
    for (int i = 0; i < n; ++i)
      if (dense[i] != 0) {
        rec.mask[i / 8] |= static_cast<uint8_t>(1u << (i % 8));
        rec.values.push_back(dense[i]);
      }
    GuardedBuffer<int8_t> out(n);
    std::string p;
    EXPECT_MSG(nnslim::qlinear_record_decode(rec.view(), out.data(), n, &p) == Status::kOk, p);
    EXPECT_TRUE(std::memcmp(out.data(), dense.data(), n) == 0);
    rec.plain = true;
    rec.weight = dense;
    std::fill(out.data(), out.data() + n, int8_t{1});
    EXPECT_TRUE(nnslim::qlinear_record_decode(rec.view(), out.data(), n, &p) == Status::kOk);
    EXPECT_TRUE(std::memcmp(out.data(), dense.data(), n) == 0);
  }
}

TEST(qlinear_record_rejects_inconsistent_records) {
  Record base;
  base.out = 3;
  base.in = 5;  // 15 weights: 2 mask bytes, bit 15 is past the end
  base.plain = false;
  base.mask = {0x05, 0x40};
  base.values = {1, -2, 3};
  EXPECT_MSG(record_problem(base).empty(), record_problem(base));
  auto with = [&](auto edit) {
    Record r = base;
    edit(r);
    return record_problem(r);
  };
  auto has = [](const std::string& s, const char* needle) { return s.find(needle) != std::string::npos; };
  EXPECT_TRUE(has(with([](Record& r) { r.mask[1] |= 0x80; }), "bits set past the 15 weights"));
  EXPECT_TRUE(has(with([](Record& r) { r.mask[0] |= 0x02; }), "4 bits set but there are 3 weight_values"));
  EXPECT_TRUE(has(with([](Record& r) { r.values.push_back(9); }), "3 bits set but there are 4 weight_values"));
  EXPECT_TRUE(has(with([](Record& r) { r.mask.push_back(0); }), "weight_mask (U8 [2])"));
  EXPECT_TRUE(has(with([](Record& r) { r.plain = true; r.weight.assign(14, 0); }), "weight must have 15 values"));
  EXPECT_TRUE(has(with([](Record& r) { r.scales = {0.0f}; }), "weight_scale[0] must be a finite number > 0"));
  EXPECT_TRUE(has(with([](Record& r) { r.scales = {-1.0f}; }), "got -1"));
  EXPECT_TRUE(has(with([](Record& r) { r.scales = {std::nanf("")}; }), "got NaN"));
  EXPECT_TRUE(has(with([](Record& r) { r.zps = {128}; }), "weight_zero_point[0] must be in [-128, 127]"));
  EXPECT_TRUE(has(with([](Record& r) { r.per_channel = true; }), "weight_scale must have 3 values"));
  EXPECT_TRUE(has(with([](Record& r) { r.per_channel = true; r.scales = {1, 1, 1}; }), "weight_zero_point must have 3 values"));
  EXPECT_TRUE(with([](Record& r) { r.per_channel = true; r.scales = {1, 2, 3}; r.zps = {-128, 0, 127}; }).empty());
  EXPECT_TRUE(has(with([](Record& r) { r.has_bias = true; r.bias = {1, 2}; }), "bias must have 3 values"));
  EXPECT_TRUE(has(with([](Record& r) { r.has_bias = true; r.bias = {1, INFINITY, 2}; }), "bias[1] must be finite"));
  EXPECT_TRUE(with([](Record& r) { r.has_bias = true; r.bias = {1, -2, 0}; }).empty());
  EXPECT_TRUE(has(with([](Record& r) { r.out = 0; }), "outFeatures"));
  EXPECT_TRUE(has(with([](Record& r) { r.in = int64_t{1} << 31; }), "inFeatures"));
  EXPECT_TRUE(has(with([](Record& r) { r.out = 2147483647; r.in = 2147483647; }), "exceeds"));
  // A short output buffer is refused, not overrun.
  std::string p;
  int8_t small[4];
  EXPECT_TRUE(nnslim::qlinear_record_decode(base.view(), small, 4, &p) == Status::kInvalidArgument);
}

TEST(safetensors_messages_stay_valid_utf8) {
  // A long string value in a message is cut, never inside a multi-byte character.
  std::string dim = "\"";
  for (int i = 0; i < 40; ++i) dim += "\xc3\xa9";  // 80 bytes of 2-byte characters
  dim += "x\"";
  for (int shift = 0; shift < 2; ++shift) {
    const std::string h = R"({"a":{"dtype":"F32","shape":[)" + dim.substr(0, 1) + std::string(shift, 'y') + dim.substr(1) +
                          R"(],"data_offsets":[0,4]}})";
    const Parsed p = parse(h, 4);
    EXPECT_TRUE(p.status == Status::kInvalidArgument && p.problem.find("bad dimension") != std::string::npos);
    EXPECT_TRUE(nnslim::json::valid_utf8(reinterpret_cast<const uint8_t*>(p.problem.data()), p.problem.size()));
  }
}
