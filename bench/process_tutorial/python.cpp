// The tutorial's own Python: multiprocessing.Pool.map(howmany_within_range_rowonly, data) over
// 200 000 rows of equivalent random data (bench/python/process_tutorial.py). Not at 20 000 000
// rows: Python would need about 20 s and 4 GB for the list of lists alone.
#include <benchmark/benchmark.h>

#include <string>

#include "common/bench.hpp"
#include "python/peer.hpp"

namespace mpp::bench {
namespace {

void process_tutorial_python(benchmark::State& state) {
  run_python_peer(state, "process_tutorial.py",
                  {"map", std::to_string(workers()), std::to_string(state.range(0))});
}

BENCHMARK(process_tutorial_python)
    ->Name("process_tutorial/python")
    ->Arg(200'000)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
