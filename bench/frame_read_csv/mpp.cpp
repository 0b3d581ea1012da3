// frame_read_csv with mpp::read_csv: libcsv tokenises on one thread while the caller's converts, with
// type inference per column. Counters: the file's bytes per second, and the peak memory of one more
// read (untimed) against the size of the columns it parsed: peak_over_columns = (VmHWM during the
// read - VmRSS before it) / column bytes (the target is ≤ 2).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>

#include "common/bench.hpp"
#include "frame_read_csv/frame_read_csv.hpp"
#include "mpp/csv.hpp"

namespace mpp::bench {
namespace {

void frame_read_csv_mpp(benchmark::State& state) {
  const std::string& file = read_csv_file();
  for (auto _ : state) {
    mpp::Frame frame = mpp::read_csv(file);
    benchmark::DoNotOptimize(&frame);
  }
  const auto before = status_bytes("VmRSS");
  const bool reset = reset_peak_memory();
  const mpp::Frame frame = mpp::read_csv(file);
  const auto peak = status_bytes("VmHWM");
  check(state, frame.num_rows() == k_read_csv_rows && frame.num_columns() == 5, "wrong frame");
  const double columns = static_cast<double>(column_bytes(frame));
  state.counters["columns_MB"] = columns / 1e6;
  if (reset && before && peak) {
    state.counters["peak_MB"] = *peak / 1e6;
    state.counters["peak_over_columns"] = (*peak - *before) / columns;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * k_read_csv_rows));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * std::filesystem::file_size(file)));
}

BENCHMARK(frame_read_csv_mpp)
    ->Name("frame_read_csv/read_csv")
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
