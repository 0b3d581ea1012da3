// What the tasks of a typed pool test share with the test body. Tasks reach it through probe(), a
// global set before the pool is made, so captureless functions (the only kind a ProcessPool
// accepts) can use it; it lives in shared memory, so forked workers see the same object.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <optional>

#include "mpp_test/sync.hpp"

namespace mpp_test {

struct Probe {
  static constexpr std::size_t k_slots = 4096;

  Gate release;                                   // blocking tasks wait on it
  Counter started;                                // blocking tasks count themselves in before they wait
  Counter finished;                               // and out after
  Counter calls;                                  // every call of the test's function
  std::atomic<long> clock{0};                     // orders events across threads: stamp() returns 1, 2, 3...
  std::array<std::atomic<long>, k_slots> slot{};  // per-item records (calls, stamps)
  std::array<std::atomic<long>, 8> event{};       // named by the test

  long stamp() noexcept { return clock.fetch_add(1) + 1; }
};

inline Probe*& current_probe() noexcept {
  static Probe* probe = nullptr;
  return probe;
}

/// The running test's probe.
inline Probe& probe() noexcept { return *current_probe(); }

/// Where ProbeTest makes each test's Probe when not in anonymous shared memory of its own: the
/// MPI tests' main (tests/mpi) installs a function that makes it afresh in memory every rank maps.
using ProbeHome = Probe* (*)();
inline ProbeHome& probe_home() noexcept {
  static ProbeHome home = nullptr;
  return home;
}

/// A fixture that makes a fresh Probe for each test. Make pools inside the test body (after SetUp).
class ProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (probe_home() != nullptr) {
      probe_ = probe_home()();
    } else {
      owned_.emplace();
      probe_ = owned_->get();
    }
    current_probe() = probe_;
  }
  void TearDown() override { current_probe() = nullptr; }

  Probe& probe() noexcept { return *probe_; }

 private:
  std::optional<Shared<Probe>> owned_;
  Probe* probe_ = nullptr;
};

/// A task that blocks until the probe's gate opens, then returns `value`.
inline int gated_identity(int value) {
  Probe& p = mpp_test::probe();
  p.started.add();
  p.release.wait();
  p.finished.add();
  return value;
}

}  // namespace mpp_test
