// The MPI suite's peer: mpp::ProcessPool with the same number of workers (1, 2, 3) on the same
// problems, run by rank 0 of the same job.
#include "mpp/process_pool.hpp"

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <numeric>
#include <vector>

#include "common/bench.hpp"
#include "common/tutorial_map.hpp"
#include "common/workloads.hpp"
#include "mpi/coarse.hpp"

namespace mpp::bench {
namespace {

void mpi_tutorial_process_pool(benchmark::State& state) {
  mpp::ProcessPool pool(static_cast<std::size_t>(state.range(1)));
  time_tutorial_map(state, pool);
}

void mpi_coarse_process_pool(benchmark::State& state) {
  const std::vector<std::int64_t> items(static_cast<std::size_t>(state.range(0)));
  mpp::ProcessPool pool(static_cast<std::size_t>(state.range(1)));
  for (auto _ : state) {
    std::vector<std::int64_t> results = pool.map(coarse_item, items);
    benchmark::DoNotOptimize(results.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void mpi_chunk_process_pool(benchmark::State& state) {
  std::vector<int> items(static_cast<std::size_t>(state.range(0)));
  std::iota(items.begin(), items.end(), 0);
  mpp::ProcessPool pool(static_cast<std::size_t>(state.range(1)));
  for (auto _ : state) {
    std::vector<int> results = pool.map([](int x) { return x + 1; }, items, 1);
    benchmark::DoNotOptimize(results.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// The peer of mpi_apply (mpi_pool.cpp): synchronous apply calls, one after the other.
void mpi_apply_process_pool(benchmark::State& state) {
  const auto calls = static_cast<int>(state.range(0));
  mpp::ProcessPool pool(static_cast<std::size_t>(state.range(1)));
  for (auto _ : state) {
    int sum = 0;
    for (int i = 0; i < calls; ++i) sum += pool.apply([](int x) { return x + 1; }, i);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

BENCHMARK(mpi_tutorial_process_pool)
    ->Name("mpi_tutorial/process_pool")
    ->ArgsProduct({{200'000, 2'000'000}, {1, 2, 3}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(mpi_coarse_process_pool)
    ->Name("mpi_coarse/process_pool")
    ->ArgsProduct({{24}, {1, 2, 3}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(mpi_chunk_process_pool)
    ->Name("mpi_chunk/process_pool")
    ->ArgsProduct({{2000}, {1, 2, 3}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(mpi_apply_process_pool)
    ->Name("mpi_apply/process_pool")
    ->ArgsProduct({{1000}, {1, 2}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
