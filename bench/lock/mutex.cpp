// The in-process reference: std::mutex, uncontended, as lock/mpp.cpp's first row.
#include <benchmark/benchmark.h>

#include <mutex>

#include "lock/lock.hpp"

namespace mpp::bench {
namespace {

void lock_uncontended_mutex(benchmark::State& state) {
  std::mutex mutex;
  for (auto _ : state) {
    for (int i = 0; i < k_uncontended; ++i) {
      mutex.lock();
      mutex.unlock();
    }
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * k_uncontended);
}

BENCHMARK(lock_uncontended_mutex)->Name("lock_uncontended/std_mutex")->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
