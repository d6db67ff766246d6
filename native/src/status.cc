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
