// A ProcessPool's whole life with nothing to do: construct (fork the workers from the dispatcher
// thread, map their rings, wait until each reports ready), close(), join() (each worker reads a
// stop record and exits; every one is reaped before join() returns). The argument is the number
// of workers.
#include "mpp/process_pool.hpp"

#include <benchmark/benchmark.h>

#include <cstddef>

#include "common/bench.hpp"

namespace mpp::bench {
namespace {

void process_startup_process_pool(benchmark::State& state) {
  const auto processes = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    mpp::ProcessPool pool(processes);
    pool.close();
    pool.join();
  }
}

BENCHMARK(process_startup_process_pool)
    ->Name("process_startup/process_pool")
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
