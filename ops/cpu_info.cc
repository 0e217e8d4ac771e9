#include "ops/cpu_info.h"

#include "hwy/highway.h"
#include "hwy/targets.h"
#include "ops/matmul.h"

#if defined(__aarch64__) || defined(__arm__)
#include <sys/auxv.h>
#endif

namespace edgeseq::ops {
namespace {

std::vector<std::string> Features() {
  std::vector<std::string> f;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
#define EDGESEQ_X86_FEATURE(name) \
  if (__builtin_cpu_supports(name)) f.push_back(name);
  EDGESEQ_X86_FEATURE("sse4.2")
  EDGESEQ_X86_FEATURE("avx")
  EDGESEQ_X86_FEATURE("avx2")
  EDGESEQ_X86_FEATURE("fma")
#ifndef __clang__  // clang 14 (the fuzz build) does not know these two names
  EDGESEQ_X86_FEATURE("f16c")
#endif
  EDGESEQ_X86_FEATURE("avx512f")
  EDGESEQ_X86_FEATURE("avx512bw")
  EDGESEQ_X86_FEATURE("avx512vnni")
#ifndef __clang__
  EDGESEQ_X86_FEATURE("avxvnni")
#endif
#undef EDGESEQ_X86_FEATURE
#elif defined(__aarch64__)
  const unsigned long hw = getauxval(AT_HWCAP);
  const unsigned long hw2 = getauxval(AT_HWCAP2);
  if (hw & (1UL << 1)) f.push_back("asimd");
  if (hw & (1UL << 20)) f.push_back("asimddp");
  if (hw & (1UL << 22)) f.push_back("sve");
  if (hw2 & (1UL << 1)) f.push_back("sve2");
  if (hw2 & (1UL << 13)) f.push_back("i8mm");
#elif defined(__arm__)
  const unsigned long hw = getauxval(AT_HWCAP);
  if (hw & (1UL << 12)) f.push_back("neon");
  if (hw & (1UL << 16)) f.push_back("vfpv4");
#endif
  return f;
}

}  // namespace

CpuInfo GetCpuInfo() {
  CpuInfo info;
#if defined(__x86_64__)
  info.arch = "x86_64";
#elif defined(__aarch64__)
  info.arch = "aarch64";
#elif defined(__arm__)
  info.arch = "arm";
#else
  info.arch = "other";
#endif
  info.features = Features();
  const int64_t supported = hwy::SupportedTargets();
  int64_t best = 0;
  for (int64_t bits = HWY_TARGETS; bits != 0; bits &= bits - 1) {
    const int64_t t = bits & -bits;  // lower bit = better target
    info.hwy_compiled.push_back(hwy::TargetName(t));
    if (supported & t) {
      info.hwy_supported.push_back(hwy::TargetName(t));
      if (best == 0) best = t;
    }
  }
  if (best == 0 && (HWY_TARGETS & (HWY_TARGETS - 1)) == 0) {
    // One target compiled in (armhf: NEON), dispatched statically: Highway 1.0
    // cannot detect it at run time there, but the build requires it.
    info.hwy_supported.push_back(hwy::TargetName(HWY_STATIC_TARGET));
    best = HWY_STATIC_TARGET;
  }
  info.hwy_chosen = best ? hwy::TargetName(best) : "none";
  info.matmul_backend = MatmulBackendName();
  info.int8_activation_max = Int8ActivationMax();
  return info;
}

}  // namespace edgeseq::ops
