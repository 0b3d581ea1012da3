// wc -l of the whole input, in one process: the floor that cutting it into blocks adds to.
#include "run_pipe/run_pipe.hpp"

namespace {
const bool k_registered = mpp::bench::run_pipe::register_contender("wc", {"wc", "-l"});
}  // namespace
