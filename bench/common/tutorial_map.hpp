// The tutorial's workload as every suite times it, whoever computes it (a serial loop, OpenMP,
// oneTBB, an mpp pool): the counts over state.range(0) rows, the result checked after the loop.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <numeric>
#include <vector>

#include "common/bench.hpp"
#include "common/workloads.hpp"

namespace mpp::bench {

/// Times `run(data)`, a computation of the tutorial's counts over state.range(0) rows (setup done
/// by the caller, outside the timed loop), and checks its result once after the loop.
template <class Run>
void time_tutorial(benchmark::State& state, Run&& run) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  const std::vector<Row>& data = tutorial_rows(rows);
  for (auto _ : state) {
    std::vector<int> results = run(data);
    benchmark::DoNotOptimize(results.data());
    benchmark::ClobberMemory();
  }
  const std::vector<int> results = run(data);
  check(state, std::accumulate(results.begin(), results.end(), 0LL) == tutorial_expected(rows),
        "wrong results");
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

/// The tutorial's map on an mpp pool (made by the caller, outside the timed loop), as a Python
/// user writes it: pool.map(howmany_within_range_rowonly, data), automatic chunksize.
template <class PoolType>
void time_tutorial_map(benchmark::State& state, PoolType& pool) {
  time_tutorial(
      state, [&pool](const std::vector<Row>& data) { return pool.map(howmany_within_range_rowonly, data); });
}

}  // namespace mpp::bench
