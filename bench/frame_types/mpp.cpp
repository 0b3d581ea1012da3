// frame_types with mpp: read_csv with a datetime and a bool column (parsing on the calling thread,
// libcsv tokenising beside it), frame.filter(frame["paid"].as_mask() & (frame["when"] >= ts)) and
// sort_values({"when"}) on one thread per usable CPU, and those two with this process held to one
// CPU (the operation's own run on one worker).
#include <benchmark/benchmark.h>

#include <optional>

#include "common/bench.hpp"
#include "frame_types/frame_types.hpp"

namespace mpp::bench {
namespace {

void frame_types_read(benchmark::State& state) {
  const std::string& file = types_file();
  mpp::CsvOptions options;
  options.types = {{"paid", mpp::ColumnType::boolean}};
  options.parse_dates = {"when"};
  for (auto _ : state) {
    mpp::Frame frame = mpp::read_csv(file, options);
    benchmark::DoNotOptimize(&frame);
  }
  check(state, mpp::read_csv(file, options) == types_frame(), "the frame read back");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * k_frame_types_rows));
}

mpp::Frame filter_once(const mpp::Frame& frame) {
  return frame.filter(frame.column("paid").as_mask() &
                      (frame.column("when") >= mpp::Timestamp(k_types_bound * 1'000'000'000)));
}

void frame_types_filter(benchmark::State& state, bool one_cpu) {
  const mpp::Frame& frame = types_frame();
  std::optional<OneCpu> pinned;
  if (one_cpu) pinned.emplace();
  for (auto _ : state) {
    mpp::Frame kept = filter_once(frame);
    benchmark::DoNotOptimize(&kept);
  }
  check(state, filter_once(frame).num_rows() == types_expected_rows(), "wrong rows");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * k_frame_types_rows));
}

void frame_types_sort(benchmark::State& state, bool one_cpu) {
  const mpp::Frame& frame = types_frame();
  std::optional<OneCpu> pinned;
  if (one_cpu) pinned.emplace();
  for (auto _ : state) {
    mpp::Frame sorted = frame.sort_values({"when"});
    benchmark::DoNotOptimize(&sorted);
  }
  const mpp::Frame sorted = frame.sort_values({"when"});
  const auto when = sorted.column("when").values<std::int64_t>();
  bool ordered = sorted.column("when").type() == mpp::ColumnType::datetime;
  for (std::size_t i = 1; i < when.size(); ++i) ordered = ordered && when[i - 1] <= when[i];
  check(state, ordered && when.size() == k_frame_types_rows, "not sorted");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * k_frame_types_rows));
}

BENCHMARK(frame_types_read)
    ->Name("frame_types/read_csv/mpp")
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(frame_types_filter, all, false)
    ->Name("frame_types/filter/mpp")
    ->Iterations(5)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(frame_types_filter, one, true)
    ->Name("frame_types/filter/mpp_1cpu")
    ->Iterations(5)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(frame_types_sort, all, false)
    ->Name("frame_types/sort/mpp")
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(frame_types_sort, one, true)
    ->Name("frame_types/sort/mpp_1cpu")
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
