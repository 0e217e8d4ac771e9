# 32-bit Arm (Raspberry Pi OS 32-bit, armv7 + NEON). No oneDNN exists for
# it in Debian: the Highway matmul backend serves every shape.
#   cmake -B build-armhf -G Ninja -DCMAKE_TOOLCHAIN_FILE=toolchains/arm-linux-gnueabihf.cmake
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(EDGESEQ_TRIPLE arm-linux-gnueabihf)
set(EDGESEQ_DEBIAN_ARCH armhf)
set(EDGESEQ_QEMU qemu-arm)
include(${CMAKE_CURRENT_LIST_DIR}/cross-common.cmake)
