// mpp-shared-counter: several mpp::Process children add to one counter in shared memory (an
// mpp::Value), first each increment under an mpp::Lock, then without it, and the program reports
// what each way counted. The locked count is always exact; the unlocked one loses increments
// whenever two processes read the same value before either writes it back.
//
//   mpp-shared-counter [fork|spawn|forkserver]
//
// Exit status: 0 when the locked count is exact, 1 otherwise, 2 for a bad command line.
#include <cstdio>
#include <string_view>
#include <thread>
#include <vector>

#include "mpp/mpp.hpp"

namespace {

constexpr int k_children = 4;
constexpr int k_increments = 20000;

void count(mpp::Value<long> counter, mpp::Lock lock, bool locked) {
  for (int i = 0; i < k_increments; ++i) {
    if (locked) lock.acquire();
    const long seen = counter.value();
    if (i % 64 == 0) std::this_thread::yield();  // widen the window a race needs
    counter.value() = seen + 1;
    if (locked) lock.release();
  }
}

long run(mpp::StartMethod method, bool locked) {
  mpp::Value<long> counter(0, false);  // a raw value: the Lock below is what guards it
  mpp::Lock lock;
  std::vector<mpp::Process> children;
  for (int c = 0; c < k_children; ++c) {
    children.emplace_back(mpp::ProcessOptions{.start_method = method}, &count, counter, lock, locked);
  }
  for (auto& child : children) child.start();
  for (auto& child : children) child.join();
  return counter.get();
}

}  // namespace

int main(int argc, char** argv) {
  mpp::freeze_support(argc, argv);
  mpp::StartMethod method = mpp::get_start_method();
  if (argc > 2) return std::fprintf(stderr, "usage: %s [fork|spawn|forkserver]\n", argv[0]), 2;
  if (argc == 2) {
    const std::string_view name = argv[1];
    if (name == "fork") {
      method = mpp::StartMethod::fork;
    } else if (name == "spawn") {
      method = mpp::StartMethod::spawn;
    } else if (name == "forkserver") {
      method = mpp::StartMethod::forkserver;
    } else {
      return std::fprintf(stderr, "usage: %s [fork|spawn|forkserver]\n", argv[0]), 2;
    }
  }
  const long expected = static_cast<long>(k_children) * k_increments;
  const long with_lock = run(method, true);
  const long without_lock = run(method, false);
  std::printf("%d processes, %d increments each: %ld expected\n", k_children, k_increments, expected);
  std::printf("under an mpp::Lock: %ld%s\n", with_lock, with_lock == expected ? " (exact)" : " (WRONG)");
  std::printf("without a lock:     %ld (%ld increments lost)\n", without_lock, expected - without_lock);
  return with_lock == expected ? 0 : 1;
}
