// The tutorial's map problem with oneTBB's parallel_for (auto_partitioner, the default) inside a
// task_arena of workers() threads.
#include <benchmark/benchmark.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <cstddef>
#include <vector>

#include "common/bench.hpp"
#include "common/tutorial_map.hpp"
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
  tbb::task_arena arena(workers_int());
  arena.initialize();
  time_tutorial(state, [&arena](const std::vector<Row>& data) { return run(arena, data); });
}

BENCHMARK(tutorial_tbb)
    ->Name("tutorial/tbb")
    ->Arg(2'000)
    ->Arg(20'000)
    ->Arg(200'000)
    ->Arg(20'000'000)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
