// The tutorial's map as every suite times it on an mpp pool: pool.map(howmany_within_range_rowonly,
// data) over state.range(0) rows, the result checked once after the timed loop.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <numeric>
#include <vector>

#include "common/bench.hpp"
#include "common/workloads.hpp"

namespace mpp::bench {

/// Times the map on `pool` (made by the caller, outside the timed loop).
template <class PoolType>
void time_tutorial_map(benchmark::State& state, PoolType& pool) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  const std::vector<Row>& data = tutorial_rows(rows);
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

}  // namespace mpp::bench
