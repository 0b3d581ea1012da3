// frame_sort with mpp: sort_values by an int64 and by a float64 key on mpp::Pool of workers() threads
// and of one (the parallel speedup), and Column::unique / value_counts of the 100 000-value key.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>

#include "common/bench.hpp"
#include "frame_sort/frame_sort.hpp"
#include "mpp/frame.hpp"
#include "mpp/pool.hpp"

namespace mpp::bench {
namespace {

const mpp::Frame& frame() {
  static const mpp::Frame f = sort_frame();
  return f;
}

void frame_sort_mpp(benchmark::State& state, const char* key, std::size_t threads) {
  mpp::Pool pool(threads);  // setup: the workers start outside the timed loop
  for (auto _ : state) {
    mpp::Frame sorted = mpp::sort_values(pool, frame(), {key});
    benchmark::DoNotOptimize(&sorted);
  }
  const mpp::Frame sorted = mpp::sort_values(pool, frame(), {key});
  const bool ints = sorted.column(key).type() == mpp::ColumnType::int64;
  check(state, ints ? sorted_by<std::int64_t>(sorted, key) : sorted_by<double>(sorted, key), "not sorted");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * k_frame_sort_rows));
}

void frame_sort_unique(benchmark::State& state) {
  for (auto _ : state) {
    mpp::Column u = frame().column("g").unique();
    benchmark::DoNotOptimize(&u);
  }
  check(state, frame().column("g").nunique() == k_frame_sort_groups, "wrong count");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * k_frame_sort_rows));
}

void frame_sort_value_counts(benchmark::State& state) {
  for (auto _ : state) {
    mpp::Frame counts = frame().column("g").value_counts();
    benchmark::DoNotOptimize(&counts);
  }
  check(state, frame().column("g").value_counts().num_rows() == k_frame_sort_groups, "wrong counts");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * k_frame_sort_rows));
}

BENCHMARK_CAPTURE(frame_sort_mpp, int64, "k", workers())
    ->Name("frame_sort/int64_pool")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(frame_sort_mpp, int64_one, "k", 1)
    ->Name("frame_sort/int64_one_worker")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(frame_sort_mpp, float64, "x", workers())
    ->Name("frame_sort/float64_pool")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(frame_sort_mpp, float64_one, "x", 1)
    ->Name("frame_sort/float64_one_worker")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(frame_sort_unique)->Name("frame_sort/unique")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(frame_sort_value_counts)
    ->Name("frame_sort/value_counts")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
