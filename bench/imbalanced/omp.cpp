// The imbalanced map with an OpenMP parallel for, schedule(static): one contiguous block per
// thread, so the thread with the last block has most of the work. Shows what balancing is worth.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/bench.hpp"
#include "common/workloads.hpp"

namespace mpp::bench {
namespace {

std::vector<std::uint64_t> run() {
  std::vector<std::uint64_t> out(k_imbalanced_items);
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < k_imbalanced_items; ++i) out[i] = imbalanced_item(i);
  return out;
}

void imbalanced_omp(benchmark::State& state) {
  omp_set_num_threads(workers_int());
  for (auto _ : state) {
    std::vector<std::uint64_t> out = run();
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  check(state, fold(run()) == imbalanced_expected(), "wrong results");
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(k_imbalanced_items));
}

BENCHMARK(imbalanced_omp)->Name("imbalanced/omp")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
