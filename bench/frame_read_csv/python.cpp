// frame_read_csv with pandas.read_csv (its C engine, bench/python/frame_read_csv.py), on the same file:
// each repetition is a fresh interpreter that times the read and reports its peak memory too.
#include <benchmark/benchmark.h>

#include <sstream>
#include <string>

#include "common/bench.hpp"
#include "frame_read_csv/frame_read_csv.hpp"
#include "python/peer.hpp"

namespace mpp::bench {
namespace {

void frame_read_csv_python(benchmark::State& state) {
  const std::string& file = read_csv_file();
  const std::vector<std::string> argv{k_python, std::string(MPP_BENCH_PYTHON_DIR) + "/frame_read_csv.py",
                                      file};
  double seconds = 0;
  double rows = 0;
  double peak = 0;
  double growth = 0;
  double columns = 0;
  for (auto _ : state) {
    std::string out;
    const int status = detail::run_captured(argv, out);
    std::istringstream in(out);
    if (status != 0 || !(in >> seconds >> rows >> peak >> growth >> columns) || seconds <= 0) {
      state.SkipWithError("the Python peer failed (its message is on stderr)");
      return;
    }
    state.SetIterationTime(seconds);
  }
  state.counters["items_per_second"] = benchmark::Counter(rows / seconds);
  state.counters["columns_MB"] = columns / 1e6;
  state.counters["peak_MB"] = peak / 1e6;
  state.counters["peak_over_columns"] = growth / columns;
}

BENCHMARK(frame_read_csv_python)
    ->Name("frame_read_csv/pandas_read_csv")
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
