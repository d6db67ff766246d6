#include "nnslim/threadpool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif
#if defined(__linux__)
#include <sched.h>
#endif

namespace nnslim {

DenormalGuard::DenormalGuard() {
#if defined(__x86_64__)
  saved_ = _mm_getcsr();
  _mm_setcsr(static_cast<unsigned>(saved_) | 0x8040u);  // FTZ | DAZ
#elif defined(__aarch64__)
  uint64_t fpcr;
  __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
  saved_ = fpcr;
  fpcr |= (1ull << 24);  // FZ
  __asm__ volatile("msr fpcr, %0" : : "r"(fpcr));
#elif defined(__arm__) && defined(__ARM_FP)
  uint32_t fpscr;
  __asm__ volatile("vmrs %0, fpscr" : "=r"(fpscr));
  saved_ = fpscr;
  fpscr |= (1u << 24);  // FZ
  __asm__ volatile("vmsr fpscr, %0" : : "r"(fpscr));
#else
  saved_ = 0;
#endif
}

DenormalGuard::~DenormalGuard() {
#if defined(__x86_64__)
  _mm_setcsr(static_cast<unsigned>(saved_));
#elif defined(__aarch64__)
  uint64_t fpcr = saved_;
  __asm__ volatile("msr fpcr, %0" : : "r"(fpcr));
#elif defined(__arm__) && defined(__ARM_FP)
  uint32_t fpscr = static_cast<uint32_t>(saved_);
  __asm__ volatile("vmsr fpscr, %0" : : "r"(fpscr));
#endif
}

namespace {

int available_parallelism() {
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
#endif
  unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

// Spin-wait budget of an idle worker (and of the caller waiting for the workers) before it
// sleeps on a condition variable. Back-to-back parallel regions (layer after layer of a
// model) then start without a futex wake-up, which costs tens of microseconds on a virtual
// machine whose idle vCPU has halted; a worker that finds no work for this long sleeps.
constexpr std::chrono::microseconds kSpinBudget{200};

inline void cpu_relax() {
#if defined(__x86_64__)
  _mm_pause();
#elif defined(__aarch64__) || (defined(__arm__) && defined(__ARM_ARCH) && __ARM_ARCH >= 7)
  __asm__ volatile("yield");
#endif
}

// Spins until pred() holds or the budget runs out; true when pred() held. After a short
// pause loop it yields the CPU between checks, so that on a busy machine (more runnable
// threads than cores) a spinning thread does not keep the thread it waits for off the CPU.
template <class Pred>
bool spin_until(Pred pred) {
  if (pred()) return true;
  for (int i = 0; i < 64; ++i) {
    for (int j = 0; j < 8; ++j) cpu_relax();
    if (pred()) return true;
  }
  const auto deadline = std::chrono::steady_clock::now() + kSpinBudget;
  for (;;) {
    std::this_thread::yield();
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
  }
}

// A fixed set of workers that wake up for each parallel region. The caller participates
// and tasks are handed out by an atomic counter, so uneven tasks balance themselves.
//
// A region is published as one atomic word, (sequence << 8) | active worker count, so a
// worker reads a consistent pair: an active worker's decrement of pending_ is what lets the
// region end, so the region's fn_ / num_tasks_ stay valid while it works; an inactive one
// just records the sequence. A region that finds the pool busy (another thread's region, or
// a nested call) runs on the calling thread alone.
class Pool {
 public:
  int threads() const { return num_threads_.load(std::memory_order_relaxed); }
  void set_threads(int n) { num_threads_.store(std::max(1, std::min(n, kMaxWorkers + 1))); }

  void run(std::ptrdiff_t num_tasks, const std::function<void(std::ptrdiff_t)>& fn) {
    if (num_tasks <= 0) return;
    const int want = static_cast<int>(std::min<std::ptrdiff_t>(threads(), num_tasks));
    bool expected = false;
    if (want <= 1 || !busy_.compare_exchange_strong(expected, true, std::memory_order_acquire)) {
      DenormalGuard guard;
      for (std::ptrdiff_t t = 0; t < num_tasks; ++t) fn(t);
      return;
    }
    ensure_workers(want - 1);
    fn_ = &fn;
    num_tasks_ = num_tasks;
    next_.store(0, std::memory_order_relaxed);
    pending_.store(want - 1, std::memory_order_relaxed);
    {
      // Under the mutex, so a worker between its predicate check and its sleep cannot miss it.
      std::lock_guard<std::mutex> lock(mutex_);
      seq_ += 1;
      region_.store((seq_ << 8) | static_cast<uint64_t>(want - 1), std::memory_order_release);
      if (sleepers_ > 0) wake_.notify_all();
    }
    work();
    if (!spin_until([this] { return pending_.load(std::memory_order_acquire) == 0; })) {
      std::unique_lock<std::mutex> lock(mutex_);
      done_.wait(lock, [this] { return pending_.load(std::memory_order_acquire) == 0; });
    }
    fn_ = nullptr;
    busy_.store(false, std::memory_order_release);
  }

 private:
  static constexpr int kMaxWorkers = 255;  // the active count is 8 bits of the region word

  void ensure_workers(int n) {
    while (static_cast<int>(workers_.size()) < n) {
      const int index = static_cast<int>(workers_.size());
      // The worker starts from the last published sequence, not from whatever it reads when
      // it gets scheduled (which may already be the region about to be published).
      uint64_t seen = 0;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        seen = seq_;
      }
      workers_.emplace_back([this, index, seen] { worker_loop(index, seen); });
      workers_.back().detach();  // the pool lives until the process ends
    }
  }

  void work() {
    DenormalGuard guard;
    const auto* fn = fn_;
    const std::ptrdiff_t n = num_tasks_;
    for (;;) {
      const std::ptrdiff_t t = next_.fetch_add(1, std::memory_order_relaxed);
      if (t >= n) break;
      (*fn)(t);
    }
  }

  void worker_loop(int index, uint64_t seen) {
    for (;;) {
      uint64_t word = 0;
      auto fresh = [&] {
        word = region_.load(std::memory_order_acquire);
        return (word >> 8) != seen;
      };
      if (!spin_until(fresh)) {
        std::unique_lock<std::mutex> lock(mutex_);
        ++sleepers_;
        wake_.wait(lock, fresh);
        --sleepers_;
      }
      seen = word >> 8;
      if (index >= static_cast<int>(word & 0xff)) continue;
      work();
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        // Taking the mutex orders this notify after the caller's predicate check.
        std::lock_guard<std::mutex> lock(mutex_);
        done_.notify_one();
      }
    }
  }

  std::atomic<int> num_threads_{std::min(available_parallelism(), kMaxWorkers + 1)};
  std::atomic<bool> busy_{false};
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  const std::function<void(std::ptrdiff_t)>* fn_ = nullptr;
  std::ptrdiff_t num_tasks_ = 0;
  std::atomic<std::ptrdiff_t> next_{0};
  std::atomic<int> pending_{0};
  std::atomic<uint64_t> region_{0};
  uint64_t seq_ = 0;   // guarded by mutex_ (and only written by the region owner)
  int sleepers_ = 0;   // guarded by mutex_
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: detached workers may still wait on it
  return *p;
}

}  // namespace

int get_num_threads() { return pool().threads(); }
void set_num_threads(int n) { pool().set_threads(n); }

void parallel_for(std::ptrdiff_t num_tasks, const std::function<void(std::ptrdiff_t)>& fn) {
  pool().run(num_tasks, fn);
}

}  // namespace nnslim
