// The arena an MPI rank shares with its local workers (process/shared_arena.hpp), on a process
// pool given one: slots held by one holder at a time and given back by either process; large
// results that cross through it arrive intact, also around the size where they start to and when
// every slot is taken; a slot that a worker died holding (crashed, cancelled, timed out
// or terminated) is free again once it is gone.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "mpp/async_result.hpp"
#include "mpp/detail/posix/child.hpp"
#include "mpp/errors.hpp"
#include "mpp/process_pool.hpp"
#include "mpp_test/watchdog.hpp"
#include "process/shared_arena.hpp"
#include "process/worker.hpp"
#include "remote/tunables.hpp"

namespace {

using mpp::detail::SharedArena;

constexpr std::size_t k_slot = std::size_t{4} << 20;

/// A process pool whose workers share `arena` (as a rank's local workers share the rank's).
class ArenaPool : public mpp::detail::PoolFront<mpp::detail::ProcessBackend> {
 public:
  ArenaPool(SharedArena& arena, std::size_t workers, std::chrono::nanoseconds task_timeout = {})
      : PoolFront(options(arena, workers, task_timeout)) {}

 private:
  static mpp::detail::ProcessExecutorOptions options(SharedArena& arena, std::size_t workers,
                                                     std::chrono::nanoseconds task_timeout) {
    mpp::detail::ProcessExecutorOptions o;
    o.workers = workers;
    o.task_timeout = task_timeout;
    o.start_method = mpp::StartMethod::fork;
    o.arena = &arena;
    return o;
  }
};

/// `size` bytes that differ with the size: a misplaced or stale byte shows.
std::string pattern(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 131 + size * 7) % 251);
  return s;
}

// Values the workers wrote into the arena, counted in a page they share with the test.
std::atomic<int>* g_arena_values = nullptr;

TEST(SharedArena, ASlotIsHeldByOneHolderUntilGivenBack) {
  SharedArena arena(3, k_slot);
  const std::uint32_t a = arena.new_holder();
  const std::uint32_t b = arena.new_holder();
  EXPECT_NE(a, 0U);
  EXPECT_NE(a, b);
  std::byte* x = arena.take(a);
  std::byte* y = arena.take(a);
  std::byte* z = arena.take(b);
  ASSERT_TRUE(x != nullptr && y != nullptr && z != nullptr);
  EXPECT_EQ(arena.take(b), nullptr);
  EXPECT_EQ(arena.free_slots(), 0U);
  EXPECT_TRUE(arena.held_by({x, k_slot}, a));
  EXPECT_TRUE(arena.held_by({x + 100, k_slot - 100}, a));
  EXPECT_FALSE(arena.held_by({x + 100, k_slot - 99}, a));  // runs past its slot
  EXPECT_FALSE(arena.held_by({z, 10}, a));                 // b's
  std::byte outside[16] = {};
  EXPECT_FALSE(arena.held_by({outside, sizeof(outside)}, a));
  arena.reclaim(a);
  EXPECT_EQ(arena.free_slots(), 2U);
  EXPECT_FALSE(arena.held_by({y, 10}, a));
  EXPECT_TRUE(arena.held_by({z, 10}, b));
  arena.give_back(z + 1000);  // any address in the slot
  EXPECT_EQ(arena.free_slots(), 3U);
}

TEST(SharedArena, AForkedChildWritesWhatItsParentReads) {
  SharedArena arena(2, k_slot);
  std::byte* slot = arena.take(arena.new_holder());
  ASSERT_NE(slot, nullptr);
  mpp::detail::Child child = mpp::detail::Child::fork([&] {
    std::memset(slot, 0x5a, k_slot);
    arena.give_back(slot);
    ::_exit(0);
  });
  ASSERT_EQ(child.wait(), 0);
  EXPECT_EQ(arena.free_slots(), 2U);
  EXPECT_TRUE(std::all_of(slot, slot + k_slot, [](std::byte b) { return b == std::byte{0x5a}; }));
}

TEST(ArenaPool, LargeResultsCrossIntactAndTheirSlotsComeBack) {
  void* page = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(page, MAP_FAILED);
  g_arena_values = new (page) std::atomic<int>(0);
  mpp::detail::g_after_arena_value = [] { g_arena_values->fetch_add(1); };
  // Around the size from which results cross through the arena, around a slot's size, and some
  // in between; on two workers with two slots, so that some find every slot taken.
  std::vector<std::size_t> sizes;
  for (std::size_t s = mpp::detail::k_arena_min_bytes - 48; s <= mpp::detail::k_arena_min_bytes + 8; s += 4)
    sizes.push_back(s);
  for (std::size_t s = k_slot - 48; s <= k_slot + 8; s += 4) sizes.push_back(s);
  for (std::size_t k = 1; k < 9; ++k) sizes.push_back(k * k_slot / 9);
  SharedArena arena(2, k_slot);
  {
    ArenaPool pool(arena, 2);
    mpp_test::Watchdog watchdog(pool);
    const std::vector<std::string> results = pool.map(&pattern, sizes, 1);
    ASSERT_EQ(results.size(), sizes.size());
    for (std::size_t k = 0; k < sizes.size(); ++k) EXPECT_TRUE(results[k] == pattern(sizes[k])) << sizes[k];
  }
  EXPECT_EQ(arena.free_slots(), 2U);
  EXPECT_GT(g_arena_values->load(), 0);
  mpp::detail::g_after_arena_value = nullptr;
  ::munmap(page, 4096);
}

