// The tutorial's map problem with an OpenMP parallel for, schedule(static): the rows split into one
// contiguous block per thread, which suits items that all cost the same.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstddef>
#include <vector>

#include "common/bench.hpp"
#include "common/tutorial_map.hpp"
#include "common/workloads.hpp"

namespace mpp::bench {
namespace {

std::vector<int> run(const std::vector<Row>& data) {
  std::vector<int> results(data.size());
  const std::size_t n = data.size();
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < n; ++i) results[i] = howmany_within_range_rowonly(data[i]);
  return results;
}

void tutorial_omp(benchmark::State& state) {
  omp_set_num_threads(workers_int());
  time_tutorial(state, run);
}

BENCHMARK(tutorial_omp)
    ->Name("tutorial/omp")
    ->Arg(2'000)
    ->Arg(20'000)
    ->Arg(200'000)
    ->Arg(20'000'000)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
