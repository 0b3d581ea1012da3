// Ten million trivial items (x * 2 + 1), serially: memory speed, the floor of any contender.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <vector>

#include "common/bench.hpp"
#include "common/workloads.hpp"

namespace mpp::bench {
namespace {

std::vector<int> run(const std::vector<int>& input) {
  std::vector<int> out(input.size());
  for (std::size_t i = 0; i < input.size(); ++i) out[i] = trivial(input[i]);
  return out;
}

void trivial_map_serial(benchmark::State& state) {
  const std::vector<int>& input = trivial_input();
  for (auto _ : state) {
    std::vector<int> out = run(input);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  check(state, run(input) == trivial_expected(), "wrong results");
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(k_trivial_items));
}

BENCHMARK(trivial_map_serial)->Name("trivial_map/serial")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
