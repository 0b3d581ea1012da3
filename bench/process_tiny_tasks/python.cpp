// Python's multiprocessing.Pool on the same 100 000 tasks: apply_async(add_one, (i,)) each, the
// AsyncResults kept, then get() of each (bench/python/process_tiny_tasks.py).
#include <benchmark/benchmark.h>

#include <string>

#include "common/bench.hpp"
#include "process_tiny_tasks/process_tiny_tasks.hpp"
#include "python/peer.hpp"

namespace mpp::bench {
namespace {

void process_tiny_tasks_python(benchmark::State& state) {
  run_python_peer(state, "process_tiny_tasks.py",
                  {"apply_async", std::to_string(workers()), std::to_string(k_process_tiny_tasks)});
}

BENCHMARK(process_tiny_tasks_python)
    ->Name("process_tiny_tasks/python")
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
