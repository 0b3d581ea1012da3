// 100 000 tiny tasks on a ProcessPool, one apply_async each: what a task costs when it crosses to a
// worker process and back (its AsyncResult, its request and result records in the rings, the
// dispatcher's bookkeeping, get() and the result's destruction).
#include "mpp/process_pool.hpp"

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/bench.hpp"
#include "common/workloads.hpp"
#include "process_tiny_tasks/process_tiny_tasks.hpp"

namespace mpp::bench {
namespace {

void run(mpp::ProcessPool& pool, std::vector<mpp::AsyncResult<int>>& results, std::vector<int>& out) {
  for (std::size_t i = 0; i < k_process_tiny_tasks; ++i)
    results.push_back(pool.apply_async(add_one, static_cast<int>(i)));
  for (std::size_t i = 0; i < k_process_tiny_tasks; ++i) out[i] = results[i].get();
  results.clear();  // destroys the results: part of what a task costs
}

void process_tiny_tasks_process_pool(benchmark::State& state) {
  mpp::ProcessPool pool(workers());
  std::vector<mpp::AsyncResult<int>> results;
  results.reserve(k_process_tiny_tasks);
  std::vector<int> out(k_process_tiny_tasks);
  for (auto _ : state) {
    run(pool, results, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  out.assign(k_process_tiny_tasks, 0);
  run(pool, results, out);
  bool ok = true;
  for (std::size_t i = 0; i < k_process_tiny_tasks; ++i) ok &= out[i] == static_cast<int>(i) + 1;
  check(state, ok, "wrong results");
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(k_process_tiny_tasks));
}

BENCHMARK(process_tiny_tasks_process_pool)
    ->Name("process_tiny_tasks/process_pool")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
