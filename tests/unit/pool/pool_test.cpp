// mpp::Pool basics: construction, size, apply and apply_async, the worker-count sweep, and the
// thread pool's own behaviours (initializer, std::ref, capturing lambdas, shared state, nested calls).
#include "mpp/pool.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <numeric>
#include <ranges>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "mpp/cpu.hpp"
#include "mpp/process.hpp"
#include "mpp_test/pools.hpp"
#include "mpp_test/probe.hpp"
#include "mpp_test/processes.hpp"
#include "mpp_test/sync.hpp"

namespace {

using mpp_test::k_worker_counts;
using mpp_test::PoolTraits;

int square(int x) { return x * x; }

std::vector<int> squares_of(int n) {
  std::vector<int> out;
  for (int i = 0; i < n; ++i) out.push_back(i * i);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Shared behaviour, run against every pool type.

template <class P>
class PoolBasics : public mpp_test::ProbeTest {};
TYPED_TEST_SUITE(PoolBasics, mpp_test::PoolTypes, mpp_test::PoolTypeNames);

TYPED_TEST(PoolBasics, SizeIsTheRequestedNumberOfWorkers) {
  for (std::size_t n : {1U, 2U, 3U, 8U}) {
    TypeParam pool(n);
    EXPECT_EQ(pool.size(), n);
  }
}

TYPED_TEST(PoolBasics, DefaultSizeIsUsableCpuCount) {
  TypeParam pool;
  EXPECT_EQ(pool.size(), mpp::usable_cpu_count());
  TypeParam zero(0);
  EXPECT_EQ(zero.size(), mpp::usable_cpu_count());
}

TYPED_TEST(PoolBasics, ApplyReturnsTheResult) {
  TypeParam pool(2);
  EXPECT_EQ(pool.apply([](int a, int b) { return a * b; }, 6, 7), 42);
  EXPECT_EQ(
      pool.apply([](const std::string& s, int n) { return s + std::to_string(n); }, std::string("x"), 3),
      "x3");
  EXPECT_EQ(pool.apply(&square, 9), 81);
  EXPECT_EQ(pool.apply([] { return 5; }), 5);
}

TYPED_TEST(PoolBasics, ApplyRethrowsTheTaskException) {
  TypeParam pool(2);
  try {
    (void)pool.apply([](int x) -> int { throw std::invalid_argument("bad " + std::to_string(x)); }, 3);
    FAIL() << "apply did not rethrow";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "bad 3");
  }
  // The pool is unharmed.
  EXPECT_EQ(pool.apply(&square, 4), 16);
}

TYPED_TEST(PoolBasics, ApplyOfAVoidFunctionReturnsVoid) {
  TypeParam pool(2);
  static_assert(std::is_void_v<decltype(pool.apply([](int) {}, 1))>);
  pool.apply([](int n) { mpp_test::probe().calls.add(n); }, 5);
  EXPECT_EQ(this->probe().calls.value(), 5);
  EXPECT_THROW(pool.apply([] { throw std::out_of_range("void"); }), std::out_of_range);
}

TYPED_TEST(PoolBasics, ApplyAsyncReturnsBeforeTheTaskFinishes) {
  TypeParam pool(2);
  auto result = pool.apply_async(&mpp_test::gated_identity, 5);
  static_assert(std::is_same_v<decltype(result), mpp::AsyncResult<int>>);
  ASSERT_TRUE(this->probe().started.wait_at_least(1));
  EXPECT_FALSE(result.ready());
  this->probe().release.open();
  EXPECT_EQ(result.get(), 5);
  EXPECT_TRUE(result.ready());
}

TYPED_TEST(PoolBasics, ApplyAsyncRethrowsThroughGet) {
  TypeParam pool(2);
  auto result =
      pool.apply_async([](int x) -> int { throw std::invalid_argument("async " + std::to_string(x)); }, 8);
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      (void)result.get();
      FAIL() << "get did not rethrow";
    } catch (const std::invalid_argument& e) {
      EXPECT_STREQ(e.what(), "async 8");
    }
  }
}

