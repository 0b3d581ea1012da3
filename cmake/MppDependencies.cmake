# Every dependency comes from a Debian package; a missing one names the package to install.
macro(mpp_require package debian_package)
  find_package(${package} ${ARGN} QUIET)
  if(NOT ${package}_FOUND)
    message(FATAL_ERROR "mpp needs ${package}: install the Debian package '${debian_package}' "
      "(scripts/install-deps does it)")
  endif()
endmacro()

find_package(Threads REQUIRED)
mpp_require(cereal libcereal-dev)
# zlib: gzip-compressed CSV in read_csv and write_csv (src/frame/csv_gzip.cpp).
mpp_require(ZLIB zlib1g-dev)

# libcsv tokenises CSV for mpp::read_csv (src/frame/). Debian's libcsv-dev ships no CMake package, so
# it is found by hand as the imported target mpp::csv; the package config (mppConfig.cmake.in)
# defines that target again for consumers of the static libmpp.
find_path(MPP_CSV_INCLUDE_DIR csv.h DOC "libcsv's header (Debian: libcsv-dev)")
find_library(MPP_CSV_LIBRARY NAMES csv DOC "libcsv (Debian: libcsv-dev)")
if(NOT MPP_CSV_INCLUDE_DIR OR NOT MPP_CSV_LIBRARY)
  message(FATAL_ERROR "mpp needs libcsv (mpp::read_csv parses CSV with it): install the Debian package "
    "'libcsv-dev' (scripts/install-deps does it)")
endif()
if(NOT TARGET mpp::csv)
  add_library(mpp::csv UNKNOWN IMPORTED)
  set_target_properties(mpp::csv PROPERTIES IMPORTED_LOCATION "${MPP_CSV_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${MPP_CSV_INCLUDE_DIR}")
endif()

# Open MPI for mpp::MpiPool (src/mpi/, the target mpp::mpi): optional, and looked for only with
# MPP_WITH_MPI (on at top level, off in a parent's build unless it asks). Only MPI's C interface is
# used, through the CXX component (the project enables no C compiler), without the deprecated C++
# bindings.
set(MPP_HAVE_MPI OFF)
if(MPP_WITH_MPI)
  set(MPI_CXX_SKIP_MPICXX ON CACHE BOOL "mpp uses MPI's C interface only")
  find_package(MPI COMPONENTS CXX QUIET)
  if(MPI_CXX_FOUND)
    set(MPP_HAVE_MPI ON)
    message(STATUS "mpp: MPI found (MPI ${MPI_CXX_VERSION}): building mpp::mpi")
  else()
    message(STATUS "mpp: MPI not found: mpp::mpi (mpp::MpiPool) is not built; install the Debian packages "
      "'libopenmpi-dev' and 'openmpi-bin' (scripts/install-deps does it)")
  endif()
else()
  message(STATUS "mpp: MPP_WITH_MPI is OFF: MPI not looked for, mpp::mpi (mpp::MpiPool) not built")
endif()
