// wc -l of the whole input, in one process: the floor that cutting it into blocks adds to (on the
// --pipe input, and on --pipepart's larger file).
#include "run_pipe/run_pipe.hpp"

namespace {
namespace rp = mpp::bench::run_pipe;
const bool k_registered = rp::register_contender("wc", {"wc", "-l"});
const bool k_registered_part = rp::register_contender("wc", {"wc", "-l"}, rp::k_part_bytes);
}  // namespace
