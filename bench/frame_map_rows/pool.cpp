// frame_map_rows with mpp::map_rows on mpp::Pool, automatic chunksize: mpp's answer to pandas'
// df.apply(f, axis=1) and to the tutorial's pool.imap(hypotenuse, df.itertuples()).
#include "mpp/pool.hpp"

#include <benchmark/benchmark.h>

#include <vector>

#include "common/bench.hpp"
#include "frame_map_rows/frame_map_rows.hpp"

namespace mpp::bench {
namespace {

void frame_map_rows_pool(benchmark::State& state) {
  const mpp::Frame& frame = map_rows_frame();
  mpp::Pool pool(workers());  // setup: the workers start outside the timed loop
  for (auto _ : state) {
    std::vector<double> results = mpp::map_rows(pool, frame, &row_norm);
    benchmark::DoNotOptimize(results.data());
    benchmark::ClobberMemory();
  }
  check(state, map_rows_correct(mpp::map_rows(pool, frame, &row_norm)), "wrong results");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * k_frame_map_rows));
}

BENCHMARK(frame_map_rows_pool)->Name("frame_map_rows/pool")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
