// mpp-run --pipepart -a FILE --block 1M -j2 wc -l; no progress bar, whatever stderr is.
#include "run_pipe/run_pipe.hpp"

#ifndef MPP_RUN_BINARY
#error "MPP_RUN_BINARY (the mpp-run executable) must be defined: bench/CMakeLists.txt does it"
#endif

namespace {
namespace rp = mpp::bench::run_pipe;
const bool k_registered =
    rp::register_contender("mpp_run_pipepart",
                           {MPP_RUN_BINARY, "--no-bar", "--pipepart", "-a", rp::k_input_arg, "--block",
                            rp::k_block, "-j", rp::k_jobs, "wc", "-l"},
                           rp::k_part_bytes);
}  // namespace
