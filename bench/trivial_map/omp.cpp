// Ten million trivial items with an OpenMP parallel for, schedule(static).
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstddef>
#include <vector>

#include "common/bench.hpp"
#include "common/workloads.hpp"

namespace mpp::bench {
namespace {

std::vector<int> run(const std::vector<int>& input) {
  std::vector<int> out(input.size());
  const std::size_t n = input.size();
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < n; ++i) out[i] = trivial(input[i]);
  return out;
}

void trivial_map_omp(benchmark::State& state) {
  const std::vector<int>& input = trivial_input();
  omp_set_num_threads(workers_int());
  for (auto _ : state) {
    std::vector<int> out = run(input);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  check(state, run(input) == trivial_expected(), "wrong results");
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(k_trivial_items));
}

BENCHMARK(trivial_map_omp)->Name("trivial_map/omp")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
