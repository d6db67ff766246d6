// Growable 64-byte aligned scratch memory owned by the calling thread, one arena per op
// family (Tag), reused from call to call: a large packing buffer is then not mmap'ed,
// faulted in page by page and unmapped again on every call. get() may move the memory:
// take one pointer per call and carve it up.
#pragma once

#include <cstddef>
#include <cstdlib>

namespace nnslim {
namespace detail {

class ScratchArena {
 public:
  ScratchArena() = default;
  ScratchArena(const ScratchArena&) = delete;
  ScratchArena& operator=(const ScratchArena&) = delete;
  ~ScratchArena() { std::free(ptr_); }

  // At least `bytes` bytes (64-byte aligned), or null when the allocation fails.
  void* get(size_t bytes) {
    if (bytes > cap_) {
      std::free(ptr_);
      cap_ = 0;
      const size_t rounded = (bytes + 63) / 64 * 64;
      ptr_ = std::aligned_alloc(64, rounded);
      if (ptr_ != nullptr) cap_ = rounded;
    }
    return ptr_;
  }

 private:
  void* ptr_ = nullptr;
  size_t cap_ = 0;
};

template <class Tag>
ScratchArena& thread_scratch() {
  thread_local ScratchArena arena;
  return arena;
}

}  // namespace detail
}  // namespace nnslim
