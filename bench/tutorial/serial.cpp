// The tutorial's map problem, serially: the reference the parallel contenders must beat.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <vector>

#include "common/bench.hpp"
#include "common/tutorial_map.hpp"
#include "common/workloads.hpp"

namespace mpp::bench {
namespace {

std::vector<int> run(const std::vector<Row>& data) {
  std::vector<int> results(data.size());
  for (std::size_t i = 0; i < data.size(); ++i) results[i] = howmany_within_range_rowonly(data[i]);
  return results;
}

void tutorial_serial(benchmark::State& state) { time_tutorial(state, run); }

BENCHMARK(tutorial_serial)
    ->Name("tutorial/serial")
    ->Arg(2'000)
    ->Arg(20'000)
    ->Arg(200'000)
    ->Arg(20'000'000)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
