// A million tiny tasks, one apply_async each: what a task costs when the work is nothing, with an
// AsyncResult per task (its allocation, its queueing, its completion, get() and its destruction).
#include "mpp/pool.hpp"

#include <benchmark/benchmark.h>

#include <cstddef>
#include <vector>

#include "common/bench.hpp"
#include "common/workloads.hpp"

namespace mpp::bench {
namespace {

void run(mpp::Pool& pool, std::vector<mpp::AsyncResult<int>>& results, std::vector<int>& out) {
  for (std::size_t i = 0; i < k_tiny_tasks; ++i)
    results.push_back(pool.apply_async(add_one, static_cast<int>(i)));
  for (std::size_t i = 0; i < k_tiny_tasks; ++i) out[i] = results[i].get();
  results.clear();  // destroys the results: part of what a task costs
}

void tiny_tasks_pool(benchmark::State& state) {
  mpp::Pool pool(workers());
  std::vector<mpp::AsyncResult<int>> results;
  results.reserve(k_tiny_tasks);
  std::vector<int> out(k_tiny_tasks);
  for (auto _ : state) {
    run(pool, results, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  out.assign(k_tiny_tasks, 0);
  run(pool, results, out);
  bool ok = true;
  for (std::size_t i = 0; i < k_tiny_tasks; ++i) ok &= out[i] == static_cast<int>(i) + 1;
  check(state, ok, "wrong results");
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(k_tiny_tasks));
}

BENCHMARK(tiny_tasks_pool)->Name("tiny_tasks/pool")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
