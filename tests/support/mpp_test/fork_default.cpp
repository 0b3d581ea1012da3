// Linked into every test program but those marked LIBRARY_DEFAULT (tests/CMakeLists.txt): the
// program's default start method is StartMethod::fork there. Most tests share state with their
// workers through memory or globals set up at run time, which only forked workers see; the typed
// pool suites name every start method (PoolTypes), and the programs that test the library's own
// default (forkserver) keep it.
#include "mpp/start_method.hpp"

namespace {

// Before main() and before any test: set_start_method() stores to a constant-initialised atomic.
const bool g_fork_default = [] {
  mpp::set_start_method(mpp::StartMethod::fork);
  return true;
}();

}  // namespace
