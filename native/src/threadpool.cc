#include "nnslim/threadpool.h"

#include <algorithm>
#include <atomic>
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
class Pool {
 public:
  int threads() const { return num_threads_.load(std::memory_order_relaxed); }
  void set_threads(int n) { num_threads_.store(std::max(1, n)); }

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
    {
      std::lock_guard<Mutex> lock(mutex_);
      fn_ = &fn;
      num_tasks_ = num_tasks;
      next_.store(0);
      active_workers_ = want - 1;
      pending_ = want - 1;
      ++generation_;
    }
    wake_.notify_all();
    work();
    {
      std::lock_guard<Mutex> lock(mutex_);
      done_.wait(mutex_, [this] { return pending_ == 0; });
      fn_ = nullptr;
    }
    busy_.store(false, std::memory_order_release);
  }

 private:
  void ensure_workers(int n) {
    while (static_cast<int>(workers_.size()) < n) {
      const int index = static_cast<int>(workers_.size());
      workers_.emplace_back([this, index] { worker_loop(index); });
      workers_.back().detach();  // the pool lives until the process ends
    }
  }

  void work() {
    DenormalGuard guard;
    const auto* fn = fn_;
    for (;;) {
      const std::ptrdiff_t t = next_.fetch_add(1, std::memory_order_relaxed);
      if (t >= num_tasks_) break;
      (*fn)(t);
    }
  }

  void worker_loop(int index) {
    uint64_t seen = 0;
    for (;;) {
      {
        std::lock_guard<Mutex> lock(mutex_);
        wake_.wait(mutex_, [&] { return generation_ != seen; });
        seen = generation_;
        if (index >= active_workers_) continue;
      }
      work();
      std::lock_guard<Mutex> lock(mutex_);
      if (--pending_ == 0) done_.notify_one();
    }
  }

  std::atomic<int> num_threads_{available_parallelism()};
  std::atomic<bool> busy_{false};  // a parallel region is running
  Mutex mutex_;
  CondVar wake_, done_;
  std::vector<std::thread> workers_;
  const std::function<void(std::ptrdiff_t)>* fn_ = nullptr;
  std::ptrdiff_t num_tasks_ = 0;
  std::atomic<std::ptrdiff_t> next_{0};
  int active_workers_ = 0;
  int pending_ = 0;
  uint64_t generation_ = 0;
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
