// Strict JSON for untrusted headers: a recursive-descent parser into a flat node array.
#include "json.h"

#include <locale.h>
#include <stdlib.h>

#include <cmath>
#include <limits>
#include <unordered_set>

namespace nnslim {
namespace json {
namespace {

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

class Parser {
 public:
  Parser(const char* s, size_t n, const Limits& limits, Document* doc, std::string* problem)
      : s_(s), n_(n), limits_(limits), doc_(doc), problem_(problem) {}

  bool run() {
    doc_->nodes.clear();
    doc_->arena.clear();
    // Decoded strings and tokens never outgrow their source, so the arena never reallocates
    // and string_views into it (the duplicate-name sets) stay valid.
    doc_->arena.reserve(n_);
    uint32_t root = kNone;
    if (!value(0, &root)) return false;
    ws();
    if (i_ != n_) return fail("trailing characters");
    return true;
  }

 private:
  bool fail(const char* what) {
    *problem_ = std::string("invalid JSON header: ") + what + " at byte " + std::to_string(i_);
    return false;
  }

  void ws() {
    while (i_ < n_ && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) ++i_;
  }

  bool add(Kind kind, uint32_t* id) {
    if (doc_->nodes.size() >= limits_.max_values) {
      *problem_ = "header has more than " + std::to_string(limits_.max_values) + " JSON values";
      return false;
    }
    doc_->nodes.emplace_back();
    doc_->nodes.back().kind = kind;
    *id = static_cast<uint32_t>(doc_->nodes.size() - 1);
    return true;
  }

  // s_[i_] is the opening quote; appends the decoded string to the arena.
  bool string(uint32_t* off, uint32_t* len) {
    std::string& a = doc_->arena;
    const size_t start = a.size();
    ++i_;
    for (;;) {
      if (i_ >= n_) return fail("unterminated string");
      const char c = s_[i_];
      if (c == '"') {
        ++i_;
        break;
      }
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in string");
      if (c != '\\') {
        a.push_back(c);
        ++i_;
        continue;
      }
      if (i_ + 1 >= n_) return fail("unterminated string");
      const char e = s_[i_ + 1];
      i_ += 2;
      switch (e) {
        case '"': a.push_back('"'); break;
        case '\\': a.push_back('\\'); break;
        case '/': a.push_back('/'); break;
        case 'b': a.push_back('\b'); break;
        case 'f': a.push_back('\f'); break;
        case 'n': a.push_back('\n'); break;
        case 'r': a.push_back('\r'); break;
        case 't': a.push_back('\t'); break;
        case 'u': {
          uint32_t cp = 0;
          if (!hex4(&cp)) return fail("bad string");
          if (cp >= 0xdc00 && cp <= 0xdfff) return fail("bad string (lone surrogate)");
          if (cp >= 0xd800 && cp <= 0xdbff) {
            uint32_t lo = 0;
            if (i_ + 1 >= n_ || s_[i_] != '\\' || s_[i_ + 1] != 'u') return fail("bad string (lone surrogate)");
            i_ += 2;
            if (!hex4(&lo) || lo < 0xdc00 || lo > 0xdfff) return fail("bad string (lone surrogate)");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          }
          append_utf8(&a, cp);
          break;
        }
        default:
          return fail("bad string");
      }
    }
    *off = static_cast<uint32_t>(start);
    *len = static_cast<uint32_t>(a.size() - start);
    return true;
  }

  bool hex4(uint32_t* cp) {
    if (n_ - i_ < 4) return false;
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const int h = hex_value(s_[i_ + k]);
      if (h < 0) return false;
      v = v * 16 + static_cast<uint32_t>(h);
    }
    i_ += 4;
    *cp = v;
    return true;
  }

