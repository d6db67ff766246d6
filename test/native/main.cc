#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

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
static bool selected(const char* name, int argc, char** argv) {
  bool any_include = false, included = false;
  for (int i = 1; i < argc; ++i) {
    if (argv[i][0] == '-') {
      if (std::strstr(name, argv[i] + 1) != nullptr) return false;
    } else {
      any_include = true;
      included = included || std::strstr(name, argv[i]) != nullptr;
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
  int passed = 0, failed = 0;
  for (const auto& t : nnslim_test::registry()) {
    if (!selected(t.name, argc, argv)) continue;
    const int before = nnslim_test::g_failures;
    nnslim_test::g_current = t.name;
    t.fn();
    if (nnslim_test::g_failures == before) {
      ++passed;
      std::printf("ok   %s\n", t.name);
    } else {
      ++failed;
      std::printf("FAIL %s\n", t.name);
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