TYPED_TEST(PoolBasics, ApplyAsyncOfAVoidFunction) {
  TypeParam pool(2);
  auto result = pool.apply_async([](int n) { mpp_test::probe().calls.add(n); }, 3);
  static_assert(std::is_same_v<decltype(result), mpp::AsyncResult<void>>);
  static_assert(std::is_void_v<decltype(result.get())>);
  result.get();
  EXPECT_EQ(this->probe().calls.value(), 3);
  auto failing = pool.apply_async([] { throw std::length_error("void async"); });
  EXPECT_THROW(failing.get(), std::length_error);
}

TYPED_TEST(PoolBasics, ApplyArgumentsAreCopiedIntoTheTaskAtSubmission) {
  TypeParam pool(1);
  std::string text = "before";
  auto copied = pool.apply_async(
      [](const std::string& s) {
        mpp_test::gated_identity(0);
        return s;
      },
      text);
  auto moved = pool.apply_async([](const std::string& s) { return s; }, std::string("temporary"));
  text = "after";  // the task holds its own copy
  this->probe().release.open();
  EXPECT_EQ(copied.get(), "before");
  EXPECT_EQ(moved.get(), "temporary");
}

std::string shout(std::string s) { return s + "!"; }
std::size_t c_length(const char* s) { return std::string(s).size(); }
std::string joined(int n, const std::string& a, const char* b) { return std::to_string(n) + a + b; }

// A string literal (a const char*) is an argument on every pool: a process pool sends the
// characters (as std::string) and passes the function what it takes, a std::string or a pointer
// to the worker's copy.
TYPED_TEST(PoolBasics, ApplyTakesStringLiteralsAndCStrings) {
  TypeParam pool(2);
  EXPECT_EQ(pool.apply(&shout, "abc"), "abc!");
  EXPECT_EQ(pool.apply(&c_length, "four"), 4U);
  EXPECT_EQ(pool.apply(&joined, 7, "x", "yz"), "7xyz");
  std::string text = "from a std::string";
  const char* c_string = text.c_str();
  char buffer[] = "mutable";
  char* mutable_string = buffer;
  auto async = pool.apply_async(&shout, c_string);
  auto from_char_pointer = pool.apply_async([](char* s) { return std::string(s); }, mutable_string);
  EXPECT_EQ(async.get(), "from a std::string!");
  EXPECT_EQ(from_char_pointer.get(), "mutable");
  EXPECT_EQ(pool.apply([](const std::string& s) { return s.size(); }, ""), 0U);
}

/// Counts its live instances in this process: shows when a pool destroys a task's arguments.
class Tracked {
 public:
  Tracked() { live().fetch_add(1); }
  explicit Tracked(int value) : value_(value) { live().fetch_add(1); }
  Tracked(const Tracked& other) : value_(other.value_) { live().fetch_add(1); }
  Tracked(Tracked&& other) noexcept : value_(other.value_) { live().fetch_add(1); }
  Tracked& operator=(const Tracked&) = default;
  Tracked& operator=(Tracked&&) noexcept = default;
  ~Tracked() { live().fetch_sub(1); }

  int value() const { return value_; }
  template <class Archive>
  void serialize(Archive& archive) {
    archive(value_);
  }
  static std::atomic<int>& live() {
    static std::atomic<int> count{0};
    return count;
  }

 private:
  int value_ = 0;
};

int tracked_value(const Tracked& t) { return t.value(); }

int tracked_throws(const Tracked& t) { throw std::invalid_argument("tracked " + std::to_string(t.value())); }

