// Python's multiprocessing.Value and Pipe on the same workloads (bench/python/sharing.py).
#include <benchmark/benchmark.h>

#include <string>

#include "python/peer.hpp"
#include "sharing/sharing.hpp"

namespace mpp::bench {
namespace {

void value_increment_python(benchmark::State& state) {
  run_python_peer(state, "sharing.py", {"value", "1", std::to_string(k_value_rounds)});
}
void pipe_round_trip_python(benchmark::State& state) {
  run_python_peer(state, "sharing.py", {"pipe", "1", std::to_string(k_pipe_rounds)});
}
void pipe_bulk_python(benchmark::State& state) {
  run_python_peer(state, "sharing.py", {"bulk", "1", std::to_string(k_bulk_messages)});
}

BENCHMARK(value_increment_python)
    ->Name("value_increment/python")
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(pipe_round_trip_python)
    ->Name("pipe_round_trip/python")
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(pipe_bulk_python)
    ->Name("pipe_bulk/python")
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
