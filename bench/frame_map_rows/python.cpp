// frame_map_rows in pandas (bench/python/frame_map_rows.py): df.apply(row_norm, axis=1) on 200 000
// rows, and the tutorial's recipe, np.array_split + multiprocessing.Pool.map of a whole-frame function
// that applies row_norm to its partition, on 400 000 rows. Fewer rows than mpp's: compare rates.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <string>

#include "common/bench.hpp"
#include "frame_map_rows/frame_map_rows.hpp"
#include "python/peer.hpp"

namespace mpp::bench {
namespace {

void frame_map_rows_python(benchmark::State& state, const char* recipe, std::size_t rows) {
  run_python_peer(state, "frame_map_rows.py", {recipe, std::to_string(workers()), std::to_string(rows)});
}

BENCHMARK_CAPTURE(frame_map_rows_python, apply_axis1, "apply_axis1", k_frame_map_rows_pandas)
    ->Name("frame_map_rows/pandas_apply")
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(frame_map_rows_python, multiprocessing, "multiprocessing", k_frame_map_rows_multiprocessing)
    ->Name("frame_map_rows/pandas_mp")
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
