// A ProcessPool's whole life with nothing to do, per start method (process_startup/<method>/2):
// construct (start the workers from the dispatcher thread, map their rings, wait until each reports
// ready), close(), join() (each worker reads a stop record and exits; every one is reaped before
// join() returns). The argument is the number of workers.
//
// And the replacement of a worker that died, per start method (process_replace/<method>): on a
// one-worker pool, a task that raises SIGKILL in its worker, then the next task, which runs on the
// replacement; timed from submitting the first to the second's result (the first's WorkerLost
// included). Submitting and receiving a task take microseconds; starting the replacement, a fork
// or an exec of this program, the rest.
//
// Spawned workers run this program again: its main() calls mpp::freeze_support() first.
#include "mpp/process_pool.hpp"

#include <benchmark/benchmark.h>

#include <csignal>
#include <cstddef>
#include <string>

#include "common/bench.hpp"
#include "mpp/errors.hpp"
#include "mpp/start_method.hpp"
#include "process_startup/process_startup.hpp"

namespace mpp::bench {
namespace {

void process_startup_process_pool(benchmark::State& state, mpp::StartMethod method) {
  const auto processes = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    mpp::ProcessPool pool(mpp::ProcessPoolOptions{.processes = processes, .start_method = method});
    pool.close();
    pool.join();
  }
}

int die(int /*unused*/) {
  std::raise(SIGKILL);
  return 0;
}
int twice(int x) { return 2 * x; }

void process_replace_process_pool(benchmark::State& state, mpp::StartMethod method) {
  mpp::ProcessPool pool(mpp::ProcessPoolOptions{.processes = 1, .start_method = method});
  bool ok = pool.apply(&twice, 1) == 2;  // the first worker is up
  int lost = 0;
  for (auto _ : state) {
    auto killed = pool.apply_async(&die, 0);
    auto next = pool.apply_async(&twice, 21);
    ok = ok && next.get() == 42;
    try {
      (void)killed.get();
    } catch (const mpp::WorkerLost&) {
      ++lost;
    }
  }
  check(state, ok && lost == static_cast<int>(state.iterations()),
        "a killed worker's task did not fail with WorkerLost, or its replacement computed a wrong result");
}

bool register_benchmarks() {
  for (const StartupMethod& m : k_startup_methods) {
    benchmark::RegisterBenchmark((std::string("process_startup/process_pool/") + m.name).c_str(),
                                 &process_startup_process_pool, m.method)
        ->Arg(2)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark((std::string("process_replace/process_pool/") + m.name).c_str(),
                                 &process_replace_process_pool, m.method)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  return true;
}
const bool k_registered = register_benchmarks();

}  // namespace
}  // namespace mpp::bench
