// A small test harness for the kernel library: self-registering tests, EXPECT macros,
// guard-page buffers and a loop over every ISA level the host supports.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "nnslim/cpu.h"

namespace nnslim_test {

struct TestCase {
  const char* name;
  void (*fn)();
};
std::vector<TestCase>& registry();
struct Registrar {
  Registrar(const char* name, void (*fn)()) { registry().push_back({name, fn}); }
};

// Failure accounting for the running test.
void report_failure(const char* file, int line, const std::string& what);
int failures_in_current_test();

// Allocates n elements whose end touches a PROT_NONE page, so a read or write one past
// the end faults. The start is 64-byte aligned unless `misalign` elements are requested.
template <typename T>
class GuardedBuffer {
 public:
  explicit GuardedBuffer(size_t n, size_t misalign = 0);
  ~GuardedBuffer();
  GuardedBuffer(const GuardedBuffer&) = delete;
  GuardedBuffer& operator=(const GuardedBuffer&) = delete;
  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return n_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }

 private:
  void* base_ = nullptr;
  size_t mapped_ = 0;
  T* data_ = nullptr;
  size_t n_ = 0;
};

void* guarded_alloc(size_t bytes, void** base, size_t* mapped);
void guarded_free(void* base, size_t mapped);

template <typename T>
GuardedBuffer<T>::GuardedBuffer(size_t n, size_t misalign) : n_(n) {
  // Place the array so that its last element ends exactly at the guard page.
  const size_t bytes = (n + misalign) * sizeof(T);
  char* end = static_cast<char*>(guarded_alloc(bytes, &base_, &mapped_));
  data_ = reinterpret_cast<T*>(end - n * sizeof(T));
}
template <typename T>
GuardedBuffer<T>::~GuardedBuffer() {
  guarded_free(base_, mapped_);
}

// Runs fn once per ISA level supported here (forcing it), then restores the best level.
// Prints which levels were skipped.
void for_each_isa(const std::function<void(nnslim::Isa)>& fn);

inline std::mt19937_64& rng() {
  static std::mt19937_64 r(0x5eed1234);
  return r;
}

}  // namespace nnslim_test

#define NNSLIM_CONCAT2(a, b) a##b
#define NNSLIM_CONCAT(a, b) NNSLIM_CONCAT2(a, b)
#define TEST(name)                                                            \
  static void name();                                                         \
  static ::nnslim_test::Registrar NNSLIM_CONCAT(registrar_, name)(#name, name); \
  static void name()

#define EXPECT_TRUE(cond)                                                         \
  do {                                                                            \
    if (!(cond)) ::nnslim_test::report_failure(__FILE__, __LINE__, "EXPECT_TRUE(" #cond ")"); \
  } while (0)

#define EXPECT_EQ(a, b)                                                                  \
  do {                                                                                   \
    auto va_ = (a);                                                                      \
    auto vb_ = (b);                                                                      \
    if (!(va_ == vb_))                                                                   \
      ::nnslim_test::report_failure(__FILE__, __LINE__,                                  \
                                    std::string("EXPECT_EQ(" #a ", " #b "): ") +         \
                                        std::to_string(va_) + " vs " + std::to_string(vb_)); \
  } while (0)

#define EXPECT_MSG(cond, msg)                                                       \
  do {                                                                              \
    if (!(cond)) ::nnslim_test::report_failure(__FILE__, __LINE__, (msg));          \
  } while (0)
