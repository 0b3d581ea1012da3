// The tutorial's map on mpp::Pool (threads), as in bench/tutorial, measured again in this suite so
// that ProcessPool's ratio to it compares numbers of the same run.
#include "mpp/pool.hpp"

#include <benchmark/benchmark.h>

#include <cstddef>
#include <numeric>
#include <vector>

#include "common/bench.hpp"
#include "common/workloads.hpp"

namespace mpp::bench {
namespace {

void process_tutorial_pool(benchmark::State& state) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  const std::vector<Row>& data = tutorial_rows(rows);
  mpp::Pool pool(workers());  // setup: the workers start outside the timed loop
  for (auto _ : state) {
    std::vector<int> results = pool.map(howmany_within_range_rowonly, data);
    benchmark::DoNotOptimize(results.data());
    benchmark::ClobberMemory();
  }
  const std::vector<int> results = pool.map(howmany_within_range_rowonly, data);
  check(state, std::accumulate(results.begin(), results.end(), 0LL) == tutorial_expected(rows),
        "wrong results");
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

BENCHMARK(process_tutorial_pool)
    ->Name("process_tutorial/pool")
    ->Arg(200'000)
    ->Arg(20'000'000)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
