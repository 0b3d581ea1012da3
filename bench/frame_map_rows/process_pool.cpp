// frame_map_rows with mpp::map_rows on mpp::ProcessPool: over the frame itself (its partitions
// serialised to the workers) and over frame.share() (its partitions sent as ranges of shared
// memory, which the workers map; one map before the timed ones maps them, as for the tutorial's
// process_pool_shared row).
#include "mpp/process_pool.hpp"

#include <benchmark/benchmark.h>

#include <vector>

#include "common/bench.hpp"
#include "frame_map_rows/frame_map_rows.hpp"

namespace mpp::bench {
namespace {

void time_map_rows(benchmark::State& state, mpp::ProcessPool& pool, const mpp::Frame& frame) {
  for (auto _ : state) {
    std::vector<double> results = mpp::map_rows(pool, frame, &row_norm);
    benchmark::DoNotOptimize(results.data());
    benchmark::ClobberMemory();
  }
  check(state, map_rows_correct(mpp::map_rows(pool, frame, &row_norm)), "wrong results");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * k_frame_map_rows));
}

void frame_map_rows_process_pool(benchmark::State& state) {
  mpp::ProcessPool pool(workers());  // setup: the workers start outside the timed loop
  time_map_rows(state, pool, map_rows_frame());
}

void frame_map_rows_process_pool_shared(benchmark::State& state) {
  mpp::ProcessPool pool(workers());
  const mpp::Frame shared = map_rows_frame().share();  // setup, as the frame's own building is
  (void)mpp::map_rows(pool, shared, &row_norm);
  time_map_rows(state, pool, shared);
}

BENCHMARK(frame_map_rows_process_pool)
    ->Name("frame_map_rows/process_pool")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(frame_map_rows_process_pool_shared)
    ->Name("frame_map_rows/process_pool_shared")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
