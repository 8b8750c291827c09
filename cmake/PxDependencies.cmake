# SPDX-License-Identifier: MIT
# Third-party libraries, all found through pkg-config. px_deps is the one
# interface target that carries them to every Parallax target.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

pkg_check_modules(LIBURING REQUIRED IMPORTED_TARGET liburing>=2.3)
pkg_check_modules(HWLOC REQUIRED IMPORTED_TARGET hwloc)
pkg_check_modules(LIBNUMA IMPORTED_TARGET numa)
pkg_check_modules(LIBBPF IMPORTED_TARGET libbpf)
# ISA-L's crc32_iscsi: CRC32C at ~50 GB/s here against ~9 GB/s for the
# plain SSE4.2 loop (engine/crc32c.c has the figures); optional.
pkg_check_modules(LIBISAL IMPORTED_TARGET libisal)

add_library(px_deps INTERFACE)
target_link_libraries(px_deps INTERFACE PkgConfig::LIBURING PkgConfig::HWLOC
                      Threads::Threads m)
set(PX_PC_REQUIRES "liburing >= 2.3, hwloc")
if(LIBNUMA_FOUND)
  target_link_libraries(px_deps INTERFACE PkgConfig::LIBNUMA)
  target_compile_definitions(px_deps INTERFACE PX_HAVE_LIBNUMA=1)
  string(APPEND PX_PC_REQUIRES ", numa")
endif()
if(LIBISAL_FOUND)
  target_link_libraries(px_deps INTERFACE PkgConfig::LIBISAL)
  target_compile_definitions(px_deps INTERFACE PX_HAVE_ISAL=1)
  string(APPEND PX_PC_REQUIRES ", libisal")
endif()
if(LIBBPF_FOUND)
  target_compile_definitions(px_deps INTERFACE PX_HAVE_LIBBPF=1)
endif()

# USDT probes need only <sys/sdt.h> (systemtap-sdt-dev); without it the
# probe macros compile to nothing.
include(CheckIncludeFile)
check_include_file(sys/sdt.h PX_HAVE_SDT)
if(PX_HAVE_SDT)
  target_compile_definitions(px_deps INTERFACE PX_HAVE_SDT=1)
endif()

if(PX_BUILD_TESTS)
  pkg_check_modules(CHECK REQUIRED IMPORTED_TARGET check>=0.15)
endif()
