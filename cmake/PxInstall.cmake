# SPDX-License-Identifier: MIT
# Install rules: libraries, flat public headers under include/parallax/,
# man pages, parallax.pc and a CMake package so consumers can
# find_package(Parallax).
include(CMakePackageConfigHelpers)

install(TARGETS parallax parallax_static px_deps EXPORT ParallaxTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PX_PUBLIC_HEADERS}
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/parallax)
# The system plugin folder (px_plugin.h): lib/parallax-<major>/.
install(DIRECTORY DESTINATION
        ${CMAKE_INSTALL_LIBDIR}/parallax-${PROJECT_VERSION_MAJOR})
# Man pages of the programs (px-bench's too: it runs from the build tree).
file(GLOB PX_MAN_PAGES ${PROJECT_SOURCE_DIR}/docs/man/*.1)
install(FILES ${PX_MAN_PAGES} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(EXPORT ParallaxTargets NAMESPACE Parallax::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Parallax)

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/ParallaxConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/ParallaxConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Parallax)
write_basic_package_version_file(
  ${CMAKE_CURRENT_BINARY_DIR}/ParallaxConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/ParallaxConfig.cmake
        ${CMAKE_CURRENT_BINARY_DIR}/ParallaxConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Parallax)

# The .pc file finds its prefix from its own location, so the tree can be
# installed with any --prefix (and moved) after configuration.
file(RELATIVE_PATH PX_PC_PREFIX_REL /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
configure_file(${CMAKE_CURRENT_LIST_DIR}/parallax.pc.in
               ${CMAKE_CURRENT_BINARY_DIR}/parallax.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/parallax.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
