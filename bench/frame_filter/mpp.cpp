// frame_filter with mpp: frame.filter((frame["a"] > 500) & (frame["b"] < 5.0)), the comparisons and
// the copy of the kept rows on one thread per usable CPU (frame_ranges.hpp), and the same with this
// process held to one CPU (the operation's own run on one worker).
#include <benchmark/benchmark.h>

#include <optional>

#include "common/bench.hpp"
#include "frame_filter/frame_filter.hpp"

namespace mpp::bench {
namespace {

mpp::Frame filter_once(const mpp::Frame& frame) {
  return frame.filter((frame.column("a") > 500) & (frame.column("b") < 5.0));
}

void frame_filter_mpp(benchmark::State& state, bool one_cpu) {
  const mpp::Frame& frame = filter_frame();
  std::optional<OneCpu> pinned;
  if (one_cpu) pinned.emplace();
  for (auto _ : state) {
    mpp::Frame kept = filter_once(frame);
    benchmark::DoNotOptimize(&kept);
  }
  const mpp::Frame kept = filter_once(frame);
  pinned.reset();
  check(state, kept.num_rows() == filter_expected_rows() && kept.num_columns() == 3, "wrong rows");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * k_frame_filter_rows));
}

BENCHMARK_CAPTURE(frame_filter_mpp, all, false)
    ->Name("frame_filter/mpp")
    ->Iterations(5)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(frame_filter_mpp, one, true)
    ->Name("frame_filter/mpp_1cpu")
    ->Iterations(5)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
