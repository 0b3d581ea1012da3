// frame_map_rows, serially: the same row function over every row, in a plain loop (the reference
// map_rows must beat by 1.8× on 2 cores).
#include <benchmark/benchmark.h>

#include <vector>

#include "common/bench.hpp"
#include "frame_map_rows/frame_map_rows.hpp"

namespace mpp::bench {
namespace {

std::vector<double> run(const mpp::Frame& frame) {
  std::vector<double> results;
  results.reserve(frame.num_rows());
  for (const mpp::Row row : frame.rows()) results.push_back(row_norm(row));
  return results;
}

void frame_map_rows_serial(benchmark::State& state) {
  const mpp::Frame& frame = map_rows_frame();
  for (auto _ : state) {
    std::vector<double> results = run(frame);
    benchmark::DoNotOptimize(results.data());
    benchmark::ClobberMemory();
  }
  check(state, map_rows_correct(run(frame)), "wrong results");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * k_frame_map_rows));
}

BENCHMARK(frame_map_rows_serial)->Name("frame_map_rows/serial")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
