# What `cmake --install` (and CPack) puts in place: headers, libmpp.a (and libmpp_mpi.a with MPI),
# mpp-run, the CMake package for find_package(mpp CONFIG), and pkg-config files. Included only with
# MPP_INSTALL (on at top level, off in a parent's build), so every install() rule is guarded by it.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(DIRECTORY include/mpp TYPE INCLUDE)
install(TARGETS mpp EXPORT mppTargets)
# mpp-run is no member of the export: it is a program, not something to link.
install(TARGETS mpp-run)
if(MPP_HAVE_MPI)
  install(TARGETS mpp_mpi EXPORT mppTargets)
endif()
install(EXPORT mppTargets NAMESPACE mpp:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mpp)
configure_package_config_file(cmake/mppConfig.cmake.in ${PROJECT_BINARY_DIR}/mppConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mpp)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/mppConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/mppConfig.cmake ${PROJECT_BINARY_DIR}/mppConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mpp)

# pkg-config: mpp.pc (and mpp-mpi.pc with MPI), relocatable: the prefix is found from the .pc file's
# own place (${pcfiledir}), so the same files serve /usr (the .deb), /opt/mpp or an unpacked tree.
# libmpp is only ever a static archive, so what it links (libcsv, the threads library) is always
# needed where it is linked: it is in Libs, not Libs.private, as in Debian's own static-only gtest.pc.
file(RELATIVE_PATH mpp_pc_prefix "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" mpp_pc_prefix "${mpp_pc_prefix}")
# Flags for dependencies outside the compiler's own directories (Debian's are inside: none then).
set(mpp_pc_cflags "")
get_target_property(mpp_cereal_includes cereal::cereal INTERFACE_INCLUDE_DIRECTORIES)
foreach(dir IN LISTS mpp_cereal_includes)
  if(dir AND NOT dir IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
    string(APPEND mpp_pc_cflags " -I${dir}")
  endif()
endforeach()
get_filename_component(mpp_csv_dir "${MPP_CSV_LIBRARY}" DIRECTORY)
set(mpp_pc_private_libs "-lcsv -lz")
if(NOT mpp_csv_dir IN_LIST CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES)
  set(mpp_pc_private_libs "-L${mpp_csv_dir} -lcsv -lz")
endif()
set(mpp_pc_dl_libs "")
foreach(lib IN LISTS CMAKE_DL_LIBS)
  string(APPEND mpp_pc_dl_libs " -l${lib}")
endforeach()
configure_file(cmake/mpp.pc.in ${PROJECT_BINARY_DIR}/pkgconfig/mpp.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/mpp.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(MPP_HAVE_MPI)
  configure_file(cmake/mpp-mpi.pc.in ${PROJECT_BINARY_DIR}/pkgconfig/mpp-mpi.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/mpp-mpi.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endif()

if(NOT PROJECT_IS_TOP_LEVEL)
  return()  # CPack is the top-level project's to configure
endif()

# A Debian package of everything above, from this build tree: `cpack -G DEB` in the build directory
# (or `cmake --build <dir> --target package`). It is named mpp, installs under /usr, and depends on
# the -dev packages that a program linking the static libmpp needs (its headers include cereal's;
# it links libcsv; mpp-mpi links Open MPI). dpkg-shlibdeps (dpkg-dev) adds mpp-run's shared
# libraries. MPP_PACKAGE_MAINTAINER names who builds the package.
set(MPP_PACKAGE_MAINTAINER "mpp maintainers <mpp@invalid>" CACHE STRING
  "The Maintainer field of the Debian package that CPack builds")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME mpp)
set(CPACK_PACKAGE_VENDOR mpp)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION "mpp gives C++20 the programming model of Python's multiprocessing:
thread and process pools (apply, map, starmap, imap and their async forms),
Process and Queue, data frames with CSV, an MPI pool, and the mpp-run tool
that runs commands in parallel. This package holds the static library,
its headers, CMake and pkg-config files, and mpp-run.")
set(CPACK_PACKAGE_CONTACT "${MPP_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libcereal-dev, libcsv-dev, zlib1g-dev")
if(MPP_HAVE_MPI)
  string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", libopenmpi-dev")
endif()
# Only the files installed above (no build tree, no other project's install rules).
set(CPACK_INSTALL_CMAKE_PROJECTS "${PROJECT_BINARY_DIR};${PROJECT_NAME};ALL;/")
include(CPack)
