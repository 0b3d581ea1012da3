// frame_groupby with mpp::groupby and mpp::describe on mpp::Pool, with every worker and with one
// (the parallel speed-up), against pandas' df.groupby("k").x.sum() and df.describe().
#include "mpp/pool.hpp"

#include <benchmark/benchmark.h>

#include <cstddef>
#include <string>

#include "common/bench.hpp"
#include "frame_groupby/frame_groupby.hpp"

namespace mpp::bench {
namespace {

mpp::Frame group(mpp::Pool& pool, const char* key, bool mean) {
  const mpp::GroupBy groups = mpp::groupby(pool, groupby_frame().select({key, "x"}), {key});
  return mean ? groups.mean() : groups.sum();
}

void frame_groupby(benchmark::State& state, const char* key, bool mean, std::size_t threads) {
  (void)groupby_frame();
  mpp::Pool pool(threads);
  for (auto _ : state) {
    mpp::Frame result = group(pool, key, mean);
    benchmark::DoNotOptimize(result);
  }
  check(state, groupby_correct(group(pool, key, mean), mean), "wrong groups");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * k_groupby_rows));
}

void frame_describe(benchmark::State& state, std::size_t threads) {
  (void)describe_frame();
  mpp::Pool pool(threads);
  for (auto _ : state) {
    mpp::Frame result = mpp::describe(pool, describe_frame());
    benchmark::DoNotOptimize(result);
  }
  const mpp::Frame result = mpp::describe(pool, describe_frame());
  check(state, result.column("a").get<double>(0) == static_cast<double>(k_groupby_rows), "wrong count");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * k_groupby_rows));
}

void sum_int(benchmark::State& state) { frame_groupby(state, "k", false, workers()); }
void sum_int_one(benchmark::State& state) { frame_groupby(state, "k", false, 1); }
void mean_int(benchmark::State& state) { frame_groupby(state, "k", true, workers()); }
void mean_int_one(benchmark::State& state) { frame_groupby(state, "k", true, 1); }
void sum_string(benchmark::State& state) { frame_groupby(state, "ks", false, workers()); }
void sum_string_one(benchmark::State& state) { frame_groupby(state, "ks", false, 1); }
void describe(benchmark::State& state) { frame_describe(state, workers()); }
void describe_one(benchmark::State& state) { frame_describe(state, 1); }

BENCHMARK(sum_int)->Name("frame_groupby/sum_int/pool")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(sum_int_one)->Name("frame_groupby/sum_int/pool_1")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(mean_int)->Name("frame_groupby/mean_int/pool")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(mean_int_one)->Name("frame_groupby/mean_int/pool_1")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(sum_string)->Name("frame_groupby/sum_string/pool")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(sum_string_one)
    ->Name("frame_groupby/sum_string/pool_1")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(describe)->Name("frame_groupby/describe/pool")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(describe_one)->Name("frame_groupby/describe/pool_1")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
