# Cross-compiling for linux/arm64 on another Debian machine with g++-aarch64-linux-gnu.
# The compiler brings its own C and C++ libraries (/usr/aarch64-linux-gnu); the project's other
# dependencies (libseccomp, spdlog, fmt, nlohmann-json) come from Debian's arm64 -dev packages
# unpacked into XARCH_ARM64_SYSROOT. scripts/build-arm64.sh prepares that and uses this file:
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
#         -DXARCH_ARM64_SYSROOT=build-arm64/sysroot -DXARCH_TESTS=OFF
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

if(NOT XARCH_ARM64_SYSROOT)
  message(FATAL_ERROR "set XARCH_ARM64_SYSROOT to the directory holding the unpacked arm64 -dev packages")
endif()
# try_compile projects read this file again: hand them the sysroot too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES XARCH_ARM64_SYSROOT)

# Not CMAKE_SYSROOT: that would hide the compiler's own libc. Libraries, headers and package
# files are looked up in the unpacked packages and the compiler's tree only, never in the
# machine's /usr (which holds amd64 builds of the same libraries).
set(CMAKE_FIND_ROOT_PATH ${XARCH_ARM64_SYSROOT} /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# pkg-config strips /usr/include from a .pc file's flags; searched after the compiler's own
# directories, the unpacked headers cannot shadow its libc's.
set(CMAKE_CXX_FLAGS_INIT "-idirafter ${XARCH_ARM64_SYSROOT}/usr/include")
set(ENV{PKG_CONFIG_SYSROOT_DIR} ${XARCH_ARM64_SYSROOT})
set(ENV{PKG_CONFIG_LIBDIR}
    "${XARCH_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${XARCH_ARM64_SYSROOT}/usr/share/pkgconfig")
