// The tutorial's map problem with oneTBB's parallel_for (auto_partitioner, the default) inside a
// task_arena of workers() threads.
#include <benchmark/benchmark.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <cstddef>
#include <numeric>
#include <vector>

#include "common/bench.hpp"
#include "common/workloads.hpp"

namespace mpp::bench {
namespace {

std::vector<int> run(tbb::task_arena& arena, const std::vector<Row>& data) {
  std::vector<int> results(data.size());
  arena.execute([&] {
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, data.size()),
                      [&](const tbb::blocked_range<std::size_t>& r) {
                        for (std::size_t i = r.begin(); i != r.end(); ++i)
                          results[i] = howmany_within_range_rowonly(data[i]);
                      });
  });
  return results;
}

void tutorial_tbb(benchmark::State& state) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  const std::vector<Row>& data = tutorial_rows(rows);
  tbb::task_arena arena(workers_int());
  arena.initialize();
  for (auto _ : state) {
    std::vector<int> results = run(arena, data);
    benchmark::DoNotOptimize(results.data());
    benchmark::ClobberMemory();
  }
  const std::vector<int> results = run(arena, data);
  check(state, std::accumulate(results.begin(), results.end(), 0LL) == tutorial_expected(rows),
        "wrong results");
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

BENCHMARK(tutorial_tbb)
    ->Name("tutorial/tbb")
    ->Arg(200'000)
    ->Arg(20'000'000)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
