// frame_merge with mpp::merge on mpp::ProcessPool over frames made by share(): the workers map the
// key columns' partitions (one merge before the timed ones maps them).
#include "mpp/process_pool.hpp"

#include <benchmark/benchmark.h>

#include "common/bench.hpp"
#include "frame_merge/frame_merge.hpp"

namespace mpp::bench {
namespace {

void frame_merge_process_pool_shared(benchmark::State& state) {
  mpp::ProcessPool pool(workers());
  const mpp::Frame left = merge_left().share();  // setup, as the frames' own building is
  const mpp::Frame right = merge_right().share();
  (void)mpp::merge(pool, left, right, merge_options());
  for (auto _ : state) {
    mpp::Frame merged = mpp::merge(pool, left, right, merge_options());
    benchmark::DoNotOptimize(merged);
  }
  check(state, merge_correct(mpp::merge(pool, left, right, merge_options())), "wrong merge");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * k_merge_left));
}

BENCHMARK(frame_merge_process_pool_shared)
    ->Name("frame_merge/process_pool_shared")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
