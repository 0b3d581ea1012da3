// What every benchmark suite shares: the worker count all contenders use, and the context line
// that records it in each suite's JSON output (bench/table.py prints it).
#pragma once

#include <benchmark/benchmark.h>
#include <sched.h>

#include <cstddef>
#include <string>

#include "mpp/cpu.hpp"

namespace mpp::bench {

/// The fixed worker count of every contender: the CPUs this process may use (affinity mask and
/// cgroup quota), which is also mpp::Pool's default size.
inline std::size_t workers() {
  static const std::size_t n = mpp::usable_cpu_count();
  return n;
}

/// Fails the benchmark (its row shows the error) when a contender computed a wrong result. Each
/// contender checks the result of one extra, untimed run after its timed loop.
inline void check(benchmark::State& state, bool ok, const char* what) {
  if (!ok) state.SkipWithError(what);
}

/// Holds the calling thread, and the threads it starts while held, to one of the CPUs it may use:
/// the one-worker baseline of a parallel operation. mpp's frame operations then cut their work into
/// one range (they count the CPUs the calling thread may use), so nothing of the run takes a second
/// CPU, where a pool of one worker still leaves mpp's frame pool its threads.
class OneCpu {
 public:
  OneCpu() {
    CPU_ZERO(&all_);
    held_ = ::sched_getaffinity(0, sizeof all_, &all_) == 0;
    if (!held_) return;
    cpu_set_t one;
    CPU_ZERO(&one);
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &all_)) {
        CPU_SET(cpu, &one);
        break;
      }
    }
    held_ = ::sched_setaffinity(0, sizeof one, &one) == 0;
  }
  ~OneCpu() {
    if (held_) ::sched_setaffinity(0, sizeof all_, &all_);
  }
  OneCpu(const OneCpu&) = delete;
  OneCpu& operator=(const OneCpu&) = delete;

 private:
  cpu_set_t all_;
  bool held_ = false;
};

/// As workers(), for APIs that take an int (omp_set_num_threads, tbb::task_arena).
inline int workers_int() { return static_cast<int>(workers()); }

namespace detail {
inline bool register_context() {
  benchmark::AddCustomContext("mpp_workers", std::to_string(workers()));
  return true;
}
// Dynamic initialisation before benchmark_main's main() runs; an inline variable is initialised once
// however many files of the suite include this header.
inline const bool k_context_registered = register_context();
}  // namespace detail

}  // namespace mpp::bench
