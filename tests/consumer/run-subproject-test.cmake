# Builds tests/consumer/subproject, a parent project that uses mpp through add_subdirectory, and
# checks what mpp promises a parent (README, "Using it from CMake"). Run by CTest as
# ConsumerSubproject:
#   cmake -DMPP_SOURCE_DIR=<mpp's source tree> -DSCRATCH_DIR=<scratch dir, wiped> \
#         -DCXX_COMPILER=<compiler> [-DGENERATOR=<generator>] [-DMAKE_PROGRAM=<ninja>] \
#         [-DBUILD_TYPE=<config>] -P run-subproject-test.cmake
# 1. the parent's default build builds its program, which links mpp::mpp and runs;
#    mpp-run, mpp's tests and examples are not built;
# 2. `cmake --install` of the parent installs its own program and nothing of mpp;
# 3. MPI was not looked for (no MPI_* or MPIEXEC_* variable in the parent's cache).
cmake_minimum_required(VERSION 3.25)

foreach(var MPP_SOURCE_DIR SCRATCH_DIR CXX_COMPILER)
  if(NOT ${var})
    message(FATAL_ERROR "run-subproject-test.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT GENERATOR)
  set(GENERATOR Ninja)
endif()

set(build ${SCRATCH_DIR}/build)
set(prefix ${SCRATCH_DIR}/prefix)
file(REMOVE_RECURSE ${SCRATCH_DIR})
file(MAKE_DIRECTORY ${SCRATCH_DIR})

function(step what)
  message(STATUS "subproject test: ${what}")
  execute_process(COMMAND ${ARGN} COMMAND_ECHO STDOUT COMMAND_ERROR_IS_FATAL ANY)
endfunction()
# A broken promise is reported, and the other checks still run; the test fails at the end.
set(failures 0)
macro(broken text)
  message(SEND_ERROR "subproject test: ${text}")
  math(EXPR failures "${failures} + 1")
endmacro()

set(configure_args -S ${MPP_SOURCE_DIR}/tests/consumer/subproject -B ${build} -G ${GENERATOR}
  -DMPP_SOURCE_DIR=${MPP_SOURCE_DIR} -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
if(MAKE_PROGRAM)
  list(APPEND configure_args -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
endif()
if(BUILD_TYPE)
  list(APPEND configure_args -DCMAKE_BUILD_TYPE=${BUILD_TYPE})
endif()
step("configure the parent project" ${CMAKE_COMMAND} ${configure_args})

# 3. MPI not looked for: FindMPI leaves MPI_*/MPIEXEC_* entries in the cache whenever it runs.
file(STRINGS ${build}/CMakeCache.txt mpi_entries REGEX "^(MPI|MPIEXEC)_[A-Za-z_]*:")
if(mpi_entries)
  list(JOIN mpi_entries "\n  " mpi_entries)
  broken("the parent's configure looked for MPI, though it did not ask for mpp::mpi:\n  ${mpi_entries}")
endif()

# 1. The default build: the parent's program and the library it links, nothing more of mpp's.
step("build the parent's default target" ${CMAKE_COMMAND} --build ${build})
file(GLOB_RECURSE built_programs LIST_DIRECTORIES false ${build}/mpp/*/mpp-run ${build}/mpp/*/mpp-tutorial
  ${build}/mpp/*/*_test)
if(built_programs)
  broken("the parent's default build built mpp's programs: ${built_programs}")
endif()
step("run the parent's program" ${build}/parent-app)

# 2. Install: the parent's program only.
step("install the parent into ${prefix}" ${CMAKE_COMMAND} --install ${build} --prefix ${prefix})
file(GLOB_RECURSE installed LIST_DIRECTORIES false RELATIVE ${prefix} ${prefix}/*)
if(NOT installed STREQUAL "bin/parent-app")
  list(REMOVE_ITEM installed bin/parent-app)
  list(LENGTH installed count)
  list(SUBLIST installed 0 5 some)
  broken("installing the parent installed ${count} files besides its program bin/parent-app: ${some}...")
endif()

if(failures)
  message(FATAL_ERROR "subproject test: ${failures} of mpp's promises to a parent project broken")
endif()
message(STATUS "subproject test: passed")
