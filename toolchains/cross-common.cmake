# Shared by the Arm toolchain files: Debian's cross compilers, a sysroot of
# the target's Debian 12 -dev packages (toolchains/make_sysroot.sh), and qemu
# so that ctest runs the cross-built tests under emulation.
# Expects EDGESEQ_TRIPLE, EDGESEQ_DEBIAN_ARCH and EDGESEQ_QEMU to be set.
set(CMAKE_SYSTEM_NAME Linux)

# The sysroot: -DEDGESEQ_SYSROOT=DIR, or $EDGESEQ_SYSROOT, or
# out/sysroot-ARCH in the source tree. The environment carries it into
# try_compile projects, which re-read this file.
if(NOT EDGESEQ_SYSROOT)
  if(DEFINED ENV{EDGESEQ_SYSROOT})
    set(EDGESEQ_SYSROOT "$ENV{EDGESEQ_SYSROOT}")
  else()
    get_filename_component(EDGESEQ_SYSROOT "${CMAKE_CURRENT_LIST_DIR}/../out/sysroot-${EDGESEQ_DEBIAN_ARCH}" ABSOLUTE)
  endif()
endif()
if(NOT EXISTS "${EDGESEQ_SYSROOT}/usr/include")
  message(FATAL_ERROR "No sysroot at ${EDGESEQ_SYSROOT}: run toolchains/make_sysroot.sh ${EDGESEQ_DEBIAN_ARCH}")
endif()
set(ENV{EDGESEQ_SYSROOT} "${EDGESEQ_SYSROOT}")
set(CMAKE_SYSROOT "${EDGESEQ_SYSROOT}")

set(CMAKE_C_COMPILER ${EDGESEQ_TRIPLE}-gcc-12)
set(CMAKE_CXX_COMPILER ${EDGESEQ_TRIPLE}-g++-12)
# The cross gcc finds crt files and libraries in Debian's multiarch layout
# under --sysroot by itself; the linker needs the rpath-link for indirect
# dependencies (libzip -> libbz2, ...).
set(_edgeseq_libdirs "${EDGESEQ_SYSROOT}/usr/lib/${EDGESEQ_TRIPLE}:${EDGESEQ_SYSROOT}/lib/${EDGESEQ_TRIPLE}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,-rpath-link,${_edgeseq_libdirs}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-Wl,-rpath-link,${_edgeseq_libdirs}")

set(CMAKE_FIND_ROOT_PATH "${EDGESEQ_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# pkg-config (libzip) must read the target's .pc files, not the host's.
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${EDGESEQ_SYSROOT}")
set(ENV{PKG_CONFIG_LIBDIR} "${EDGESEQ_SYSROOT}/usr/lib/${EDGESEQ_TRIPLE}/pkgconfig:${EDGESEQ_SYSROOT}/usr/share/pkgconfig")

# ctest (and gtest_discover_tests) run target programs through qemu-user with
# the sysroot's loader and libraries; QEMU_CPU picks the emulated CPU.
find_program(EDGESEQ_QEMU_PROGRAM ${EDGESEQ_QEMU})
if(EDGESEQ_QEMU_PROGRAM)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${EDGESEQ_QEMU_PROGRAM};-L;${EDGESEQ_SYSROOT}")
endif()
