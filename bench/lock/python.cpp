// Python's multiprocessing.Lock on the same workloads (bench/python/lock.py).
#include <benchmark/benchmark.h>

#include <string>

#include "lock/lock.hpp"
#include "python/peer.hpp"

namespace mpp::bench {
namespace {

void lock_uncontended_python(benchmark::State& state) {
  run_python_peer(state, "lock.py", {"uncontended", "1", std::to_string(k_uncontended)});
}

void lock_contended_python(benchmark::State& state) {
  run_python_peer(state, "lock.py", {"contended", "2", std::to_string(k_handoffs)});
}

BENCHMARK(lock_uncontended_python)
    ->Name("lock_uncontended/python")
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(lock_contended_python)
    ->Name("lock_contended/python")
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
