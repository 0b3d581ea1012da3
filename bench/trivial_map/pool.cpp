// Ten million trivial items with Pool::map (automatic chunksize): with almost no work per item,
// what is left is the map's own cost per item and per task.
#include "mpp/pool.hpp"

#include <benchmark/benchmark.h>

#include <cstddef>
#include <vector>

#include "common/bench.hpp"
#include "common/workloads.hpp"

namespace mpp::bench {
namespace {

// A lambda rather than the function's name, as the peers' loops get: the compiler sees the work
// and inlines it, so only the scheduling differs.
std::vector<int> run(mpp::Pool& pool, const std::vector<int>& input) {
  return pool.map([](int x) { return trivial(x); }, input);
}

void trivial_map_pool(benchmark::State& state) {
  const std::vector<int>& input = trivial_input();
  mpp::Pool pool(workers());
  for (auto _ : state) {
    std::vector<int> out = run(pool, input);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  check(state, run(pool, input) == trivial_expected(), "wrong results");
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(k_trivial_items));
}

BENCHMARK(trivial_map_pool)->Name("trivial_map/pool")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
