// The pool types that share one behaviour, for GoogleTest typed tests. Tests in these suites use only what
// every back end accepts (captureless functions, serialisable arguments, shared state through
// mpp_test::probe()). The programs that include it call mpp::freeze_support() in main (SPAWN in
// tests/CMakeLists.txt), so that their ProcessPools can spawn workers or have the fork server fork
// them.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <string>
#include <type_traits>

#include "mpp/pool.hpp"
#include "mpp/process_pool.hpp"
#include "mpp/start_method.hpp"

namespace mpp_test {

template <class P>
struct PoolTraits;

template <>
struct PoolTraits<mpp::Pool> {
  /// How the pool names itself in messages.
  static constexpr const char* k_name = "mpp::Pool";
  static constexpr const char* k_test_name = "Pool";
  /// Whether cancel(Cancel::even_running) always stops a call queued behind a busy worker: on
  /// threads it has not started; a ProcessPool worker skips a call sent to it but not started.
  static constexpr bool k_cancels_calls_sent_ahead = true;
  /// Whether cancel(Cancel::even_running) stops a call while it runs (a worker process is killed).
  static bool stops_running_calls() { return false; }
};

template <>
struct PoolTraits<mpp::ProcessPool> {
  static constexpr const char* k_name = "mpp::ProcessPool";
  static constexpr const char* k_test_name = "ProcessPool";
  static constexpr bool k_cancels_calls_sent_ahead = true;
  static bool stops_running_calls() { return true; }
};

/// Tests that make pools in a loop (rounds of create, submit, terminate) make this many times
/// fewer when every worker costs an exec of the program (a ProcessPool of a program whose default
/// is spawn): the races they look for are in code every ProcessPool shares whatever its start
/// method, and under ThreadSanitizer 400 spawned workers take most of a minute.
template <class P>
int fewer_rounds() {
  if constexpr (std::is_same_v<P, mpp::ProcessPool>) {
    return mpp::get_start_method() == mpp::StartMethod::spawn ? 10 : 1;
  } else {
    return 1;
  }
}

#ifdef MPP_TEST_MPI_POOLS
}  // namespace mpp_test
// The MPI tests (tests/mpi) compile the same typed suites again for mpp::MpiPool alone.
#include "mpp_test/mpi_pools.hpp"
namespace mpp_test {
using PoolTypes = ::testing::Types<MpiTestPool>;
#else
// mpp::ProcessPool takes the program's default start method, which CTest sets to each of fork,
// spawn and forkserver in turn (MPP_TEST_START_METHOD, fork_default.cpp; TYPED_POOLS in
// tests/CMakeLists.txt): the suites are compiled once and run on every method, in every build.
using PoolTypes = ::testing::Types<mpp::Pool, mpp::ProcessPool>;
#endif

struct PoolTypeNames {
  template <class P>
  static std::string GetName(int /*index*/) {
    return PoolTraits<P>::k_test_name;
  }
};

/// Worker counts every sweep covers: oversubscribing the CPUs on purpose shakes out interleavings.
inline constexpr std::array<std::size_t, 5> k_worker_counts{1, 2, 4, 8, 16};

}  // namespace mpp_test
