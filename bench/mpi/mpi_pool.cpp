// mpp::MpiPool with 1, 2 and 3 serving ranks (MpiPoolOptions::ranks, in one 4-rank job): the
// tutorial's map, the coarse workload, and the cost of one chunk.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <numeric>
#include <vector>

#include "common/bench.hpp"
#include "common/tutorial_map.hpp"
#include "common/workloads.hpp"
#include "mpi/coarse.hpp"
#include "mpp/mpi.hpp"

namespace mpp::bench {
namespace {

void mpi_tutorial_mpi_pool(benchmark::State& state) {
  mpp::MpiPool pool(mpp::MpiPoolOptions{.ranks = static_cast<std::size_t>(state.range(1))});
  time_tutorial_map(state, pool);
}

void mpi_coarse_mpi_pool(benchmark::State& state) {
  const std::vector<std::int64_t> items(static_cast<std::size_t>(state.range(0)));
  mpp::MpiPool pool(mpp::MpiPoolOptions{.ranks = static_cast<std::size_t>(state.range(1))});
  for (auto _ : state) {
    std::vector<std::int64_t> results = pool.map(coarse_item, items);
    benchmark::DoNotOptimize(results.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// One item per chunk, each trivial: the time per item is what a chunk costs (request, run, result).
void mpi_chunk_mpi_pool(benchmark::State& state) {
  std::vector<int> items(static_cast<std::size_t>(state.range(0)));
  std::iota(items.begin(), items.end(), 0);
  mpp::MpiPool pool(mpp::MpiPoolOptions{.ranks = static_cast<std::size_t>(state.range(1))});
  for (auto _ : state) {
    std::vector<int> results = pool.map([](int x) { return x + 1; }, items, 1);
    benchmark::DoNotOptimize(results.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

BENCHMARK(mpi_tutorial_mpi_pool)
    ->Name("mpi_tutorial/mpi_pool")
    ->ArgsProduct({{200'000, 2'000'000}, {1, 2, 3}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(mpi_coarse_mpi_pool)
    ->Name("mpi_coarse/mpi_pool")
    ->ArgsProduct({{24}, {1, 2, 3}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(mpi_chunk_mpi_pool)
    ->Name("mpi_chunk/mpi_pool")
    ->ArgsProduct({{2000}, {1, 2, 3}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
