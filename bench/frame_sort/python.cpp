// frame_sort in pandas (bench/python/frame_sort.py), on the same 10 000 000 rows: sort_values by the
// int64 and by the float64 key (the default kind, quicksort, and kind="stable", mpp's order), and
// Series.unique / value_counts of the 100 000-value key.
#include <benchmark/benchmark.h>

#include <string>

#include "common/bench.hpp"
#include "frame_sort/frame_sort.hpp"
#include "python/peer.hpp"

namespace mpp::bench {
namespace {

void frame_sort_python(benchmark::State& state, const char* task) {
  run_python_peer(state, "frame_sort.py",
                  {task, std::to_string(workers()), std::to_string(k_frame_sort_rows)});
}

#define MPP_FRAME_SORT_PEER(task)                   \
  BENCHMARK_CAPTURE(frame_sort_python, task, #task) \
      ->Name("frame_sort/pandas_" #task)            \
      ->Iterations(1)                               \
      ->UseManualTime()                             \
      ->Unit(benchmark::kMillisecond)

MPP_FRAME_SORT_PEER(int64);
MPP_FRAME_SORT_PEER(int64_stable);
MPP_FRAME_SORT_PEER(float64);
MPP_FRAME_SORT_PEER(float64_stable);
MPP_FRAME_SORT_PEER(unique);
MPP_FRAME_SORT_PEER(value_counts);

}  // namespace
}  // namespace mpp::bench
