// Python's multiprocessing.Pool.map(add_one, range(n)) at chunksize=1 (n = 100 000: compare its
// rate) and at its default chunksize (n = 1 000 000) (bench/python/process_map.py).
#include <benchmark/benchmark.h>

#include <cstddef>
#include <string>

#include "common/bench.hpp"
#include "process_map/process_map.hpp"
#include "python/peer.hpp"

namespace mpp::bench {
namespace {

void process_map_python(benchmark::State& state, const char* chunksize, std::size_t items) {
  run_python_peer(state, "process_map.py", {chunksize, std::to_string(workers()), std::to_string(items)});
}

BENCHMARK_CAPTURE(process_map_python, chunksize_1, "chunksize_1", k_process_map_python_chunksize_1_items)
    ->Name("process_map/python/chunksize_1")
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(process_map_python, chunksize_auto, "chunksize_auto", k_process_map_items)
    ->Name("process_map/python/chunksize_auto")
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