TYPED_TEST(PoolBasics, ApplyAsyncReleasesItsArgumentsOnceTheTaskHasRun) {
  // As Python drops a task once it has run: holding the AsyncResult must not hold the arguments.
  TypeParam pool(1);
  ASSERT_EQ(Tracked::live().load(), 0);
  auto result = pool.apply_async(&tracked_value, Tracked(7));
  EXPECT_EQ(result.get(), 7);
  EXPECT_EQ(Tracked::live().load(), 0) << "the arguments outlived the task";
  auto failed = pool.apply_async(&tracked_throws, Tracked(8));
  EXPECT_THROW(failed.get(), std::invalid_argument);
  EXPECT_EQ(Tracked::live().load(), 0) << "the arguments of a failed task outlived it";
  EXPECT_EQ(pool.apply(&tracked_value, Tracked(9)), 9);
  EXPECT_EQ(Tracked::live().load(), 0);
  EXPECT_TRUE(result.ready());  // still held: only its arguments are gone
}

struct LargeArrays {
  std::vector<double> doubles;
  std::vector<std::byte> bytes;
  std::string text;
  std::tuple<int, std::vector<float>, std::string> nested;
  std::vector<double> empty;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(doubles, bytes, text, nested, empty);
  }
  friend bool operator==(const LargeArrays&, const LargeArrays&) = default;
};

LargeArrays echo_large(std::vector<double> doubles, std::vector<std::byte> bytes, std::string text,
                       std::tuple<int, std::vector<float>, std::string> nested, std::vector<double> empty) {
  return {std::move(doubles), std::move(bytes), std::move(text), std::move(nested), std::move(empty)};
}

