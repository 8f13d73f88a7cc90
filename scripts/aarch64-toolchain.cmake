# Cross-compiling the native runtime for aarch64 Linux with Debian's gcc-aarch64-linux-gnu
# (scripts/cross-build.js passes this file to cmake-js; docs/runtime.md "aarch64").
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# Headers and libraries come only from the cross sysroot (libc6-dev-arm64-cross,
# linux-libc-dev-arm64-cross); host programs (cmake's own helpers) stay host programs.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
