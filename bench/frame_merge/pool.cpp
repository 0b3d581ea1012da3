// frame_merge with mpp::merge on mpp::Pool: with every usable core, on one worker, and on one worker
// with the process held to one CPU (the parallel speed-up's baseline: a pool of one worker still
// leaves the ranges of mpp's frame pool their threads).
#include "mpp/pool.hpp"

#include <benchmark/benchmark.h>

#include <cstddef>
#include <optional>

#include "common/bench.hpp"
#include "frame_merge/frame_merge.hpp"

namespace mpp::bench {
namespace {

void frame_merge_pool(benchmark::State& state, std::size_t processes, bool one_cpu = false) {
  const mpp::Frame& left = merge_left();
  const mpp::Frame& right = merge_right();
  std::optional<OneCpu> pinned;
  if (one_cpu) pinned.emplace();
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
BENCHMARK_CAPTURE(frame_merge_pool, one_cpu, 1, true)
    ->Name("frame_merge/pool_1cpu")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
