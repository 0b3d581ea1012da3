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
