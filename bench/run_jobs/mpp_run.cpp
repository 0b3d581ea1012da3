// mpp-run -j2, with its arguments from standard input (-a -); no progress bar, whatever stderr is.
#include "run_jobs/run_jobs.hpp"

#ifndef MPP_RUN_BINARY
#error "MPP_RUN_BINARY (the mpp-run executable) must be defined: bench/CMakeLists.txt does it"
#endif

namespace {
const bool k_registered = mpp::bench::run_jobs::register_contender("mpp_run", [](const auto&) {
  return std::vector<std::string>{MPP_RUN_BINARY, "-j", mpp::bench::run_jobs::k_jobs, "--no-bar", "-a", "-"};
});
}  // namespace