TYPED_TEST(PoolBasics, ApplyCarriesLargeArraysBothWaysIntact) {
  // Large arrays go from the arguments' own memory where the pool can (MpiPool): sizes over the
  // threshold, odd ones, inside a tuple, next to an empty one.
  TypeParam pool(2);
#if defined(__SANITIZE_THREAD__)
  std::vector<double> doubles(1 << 20);  // 8 MiB under ThreadSanitizer, which makes copies slow
#else
  std::vector<double> doubles(3 << 20);  // 24 MiB
#endif
  // Huge pages when decoded (from 8 MiB).
  std::iota(doubles.begin(), doubles.end(), 0.25);
  std::vector<std::byte> bytes(100'003);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::byte>(i % 251);
  std::string text(65'539, 'x');
  text.back() = 'y';
  std::vector<float> floats(40'001, 1.5F);
  const std::tuple<int, std::vector<float>, std::string> nested{7, floats, text};
  const auto got = pool.apply(&echo_large, doubles, bytes, text, nested, std::vector<double>{});
  EXPECT_TRUE((got == LargeArrays{doubles, bytes, text, nested, {}})) << "a large array changed on its way";
  auto second = pool.apply_async([](std::vector<double> v) { return v; }, doubles);
  auto third = pool.apply_async([](std::vector<std::byte> v) { return v.size(); }, bytes);
  EXPECT_EQ(second.get(), doubles);
  EXPECT_EQ(third.get(), bytes.size());
}

TYPED_TEST(PoolBasics, EveryWorkerCountGivesCorrectResults) {
  for (std::size_t workers : k_worker_counts) {
    SCOPED_TRACE("workers = " + std::to_string(workers));
    TypeParam pool(workers);
    ASSERT_EQ(pool.size(), workers);
    const auto input = std::views::iota(0, 1000);
    const std::vector<int> expected = squares_of(1000);
    EXPECT_EQ(pool.map(&square, input), expected);
    EXPECT_EQ(pool.map(&square, input, 1), expected);
    EXPECT_EQ(pool.map(&square, input, 7), expected);
    EXPECT_EQ(pool.map_async(&square, input, 3).get(), expected);

    std::vector<int> ordered;
    for (int r : pool.imap(&square, input, 3)) ordered.push_back(r);
    EXPECT_EQ(ordered, expected);

    std::multiset<int> unordered;
    for (int r : pool.imap_unordered(&square, input)) unordered.insert(r);
    EXPECT_EQ(unordered, std::multiset<int>(expected.begin(), expected.end()));

    std::vector<mpp::AsyncResult<int>> results;
    for (int i = 0; i < 64; ++i) results.push_back(pool.apply_async(&square, i));
    for (int i = 0; i < 64; ++i) EXPECT_EQ(results[static_cast<std::size_t>(i)].get(), i * i);
  }
}

// ---------------------------------------------------------------------------------------------
// The thread pool's own behaviours.

/// The ids of the threads that ran tasks, collected under a lock.
class ThreadLog {
 public:
  void record() {
    std::lock_guard lock(mutex_);
    ids_.insert(std::this_thread::get_id());
  }
  std::set<std::thread::id> ids() const {
    std::lock_guard lock(mutex_);
    return ids_;
  }

 private:
  mutable std::mutex mutex_;
  std::set<std::thread::id> ids_;
};

TEST(ThreadPool, TasksNeverRunOnTheCallingThread) {
  for (std::size_t workers : k_worker_counts) {
    SCOPED_TRACE("workers = " + std::to_string(workers));
    ThreadLog log;
    {
      mpp::Pool pool(workers);
      auto f = [&log](int x) {
        log.record();
        return x;
      };
      const std::vector<int> input(200, 1);
      EXPECT_EQ(pool.apply(f, 1), 1);
      EXPECT_EQ(pool.apply_async(f, 2).get(), 2);
      EXPECT_EQ(pool.map(f, input).size(), input.size());
      EXPECT_EQ(pool.map(f, input, 1).size(), input.size());
      EXPECT_EQ(pool.map_async(f, input).get().size(), input.size());
      EXPECT_EQ(pool.starmap(
                        [&log](int a, int b) {
                          log.record();
                          return a + b;
                        },
                        std::vector<std::pair<int, int>>(50, {1, 2}))
                    .size(),
                50U);
      std::size_t seen = 0;
      for (int r : pool.imap(f, input)) seen += static_cast<std::size_t>(r);
      for (int r : pool.imap_unordered(f, input, 4)) seen += static_cast<std::size_t>(r);
      EXPECT_EQ(seen, 2 * input.size());
    }
    const auto ids = log.ids();
    EXPECT_FALSE(ids.empty());
    EXPECT_EQ(ids.count(std::this_thread::get_id()), 0U);
    EXPECT_LE(ids.size(), workers);
  }
}

thread_local bool t_initialised = false;

// What a forked child finds when it uses the Pool it inherited: bit k set when check k failed.
int use_inherited_pool(mpp::Pool* pool) {
  int failed = 0;
  const auto refused = [](auto call) {
    try {
      call();
    } catch (const std::logic_error& e) {
      return std::string(e.what()).find(
                 "mpp::Pool: used in a process forked from the one that created it; "
                 "the pool belongs to the parent process") != std::string::npos;
    } catch (...) {
    }
    return false;
  };
  if (!refused([&] { (void)pool->apply(&square, 3); })) failed |= 1;
  if (!refused([&] { (void)pool->apply_async(&square, 3); })) failed |= 2;
  if (!refused([&] { (void)pool->map(&square, std::vector<int>{1, 2, 3}); })) failed |= 4;
  if (!refused([&] { (void)pool->imap(&square, std::vector<int>{1, 2, 3}); })) failed |= 8;
  pool->close();  // the parent's pool: nothing to do here, and no waiting
  pool->terminate();
  if (!refused([&] { pool->join(); })) failed |= 16;
  delete pool;  // must neither wait for the parent's threads nor end the process
  return failed;
}

// A Pool inherited by a forked child has none of its worker threads there: every call throws
// std::logic_error instead of waiting forever, and destroying it returns at once. Meanwhile the
// parent's pool is untouched.
TEST(ThreadPool, AnInheritedPoolRefusesWorkInAForkedChildAndIsDestroyedWithoutHanging) {
  auto* pool = new mpp::Pool(2);
  EXPECT_EQ(pool->apply(&square, 2), 4);  // its threads are running
  const pid_t pid = ::fork();
  ASSERT_NE(pid, -1);
  if (pid == 0) ::_exit(use_inherited_pool(pool));
  const auto reaped = mpp_test::reap(pid, mpp_test::k_deadlock_limit);
  if (!reaped) ::kill(pid, SIGKILL);
  ASSERT_TRUE(reaped) << "the child hangs on its copy of the pool";
  EXPECT_EQ(reaped->status, 0) << mpp_test::describe_status(reaped->status);
  EXPECT_EQ(pool->map(&square, std::vector<int>{1, 2, 3}), (std::vector<int>{1, 4, 9}));
  delete pool;
}

// The same through mpp::Process, whose child is a fork too.
TEST(ThreadPool, AnInheritedPoolRefusesWorkInAnMppProcess) {
  auto* pool = new mpp::Pool(2);
  EXPECT_EQ(pool->apply(&square, 2), 4);
  mpp::Process child([pool] {
    const int failed = use_inherited_pool(pool);
    if (failed != 0) ::_exit(failed);
  });
  child.start();
  ASSERT_TRUE(child.join(mpp_test::k_deadlock_limit)) << "the child hangs on its copy of the pool";
  EXPECT_EQ(child.exitcode(), 0);
  EXPECT_EQ(pool->apply(&square, 5), 25);
  delete pool;
}

TEST(ThreadPool, InitializerRunsOnceInEachWorkerBeforeAnyTask) {
  for (std::size_t workers : {1U, 3U, 8U}) {
    SCOPED_TRACE("workers = " + std::to_string(workers));
    std::atomic<int> runs{0};
    ThreadLog initialised;
    ThreadLog ran_tasks;
    std::atomic<int> uninitialised_tasks{0};
    {
      mpp::Pool pool(mpp::PoolOptions{.processes = workers, .initializer = [&] {
                                        t_initialised = true;
                                        runs.fetch_add(1);
                                        initialised.record();
                                      }});
      // Workers start, and their initializers finish, in the constructor.
      EXPECT_EQ(runs.load(), static_cast<int>(workers));
      EXPECT_EQ(initialised.ids().size(), workers);
      auto task = [&](int x) {
        if (!t_initialised) uninitialised_tasks.fetch_add(1);
        ran_tasks.record();
        return x;
      };
      EXPECT_EQ(pool.map(task, std::vector<int>(500, 1), 1).size(), 500U);
      std::vector<mpp::AsyncResult<int>> results;
      for (int i = 0; i < 50; ++i) results.push_back(pool.apply_async(task, i));
      for (auto& r : results) (void)r.get();
    }
    EXPECT_EQ(runs.load(), static_cast<int>(workers));  // never again, not even at shutdown
    EXPECT_EQ(uninitialised_tasks.load(), 0);
    EXPECT_FALSE(t_initialised);  // not on the calling thread
    const auto init_ids = initialised.ids();
    EXPECT_EQ(init_ids.count(std::this_thread::get_id()), 0U);
    for (const auto& id : ran_tasks.ids()) EXPECT_EQ(init_ids.count(id), 1U) << "a task ran on a non-worker";
  }
}

struct InitError : std::runtime_error {
  InitError() : std::runtime_error("initializer failed") {}
};

TEST(ThreadPool, InitializerExceptionIsRethrownByTheConstructor) {
  EXPECT_THROW(mpp::Pool(mpp::PoolOptions{.processes = 4, .initializer = [] { throw InitError(); }}),
               InitError);

  // Only one worker of four fails: construction still fails, with that exception.
  std::atomic<int> calls{0};
  try {
    mpp::Pool pool(mpp::PoolOptions{.processes = 4, .initializer = [&calls] {
                                      if (calls.fetch_add(1) == 1) throw InitError();
                                    }});
    FAIL() << "the constructor did not rethrow";
  } catch (const InitError& e) {
    EXPECT_STREQ(e.what(), "initializer failed");
  }
  EXPECT_EQ(calls.load(), 4);
}

TEST(ThreadPool, PoolOptionsWithZeroProcessesUsesUsableCpuCount) {
  mpp::Pool pool(mpp::PoolOptions{});
  EXPECT_EQ(pool.size(), mpp::usable_cpu_count());
  mpp::Pool explicit_size(mpp::PoolOptions{.processes = 3, .initializer = {}});
  EXPECT_EQ(explicit_size.size(), 3U);
}

TEST(ThreadPool, StdRefSharesTheArgument) {
  mpp::Pool pool(2);
  int value = 1;
  pool.apply([](int& v) { v = 42; }, std::ref(value));
  EXPECT_EQ(value, 42);
  std::string text = "a";
  auto result = pool.apply_async(
      [](std::string& s, const std::string& suffix) {
        s += suffix;
        return s.size();
      },
      std::ref(text), std::string("bc"));
  EXPECT_EQ(result.get(), 3U);
  EXPECT_EQ(text, "abc");
  const int constant = 7;
  EXPECT_EQ(pool.apply([](const int& c) { return &c; }, std::cref(constant)), &constant);
}

TEST(ThreadPool, CapturingLambdasWork) {
  mpp::Pool pool(4);
  const int offset = 100;
  const std::vector<int> table{5, 6, 7};
  auto f = [offset, &table](int i) { return offset + table[static_cast<std::size_t>(i)]; };
  EXPECT_EQ(pool.map(f, std::vector<int>{0, 1, 2}), (std::vector<int>{105, 106, 107}));
  EXPECT_EQ(pool.apply(f, 2), 107);
  std::vector<int> out;
  for (int r : pool.imap(f, std::vector<int>{2, 1})) out.push_back(r);
  EXPECT_EQ(out, (std::vector<int>{107, 106}));
}

TEST(ThreadPool, MoveOnlyArgumentsAndCallables) {
  mpp::Pool pool(2);
  EXPECT_EQ(pool.apply([](std::unique_ptr<int> p) { return *p + 1; }, std::make_unique<int>(41)), 42);
  auto result = pool.apply_async([](std::unique_ptr<std::string> p) { return *p + "!"; },
                                 std::make_unique<std::string>("hi"));
  EXPECT_EQ(result.get(), "hi!");
  auto owner = std::make_unique<int>(9);
  EXPECT_EQ(pool.apply([p = std::move(owner)] { return *p; }), 9);
}

TEST(ThreadPool, ApplyAsyncReleasesTheCallablesStateOnceTheTaskHasRun) {
  mpp::Pool pool(2);
  auto captured = std::make_shared<std::vector<int>>(1000, 1);
  auto argument = std::make_shared<int>(5);
  const std::weak_ptr<std::vector<int>> captured_seen = captured;
  const std::weak_ptr<int> argument_seen = argument;
  auto result =
      pool.apply_async([state = std::move(captured)](
                           const std::shared_ptr<int>& p) { return static_cast<int>(state->size()) + *p; },
                       std::move(argument));
  EXPECT_EQ(result.get(), 1005);
  EXPECT_TRUE(captured_seen.expired()) << "the callable's captures outlived the task";
  EXPECT_TRUE(argument_seen.expired()) << "the argument outlived the task";
  auto void_state = std::make_shared<int>(1);
  const std::weak_ptr<int> void_seen = void_state;
  auto unit = pool.apply_async([state = std::move(void_state)] { (void)state; });
  unit.get();
  EXPECT_TRUE(void_seen.expired()) << "a void task's captures outlived it";
}

TEST(ThreadPool, MutableStateIsVisibleAcrossWorkers) {
  mpp::Pool pool(4);
  // Plain variables on purpose: completion must order a task's writes before what follows it.
  int shared = 0;
  pool.apply([&shared] { shared = 7; });
  EXPECT_EQ(shared, 7);
  EXPECT_EQ(pool.apply([&shared] { return shared; }), 7);

  std::vector<int> slots(1000, 0);
  pool.map([&slots](int i) { slots[static_cast<std::size_t>(i)] = i + 1; }, std::views::iota(0, 1000), 1);
  std::vector<int> expected(1000);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(slots, expected);
  // A later task on any worker sees every earlier task's writes.
  EXPECT_EQ(
      pool.map([&slots](int i) { return slots[static_cast<std::size_t>(i)]; }, std::views::iota(0, 1000)),
      expected);
}

TEST(ThreadPool, MapFromInsideATaskDoesNotDeadlock) {
  for (std::size_t workers : {1U, 2U, 4U}) {
    SCOPED_TRACE("workers = " + std::to_string(workers));
    mpp::Pool pool(workers);
    const std::vector<int> input = {1, 2, 3, 4, 5, 6, 7, 8};
    const std::vector<int> expected = {1, 4, 9, 16, 25, 36, 49, 64};
    EXPECT_EQ(pool.apply([&] { return pool.map(&square, input); }), expected);
    EXPECT_EQ(pool.apply([&] { return pool.map(&square, input, 1); }), expected);
    // Several outer tasks at once (more than workers), each waiting on a nested map.
    std::vector<mpp::AsyncResult<int>> outer;
    for (int k = 0; k < 8; ++k) {
      outer.push_back(pool.apply_async([&pool, &input, k] {
        const auto inner = pool.map([k](int x) { return x + k; }, input, 2);
        return std::accumulate(inner.begin(), inner.end(), 0);
      }));
    }
    for (int k = 0; k < 8; ++k) EXPECT_EQ(outer[static_cast<std::size_t>(k)].get(), 36 + 8 * k);
    // A map whose items themselves map.
    const auto nested = pool.map(
        [&pool](int n) {
          const auto inner = pool.map(&square, std::views::iota(0, n));
          return std::accumulate(inner.begin(), inner.end(), 0);
        },
        std::views::iota(0, 20), 1);
    for (int n = 0; n < 20; ++n)
      EXPECT_EQ(nested[static_cast<std::size_t>(n)], (n - 1) * n * (2 * n - 1) / 6);
  }
}

TEST(ThreadPool, ApplyAndImapFromInsideATaskDoNotDeadlock) {
  for (std::size_t workers : {1U, 2U}) {
    SCOPED_TRACE("workers = " + std::to_string(workers));
    mpp::Pool pool(workers);
    EXPECT_EQ(pool.apply([&pool] { return pool.apply(&square, 6) + 1; }), 37);
    EXPECT_EQ(pool.apply([&pool] { return pool.apply_async(&square, 5).get() + 1; }), 26);
    EXPECT_EQ(pool.apply([&pool] {
      int sum = 0;
      for (int r : pool.imap(&square, std::views::iota(0, 30), 2)) sum += r;
      return sum;
    }),
              8555);
    EXPECT_EQ(pool.apply([&pool] {
      int sum = 0;
      for (int r : pool.imap_unordered(&square, std::views::iota(0, 30))) sum += r;
      return sum;
    }),
              8555);
    EXPECT_EQ(pool.apply([&pool] {
      return pool.starmap([](int a, int b) { return a * b; },
                          std::vector<std::pair<int, int>>{{2, 3}, {4, 5}});
    }),
              (std::vector<int>{6, 20}));
    // A task's exception inside the nested call reaches the outer task, then the caller.
    EXPECT_THROW(pool.apply([&pool] { return pool.apply([]() -> int { throw std::range_error("inner"); }); }),
                 std::range_error);
  }
}

}  // namespace
