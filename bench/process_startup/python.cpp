// Python's multiprocessing.Pool(n), close(), join(): the mean of 20 after a warm-up, in a fresh
// interpreter each repetition (bench/python/process_startup.py). The argument is the number of
// workers.
#include <benchmark/benchmark.h>

#include <string>

#include "python/peer.hpp"

namespace mpp::bench {
namespace {

constexpr int k_startups_per_repetition = 20;

void process_startup_python(benchmark::State& state) {
  run_python_peer(state, "process_startup.py",
                  {"pool", std::to_string(state.range(0)), std::to_string(k_startups_per_repetition)});
}

BENCHMARK(process_startup_python)
    ->Name("process_startup/python")
    ->Arg(2)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
