# Installs an mpp build tree into a scratch prefix, builds tests/consumer against it with
# find_package(mpp CONFIG), and runs the result. Run by CTest as ConsumerFindPackage:
#   cmake -DMPP_BUILD_DIR=<mpp build tree> -DSCRATCH_DIR=<scratch dir, wiped> \
#         -DCONSUMER_SOURCE_DIR=<tests/consumer> -DCXX_COMPILER=<same compiler as mpp> \
#         [-DGENERATOR=<generator>] [-DMAKE_PROGRAM=<ninja>] [-DBUILD_TYPE=<config>] \
#         [-DCXX_FLAGS=<flags>] [-DLINKER_FLAGS=<flags>] [-DMPIRUN=<command line before NP>] \
#         -P run-consumer-test.cmake
# With MPIRUN (mpp built with MPI), the package must have mpp::mpi, and its consumer runs on 3 ranks.
# CXX_FLAGS/LINKER_FLAGS carry -fsanitize=... in sanitizer builds: a sanitized libmpp.a needs the
# sanitizer runtime in the program that links it, and the package rightly doesn't impose it.
cmake_minimum_required(VERSION 3.25)

foreach(var MPP_BUILD_DIR SCRATCH_DIR CONSUMER_SOURCE_DIR CXX_COMPILER)
  if(NOT ${var})
    message(FATAL_ERROR "run-consumer-test.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT GENERATOR)
  set(GENERATOR Ninja)
endif()

set(prefix ${SCRATCH_DIR}/prefix)
set(build ${SCRATCH_DIR}/build)
file(REMOVE_RECURSE ${SCRATCH_DIR})
file(MAKE_DIRECTORY ${SCRATCH_DIR})

function(step what)
  message(STATUS "consumer test: ${what}")
  execute_process(COMMAND ${ARGN} COMMAND_ECHO STDOUT COMMAND_ERROR_IS_FATAL ANY)
endfunction()

step("install ${MPP_BUILD_DIR} into ${prefix}"
  ${CMAKE_COMMAND} --install ${MPP_BUILD_DIR} --prefix ${prefix})

set(configure_args -S ${CONSUMER_SOURCE_DIR} -B ${build} -G ${GENERATOR}
  -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
  -DCMAKE_PREFIX_PATH=${prefix}
  # Only the scratch prefix may satisfy find_package(mpp), not a user's package registry.
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if(MAKE_PROGRAM)
  list(APPEND configure_args -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
endif()
if(BUILD_TYPE)
  list(APPEND configure_args -DCMAKE_BUILD_TYPE=${BUILD_TYPE})
endif()
if(CXX_FLAGS)
  list(APPEND configure_args "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}")
endif()
if(LINKER_FLAGS)
  list(APPEND configure_args "-DCMAKE_EXE_LINKER_FLAGS=${LINKER_FLAGS}")
endif()
step("configure the consumer against ${prefix}" ${CMAKE_COMMAND} ${configure_args})

# Fail if some other installation of mpp was picked up.
file(STRINGS ${build}/CMakeCache.txt found REGEX "^mpp_DIR:")
string(REGEX REPLACE "^mpp_DIR:[A-Z]+=" "" found "${found}")
file(REAL_PATH "${prefix}" real_prefix)
file(REAL_PATH "${found}" real_found)
string(FIND "${real_found}" "${real_prefix}/" at)
if(NOT at EQUAL 0)
  message(FATAL_ERROR "consumer test: found mpp in '${found}', not under '${prefix}'")
endif()

step("build the consumer" ${CMAKE_COMMAND} --build ${build})
step("run the consumer" ${build}/mpp-consumer)
if(MPIRUN)
  if(NOT EXISTS ${build}/mpp-consumer-mpi)
    message(FATAL_ERROR "consumer test: the package has no mpp::mpi, though mpp was built with MPI")
  endif()
  separate_arguments(mpirun UNIX_COMMAND "${MPIRUN}")
  step("run the MPI consumer" ${mpirun} 3 ${build}/mpp-consumer-mpi)
endif()
message(STATUS "consumer test: passed")
