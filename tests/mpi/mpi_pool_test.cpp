// mpp::MpiPool's own behaviour (the shared Pool behaviour runs on it through the typed suites):
// size and ranks, exceptions across ranks, functions other ranks cannot resolve, the initializer,
// dynamic balancing, large messages, several pools at once, callbacks that wait during terminate.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "mpp/errors.hpp"
#include "mpp/mpi.hpp"
#include "mpp_test/probe.hpp"

namespace {

int world_rank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

int world_size() {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

int rank_of_task(int /*item*/) { return world_rank(); }

TEST(MpiPool, SizeIsTheNumberOfServingRanks) {
  const std::size_t expected = world_size() > 1 ? static_cast<std::size_t>(world_size() - 1) : 1;
  EXPECT_EQ(mpp::MpiPool::available_ranks(), expected);
  mpp::MpiPool all;
  EXPECT_EQ(all.size(), expected);
  for (std::size_t ranks = 1; ranks <= expected; ++ranks) {
    mpp::MpiPool some(mpp::MpiPoolOptions{.ranks = ranks});
    EXPECT_EQ(some.size(), ranks);
  }
  EXPECT_THROW(mpp::MpiPool(mpp::MpiPoolOptions{.ranks = expected + 1}), std::invalid_argument);
}

TEST(MpiPool, ARankTimeoutUnderASecondIsRefused) {
  EXPECT_THROW(mpp::MpiPool(mpp::MpiPoolOptions{.rank_timeout = std::chrono::milliseconds(999)}),
               std::invalid_argument);
  mpp::MpiPool never(mpp::MpiPoolOptions{.rank_timeout = std::chrono::milliseconds(0)});  // waits for ever
  EXPECT_EQ(never.map(&rank_of_task, std::vector<int>(20, 0), 1).size(), 20U);
  // "Practically never": no overflow gives a healthy rank up at once.
  mpp::MpiPool huge(mpp::MpiPoolOptions{.rank_timeout = std::chrono::milliseconds::max()});
  EXPECT_EQ(huge.map(&rank_of_task, std::vector<int>(20, 0), 1).size(), 20U);
}

TEST(MpiPool, TasksRunOnTheServingRanks) {
  mpp::MpiPool pool;
  const auto ranks = pool.map(&rank_of_task, std::vector<int>(200, 0), 1);
  const std::set<int> seen(ranks.begin(), ranks.end());
  if (world_size() == 1) {
    EXPECT_EQ(seen, std::set<int>{0});  // rank 0's own serving thread
  } else {
    EXPECT_EQ(seen.count(0), 0U) << "rank 0 only drives";
    for (int r : seen) EXPECT_LT(r, world_size());
    EXPECT_EQ(pool.apply(&rank_of_task, 0) > 0, true);
  }
  // A pool of some ranks uses those only: ranks 1..n.
  mpp::MpiPool one(mpp::MpiPoolOptions{.ranks = 1});
  const auto first = one.map(&rank_of_task, std::vector<int>(50, 0), 1);
  EXPECT_EQ(std::set<int>(first.begin(), first.end()), std::set<int>{world_size() > 1 ? 1 : 0});
}

struct CustomError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

TEST(MpiPool, ExceptionsCrossRanks) {
  mpp::MpiPool pool;
  try {
    (void)pool.apply([](int x) -> int { throw std::out_of_range("item " + std::to_string(x)); }, 7);
    FAIL() << "no exception";
  } catch (const std::out_of_range& e) {
    EXPECT_STREQ(e.what(), "item 7");
  }
  // A type the caller cannot rebuild arrives as RemoteError, with its name and message.
  try {
    (void)pool.apply([]() -> int { throw CustomError("custom"); });
    FAIL() << "no exception";
  } catch (const mpp::RemoteError& e) {
    EXPECT_NE(std::string(e.what()).find("CustomError"), std::string::npos) << e.what();
    EXPECT_EQ(e.message(), "custom");
  }
  // map rethrows a failure; the other items were computed on other ranks meanwhile.
  EXPECT_THROW(pool.map(
                   [](int x) {
                     if (x == 77) throw std::invalid_argument("77");
                     return x;
                   },
                   std::views::iota(0, 500), 5),
               std::invalid_argument);
  // imap: the failed item at its place, the rest around it.
  std::vector<std::string> outcomes;
  auto results = pool.imap(
      [](int x) {
        if (x % 4 == 1) throw std::domain_error("odd " + std::to_string(x));
        return x;
      },
      std::views::iota(0, 8), 2);
  for (;;) {
    try {
      const auto r = results.next();
      if (!r) break;
      outcomes.push_back(std::to_string(*r));
    } catch (const std::domain_error& e) {
      outcomes.push_back(e.what());
    }
  }
  EXPECT_EQ(outcomes, (std::vector<std::string>{"0", "odd 1", "2", "3", "4", "odd 5", "6", "7"}));
  // The pool is unharmed.
  EXPECT_EQ(pool.apply([](int x) { return x + 1; }, 1), 2);
}

TEST(MpiPool, FunctionOfALibraryOnlyRankZeroLoadedIsAClearError) {
  void* library = ::dlopen(MPP_TEST_PLUGIN, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(library, nullptr) << ::dlerror();
  using Triple = int (*)(int);
  const auto triple = reinterpret_cast<Triple>(::dlsym(library, "mpp_test_plugin_triple"));
  ASSERT_NE(triple, nullptr);
  EXPECT_EQ(triple(2), 6);
  mpp::MpiPool pool;
  if (world_size() == 1) {
    EXPECT_EQ(pool.apply(triple, 2), 6);  // rank 0 runs it: the library is there
    EXPECT_EQ(pool.map(triple, std::vector<int>{1, 2, 3}), (std::vector<int>{3, 6, 9}));
  } else {
    try {
      (void)pool.apply(triple, 2);
      FAIL() << "no exception";
    } catch (const mpp::SerializationError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("cannot resolve a function of libmpp_test_plugin.so"), std::string::npos) << what;
      EXPECT_NE(what.find("not loaded on this rank"), std::string::npos) << what;
    }
    EXPECT_THROW(pool.map(triple, std::vector<int>{1, 2, 3}), mpp::SerializationError);
    // The ranks are unharmed.
    EXPECT_EQ(pool.map([](int x) { return 2 * x; }, std::vector<int>{1, 2, 3}), (std::vector<int>{2, 4, 6}));
  }
  pool.close();
  pool.join();
  ::dlclose(library);
}

int g_initialised = 0;

TEST(MpiPool, InitializerRunsOnEveryRankOfThePool) {
  {
    mpp::MpiPool pool(mpp::MpiPoolOptions{.initializer = [] { g_initialised = 42; }});
    const auto seen = pool.map([](int) { return g_initialised; }, std::vector<int>(100, 0), 1);
    for (int v : seen) EXPECT_EQ(v, 42);
  }
  try {
    mpp::MpiPool failing(mpp::MpiPoolOptions{.initializer = [] { throw std::length_error("init failed"); }});
    FAIL() << "the constructor did not rethrow";
  } catch (const std::length_error& e) {
    EXPECT_STREQ(e.what(), "init failed");
  }
  // The ranks still serve the next pool.
  mpp::MpiPool after;
  EXPECT_EQ(after.apply([] { return 5; }), 5);
}

// Rank 1 takes 20 ms an item, the others return at once: chunks go to whichever rank is free, so
// rank 1 runs the few chunks queued at it while the others run the rest, however loaded the
// machine (the other ranks would have to stall for 1 s for rank 1 to reach half an even share).
int slow_on_rank_1(int /*item*/) {
  const int rank = world_rank();
  if (rank == 1) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return rank;
}

TEST(MpiPool, ASlowRankGetsFewerChunks) {
  if (world_size() < 3) GTEST_SKIP() << "needs two serving ranks at least (mpirun -np 3)";
  mpp::MpiPool pool;
  constexpr int k_items = 300;
  const auto ranks = pool.map(&slow_on_rank_1, std::vector<int>(k_items, 0), 1);
  std::map<int, int> items_of;
  for (int r : ranks) ++items_of[r];
  const int even_share = k_items / static_cast<int>(pool.size());
  EXPECT_LT(items_of[1], even_share / 2) << "rank 1 ran " << items_of[1] << " items";
}

TEST(MpiPool, LargeMessagesBothWays) {
  mpp::MpiPool pool;
  // 48 MiB of raw ints out and back, in a few chunks (each well over any eager limit).
  std::vector<std::int32_t> input(12 << 20);
  std::iota(input.begin(), input.end(), 0);
  const auto doubled = pool.map([](std::int32_t x) { return 2 * x; }, input, input.size() / 5);
  ASSERT_EQ(doubled.size(), input.size());
  for (std::size_t i = 0; i < input.size(); i += 4099) ASSERT_EQ(doubled[i], 2 * input[i]) << i;
  EXPECT_EQ(doubled.back(), 2 * input.back());
  // Values that need the cereal path: a 16 MiB string each way.
  const std::string big(16 << 20, 'x');
  EXPECT_EQ(pool.apply([](const std::string& s) { return s + "y"; }, big).size(), big.size() + 1);
}

// Item i's result: `size` doubles that say which item made them (so a part out of place shows).
std::vector<double> numbered(int i, std::size_t size) {
  std::vector<double> out(size);
  std::iota(out.begin(), out.end(), 1000.0 * i);
  return out;
}

// Item i's size in the mixed chunk below: large for even items, small for odd ones.
std::size_t mixed_size(int i) { return i % 2 == 0 ? std::size_t{300'000} + i : static_cast<std::size_t>(i); }

// Results of 256 KiB and more go to rank 0 as messages of their own, sent from where the rank
// encoded them (src/mpi/server.cpp hold()); each part of a results message holds whole records.
// Sizes around that threshold, several in one chunk between small results and an exception, and
// some reported early with the rank's asks for permits (items slower than its outcome flush).
TEST(MpiPool, LargeResultsGoAsPartsOfTheirOwn) {
  mpp::MpiPool pool(mpp::MpiPoolOptions{.ranks = 1});
  for (const std::size_t size : {32'766U, 32'767U, 32'768U, 32'769U, 1'000'000U}) {
    const auto got = pool.apply([](int i, std::size_t n) { return numbered(i, n); }, 7, size);
    EXPECT_EQ(got, numbered(7, size)) << size;
  }
  // One chunk of 9 items: large, small, large, failing, large, small, ...
  std::vector<int> items(9);
  std::iota(items.begin(), items.end(), 0);
  auto result = pool.map_async(
      [](int i) {
        if (i == 3) throw std::runtime_error("item 3");
        return numbered(i, mixed_size(i));
      },
      items, items.size());
  EXPECT_THROW(result.get(), std::runtime_error);
  items.erase(items.begin() + 3);
  const auto all = pool.map([](int i) { return numbered(i, mixed_size(i)); }, items, items.size());
  ASSERT_EQ(all.size(), items.size());
  for (std::size_t k = 0; k < items.size(); ++k)
    EXPECT_EQ(all[k], numbered(items[k], mixed_size(items[k]))) << k;
  // Slow items: their outcomes go early, with the asks for the next items' permits.
  const auto slow = pool.map(
      [](int i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(60));
        return numbered(i, 200'000);
      },
      std::vector<int>{0, 1, 2, 3}, 4);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(slow[static_cast<std::size_t>(i)], numbered(i, 200'000)) << i;
  // Through the cereal path, bytes of every value, NUL included.
  std::string bytes(3 << 20, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7);
  EXPECT_EQ(pool.apply([](const std::string& s) { return s; }, bytes), bytes);
}

TEST(MpiPool, SeveralPoolsAtOnceShareTheRanks) {
  mpp::MpiPool a;
  mpp::MpiPool b;
  auto ra = a.map_async([](int x) { return x + 1; }, std::views::iota(0, 2000), 7);
  auto rb = b.map_async([](int x) { return x * 3; }, std::views::iota(0, 2000), 11);
  const auto va = ra.get();
  const auto vb = rb.get();
  for (int i = 0; i < 2000; ++i) {
    ASSERT_EQ(va[static_cast<std::size_t>(i)], i + 1);
    ASSERT_EQ(vb[static_cast<std::size_t>(i)], i * 3);
  }
}

int start_then_sleep(int ms) {
  mpp_test::probe().started.add();
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return ms;
}

class MpiPoolProbe : public mpp_test::ProbeTest {};

// terminate() cancels the chunks out at ranks on the dispatcher thread, where their callbacks run.
// A callback there that waits on another result of the pool moves the pool itself (help()), and
// takes in the late results of the cancelled chunks: terminate() must not hold the pool's locks
// while the callbacks run, or that wait never ends.
TEST_F(MpiPoolProbe, ACallbackWaitingOnThePoolDuringTerminateEnds) {
  if (world_size() < 3) GTEST_SKIP() << "needs two serving ranks at least (mpirun -np 3)";
  mpp::MpiPool pool(mpp::MpiPoolOptions{.ranks = 2});
  std::optional<mpp::AsyncResult<int>> first;
  std::optional<mpp::AsyncResult<int>> second;
  std::atomic<int> callbacks{0};
  first.emplace(pool.apply_async(&start_then_sleep, 300));
  second.emplace(pool.apply_async(&start_then_sleep, 300));
  auto wait_on = [&](std::optional<mpp::AsyncResult<int>>& other) {
    return [&callbacks, &other](const auto&) {
      // Short waits, each of which helps the pool before it sleeps: the late results (300 ms)
      // are taken in by one of them. The other is cancelled after this returns.
      for (int i = 0; i < 600 && !other->ready(); ++i) other->wait(std::chrono::milliseconds(1));
      ++callbacks;
    };
  };
  first->then(wait_on(second), wait_on(second));
  second->then(wait_on(first), wait_on(first));
  ASSERT_TRUE(probe().started.wait_at_least(2));  // both chunks run on ranks
  pool.terminate();
  pool.join();
  EXPECT_EQ(callbacks.load(), 2);
}

}  // namespace
