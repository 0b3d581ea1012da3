// ProcessPool::map(add_one, a million ints): at chunksize 1, every item is a task of its own (a
// request record, a result, the dispatcher's bookkeeping); at the automatic chunksize (about four
// chunks per worker), the items travel as raw blocks of ints and the per-item cost is a copy.
#include "mpp/process_pool.hpp"

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/bench.hpp"
#include "common/workloads.hpp"
#include "process_map/process_map.hpp"

namespace mpp::bench {
namespace {

void process_map_process_pool(benchmark::State& state, std::size_t chunksize) {
  const std::vector<int>& input = process_map_input();
  mpp::ProcessPool pool(workers());
  for (auto _ : state) {
    std::vector<int> out = pool.map(add_one, input, chunksize);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  const std::vector<int> out = pool.map(add_one, input, chunksize);
  bool ok = out.size() == input.size();
  for (std::size_t i = 0; ok && i < out.size(); ++i) ok = out[i] == input[i] + 1;
  check(state, ok, "wrong results");
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(k_process_map_items));
}

BENCHMARK_CAPTURE(process_map_process_pool, chunksize_1, std::size_t{1})
    ->Name("process_map/process_pool/chunksize_1")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(process_map_process_pool, chunksize_auto, std::size_t{0})
    ->Name("process_map/process_pool/chunksize_auto")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
