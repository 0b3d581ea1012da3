// A million tiny tasks with oneTBB's task_group::run (each writes out[i] = i + 1), then wait():
// the lower bound of a task without a result object, on a work-stealing scheduler.
#include <benchmark/benchmark.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include <cstddef>
#include <vector>

#include "common/bench.hpp"
#include "common/workloads.hpp"

namespace mpp::bench {
namespace {

void run(tbb::task_arena& arena, std::vector<int>& out) {
  arena.execute([&] {
    tbb::task_group group;
    for (std::size_t i = 0; i < k_tiny_tasks; ++i) {
      group.run([&out, i] { out[i] = add_one(static_cast<int>(i)); });
    }
    group.wait();
  });
}

void tiny_tasks_tbb(benchmark::State& state) {
  tbb::task_arena arena(workers_int());
  arena.initialize();
  std::vector<int> out(k_tiny_tasks);
  for (auto _ : state) {
    run(arena, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  out.assign(k_tiny_tasks, 0);
  run(arena, out);
  bool ok = true;
  for (std::size_t i = 0; i < k_tiny_tasks; ++i) ok &= out[i] == static_cast<int>(i) + 1;
  check(state, ok, "wrong results");
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(k_tiny_tasks));
}

BENCHMARK(tiny_tasks_tbb)->Name("tiny_tasks/tbb")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
