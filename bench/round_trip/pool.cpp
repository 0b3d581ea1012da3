// One Pool::apply round trip: submit a call, a worker runs it, the caller gets the result.
#include "mpp/pool.hpp"

#include <benchmark/benchmark.h>

#include "common/bench.hpp"
#include "common/latency.hpp"
#include "common/workloads.hpp"

namespace mpp::bench {
namespace {

void round_trip_pool(benchmark::State& state) {
  mpp::Pool pool(workers());
  measure_round_trips(state, [&](int x) { return pool.apply(add_one, x); });
}

BENCHMARK(round_trip_pool)
    ->Name("round_trip/pool")
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace mpp::bench
