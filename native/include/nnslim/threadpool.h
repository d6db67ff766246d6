// The kernels' own thread pool. One per process, shared by every caller (main thread,
// libuv workers, worker_threads). A parallel region that finds the pool busy runs on the
// calling thread alone, so concurrent callers never deadlock or oversubscribe.
#pragma once

#include <cstddef>
#include <functional>

namespace nnslim {

// Number of threads a parallel region may use (including the caller). Default: the
// available parallelism (sched_getaffinity), at least 1.
int get_num_threads();
// n >= 1. Workers are created lazily and kept.
void set_num_threads(int n);

// Runs fn(task) for task in [0, num_tasks), spread over up to get_num_threads() threads,
// each with FTZ/DAZ set. Returns when every task finished. fn must not throw.
void parallel_for(std::ptrdiff_t num_tasks, const std::function<void(std::ptrdiff_t)>& fn);

// Sets flush-to-zero / denormals-are-zero for the current thread and restores the previous
// mode on destruction. Kernels use it so denormal inputs never hit the slow microcode path.
class DenormalGuard {
 public:
  DenormalGuard();
  ~DenormalGuard();
  DenormalGuard(const DenormalGuard&) = delete;
  DenormalGuard& operator=(const DenormalGuard&) = delete;

 private:
  unsigned long long saved_;
};

}  // namespace nnslim
