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
  add_link_options(-fsanitize=${EDGESEQ_SANITIZE})
endif()

if(EDGESEQ_FUZZ)
  # Coverage instrumentation for everything the fuzz targets reach; the
  # targets themselves add -fsanitize=fuzzer (libFuzzer's main).
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# Highway targets compiled in. Edge x86 boxes are AVX2 at best (Atom/N-series,
# Ryzen embedded), so AVX-512 code would only cost build time and go untested
# here; SSSE3 is superseded by SSE4. EMU128 stays as the portable fallback.
# Applied to every target so kernels and their tests see the same target set.
set(EDGESEQ_HWY_DISABLED_TARGETS "(HWY_SSSE3|HWY_AVX3|HWY_AVX3_DL)" CACHE STRING
    "Highway targets not compiled (HWY_DISABLED_TARGETS)")
add_compile_definitions("HWY_DISABLED_TARGETS=${EDGESEQ_HWY_DISABLED_TARGETS}")
