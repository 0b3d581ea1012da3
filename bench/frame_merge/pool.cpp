// frame_merge with mpp::merge on mpp::Pool: with every usable core, and on one worker (the
// parallel speed-up's baseline).
#include "mpp/pool.hpp"

#include <benchmark/benchmark.h>

#include <cstddef>

#include "common/bench.hpp"
#include "frame_merge/frame_merge.hpp"

namespace mpp::bench {
namespace {

void frame_merge_pool(benchmark::State& state, std::size_t processes) {
  const mpp::Frame& left = merge_left();
  const mpp::Frame& right = merge_right();
  mpp::Pool pool(processes);  // setup: the workers start outside the timed loop
  for (auto _ : state) {
    mpp::Frame merged = mpp::merge(pool, left, right, merge_options());
    benchmark::DoNotOptimize(merged);
  }
  check(state, merge_correct(mpp::merge(pool, left, right, merge_options())), "wrong merge");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * k_merge_left));
}

BENCHMARK_CAPTURE(frame_merge_pool, all, workers())
    ->Name("frame_merge/pool")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(frame_merge_pool, one, 1)
    ->Name("frame_merge/pool_1")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
