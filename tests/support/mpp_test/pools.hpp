// The pool types that share one behaviour, for GoogleTest typed tests. Tests in these suites use only what
// every back end accepts (captureless functions, serialisable arguments, shared state through
// mpp_test::probe()). The programs that include it call mpp::freeze_support() in main (SPAWN in
// tests/CMakeLists.txt): SpawnProcessPool spawns its workers, ForkserverProcessPool has the fork
// server fork them.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <string>

#include "mpp/pool.hpp"
#include "mpp/process_pool.hpp"

namespace mpp_test {

template <class P>
struct PoolTraits;

template <>
struct PoolTraits<mpp::Pool> {
  /// How the pool names itself in messages.
  static constexpr const char* k_name = "mpp::Pool";
  static constexpr const char* k_test_name = "Pool";
};

template <>
struct PoolTraits<mpp::ProcessPool> {
  static constexpr const char* k_name = "mpp::ProcessPool";
  static constexpr const char* k_test_name = "ProcessPool";
};

/// A ProcessPool whose workers are spawned (StartMethod::spawn), whatever the program's default.
class SpawnProcessPool : public mpp::ProcessPool {
 public:
  SpawnProcessPool() : SpawnProcessPool(0) {}
  explicit SpawnProcessPool(std::size_t processes)
      : mpp::ProcessPool(
            mpp::ProcessPoolOptions{.processes = processes, .start_method = mpp::StartMethod::spawn}) {}
};

template <>
struct PoolTraits<SpawnProcessPool> {
  static constexpr const char* k_name = "mpp::ProcessPool";
  static constexpr const char* k_test_name = "SpawnProcessPool";
};

/// A ProcessPool whose workers the fork server forks (StartMethod::forkserver).
class ForkserverProcessPool : public mpp::ProcessPool {
 public:
  ForkserverProcessPool() : ForkserverProcessPool(0) {}
  explicit ForkserverProcessPool(std::size_t processes)
      : mpp::ProcessPool(
            mpp::ProcessPoolOptions{.processes = processes, .start_method = mpp::StartMethod::forkserver}) {}
};

template <>
struct PoolTraits<ForkserverProcessPool> {
  static constexpr const char* k_name = "mpp::ProcessPool";
  static constexpr const char* k_test_name = "ForkserverProcessPool";
};

/// Tests that make pools in a loop (rounds of create, submit, terminate) make this many times
/// fewer of a pool type whose every worker costs an exec of the program: the races they look for
/// are in code every ProcessPool shares whatever its start method, and under ThreadSanitizer 400
/// spawned workers take most of a minute.
template <class P>
inline constexpr int k_fewer_rounds = 1;
template <>
inline constexpr int k_fewer_rounds<SpawnProcessPool> = 10;

#ifdef MPP_TEST_MPI_POOLS
}  // namespace mpp_test
// The MPI tests (tests/mpi) compile the same typed suites again for mpp::MpiPool alone.
#include "mpp_test/mpi_pools.hpp"
namespace mpp_test {
using PoolTypes = ::testing::Types<MpiTestPool>;
#elif defined(MPP_TEST_ONE_START_METHOD)
// The sanitizer builds: the typed suites on threads and fork workers only. A start method differs
// only in how a worker starts, and start_method_test and start_method_hazard_test run each launcher
// under the sanitizers; the dev build (make test) runs every typed suite on every start method.
// Compiling each suite four times over under ASan is what made CI too slow.
using PoolTypes = ::testing::Types<mpp::Pool, mpp::ProcessPool>;
#else
using PoolTypes = ::testing::Types<mpp::Pool, mpp::ProcessPool, SpawnProcessPool, ForkserverProcessPool>;
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
