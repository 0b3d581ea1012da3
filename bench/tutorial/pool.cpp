// The tutorial's map problem with mpp::Pool::map, as the tutorial writes it in Python:
// pool.map(howmany_within_range_rowonly, data), automatic chunksize.
#include "mpp/pool.hpp"

#include <benchmark/benchmark.h>

#include "common/bench.hpp"
#include "common/tutorial_map.hpp"
#include "common/workloads.hpp"

namespace mpp::bench {
namespace {

void tutorial_pool(benchmark::State& state) {
  mpp::Pool pool(workers());  // setup: the workers start outside the timed loop
  time_tutorial_map(state, pool);
}

BENCHMARK(tutorial_pool)
    ->Name("tutorial/pool")
    ->Arg(2'000)
    ->Arg(20'000)
    ->Arg(200'000)
    ->Arg(20'000'000)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
