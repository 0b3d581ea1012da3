# Warnings and sanitizers live on INTERFACE targets that mpp's own targets link PRIVATE,
# so consumers of the installed package never inherit them.
add_library(mpp_warnings INTERFACE)
target_compile_options(mpp_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
  -Wno-sign-conversion -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual)
if(MPP_WARNINGS_AS_ERRORS)
  target_compile_options(mpp_warnings INTERFACE -Werror)
endif()
# g++ 12 at -O3 (the bench preset) warns of overlapping copies inside std::string's operator+ of a
# literal and a string, a false positive of its -Wrestrict (GCC bug 105651) that no code of ours
# can avoid everywhere; g++ 13 no longer gives it.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(mpp_warnings INTERFACE -Wno-restrict)
endif()

add_library(mpp_sanitizers INTERFACE)
if(MPP_SANITIZER STREQUAL "address")
  target_compile_options(mpp_sanitizers INTERFACE -fsanitize=address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer)
  target_link_options(mpp_sanitizers INTERFACE -fsanitize=address,undefined)
elseif(MPP_SANITIZER STREQUAL "thread")
  target_compile_options(mpp_sanitizers INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(mpp_sanitizers INTERFACE -fsanitize=thread)
elseif(NOT MPP_SANITIZER STREQUAL "")
  message(FATAL_ERROR "MPP_SANITIZER must be '', 'address' or 'thread', not '${MPP_SANITIZER}'")
endif()

# What mpp's own targets (library, tests, examples, benchmarks) link privately.
add_library(mpp_internal_flags INTERFACE)
target_link_libraries(mpp_internal_flags INTERFACE mpp_warnings mpp_sanitizers)
