// The imbalanced map serially: item i costs i / 100 xorshift steps.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/bench.hpp"
#include "common/workloads.hpp"

namespace mpp::bench {
namespace {

std::vector<std::uint64_t> run() {
  std::vector<std::uint64_t> out(k_imbalanced_items);
  for (std::size_t i = 0; i < k_imbalanced_items; ++i) out[i] = imbalanced_item(i);
  return out;
}

void imbalanced_serial(benchmark::State& state) {
  for (auto _ : state) {
    std::vector<std::uint64_t> out = run();
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  check(state, fold(run()) == imbalanced_expected(), "wrong results");
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(k_imbalanced_items));
}

BENCHMARK(imbalanced_serial)->Name("imbalanced/serial")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
