// Every suite's main(): a ProcessPool's fork server (the default start method) and spawned
// workers are fresh runs of the suite, and mpp::freeze_support() turns such a run into the server
// or the worker before Google Benchmark starts.
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
