// xargs -P2 -n1: the usual way to run commands two at a time. It does not group output: two
// jobs printing at once mix their output (so the 1 MiB rows show what grouping costs the others).
#include "run_jobs/run_jobs.hpp"

namespace {
const bool k_registered = mpp::bench::run_jobs::register_contender("xargs", [](const auto&) {
  return std::vector<std::string>{"xargs", "-P", mpp::bench::run_jobs::k_jobs, "-n", "1"};
});
}  // namespace
