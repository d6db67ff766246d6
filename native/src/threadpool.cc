#include "nnslim/threadpool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include <pthread.h>

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

// pthread directly rather than std::condition_variable (whose wait() binds GLIBCXX_3.4.30
// with g++ >= 12) and std::mutex::try_lock (pthread_mutex_trylock@GLIBC_2.34 once glibc
// merged libpthread): the prebuilds must load on glibc 2.28 with an older libstdc++.
class Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;
  void lock() { pthread_mutex_lock(&m_); }
  void unlock() { pthread_mutex_unlock(&m_); }
  pthread_mutex_t* native() { return &m_; }

 private:
  pthread_mutex_t m_ = PTHREAD_MUTEX_INITIALIZER;
};

class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;
  // Waits until pred() holds; m is locked by the caller.
  template <typename Pred>
  void wait(Mutex& m, Pred pred) {
    while (!pred()) pthread_cond_wait(&c_, m.native());
  }
  void notify_one() { pthread_cond_signal(&c_); }
  void notify_all() { pthread_cond_broadcast(&c_); }

 private:
  pthread_cond_t c_ = PTHREAD_COND_INITIALIZER;
};

// A fixed set of workers that wake up for each parallel region. The caller participates
// and tasks are handed out by an atomic counter, so uneven tasks balance themselves.
//
// A region is one atomic word: sequence (32 bits) | closed (1 bit) | workers allowed to join
// (8 bits) | workers in the region (16 bits). A worker joins with a compare-and-swap that
// fails once the caller has closed the region, and leaves by decrementing. The caller works
// on the tasks itself, closes the region when none are left to hand out, and waits only for
// the workers that joined (they hold tasks): a worker that is asleep or off the CPU (a busy
// machine) when the region opens never delays it. While a worker is in the region, fn_ and
// num_tasks_ stay valid. A region that finds the pool busy (another thread's region, or a
// nested call) runs on the calling thread alone.
class Pool {
 public:
  int threads() const { return num_threads_.load(std::memory_order_relaxed); }
  void set_threads(int n) { num_threads_.store(std::max(1, std::min(n, kMaxWorkers + 1))); }

  void run(std::ptrdiff_t num_tasks, const std::function<void(std::ptrdiff_t)>& fn) {
    if (num_tasks <= 0) return;
    const int want = static_cast<int>(std::min<std::ptrdiff_t>(threads(), num_tasks));
    bool idle = false;
    if (want <= 1 || !busy_.compare_exchange_strong(idle, true, std::memory_order_acquire)) {
      DenormalGuard guard;
      for (std::ptrdiff_t t = 0; t < num_tasks; ++t) fn(t);
      return;
    }
    ensure_workers(want - 1);
    fn_ = &fn;
    num_tasks_ = num_tasks;
    next_.store(0, std::memory_order_relaxed);
    {
      // Under the mutex, so a worker between its check and its sleep cannot miss the region.
      std::lock_guard<Mutex> lock(mutex_);
      seq_ = (seq_ + 1) & 0xffffffffu;
      state_.store((seq_ << kSeqShift) | (static_cast<uint64_t>(want - 1) << kAllowedShift),
                   std::memory_order_release);
      if (sleepers_ > 0) wake_.notify_all();
    }
    work();
    const uint64_t closed = state_.fetch_or(kClosed, std::memory_order_acq_rel) | kClosed;
    if ((closed & kCountMask) != 0) {
      auto drained = [this] { return (state_.load(std::memory_order_acquire) & kCountMask) == 0; };
      if (!spin_until(drained)) {
        std::lock_guard<Mutex> lock(mutex_);
        done_.wait(mutex_, drained);
      }
    }
    fn_ = nullptr;
    busy_.store(false, std::memory_order_release);
  }

 private:
  static constexpr int kMaxWorkers = 255;
  static constexpr int kSeqShift = 32;
  static constexpr int kAllowedShift = 16;
  static constexpr uint64_t kClosed = 1ull << 31;
  static constexpr uint64_t kCountMask = 0xffffu;

  static uint64_t seq_of(uint64_t word) { return word >> kSeqShift; }

  void ensure_workers(int n) {
    while (static_cast<int>(workers_.size()) < n) {
      const int index = static_cast<int>(workers_.size());
      // The worker starts from the last published sequence, not from whatever it reads when
      // it gets scheduled (which may already be the region about to be published).
      uint64_t seen = 0;
      {
        std::lock_guard<Mutex> lock(mutex_);
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
        word = state_.load(std::memory_order_acquire);
        return seq_of(word) != seen;
      };
      if (!spin_until(fresh)) {
        std::lock_guard<Mutex> lock(mutex_);
        ++sleepers_;
        wake_.wait(mutex_, fresh);
        --sleepers_;
      }
      seen = seq_of(word);
      if (static_cast<uint64_t>(index) >= ((word >> kAllowedShift) & 0xffu)) continue;
      bool joined = false;
      while ((word & kClosed) == 0 && seq_of(word) == seen) {
        if (state_.compare_exchange_weak(word, word + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
          joined = true;
          break;
        }
      }
      if (!joined) continue;
      work();
      const uint64_t after = state_.fetch_sub(1, std::memory_order_acq_rel) - 1;
      if ((after & kClosed) != 0 && (after & kCountMask) == 0) {
        // Taking the mutex orders this notify after the caller's check under it.
        std::lock_guard<Mutex> lock(mutex_);
        done_.notify_one();
      }
    }
  }

  std::atomic<int> num_threads_{std::min(available_parallelism(), kMaxWorkers + 1)};
  std::atomic<bool> busy_{false};  // a parallel region is running
  Mutex mutex_;
  CondVar wake_, done_;
  std::vector<std::thread> workers_;
  const std::function<void(std::ptrdiff_t)>* fn_ = nullptr;
  std::ptrdiff_t num_tasks_ = 0;
  std::atomic<std::ptrdiff_t> next_{0};
  std::atomic<uint64_t> state_{0};
  uint64_t seq_ = 0;   // guarded by mutex_ (written only by the region's owner)
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
