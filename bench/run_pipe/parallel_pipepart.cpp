// GNU parallel --pipepart -a FILE --block 1M -j2 wc -l (Debian's `parallel` package).
#include "run_pipe/run_pipe.hpp"

#ifndef MPP_BENCH_GNU_PARALLEL
#error "MPP_BENCH_GNU_PARALLEL (GNU parallel's path) must be defined: bench/CMakeLists.txt does it"
#endif

namespace {
namespace rp = mpp::bench::run_pipe;
const bool k_registered =
    rp::register_contender("parallel_pipepart",
                           {MPP_BENCH_GNU_PARALLEL, "--will-cite", "--pipepart", "-a", rp::k_input_arg,
                            "--block", rp::k_block, "-j", rp::k_jobs, "wc", "-l"},
                           rp::k_part_bytes);
}  // namespace
