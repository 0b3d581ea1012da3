// The main() of the test programs that start ProcessPools with the spawn start method: a spawned
// worker runs the test program again, and mpp::freeze_support() turns it into the worker before
// GoogleTest (which would run the tests a second time) starts.
//
// Tasks reach the test's Probe (mpp_test/probe.hpp) in memory that spawned workers map too: a
// memfd the program makes once, left open across exec, named by the environment a spawned worker
// inherits. What main() does before freeze_support() runs in every spawned worker as well: that is
// where a worker maps it.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>

#include "mpp/start_method.hpp"
#include "mpp_test/probe.hpp"

namespace {

constexpr const char* k_probe_variable = "MPP_TEST_PROBE_FD";

mpp_test::Probe* g_probe = nullptr;

// Each test's fresh Probe, in the memory spawned workers map.
mpp_test::Probe* fresh_probe() {
  g_probe->~Probe();
  return new (g_probe) mpp_test::Probe();
}

[[noreturn]] void fail(const char* what) {
  std::perror(what);
  std::exit(1);
}

void share_probe() {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): main, before any thread
  const char* inherited = std::getenv(k_probe_variable);
  int fd = -1;
  if (inherited != nullptr) {
    fd = std::atoi(inherited);  // a spawned worker (or a program one of its tasks started)
  } else {
    fd = ::memfd_create("mpp_test_probe", 0);  // no close-on-exec: spawned workers inherit it
    if (fd < 0 || ::ftruncate(fd, sizeof(mpp_test::Probe)) != 0) fail("mpp_test: memfd_create");
    // NOLINTNEXTLINE(concurrency-mt-unsafe): main, before any thread
    ::setenv(k_probe_variable, std::to_string(fd).c_str(), 1);
  }
  void* memory = ::mmap(nullptr, sizeof(mpp_test::Probe), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (memory == MAP_FAILED) fail("mpp_test: mmap of the probe");
  if (inherited != nullptr) {
    // Workers keep pointing at it; the test program remakes the Probe in place for each test.
    mpp_test::current_probe() = static_cast<mpp_test::Probe*>(memory);
  } else {
    g_probe = new (memory) mpp_test::Probe();
    mpp_test::probe_home() = &fresh_probe;
  }
}

}  // namespace

int main(int argc, char** argv) {
  share_probe();
  mpp::freeze_support(argc, argv);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
