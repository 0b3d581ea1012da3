// GNU parallel -j2 --group (Debian's `parallel` package): each job's output whole, as mpp-run's.
#include "run_jobs/run_jobs.hpp"

#ifndef MPP_BENCH_GNU_PARALLEL
#error "MPP_BENCH_GNU_PARALLEL (GNU parallel's path) must be defined: bench/CMakeLists.txt does it"
#endif

namespace {
const bool k_registered = mpp::bench::run_jobs::register_contender(
    "parallel",
    [](const auto&) {
      return std::vector<std::string>{MPP_BENCH_GNU_PARALLEL, "-j", mpp::bench::run_jobs::k_jobs, "--group"};
    },
    // 10 000 trivial jobs, not 100 000: at about 400 jobs a second these take 25 s already.
    {&mpp::bench::run_jobs::k_trivial, &mpp::bench::run_jobs::k_print_1mb,
     &mpp::bench::run_jobs::k_trivial_10k});
}  // namespace
