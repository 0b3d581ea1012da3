// The tutorial's map problem on a ProcessPool, written as the tutorial writes it in Python:
// pool.map(howmany_within_range_rowonly, data), automatic chunksize. The rows (std::array<int, 5>)
// travel to the workers as raw bytes through the rings, and the counts come back the same way.
// process_pool_shared: the same map over the rows held in an mpp::SharedVector, whose chunks the
// workers map instead of receiving.
#include "mpp/process_pool.hpp"

#include <benchmark/benchmark.h>

#include <chrono>
#include <numeric>
#include <vector>

#include "common/bench.hpp"
#include "common/tutorial_map.hpp"
#include "common/workloads.hpp"
#include "mpp/shared_memory.hpp"

namespace mpp::bench {
namespace {

void process_tutorial_process_pool(benchmark::State& state) {
  mpp::ProcessPool pool(workers());  // setup: the workers are forked outside the timed loop
  time_tutorial_map(state, pool);
}

BENCHMARK(process_tutorial_process_pool)
    ->Name("process_tutorial/process_pool")
    ->Arg(200'000)
    ->Arg(20'000'000)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void process_tutorial_process_pool_shared(benchmark::State& state) {
  mpp::ProcessPool pool(workers());
  // setup: the rows are put in shared memory once, as a program would build them there, and one
  // map maps them into the workers (the first touch of each page; process_pool_shared_first times
  // that map alone), as Pool's threads find the rows in their address space already
  const mpp::SharedVector<Row> rows(tutorial_rows(static_cast<std::size_t>(state.range(0))));
  (void)pool.map(howmany_within_range_rowonly, rows);
  time_tutorial(state, [&](const std::vector<Row>& /*same rows*/) {
    return pool.map(howmany_within_range_rowonly, rows);
  });
}

// The first map over rows just put in shared memory, by a pool that has not seen them: what a
// program that maps over its data once pays.
void process_tutorial_process_pool_shared_first(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    mpp::ProcessPool pool(workers());
    const mpp::SharedVector<Row> rows(tutorial_rows(count));
    const auto start = std::chrono::steady_clock::now();
    const std::vector<int> results = pool.map(howmany_within_range_rowonly, rows);
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    check(state, std::accumulate(results.begin(), results.end(), 0LL) == tutorial_expected(count),
          "wrong results");
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

BENCHMARK(process_tutorial_process_pool_shared)
    ->Name("process_tutorial/process_pool_shared")
    ->Arg(200'000)
    ->Arg(20'000'000)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(process_tutorial_process_pool_shared_first)
    ->Name("process_tutorial/process_pool_shared_first")
    ->Arg(20'000'000)
    ->Iterations(3)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
