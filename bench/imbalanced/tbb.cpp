// The imbalanced map with oneTBB's parallel_for (auto_partitioner, which splits further when
// stealing shows imbalance) inside a task_arena of workers() threads.
#include <benchmark/benchmark.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/bench.hpp"
#include "common/workloads.hpp"

namespace mpp::bench {
namespace {

std::vector<std::uint64_t> run(tbb::task_arena& arena) {
  std::vector<std::uint64_t> out(k_imbalanced_items);
  arena.execute([&] {
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, k_imbalanced_items),
                      [&](const tbb::blocked_range<std::size_t>& r) {
                        for (std::size_t i = r.begin(); i != r.end(); ++i) out[i] = imbalanced_item(i);
                      });
  });
  return out;
}

void imbalanced_tbb(benchmark::State& state) {
  tbb::task_arena arena(workers_int());
  arena.initialize();
  for (auto _ : state) {
    std::vector<std::uint64_t> out = run(arena);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  check(state, fold(run(arena)) == imbalanced_expected(), "wrong results");
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(k_imbalanced_items));
}

BENCHMARK(imbalanced_tbb)->Name("imbalanced/tbb")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
