// mpp_test_ctrl_c: what a user stops with Ctrl-C. It makes a ProcessPool and keeps it busy (or
// idle), writes "ready" on standard output once every worker is inside a task, and runs until a
// signal ends it. SIGINT keeps the disposition it was started with (the tests start it with the
// default one): the program itself does nothing about Ctrl-C.
//
// Usage: mpp_test_ctrl_c MODE WORKERS
//   map   the main thread waits in map() over long, sleeping items
//   spin  the same with items that spin instead of sleeping
//   imap  the main thread iterates an imap over long items
//   idle  no task at all: the main thread sleeps while the workers wait for work
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ranges>
#include <string>
#include <thread>

#include "mpp/process_pool.hpp"
#include "mpp_test/sync.hpp"

namespace {

using namespace std::chrono_literals;

mpp_test::Counter* g_started = nullptr;
long g_workers = 0;

void announce() {
  const char text[] = "ready\n";
  if (::write(STDOUT_FILENO, text, sizeof(text) - 1) < 0) std::_Exit(20);
}

/// Counts itself in; the item that finds every worker busy says so.
void started() {
  g_started->add();
  if (g_started->value() == g_workers) announce();
}

int sleep_item(int x) {
  started();
  std::this_thread::sleep_for(50ms);
  return x;
}

int spin_item(int x) {
  started();
  const auto end = std::chrono::steady_clock::now() + 50ms;
  unsigned long spins = 0;
  while (std::chrono::steady_clock::now() < end) spins = spins + 1;
  return static_cast<int>(spins % 2) + x;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: mpp_test_ctrl_c map|spin|imap|idle WORKERS\n");
    return 2;
  }
  const std::string mode = argv[1];
  g_workers = std::strtol(argv[2], nullptr, 10);
  mpp_test::Shared<mpp_test::Counter> counter;
  g_started = counter.get();
  mpp::ProcessPool pool(static_cast<std::size_t>(g_workers));
  constexpr int k_items = 1'000'000;  // hours of work: only a signal ends this program
  if (mode == "map") {
    (void)pool.map(&sleep_item, std::views::iota(0, k_items), 1);
  } else if (mode == "spin") {
    (void)pool.map(&spin_item, std::views::iota(0, k_items), 1);
  } else if (mode == "imap") {
    long sum = 0;
    for (int r : pool.imap(&sleep_item, std::views::iota(0, k_items))) sum += r;
    std::printf("%ld\n", sum);
  } else if (mode == "idle") {
    announce();
    for (;;) ::pause();
  } else {
    std::fprintf(stderr, "mpp_test_ctrl_c: unknown mode %s\n", mode.c_str());
    return 2;
  }
  std::fprintf(stderr, "mpp_test_ctrl_c: the work finished, which it never should\n");
  return 1;
}
