// GNU parallel -j2 --group (Debian's `parallel` package): each job's output whole, as mpp-run's.
#include "run_jobs/run_jobs.hpp"

#ifndef MPP_BENCH_GNU_PARALLEL
#error "MPP_BENCH_GNU_PARALLEL (GNU parallel's path) must be defined: bench/CMakeLists.txt does it"
#endif

namespace {
const bool k_registered = mpp::bench::run_jobs::register_contender("parallel", [](const auto&) {
  return std::vector<std::string>{MPP_BENCH_GNU_PARALLEL, "-j", mpp::bench::run_jobs::k_jobs, "--group"};
});
}  // namespace
