// mpp-run under mpirun: 2 ranks on this machine (scripts/mpirun-local), rank 0 handing the jobs out
// and rank 1 running them two at a time (-j2 per serving rank), against mpp-run -j2 on its own: what
// the trip through MPI costs a job. Only the 2 000 trivial jobs: the cost per job is all it measures.
#include "run_jobs/run_jobs.hpp"

#if !defined(MPP_RUN_BINARY) || !defined(MPP_MPIRUN_LOCAL) || !defined(MPP_MPIEXEC)
#error "MPP_RUN_BINARY, MPP_MPIRUN_LOCAL and MPP_MPIEXEC must be defined: bench/CMakeLists.txt does it"
#endif

namespace {
const bool k_registered = mpp::bench::run_jobs::register_contender(
    "mpp_run_mpirun_n2",
    [](const auto&) {
      return std::vector<std::string>{MPP_MPIRUN_LOCAL, MPP_MPIEXEC, "2",
                                      MPP_RUN_BINARY,   "-j",        mpp::bench::run_jobs::k_jobs,
                                      "--no-bar",       "-a",        "-"};
    },
    {&mpp::bench::run_jobs::k_trivial});
}  // namespace