std::string one_mib() { return pattern(std::size_t{1} << 20); }

TEST(ArenaPool, AWorkerHasTheArenaEvenWhereItsPagesWereMarkedNotToFork) {
  // An RDMA transport marks the buffers it receives into MADV_DONTFORK; a worker forked after that
  // must still see the arena (SharedArena::before_fork).
  SharedArena arena(1, k_slot);
  std::byte* slot = arena.take(arena.new_holder());
  ASSERT_NE(slot, nullptr);
  ASSERT_EQ(::madvise(slot, k_slot, MADV_DONTFORK), 0);
  arena.give_back(slot);
  void* page = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(page, MAP_FAILED);
  g_arena_values = new (page) std::atomic<int>(0);
  mpp::detail::g_after_arena_value = [] { g_arena_values->fetch_add(1); };
  {
    ArenaPool pool(arena, 1);
    mpp_test::Watchdog watchdog(pool);
    EXPECT_TRUE(pool.apply(&one_mib) == pattern(std::size_t{1} << 20));
  }
  EXPECT_EQ(g_arena_values->load(), 1);
  EXPECT_EQ(arena.free_slots(), 1U);
  mpp::detail::g_after_arena_value = nullptr;
  ::munmap(page, 4096);
}
int seven() { return 7; }

TEST(ArenaPool, ASlotAWorkerDiedHoldingIsFreeOnceItIsReplaced) {
  SharedArena arena(2, k_slot);
  mpp::detail::g_after_arena_value = [] { ::raise(SIGKILL); };
  {
    ArenaPool pool(arena, 1);
    mpp_test::Watchdog watchdog(pool);
    EXPECT_THROW(pool.apply(&one_mib), mpp::WorkerLost);
    // Runs on the replacement, started after the dead worker's slots were given back.
    EXPECT_EQ(pool.apply(&seven), 7);
    EXPECT_EQ(arena.free_slots(), 2U);
  }
  mpp::detail::g_after_arena_value = nullptr;
}

// Until a worker holds a slot (the test reads the arena it shares), bounded.
bool a_slot_is_taken(const SharedArena& arena, std::size_t slots) {
  const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (arena.free_slots() == slots) {
    if (std::chrono::steady_clock::now() > limit) return false;
    ::usleep(1000);
  }
  return true;
}

// A worker stopped while it holds a slot with a large result it has not sent yet (the hook waits
// for ever there), by each of the ways a pool kills a running item: the slot is free once the
// worker is gone, or every later large result would go through the rings (issue 13's trial).
TEST(ArenaPool, ASlotAWorkerHeldWhenCancelledTimedOutOrTerminatedIsFreeAgain) {
  SharedArena arena(2, k_slot);
  mpp::detail::g_after_arena_value = [] {
    for (;;) ::pause();
  };
  {
    ArenaPool pool(arena, 1);
    mpp_test::Watchdog watchdog(pool);
    auto call = pool.apply_async(&one_mib);
    ASSERT_TRUE(a_slot_is_taken(arena, 2));
    EXPECT_TRUE(call.cancel(mpp::Cancel::even_running));
    EXPECT_ANY_THROW((void)call.get());
    EXPECT_EQ(pool.apply(&seven), 7);  // on the replacement
    EXPECT_EQ(arena.free_slots(), 2U);
  }
  {
    ArenaPool pool(arena, 1, std::chrono::milliseconds(300));
    mpp_test::Watchdog watchdog(pool);
    EXPECT_THROW(pool.apply(&one_mib), mpp::TimeoutError);
    EXPECT_EQ(pool.apply(&seven), 7);
    EXPECT_EQ(arena.free_slots(), 2U);
  }
  {
    ArenaPool pool(arena, 1);
    mpp_test::Watchdog watchdog(pool);
    auto call = pool.apply_async(&one_mib);
    ASSERT_TRUE(a_slot_is_taken(arena, 2));
    pool.terminate();
    pool.join();
    EXPECT_ANY_THROW((void)call.get());
    EXPECT_EQ(arena.free_slots(), 2U);
  }
  mpp::detail::g_after_arena_value = nullptr;
}

}  // namespace
