// The suite's own main(): the spawn start method runs this program again for each worker, and
// mpp::freeze_support() turns that run into the worker before Google Benchmark starts.
#include <benchmark/benchmark.h>

#include "mpp/start_method.hpp"

int main(int argc, char** argv) {
  mpp::freeze_support(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
