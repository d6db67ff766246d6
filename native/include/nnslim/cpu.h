// CPU feature detection and ISA level selection.
//
// The detected features are read once (CPUID + XGETBV on x86-64, getauxval hwcaps on
// aarch64/armv7). The active level starts at the best supported level, lowered by the
// NNSLIM_ISA environment variable at first use, and can be lowered again with force_isa().
#pragma once

#include <cstdint>

namespace nnslim {

// Ordered within each architecture: a kernel built for level L may run when the active
// level is >= L and the CPU supports L.
enum class Isa : int {
  kScalar = 0,
  kAvx2,        // AVX2 + FMA + F16C
  kAvxVnni,     // AVX2 + AVX-VNNI (256-bit vpdpbusd, VEX encoded)
  kAvx512,      // AVX-512 F/BW/VL/DQ
  kAvx512Vnni,  // AVX-512 + VNNI
  kAmx,         // AVX-512 VNNI + AMX-TILE/AMX-INT8, OS permission granted
  kNeon,        // Advanced SIMD (aarch64, or armv7 with NEON + VFPv4)
  kNeonDot,     // + SDOT/UDOT (armv8.2 dotprod)
  kNeonI8mm,    // + SMMLA/UMMLA/USMMLA (armv8.6 i8mm)
  kCount
};

struct CpuFeatures {
  const char* arch;  // "x64", "arm64", "arm", "other"
  bool avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false;
  bool avx512vnni = false, avxvnni = false;
  bool amx_tile = false, amx_int8 = false, amx_permitted = false;
  bool os_avx = false, os_avx512 = false, os_amx = false;
  bool neon = false, dotprod = false, i8mm = false;
};

const CpuFeatures& cpu_features();
const char* isa_name(Isa isa);
// Parses a lower-case name ("scalar", "avx2", "avxvnni", "avx512", "avx512vnni", "amx",
// "neon", "dotprod", "i8mm"). Returns false for an unknown name.
bool parse_isa(const char* name, Isa* out);
bool isa_supported(Isa isa);
Isa best_isa();
// Active level. The first call applies NNSLIM_ISA (an invalid value leaves the best level
// and is reported by isa_env_error()).
Isa active_isa();
// Returns false (and changes nothing) when `isa` is not supported on this CPU.
bool force_isa(Isa isa);
// Non-null when NNSLIM_ISA held an unknown or unsupported value.
const char* isa_env_error();
// True if `variant` may run at the active level.
bool isa_allows(Isa variant);

}  // namespace nnslim
