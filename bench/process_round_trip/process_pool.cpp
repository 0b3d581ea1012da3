// One ProcessPool::apply round trip: the request goes into a worker's shared-memory ring, the worker
// (spinning a while after its last request, then asleep on a futex) runs it and writes the result
// into its response ring, which the caller itself reads (it drives the pool while it waits).
#include "mpp/process_pool.hpp"

#include <benchmark/benchmark.h>

#include "common/bench.hpp"
#include "common/latency.hpp"
#include "common/workloads.hpp"

namespace mpp::bench {
namespace {

void process_round_trip_process_pool(benchmark::State& state) {
  mpp::ProcessPool pool(workers());
  measure_round_trips(state, [&](int x) { return pool.apply(add_one, x); });
}

BENCHMARK(process_round_trip_process_pool)
    ->Name("process_round_trip/process_pool")
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace mpp::bench
