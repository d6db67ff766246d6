// A small strict JSON parser for untrusted file headers (private to the kernel library).
// RFC 8259 grammar; on top of it: duplicate names in an object, nesting deeper than
// max_depth and more than max_values values are errors; strings must be valid UTF-8 (the
// caller checks the whole text) and \u escapes may not leave lone surrogates, so every
// decoded string is valid UTF-8. Numbers keep their token text and their double value
// (strtod_l in the "C" locale: correctly rounded, locale-free; out of range gives +-inf or
// +-0 as in JavaScript's JSON.parse).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nnslim {
namespace json {

enum class Kind : uint8_t { kNull, kFalse, kTrue, kNumber, kString, kArray, kObject };
constexpr uint32_t kNone = 0xffffffffu;

// One value. Containers link their children (elements or members) through first / next;
// a member's name is key_off / key_len in the arena.
struct Node {
  Kind kind = Kind::kNull;
  uint32_t count = 0;
  uint32_t first = kNone;
  uint32_t next = kNone;
  uint32_t key_off = 0, key_len = 0;
  uint32_t text_off = 0, text_len = 0;  // decoded string, or the number's token
  double number = 0;
};

struct Document {
  std::vector<Node> nodes;  // nodes[0] is the root
  std::string arena;        // decoded strings and number tokens
  std::string_view text(const Node& n) const { return std::string_view(arena).substr(n.text_off, n.text_len); }
  std::string_view key(const Node& n) const { return std::string_view(arena).substr(n.key_off, n.key_len); }
};

struct Limits {
  int max_depth = 64;             // the root is at depth 0
  size_t max_values = size_t{1} << 22;
};

// Parses s[0, n) (n < 2^32). On failure returns false and sets *problem, e.g.
// "invalid JSON header: expected ':' at byte 12" or "duplicate name \"a\" in the header".
// May throw std::bad_alloc.
bool parse(const char* s, size_t n, const Limits& limits, Document* doc, std::string* problem);

// True when s[0, n) is well-formed UTF-8 (no overlong forms, surrogates or code points
// above U+10FFFF), as a fatal TextDecoder requires.
bool valid_utf8(const uint8_t* s, size_t n);

// JSON.stringify of a string: quotes, and \" \\ \b \f \n \r \t \u00XX escapes.
std::string quote(std::string_view s);

}  // namespace json
}  // namespace nnslim
