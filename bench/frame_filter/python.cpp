// frame_filter in pandas (bench/python/frame_filter.py): df[(df.a > 500) & (df.b < 5.0)] on the
// same 10 000 000 rows.
#include <benchmark/benchmark.h>

#include <string>

#include "common/bench.hpp"
#include "frame_filter/frame_filter.hpp"
#include "python/peer.hpp"

namespace mpp::bench {
namespace {

void frame_filter_python(benchmark::State& state) {
  run_python_peer(state, "frame_filter.py",
                  {"filter", std::to_string(workers()), std::to_string(k_frame_filter_rows)});
}

BENCHMARK(frame_filter_python)
    ->Name("frame_filter/pandas")
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
