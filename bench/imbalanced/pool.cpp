// The imbalanced map with Pool::map over range(n) (automatic chunksize, which splits and steals
// to balance uneven items).
#include "mpp/pool.hpp"

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <ranges>
#include <vector>

#include "common/bench.hpp"
#include "common/workloads.hpp"

namespace mpp::bench {
namespace {

std::vector<std::uint64_t> run(mpp::Pool& pool) {
  return pool.map([](std::size_t i) { return imbalanced_item(i); },
                  std::views::iota(std::size_t{0}, k_imbalanced_items));
}

void imbalanced_pool(benchmark::State& state) {
  mpp::Pool pool(workers());
  for (auto _ : state) {
    std::vector<std::uint64_t> out = run(pool);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  check(state, fold(run(pool)) == imbalanced_expected(), "wrong results");
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(k_imbalanced_items));
}

BENCHMARK(imbalanced_pool)->Name("imbalanced/pool")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
