// frame_merge with mpp::merge, serially: the hash join on one thread.
#include <benchmark/benchmark.h>

#include "common/bench.hpp"
#include "frame_merge/frame_merge.hpp"

namespace mpp::bench {
namespace {

void frame_merge_serial(benchmark::State& state) {
  const mpp::Frame& left = merge_left();
  const mpp::Frame& right = merge_right();
  for (auto _ : state) {
    mpp::Frame merged = mpp::merge(left, right, merge_options());
    benchmark::DoNotOptimize(merged);
  }
  check(state, merge_correct(mpp::merge(left, right, merge_options())), "wrong merge");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * k_merge_left));
}

BENCHMARK(frame_merge_serial)->Name("frame_merge/serial")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
