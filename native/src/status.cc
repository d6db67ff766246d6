#include "nnslim/kernels.h"

namespace nnslim {

const char* status_message(Status s) {
  switch (s) {
    case Status::kOk: return "ok";
    case Status::kInvalidArgument: return "invalid argument";
    case Status::kOutOfMemory: return "out of memory";
    case Status::kUnsupported: return "unsupported on this CPU";
  }
  return "unknown status";
}

}  // namespace nnslim

#if defined(__GLIBCXX__) && defined(_GLIBCXX_RELEASE) && _GLIBCXX_RELEASE >= 11
#include <new>

// g++ >= 11 makes std::allocator call std::__throw_bad_array_new_length(), which libstdc++
// exports only from GLIBCXX_3.4.29 (GCC 11). Defined here, the addon binds it internally and
// keeps loading with the libstdc++ of GCC 8 (GLIBCXX_3.4.25, checked by scripts/tests/glibc.js).
namespace std {
void __throw_bad_array_new_length() { throw bad_array_new_length(); }
}  // namespace std
#endif
