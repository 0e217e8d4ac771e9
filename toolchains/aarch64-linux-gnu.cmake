# 64-bit Arm (Raspberry Pi 3/4/5 on a 64-bit OS, Graviton, phones): NEON,
# plus SVE/SVE2 where the CPU has them (Highway picks at run time).
#   cmake -B build-arm64 -G Ninja -DCMAKE_TOOLCHAIN_FILE=toolchains/aarch64-linux-gnu.cmake
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(EDGESEQ_TRIPLE aarch64-linux-gnu)
set(EDGESEQ_DEBIAN_ARCH arm64)
set(EDGESEQ_QEMU qemu-aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/cross-common.cmake)
