// frame_sort with mpp: sort_values by an int64 and by a float64 key on mpp::Pool of workers() threads,
// of one, and of one with the process held to one CPU (the parallel speed-up's baseline: a pool of
// one worker still leaves the ranges of mpp's frame pool their threads); unique / value_counts of the
// 100 000-value key: the members (on mpp's frame pool at this size) and the pool forms on
// Pool(workers()) and Pool(1).
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <optional>

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

void frame_sort_mpp(benchmark::State& state, const char* key, std::size_t threads, bool one_cpu = false) {
  std::optional<OneCpu> pinned;
  if (one_cpu) pinned.emplace();
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

// mpp::unique or mpp::value_counts of `g` on a pool of `threads`: each worker hashes a partition of
// the rows, the caller merges the partitions' tables.
void frame_sort_distinct_pool(benchmark::State& state, bool counts, std::size_t threads) {
  mpp::Pool pool(threads);  // setup: the workers start outside the timed loop
  const mpp::Column g = frame().column("g");
  for (auto _ : state) {
    if (counts) {
      mpp::Frame out = mpp::value_counts(pool, g);
      benchmark::DoNotOptimize(&out);
    } else {
      mpp::Column out = mpp::unique(pool, g);
      benchmark::DoNotOptimize(&out);
    }
  }
  const std::size_t found = counts ? mpp::value_counts(pool, g).num_rows() : mpp::unique(pool, g).size();
  check(state, found == k_frame_sort_groups, "wrong number of values");
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
BENCHMARK_CAPTURE(frame_sort_mpp, int64_one_cpu, "k", 1, true)
    ->Name("frame_sort/int64_one_cpu")
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
BENCHMARK_CAPTURE(frame_sort_mpp, float64_one_cpu, "x", 1, true)
    ->Name("frame_sort/float64_one_cpu")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(frame_sort_unique)->Name("frame_sort/unique")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(frame_sort_value_counts)
    ->Name("frame_sort/value_counts")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(frame_sort_distinct_pool, unique_pool, false, workers())
    ->Name("frame_sort/unique_pool")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(frame_sort_distinct_pool, unique_one, false, 1)
    ->Name("frame_sort/unique_one_worker")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(frame_sort_distinct_pool, value_counts_pool, true, workers())
    ->Name("frame_sort/value_counts_pool")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(frame_sort_distinct_pool, value_counts_one, true, 1)
    ->Name("frame_sort/value_counts_one_worker")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
