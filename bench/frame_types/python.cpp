// frame_types in pandas (bench/python/frame_types.py): read_csv(parse_dates=["when"],
// dtype={"paid": bool}) of the same file, df[df.paid & (df.when >= ts)] and
// df.sort_values("when", kind="stable") on the same 10 000 000 rows.
#include <benchmark/benchmark.h>

#include <string>

#include "common/bench.hpp"
#include "frame_types/frame_types.hpp"
#include "python/peer.hpp"

namespace mpp::bench {
namespace {

void frame_types_python(benchmark::State& state, const std::string& which) {
  // The read's file is made before the peer runs (it is the mpp contender's too).
  const std::string& file = types_file();
  run_python_peer(state, "frame_types.py",
                  {which, std::to_string(workers()), std::to_string(k_frame_types_rows), file});
}

BENCHMARK_CAPTURE(frame_types_python, read, std::string("read_csv"))
    ->Name("frame_types/read_csv/pandas")
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(frame_types_python, filter, std::string("filter"))
    ->Name("frame_types/filter/pandas")
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(frame_types_python, sort, std::string("sort"))
    ->Name("frame_types/sort/pandas")
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
