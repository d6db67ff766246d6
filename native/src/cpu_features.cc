#include "nnslim/cpu.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#define NNSLIM_X86 1
#elif defined(__aarch64__) || defined(__arm__)
#if defined(__linux__)
#include <sys/auxv.h>
#endif
#define NNSLIM_ARM 1
#endif

namespace nnslim {
namespace {

#if NNSLIM_X86
uint64_t xgetbv0() {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

// Linux keeps AMX tile data off until a process asks for it (arch_prctl ARCH_REQ_XCOMP_PERM).
bool request_amx_permission() {
#if defined(__linux__)
  constexpr long kArchGetXcompPerm = 0x1022;
  constexpr long kArchReqXcompPerm = 0x1023;
  constexpr long kXfeatureXtiledata = 18;
  if (std::getenv("NNSLIM_NO_AMX") != nullptr) return false;
  if (syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) != 0) return false;
  unsigned long bitmask = 0;
  if (syscall(SYS_arch_prctl, kArchGetXcompPerm, &bitmask) != 0) return false;
  return (bitmask & (1ul << kXfeatureXtiledata)) != 0;
#else
  return false;
#endif
}
#endif

CpuFeatures detect() {
  CpuFeatures f;
#if NNSLIM_X86
  f.arch = "x64";
  unsigned a, b, c, d;
  unsigned max_leaf = __get_cpuid_max(0, nullptr);
  if (max_leaf < 1) return f;
  __cpuid_count(1, 0, a, b, c, d);
  const bool osxsave = (c >> 27) & 1;
  const bool avx = (c >> 28) & 1;
  f.fma = (c >> 12) & 1;
  f.f16c = (c >> 29) & 1;
  uint64_t xcr0 = osxsave ? xgetbv0() : 0;
  f.os_avx = avx && (xcr0 & 0x6) == 0x6;
  f.os_avx512 = f.os_avx && (xcr0 & 0xE0) == 0xE0;
  f.os_amx = (xcr0 & (3ull << 17)) == (3ull << 17);
  if (max_leaf >= 7) {
    __cpuid_count(7, 0, a, b, c, d);
    const unsigned max_sub = a;
    f.avx2 = f.os_avx && ((b >> 5) & 1);
    f.avx512f = f.os_avx512 && ((b >> 16) & 1);
    f.avx512dq = f.os_avx512 && ((b >> 17) & 1);
    f.avx512bw = f.os_avx512 && ((b >> 30) & 1);
    f.avx512vl = f.os_avx512 && ((b >> 31) & 1);
    f.avx512vnni = f.os_avx512 && ((c >> 11) & 1);
    f.amx_tile = f.os_amx && ((d >> 24) & 1);
    f.amx_int8 = f.os_amx && ((d >> 25) & 1);
    if (max_sub >= 1) {
      __cpuid_count(7, 1, a, b, c, d);
      f.avxvnni = f.os_avx && ((a >> 4) & 1);
    }
  }
  if (!f.os_avx) f.fma = f.f16c = false;
  if (f.amx_tile && f.amx_int8) f.amx_permitted = request_amx_permission();
#elif NNSLIM_ARM
#if defined(__aarch64__)
  f.arch = "arm64";
#if defined(__linux__)
  const unsigned long hw = getauxval(AT_HWCAP);
  const unsigned long hw2 = getauxval(AT_HWCAP2);
  f.neon = (hw >> 1) & 1;      // HWCAP_ASIMD
  f.dotprod = (hw >> 20) & 1;  // HWCAP_ASIMDDP
  f.i8mm = (hw2 >> 13) & 1;    // HWCAP2_I8MM
#else
  f.neon = true;
#endif
#else
  f.arch = "arm";
#if defined(__linux__)
  // The armv7 NEON kernels use VFMA (VFPv4): Cortex-A7/A15/A17 and later, not A8/A9.
  const unsigned long hw = getauxval(AT_HWCAP);
  f.neon = ((hw >> 12) & 1) && ((hw >> 16) & 1);  // HWCAP_NEON && HWCAP_VFPv4
#endif
#endif
#else
  f.arch = "other";
#endif
  return f;
}

struct IsaInfo {
  Isa isa;
  const char* name;
};
constexpr IsaInfo kIsaNames[] = {
    {Isa::kScalar, "scalar"},   {Isa::kAvx2, "avx2"},       {Isa::kAvxVnni, "avxvnni"},
    {Isa::kAvx512, "avx512"},   {Isa::kAvx512Vnni, "avx512vnni"}, {Isa::kAmx, "amx"},
    {Isa::kNeon, "neon"},       {Isa::kNeonDot, "dotprod"}, {Isa::kNeonI8mm, "i8mm"},
};

std::atomic<int> g_active{0};
std::string g_env_error;

bool supported_by(const CpuFeatures& f, Isa isa) {
  const bool avx2 = f.avx2 && f.fma && f.f16c;
  const bool avx512 = avx2 && f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq;
  switch (isa) {
    case Isa::kScalar: return true;
    case Isa::kAvx2: return avx2;
    case Isa::kAvxVnni: return avx2 && f.avxvnni;
    case Isa::kAvx512: return avx512;
    case Isa::kAvx512Vnni: return avx512 && f.avx512vnni;
    case Isa::kAmx: return avx512 && f.avx512vnni && f.amx_tile && f.amx_int8 && f.amx_permitted;
    case Isa::kNeon: return f.neon;
#if defined(__aarch64__)
    case Isa::kNeonDot: return f.neon && f.dotprod;
    case Isa::kNeonI8mm: return f.neon && f.dotprod && f.i8mm;
#endif
    default: return false;
  }
}

// Applies NNSLIM_ISA once. A function-local static (thread-safe through __cxa_guard) rather
// than std::call_once, which binds pthread_once@GLIBC_2.34 when built against glibc >= 2.34.
bool apply_env() {
  Isa best = best_isa();
  g_active.store(static_cast<int>(best));
  const char* env = std::getenv("NNSLIM_ISA");
  if (env == nullptr || *env == '\0') return true;
  Isa forced;
  if (!parse_isa(env, &forced)) {
    g_env_error = std::string("NNSLIM_ISA='") + env + "' is not a known ISA level";
  } else if (!supported_by(cpu_features(), forced)) {
    g_env_error = std::string("NNSLIM_ISA='") + env + "' is not supported by this CPU (best: " +
                  isa_name(best) + ")";
  } else {
    g_active.store(static_cast<int>(forced));
  }
  return true;
}

void init_active() {
  static const bool done = apply_env();
  (void)done;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

const char* isa_name(Isa isa) {
  for (const auto& e : kIsaNames)
    if (e.isa == isa) return e.name;
  return "unknown";
}

bool parse_isa(const char* name, Isa* out) {
  if (name == nullptr) return false;
  for (const auto& e : kIsaNames) {
    if (std::strcmp(e.name, name) == 0) {
      *out = e.isa;
      return true;
    }
  }
  return false;
}

bool isa_supported(Isa isa) { return supported_by(cpu_features(), isa); }

Isa best_isa() {
  Isa best = Isa::kScalar;
  for (int i = 0; i < static_cast<int>(Isa::kCount); ++i)
    if (supported_by(cpu_features(), static_cast<Isa>(i))) best = static_cast<Isa>(i);
  return best;
}

Isa active_isa() {
  init_active();
  return static_cast<Isa>(g_active.load(std::memory_order_relaxed));
}

bool force_isa(Isa isa) {
  init_active();
  if (!isa_supported(isa)) return false;
  g_active.store(static_cast<int>(isa));
  return true;
}

const char* isa_env_error() {
  init_active();
  return g_env_error.empty() ? nullptr : g_env_error.c_str();
}

bool isa_allows(Isa variant) {
  return static_cast<int>(variant) <= static_cast<int>(active_isa()) && isa_supported(variant);
}

}  // namespace nnslim
