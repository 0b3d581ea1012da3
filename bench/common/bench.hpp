// What every benchmark suite shares: the worker count all contenders use, and the context line
// that records it in each suite's JSON output (bench/table.py prints it).
#pragma once

#include <benchmark/benchmark.h>

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
