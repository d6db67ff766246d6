// Reads fuzzer bytes as a stream of small fields (zeros once the input is exhausted).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace nnslim_fuzz {

class Input {
 public:
  Input(const uint8_t* data, size_t size) : p_(data), n_(size) {}
  uint8_t u8() { return i_ < n_ ? p_[i_++] : 0; }
  uint16_t u16() { return static_cast<uint16_t>(u8() | (u8() << 8)); }
  uint32_t u32() { return static_cast<uint32_t>(u16()) | (static_cast<uint32_t>(u16()) << 16); }
  size_t left() const { return n_ - i_; }

 private:
  const uint8_t* p_;
  size_t n_;
  size_t i_ = 0;
};

// A property violation: print it and abort, so libFuzzer saves the input as a crash.
[[noreturn]] inline void violated(const char* what, const char* file, int line) {
  std::fprintf(stderr, "fuzz property violated at %s:%d: %s\n", file, line, what);
  std::abort();
}

}  // namespace nnslim_fuzz

#define FUZZ_CHECK(cond)                                                        \
  do {                                                                          \
    if (!(cond)) ::nnslim_fuzz::violated(#cond, __FILE__, __LINE__);           \
  } while (0)
