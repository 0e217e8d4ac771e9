// Which x86 dot-product path of ops/gemm_u8s8 this CPU can run (compiled for
// the baseline ISA: it runs everywhere).
#include "ops/gemm_u8s8_dot.h"

#if defined(__x86_64__)
#include <cpuid.h>

namespace edgeseq::ops {

bool X86HasAvx512Vnni() {
  // __builtin_cpu_supports also checks that the OS saves the AVX-512 state.
  static const bool have = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
  return have;
}

bool X86HasAvxVnni() {
  static const bool have = [] {
    if (!__builtin_cpu_supports("avx2")) return false;  // also: the OS saves the ymm state
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    // CPUID leaf 7, sub-leaf 1, EAX bit 4: AVX-VNNI (Intel SDM vol. 2, CPUID).
    // (Named here rather than through __builtin_cpu_supports("avxvnni"),
    // which clang 14 does not know.)
    if (!__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) return false;
    return (eax & (1u << 4)) != 0;
  }();
  return have;
}

}  // namespace edgeseq::ops
#endif
