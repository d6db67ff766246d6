#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "nnslim/cpu.h"
#include "testing.h"

namespace nnslim_test {

std::vector<TestCase>& registry() {
  static std::vector<TestCase> r;
  return r;
}

static int g_failures = 0;
static const char* g_current = "";

void report_failure(const char* file, int line, const std::string& what) {
  if (g_failures < 20) std::fprintf(stderr, "  FAIL %s (%s:%d): %s\n", g_current, file, line, what.c_str());
  ++g_failures;
}
int failures_in_current_test() { return g_failures; }

void* guarded_alloc(size_t bytes, void** base, size_t* mapped) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t data_pages = (bytes + page - 1) / page;
  *mapped = (data_pages + 2) * page;
  char* p = static_cast<char*>(
      mmap(nullptr, *mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (p == MAP_FAILED) std::abort();
  mprotect(p, page, PROT_NONE);
  char* guard = p + page + data_pages * page;
  mprotect(guard, page, PROT_NONE);
  *base = p;
  return guard;  // caller places its data so that it ends here
}

void guarded_free(void* base, size_t mapped) { munmap(base, mapped); }

// NNSLIM_TEST_MIN_ISA=<level> skips the levels below it: under emulation a level's kernels
// behave the same on every CPU model that has it, so each model can run only its new levels.
static int min_test_isa() {
  static const int min = [] {
    nnslim::Isa isa;
    const char* env = std::getenv("NNSLIM_TEST_MIN_ISA");
    return env != nullptr && *env != '\0' && nnslim::parse_isa(env, &isa) ? static_cast<int>(isa) : 0;
  }();
  return min;
}

void for_each_isa(const std::function<void(nnslim::Isa)>& fn) {
  const nnslim::Isa start = nnslim::active_isa();
  for (int i = 0; i < static_cast<int>(nnslim::Isa::kCount); ++i) {
    const auto isa = static_cast<nnslim::Isa>(i);
    if (static_cast<int>(isa) > static_cast<int>(start) || !nnslim::isa_supported(isa)) continue;
    if (i < min_test_isa() && isa != start) continue;
    nnslim::force_isa(isa);
    fn(isa);
  }
  nnslim::force_isa(start);
}

}  // namespace nnslim_test

// Arguments: substrings of test names. A test runs when it matches an argument without a
// leading '-' (or there is none) and matches no argument with one ('-name' excludes).
// NNSLIM_TEST_FILTER adds more, comma-separated (e.g. per emulated CPU model from the runner).
static bool selected(const char* name, const std::vector<std::string>& filters) {
  bool any_include = false, included = false;
  for (const std::string& f : filters) {
    if (f.empty()) continue;
    if (f[0] == '-') {
      if (std::strstr(name, f.c_str() + 1) != nullptr) return false;
    } else {
      any_include = true;
      included = included || std::strstr(name, f.c_str()) != nullptr;
    }
  }
  return !any_include || included;
}

int main(int argc, char** argv) {
  std::printf("nnslim kernel tests: best ISA %s, active %s\n",
              nnslim::isa_name(nnslim::best_isa()), nnslim::isa_name(nnslim::active_isa()));
  if (const char* err = nnslim::isa_env_error()) {
    std::fprintf(stderr, "%s\n", err);
    nnslim::Isa isa;
    const bool known = nnslim::parse_isa(std::getenv("NNSLIM_ISA"), &isa);
    return known ? 77 : 2;  // 77: ctest's skip code, for a level this host lacks
  }
  // NNSLIM_TEST_SHARD=i/n runs every n-th selected test starting at the i-th (0-based): ctest
  // runs the shards side by side (CMake option NNSLIM_TEST_SHARDS), which matters under qemu.
  unsigned shard = 0, shards = 1;
  if (const char* s = std::getenv("NNSLIM_TEST_SHARD"); s != nullptr && *s != '\0') {
    if (std::sscanf(s, "%u/%u", &shard, &shards) != 2 || shards == 0 || shard >= shards) {
      std::fprintf(stderr, "NNSLIM_TEST_SHARD=%s: expected i/n with 0 <= i < n\n", s);
      return 2;
    }
    std::printf("shard %u of %u\n", shard, shards);
  }
  std::vector<std::string> filters(argv + 1, argv + argc);
  if (const char* env = std::getenv("NNSLIM_TEST_FILTER"); env != nullptr) {
    for (const char* p = env;; ++p) {
      const char* end = std::strchr(p, ',');
      filters.emplace_back(p, end ? static_cast<size_t>(end - p) : std::strlen(p));
      if (!end) break;
      p = end;
    }
  }
  int passed = 0, failed = 0;
  unsigned index = 0;
  for (const auto& t : nnslim_test::registry()) {
    if (!selected(t.name, filters)) continue;
    if (index++ % shards != shard) continue;
    const int before = nnslim_test::g_failures;
    nnslim_test::g_current = t.name;
    const auto t0 = std::chrono::steady_clock::now();
    t.fn();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (nnslim_test::g_failures == before) {
      ++passed;
      std::printf("ok   %s (%.2f s)\n", t.name, s);
    } else {
      ++failed;
      std::printf("FAIL %s (%.2f s)\n", t.name, s);
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
