// mpp-run --pipe --block 1M -j2 wc -l; no progress bar, whatever stderr is.
#include "run_pipe/run_pipe.hpp"

#ifndef MPP_RUN_BINARY
#error "MPP_RUN_BINARY (the mpp-run executable) must be defined: bench/CMakeLists.txt does it"
#endif

namespace {
namespace rp = mpp::bench::run_pipe;
const bool k_registered = rp::register_contender(
    "mpp_run", {MPP_RUN_BINARY, "--no-bar", "--pipe", "--block", rp::k_block, "-j", rp::k_jobs, "wc", "-l"});
}  // namespace
