// frame_groupby in pandas (bench/python/frame_groupby.py): df.groupby(key).x.sum() / .mean() and
// df.describe() on the same 10 000 000 rows, one process (pandas' own).
#include <benchmark/benchmark.h>

#include <string>

#include "common/bench.hpp"
#include "frame_groupby/frame_groupby.hpp"
#include "python/peer.hpp"

namespace mpp::bench {
namespace {

void frame_groupby_python(benchmark::State& state, const char* recipe) {
  run_python_peer(state, "frame_groupby.py",
                  {recipe, std::to_string(workers()), std::to_string(k_groupby_rows)});
}

BENCHMARK_CAPTURE(frame_groupby_python, sum_int, "sum_int")
    ->Name("frame_groupby/sum_int/pandas")
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(frame_groupby_python, mean_int, "mean_int")
    ->Name("frame_groupby/mean_int/pandas")
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(frame_groupby_python, sum_string, "sum_string")
    ->Name("frame_groupby/sum_string/pandas")
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(frame_groupby_python, describe, "describe")
    ->Name("frame_groupby/describe/pandas")
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
