// frame_merge in pandas (bench/python/frame_merge.py): pd.merge(left, right, on="k") of the same
// frames, 10 000 000 x 100 000 rows.
#include <benchmark/benchmark.h>

#include <string>

#include "common/bench.hpp"
#include "frame_merge/frame_merge.hpp"
#include "python/peer.hpp"

namespace mpp::bench {
namespace {

void frame_merge_python(benchmark::State& state) {
  run_python_peer(state, "frame_merge.py",
                  {"merge", std::to_string(workers()), std::to_string(k_merge_left)});
}

BENCHMARK(frame_merge_python)
    ->Name("frame_merge/pandas")
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
