// Linked into every test program but those marked LIBRARY_DEFAULT (tests/CMakeLists.txt): the
// program's default start method is StartMethod::fork there. Most tests share state with their
// workers through memory or globals set up at run time, which only forked workers see; the
// programs that test the library's own default (forkserver) keep it.
//
// MPP_TEST_START_METHOD=fork|spawn|forkserver sets another default: CTest runs the typed pool
// suites' mpp::ProcessPool tests under each method that way (TYPED_POOLS in tests/CMakeLists.txt).
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "mpp/start_method.hpp"

namespace {

mpp::StartMethod chosen_method() {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): a static initialiser, before any thread
  const char* name = std::getenv("MPP_TEST_START_METHOD");
  if (name == nullptr || std::strcmp(name, "fork") == 0) return mpp::StartMethod::fork;
  if (std::strcmp(name, "spawn") == 0) return mpp::StartMethod::spawn;
  if (std::strcmp(name, "forkserver") == 0) return mpp::StartMethod::forkserver;
  std::fprintf(stderr, "mpp_test: MPP_TEST_START_METHOD=%s: expected fork, spawn or forkserver\n", name);
  std::exit(2);
}

// Before main() and before any test: set_start_method() stores to a constant-initialised atomic.
const bool g_fork_default = [] {
  mpp::set_start_method(chosen_method());
  return true;
}();

}  // namespace
