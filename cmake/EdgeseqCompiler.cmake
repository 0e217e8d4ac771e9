# Compiler settings shared by every target.

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_C_COMPILER_LAUNCHER "${CCACHE_PROGRAM}")
  set(CMAKE_CXX_COMPILER_LAUNCHER "${CCACHE_PROGRAM}")
endif()

add_library(edgeseq_warnings INTERFACE)
target_compile_options(edgeseq_warnings INTERFACE
  -Wall -Wextra -Wno-unused-parameter -Werror=return-type -Werror=vla
  # GCC 12 reports false -Wrestrict overlaps inside std::string (GCC bug 105651).
  $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)

if(EDGESEQ_SANITIZE)
  # -fno-sanitize-recover turns every UBSan finding into a test failure.
  add_compile_options(-fsanitize=${EDGESEQ_SANITIZE} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  # -O1 -g1 in place of the build type's -O2 -g (a Debug build keeps -O0 -g):
  # the level the sanitizers' documentation suggests, and under them half the
  # compile time (a cold CI compiles three sanitizer trees); line tables are
  # all a report's stack trace needs.
  add_compile_options($<$<NOT:$<CONFIG:Debug>>:-O1> $<$<NOT:$<CONFIG:Debug>>:-g1>)
  add_link_options(-fsanitize=${EDGESEQ_SANITIZE})
endif()

if(EDGESEQ_FUZZ)
  # Coverage instrumentation for everything the fuzz targets reach; the
  # targets themselves add -fsanitize=fuzzer (libFuzzer's main).
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# Highway targets compiled in, per architecture; applied to every target so
# kernels and their tests see the same set.
# - x86: AVX2 (Atom/N-series, older Ryzen embedded), AVX3 = AVX-512 (AMD
#   Zen4/Zen5 embedded and client parts; the per-target tests run it where
#   the CPU has it and skip it elsewhere), SSE4 and the portable fallback.
#   SSSE3 is superseded by SSE4; AVX3_DL (Ice Lake-class extensions) is left
#   out until a kernel uses what it adds.
# - aarch64: NEON (every 64-bit Pi) plus SVE and SVE2 (dynamic dispatch picks
#   them where present; tested under qemu -cpu max). The fixed-width
#   SVE_256/SVE2_128 specialisations are left out to keep builds short.
# - armv7 (armhf): NEON only, static; Highway 1.0 needs -mfpu=neon-vfpv4
#   -mfp16-format=ieee or it falls back to scalar code.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|i.86)$")
  set(_edgeseq_hwy_disabled "(HWY_SSSE3|HWY_AVX3_DL)")
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(_edgeseq_hwy_disabled "(HWY_SVE_256|HWY_SVE2_128)")
else()
  set(_edgeseq_hwy_disabled "0")
endif()
# 32-bit targets: 64-bit file offsets and inode numbers (LFS). Without them,
# stat/readdir fail with EOVERFLOW on file systems with large inode numbers
# and files over 2 GiB cannot be mapped.
if(CMAKE_SIZEOF_VOID_P EQUAL 4)
  add_compile_definitions(_FILE_OFFSET_BITS=64)
endif()
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^arm" AND NOT CMAKE_SYSTEM_PROCESSOR MATCHES "^arm64")
  # -Wno-psabi: GCC notes that armhf passes some types differently since GCC 7.1.
  add_compile_options(-mfpu=neon-vfpv4 -mfp16-format=ieee -Wno-psabi)
endif()
set(EDGESEQ_HWY_DISABLED_TARGETS "${_edgeseq_hwy_disabled}" CACHE STRING
    "Highway targets not compiled (HWY_DISABLED_TARGETS)")
add_compile_definitions("HWY_DISABLED_TARGETS=${EDGESEQ_HWY_DISABLED_TARGETS}")
