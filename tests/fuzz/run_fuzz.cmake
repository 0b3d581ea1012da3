# FuzzDecoderBriefly and FuzzCsvReaderBriefly (run by CTest through cmake -P): builds a fuzzer with
# clang++ and libFuzzer, ASan and UBSan, in the build tree, then fuzzes for SECONDS seconds. Fails on
# any crash, leaving the input under WORK_DIR/artifacts/. Prints "mpp-fuzz: skipped" (CTest's
# SKIP_REGULAR_EXPRESSION) when clang++ cannot link a libFuzzer program.
#   FUZZER      decode (the codec's decoders, decode_fuzz.cpp) or csv (read_csv, csv_fuzz.cpp)
#   CLANGXX     clang++
#   SOURCE_DIR  the project's source directory
#   WORK_DIR    where the programs, the growing corpus and the artifacts go
#   SECONDS     how long to fuzz
#   CSV_INCLUDE_DIR, CSV_LIBRARY  libcsv, for FUZZER=csv
foreach(var FUZZER CLANGXX SOURCE_DIR WORK_DIR SECONDS)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_fuzz.cmake: ${var} is not set")
  endif()
endforeach()

set(fuzz_dir ${SOURCE_DIR}/tests/fuzz)
set(common_flags -std=c++20 -g -O1 -fno-omit-frame-pointer -D_GLIBCXX_ASSERTIONS
  -I${SOURCE_DIR}/include -I${SOURCE_DIR}/src -I${fuzz_dir})
set(fuzz_flags -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)
if(FUZZER STREQUAL "decode")
  # The decoder is the header codec.hpp; the exception codec, throw_serialization and the memory
  # advice large decoded arrays get are compiled.
  set(library_sources ${SOURCE_DIR}/src/core/errors.cpp ${SOURCE_DIR}/src/core/demangle.cpp
    ${SOURCE_DIR}/src/remote/exception_codec.cpp ${SOURCE_DIR}/src/posix/memory_advice.cpp
    ${SOURCE_DIR}/src/posix/syscall.cpp)
  set(library_flags)
  set(library_libs)
elseif(FUZZER STREQUAL "csv")
  set(library_sources ${SOURCE_DIR}/src/core/errors.cpp ${SOURCE_DIR}/src/posix/syscall.cpp
    ${SOURCE_DIR}/src/frame/frame.cpp ${SOURCE_DIR}/src/frame/csv_read.cpp
    ${SOURCE_DIR}/src/frame/csv_source.cpp ${SOURCE_DIR}/src/frame/csv_tokenizer.cpp
    ${SOURCE_DIR}/src/frame/csv_write.cpp ${SOURCE_DIR}/src/frame/double_text.cpp
    ${SOURCE_DIR}/src/frame/csv_gzip.cpp
    ${SOURCE_DIR}/src/frame/frame_datetime.cpp)
  set(library_flags -I${CSV_INCLUDE_DIR} -pthread)
  set(library_libs ${CSV_LIBRARY} -lz)
else()
  message(FATAL_ERROR "run_fuzz.cmake: FUZZER must be decode or csv, not '${FUZZER}'")
endif()
file(MAKE_DIRECTORY ${WORK_DIR})

# Builds `output` from `sources` when it is missing or older than any of them or of mpp's headers
# (the public ones and the private ones beside the sources, such as src/frame/csv_column.hpp).
function(build output)
  cmake_parse_arguments(ARG "" "" "SOURCES;FLAGS;LIBS" ${ARGN})
  file(GLOB_RECURSE headers ${SOURCE_DIR}/include/mpp/*.hpp ${SOURCE_DIR}/src/*.hpp ${fuzz_dir}/*.hpp)
  set(stale FALSE)
  if(NOT EXISTS ${output})
    set(stale TRUE)
  else()
    foreach(dep IN LISTS ARG_SOURCES headers)
      if(${dep} IS_NEWER_THAN ${output})
        set(stale TRUE)
      endif()
    endforeach()
  endif()
  if(NOT stale)
    return()
  endif()
  message(STATUS "mpp-fuzz: building ${output}")
  execute_process(COMMAND ${CLANGXX} ${common_flags} ${ARG_FLAGS} ${ARG_SOURCES} ${ARG_LIBS} -o ${output}.tmp
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    if(out MATCHES "libclang_rt\\.fuzzer|unsupported option '-fsanitize=fuzzer'|clang_rt\\.(asan|ubsan)")
      message("mpp-fuzz: skipped: ${CLANGXX} cannot link a libFuzzer program (install libclang-rt-dev):\n${out}")
      set(skipped TRUE PARENT_SCOPE)
      return()
    endif()
    message(FATAL_ERROR "mpp-fuzz: building ${output} failed:\n${out}")
  endif()
  file(RENAME ${output}.tmp ${output})
endfunction()

set(fuzzer ${WORK_DIR}/${FUZZER}_fuzz)
set(skipped FALSE)
build(${fuzzer} SOURCES ${fuzz_dir}/${FUZZER}_fuzz.cpp ${library_sources} FLAGS ${fuzz_flags} ${library_flags}
  LIBS ${library_libs})
if(skipped)
  return()
endif()

set(seeds ${WORK_DIR}/seeds)
file(REMOVE_RECURSE ${seeds})
file(MAKE_DIRECTORY ${seeds} ${WORK_DIR}/corpus ${WORK_DIR}/artifacts)
if(FUZZER STREQUAL "decode")
  # Seeds of the current encoding, the committed corpus, and known crashes (which, while the bug
  # they show is there, fail this test at once).
  set(seeder ${WORK_DIR}/make_seeds)
  build(${seeder} SOURCES ${fuzz_dir}/make_seeds.cpp ${library_sources})
  execute_process(COMMAND ${seeder} ${seeds} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "mpp-fuzz: make_seeds failed (${rc})")
  endif()
  set(corpora ${fuzz_dir}/corpus ${fuzz_dir}/crashes)
else()
  # Hand-written CSV seeds (the first byte picks the options: csv_fuzz.cpp).
  set(corpora ${fuzz_dir}/csv_corpus)
endif()

# -malloc_limit_mb: inputs are at most 4 KiB here, so any single allocation near this size is absurd.
execute_process(
  COMMAND ${fuzzer} -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=256
    -print_final_stats=1 -artifact_prefix=${WORK_DIR}/artifacts/
    ${WORK_DIR}/corpus ${seeds} ${corpora}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)

# libFuzzer reports every new input: keep its log in a file and show the end of it.
file(WRITE ${WORK_DIR}/fuzz.log "${out}")
set(keep 4000)
if(NOT rc EQUAL 0)
  set(keep 16000)
endif()
string(LENGTH "${out}" length)
if(length GREATER keep)
  math(EXPR first "${length} - ${keep}")
  string(SUBSTRING "${out}" ${first} -1 out)
  set(out "[... the whole log is ${WORK_DIR}/fuzz.log]\n${out}")
endif()
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "mpp-fuzz: the ${FUZZER} fuzzer failed (exit ${rc}); the input is in ${WORK_DIR}/artifacts/")
endif()
message(STATUS "mpp-fuzz: ${SECONDS} s of fuzzing found nothing")
