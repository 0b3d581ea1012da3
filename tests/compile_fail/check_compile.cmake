# Compiles one source with -fsyntax-only and checks the outcome (run by CTest through cmake -P).
#   COMPILER   the C++ compiler
#   SOURCE     the file
#   INCLUDES   include directories, separated by '|'
#   DEFINE     empty, or a macro to define (MPP_EXPECT_FAILURE selects a case's failing half)
#   EXPECT     FAIL: must not compile, and the diagnostics must contain MESSAGE; COMPILE: must compile
#   MESSAGE    the substring the diagnostics must contain (EXPECT=FAIL)
#   PCH        optional: a header in the build tree that includes all of mpp (mpp/mpp.hpp). With
#              EXPECT=PCH, SOURCE is ignored and PCH.gch is built; otherwise the source is
#              compiled after it (-include), which saves parsing mpp's headers in every check.
#              GCC falls back to the header itself if the .gch does not fit.
cmake_minimum_required(VERSION 3.25)
foreach(var COMPILER SOURCE EXPECT)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "check_compile.cmake: ${var} is not set")
  endif()
endforeach()

set(args -std=c++20 -fsyntax-only -fmessage-length=0 -fdiagnostics-color=never)
string(REPLACE "|" ";" include_list "${INCLUDES}")
foreach(dir IN LISTS include_list)
  # The compiler's own system directory as -I would upset #include_next in the standard library.
  if(NOT dir STREQUAL "" AND NOT dir STREQUAL "/usr/include")
    list(APPEND args "-I${dir}")
  endif()
endforeach()
if(NOT "${DEFINE}" STREQUAL "")
  list(APPEND args "-D${DEFINE}")
endif()

if(EXPECT STREQUAL "PCH")
  file(WRITE ${PCH} "#include \"mpp/mpp.hpp\"\n")
  list(REMOVE_ITEM args -fsyntax-only)
  execute_process(COMMAND "${COMPILER}" ${args} -x c++-header ${PCH} -o ${PCH}.gch.tmp
    RESULT_VARIABLE rc OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "mpp's headers do not compile as a precompiled header (${rc}):\n${output}")
  endif()
  file(RENAME ${PCH}.gch.tmp ${PCH}.gch)
  message(STATUS "built ${PCH}.gch")
  return()
endif()
if(NOT "${PCH}" STREQUAL "")
  list(APPEND args -include ${PCH})
endif()

execute_process(COMMAND "${COMPILER}" ${args} "${SOURCE}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE output ERROR_VARIABLE output)

# Template errors run long; the first screenful says what happened.
string(LENGTH "${output}" length)
if(length GREATER 6000)
  string(SUBSTRING "${output}" 0 6000 shown)
  string(APPEND shown "\n[... ${length} characters of diagnostics in all]")
else()
  set(shown "${output}")
endif()

if(EXPECT STREQUAL "COMPILE")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${SOURCE} must compile, but the compiler failed (${rc}):\n${shown}")
  endif()
  message(STATUS "${SOURCE} compiles, as it must")
elseif(EXPECT STREQUAL "FAIL")
  if(rc EQUAL 0)
    message(FATAL_ERROR "${SOURCE} (-D${DEFINE}) compiled, but must be refused with \"${MESSAGE}\"")
  endif()
  string(FIND "${output}" "${MESSAGE}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${SOURCE} (-D${DEFINE}) was refused, but not with \"${MESSAGE}\":\n${shown}")
  endif()
  message(STATUS "${SOURCE} (-D${DEFINE}) is refused with \"${MESSAGE}\", as it must")
else()
  message(FATAL_ERROR "check_compile.cmake: EXPECT must be FAIL or COMPILE, not '${EXPECT}'")
endif()
