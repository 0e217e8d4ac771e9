# Dependencies: Debian 12 packages only (see scripts/setup.sh).
find_package(Threads REQUIRED)
find_package(OpenMP REQUIRED)
# Debian's amd64 dnnl config looks for OpenCL (ocl-icd-opencl-dev).
find_package(dnnl 2.6 CONFIG REQUIRED)
find_package(hwy CONFIG REQUIRED)
find_package(mimalloc CONFIG REQUIRED)
if(EDGESEQ_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
endif()
if(EDGESEQ_BUILD_BENCHMARKS)
  find_package(benchmark CONFIG REQUIRED)
endif()
