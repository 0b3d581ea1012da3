// The tutorial's map on mpp::Pool (threads), as in bench/tutorial, measured again in this suite so
// that ProcessPool's ratio to it compares numbers of the same run.
#include "mpp/pool.hpp"

#include <benchmark/benchmark.h>

#include "common/bench.hpp"
#include "common/tutorial_map.hpp"
#include "common/workloads.hpp"

namespace mpp::bench {
namespace {

void process_tutorial_pool(benchmark::State& state) {
  mpp::Pool pool(workers());  // setup: the workers start outside the timed loop
  time_tutorial_map(state, pool);
}

BENCHMARK(process_tutorial_pool)
    ->Name("process_tutorial/pool")
    ->Arg(200'000)
    ->Arg(20'000'000)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
