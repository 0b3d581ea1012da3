// mpp::Lock: uncontended acquire + release in one process, and two processes (forked) contending
// for it around a shared counter.
#include <benchmark/benchmark.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <new>

#include "common/bench.hpp"
#include "lock/lock.hpp"
#include "mpp/shared_memory.hpp"
#include "mpp/synchronize.hpp"

namespace mpp::bench {
namespace {

void lock_uncontended_mpp(benchmark::State& state) {
  mpp::Lock lock;
  for (auto _ : state) {
    for (int i = 0; i < k_uncontended; ++i) {
      lock.acquire();
      lock.release();
    }
  }
  state.SetItemsProcessed(state.iterations() * k_uncontended);
}

void count(mpp::Lock& lock, std::uint64_t& counter) {
  for (int i = 0; i < k_handoffs; ++i) {
    const std::lock_guard guard(lock);
    ++counter;
  }
}

void lock_contended_mpp(benchmark::State& state) {
  mpp::Lock lock;
  mpp::SharedMemory memory(sizeof(std::uint64_t));
  auto& counter = *new (memory.data()) std::uint64_t(0);
  for (auto _ : state) {
    counter = 0;
    const auto start = std::chrono::steady_clock::now();
    const pid_t child = ::fork();
    if (child == 0) {
      count(lock, counter);
      ::_exit(0);
    }
    count(lock, counter);
    int status = 0;
    ::waitpid(child, &status, 0);
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    check(state, counter == 2U * k_handoffs, "every round counted");
  }
  state.SetItemsProcessed(state.iterations() * 2 * k_handoffs);
}

BENCHMARK(lock_uncontended_mpp)->Name("lock_uncontended/mpp")->Unit(benchmark::kMillisecond);
BENCHMARK(lock_contended_mpp)->Name("lock_contended/mpp")->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