  bool literal(const char* word, size_t len) {
    if (n_ - i_ < len) return false;
    for (size_t k = 0; k < len; ++k)
      if (s_[i_ + k] != word[k]) return false;
    i_ += len;
    return true;
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?  (a fraction or exponent without digits
  // is not part of the token, as in a sticky regular expression: what follows then fails).
  bool number(uint32_t id) {
    const size_t start = i_;
    if (s_[i_] == '-') ++i_;
    if (i_ >= n_ || !is_digit(s_[i_])) {
      i_ = start;
      return fail("unexpected token");
    }
    if (s_[i_] == '0') {
      ++i_;
    } else {
      while (i_ < n_ && is_digit(s_[i_])) ++i_;
    }
    if (i_ + 1 < n_ && s_[i_] == '.' && is_digit(s_[i_ + 1])) {
      i_ += 2;
      while (i_ < n_ && is_digit(s_[i_])) ++i_;
    }
    if (i_ < n_ && (s_[i_] == 'e' || s_[i_] == 'E')) {
      size_t j = i_ + 1;
      if (j < n_ && (s_[j] == '+' || s_[j] == '-')) {
        ++j;
      }
      if (j < n_ && is_digit(s_[j])) {
        while (j < n_ && is_digit(s_[j])) ++j;
        i_ = j;
      }
    }
    // strtod_l in the "C" locale (correctly rounded, independent of the process locale; not
    // std::from_chars, which needs GLIBCXX_3.4.29 and the prebuilds stay loadable with GCC 8's
    // libstdc++). The grammar above already checked the token. Overflow gives +-inf, underflow
    // a denormal or +-0, as JavaScript's JSON.parse does.
    static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr));
    if (c_locale == static_cast<locale_t>(nullptr)) return fail("cannot parse numbers (no C locale)");
    const std::string token(s_ + start, i_ - start);
    char* end = nullptr;
    const double v = strtod_l(token.c_str(), &end, c_locale);
    if (end != token.c_str() + token.size()) return fail("unexpected token");
    Node& node = doc_->nodes[id];
    node.number = v;
    node.text_off = static_cast<uint32_t>(doc_->arena.size());
    node.text_len = static_cast<uint32_t>(i_ - start);
    doc_->arena.append(s_ + start, i_ - start);
    return true;
  }

  bool value(int depth, uint32_t* out) {
    if (depth > limits_.max_depth) return fail("nesting too deep");
    ws();
    if (i_ >= n_) return fail("unexpected end");
    const char c = s_[i_];
    if (c == '{') return object(depth, out);
    if (c == '[') return array(depth, out);
    if (c == '"') {
      if (!add(Kind::kString, out)) return false;
      uint32_t off = 0, len = 0;
      if (!string(&off, &len)) return false;
      doc_->nodes[*out].text_off = off;
      doc_->nodes[*out].text_len = len;
      return true;
    }
    if (literal("true", 4)) return add(Kind::kTrue, out);
    if (literal("false", 5)) return add(Kind::kFalse, out);
    if (literal("null", 4)) return add(Kind::kNull, out);
    if (c == '-' || is_digit(c)) return add(Kind::kNumber, out) && number(*out);
    return fail("unexpected token");
  }

  void link(uint32_t parent, uint32_t* last, uint32_t child) {
    if (*last == kNone) doc_->nodes[parent].first = child;
    else doc_->nodes[*last].next = child;
    *last = child;
    ++doc_->nodes[parent].count;
  }

  bool object(int depth, uint32_t* out) {
    uint32_t id = kNone;
    if (!add(Kind::kObject, &id)) return false;
    *out = id;
    ++i_;
    ws();
    if (i_ < n_ && s_[i_] == '}') {
      ++i_;
      return true;
    }
    std::unordered_set<std::string_view> seen;
    uint32_t last = kNone;
    for (;;) {
      ws();
      if (i_ >= n_ || s_[i_] != '"') return fail("expected a key");
      uint32_t koff = 0, klen = 0;
      if (!string(&koff, &klen)) return false;
      const std::string_view key = std::string_view(doc_->arena).substr(koff, klen);
      if (!seen.insert(key).second) {
        *problem_ = "duplicate name " + quote(key) + " in the header";
        return false;
      }
      ws();
      if (i_ >= n_ || s_[i_] != ':') return fail("expected ':'");
      ++i_;
      uint32_t child = kNone;
      if (!value(depth + 1, &child)) return false;
      doc_->nodes[child].key_off = koff;
      doc_->nodes[child].key_len = klen;
      link(id, &last, child);
      ws();
      if (i_ < n_ && s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < n_ && s_[i_] == '}') {
        ++i_;
        return true;
      }
      return fail("expected ',' or '}'");
    }
  }

  bool array(int depth, uint32_t* out) {
    uint32_t id = kNone;
    if (!add(Kind::kArray, &id)) return false;
    *out = id;
    ++i_;
    ws();
    if (i_ < n_ && s_[i_] == ']') {
      ++i_;
      return true;
    }
    uint32_t last = kNone;
    for (;;) {
      uint32_t child = kNone;
      if (!value(depth + 1, &child)) return false;
      link(id, &last, child);
      ws();
      if (i_ < n_ && s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < n_ && s_[i_] == ']') {
        ++i_;
        return true;
      }
      return fail("expected ',' or ']'");
    }
  }

  const char* s_;
  size_t n_;
  size_t i_ = 0;
  Limits limits_;
  Document* doc_;
  std::string* problem_;
};

}  // namespace

bool parse(const char* s, size_t n, const Limits& limits, Document* doc, std::string* problem) {
  if (n >= kNone) {
    *problem = "header too large for the JSON parser";
    return false;
  }
  return Parser(s, n, limits, doc, problem).run();
}

bool valid_utf8(const uint8_t* s, size_t n) {
  size_t i = 0;
  while (i < n) {
    const uint8_t c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += len;
  }
  return true;
}

std::string quote(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace json
}  // namespace nnslim
