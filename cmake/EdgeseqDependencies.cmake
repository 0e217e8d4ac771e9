# Dependencies: Debian 12 packages only (see scripts/setup.sh).
find_package(Threads REQUIRED)
find_package(OpenMP REQUIRED)
# oneDNN backs the larger matmuls on x86_64 only: Debian's arm64 oneDNN 2.6
# has no optimized GEMM (reference loops) and armhf has none, so Arm builds
# use the Highway backend for every shape. Debian's amd64 dnnl config looks
# for OpenCL (ocl-icd-opencl-dev).
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64)$")
  set(_edgeseq_onednn_default ON)
else()
  set(_edgeseq_onednn_default OFF)
endif()
option(EDGESEQ_WITH_ONEDNN "Use oneDNN for the larger matmuls" ${_edgeseq_onednn_default})
if(EDGESEQ_WITH_ONEDNN)
  find_package(dnnl 2.6 CONFIG REQUIRED)
endif()
find_package(hwy CONFIG REQUIRED)
find_package(mimalloc CONFIG REQUIRED)
if(EDGESEQ_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
endif()
if(EDGESEQ_BUILD_BENCHMARKS)
  find_package(benchmark CONFIG REQUIRED)
endif()
