// Python's multiprocessing.get_context(method).Pool(n), close(), join(), per start method
// (process_startup/<method>/2): the mean of 20 after a warm-up, in a fresh interpreter each
// repetition (bench/python/process_startup.py). The argument is the number of workers.
#include <benchmark/benchmark.h>

#include <string>

#include "process_startup/process_startup.hpp"
#include "python/peer.hpp"

namespace mpp::bench {
namespace {

constexpr int k_startups_per_repetition = 20;

void process_startup_python(benchmark::State& state, const char* method) {
  run_python_peer(state, "process_startup.py",
                  {method, std::to_string(state.range(0)), std::to_string(k_startups_per_repetition)});
}

bool register_benchmarks() {
  for (const StartupMethod& m : k_startup_methods) {
    benchmark::RegisterBenchmark((std::string("process_startup/python/") + m.name).c_str(),
                                 &process_startup_python, m.name)
        ->Arg(2)
        ->Iterations(1)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
  }
  return true;
}
const bool k_registered = register_benchmarks();

}  // namespace
}  // namespace mpp::bench
