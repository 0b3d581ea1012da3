// ProcessPool fault injection: a worker that dies while running an item (raise(SIGSEGV), abort(),
// _exit(3)) fails that item alone with mpp::WorkerLost naming the signal or the exit code; the
// other items of the call, those of the same chunk included, keep or get their results; no item
// runs twice; the pool replaces the worker and keeps working at the same size.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <ostream>
#include <ranges>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "mpp/errors.hpp"
#include "mpp/process_pool.hpp"
#include "mpp_test/processes.hpp"
#include "mpp_test/sync.hpp"
#include "posix/syscall.hpp"

namespace {

enum class Fault { segv, abort, exit3 };

const char* fault_name(Fault f) {
  switch (f) {
    case Fault::segv:
      return "Segv";
    case Fault::abort:
      return "Abort";
    case Fault::exit3:
      return "Exit3";
  }
  return "?";
}

/// What WorkerLost's message must name for each fault.
const char* fault_evidence(Fault f) {
  switch (f) {
    case Fault::segv:
      return "SIGSEGV";
    case Fault::abort:
      return "SIGABRT";
    case Fault::exit3:
      return "code 3";
  }
  return "?";
}

/// Shared with the workers (forked after it is made, replacements included).
struct CrashLog {
  static constexpr std::size_t k_items = 512;
  std::array<std::atomic<int>, k_items> runs{};   // how often each item started
  std::array<std::atomic<int>, k_items> fault{};  // 0, or 1 + the Fault that kills the worker
};

CrashLog* g_log = nullptr;

int square(int x) { return x * x; }

/// x * x, unless x is poisoned: then the worker dies the configured way.
int crash_or_square(int x) {
  CrashLog& log = *g_log;
  const auto i = static_cast<std::size_t>(x);
  log.runs[i].fetch_add(1);
  if (const int fault = log.fault[i].load(); fault != 0) {
    switch (static_cast<Fault>(fault - 1)) {
      case Fault::segv:
        std::raise(SIGSEGV);
        break;
      case Fault::abort:
        std::abort();
      case Fault::exit3:
        ::_exit(3);
    }
    return -1;  // not reached unless the fault failed to kill the worker
  }
  return x * x;
}

bool contains(const char* text, const std::string& part) {
  return std::string(text).find(part) != std::string::npos;
}

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override { g_log = log_.get(); }
  void TearDown() override { g_log = nullptr; }

  CrashLog& log() { return *log_; }

  void poison(int item, Fault fault) {
    log().fault[static_cast<std::size_t>(item)].store(static_cast<int>(fault) + 1);
  }

  void cure() {
    for (auto& f : log().fault) f.store(0);
  }

  /// Every item in [0, n) started exactly once.
  void expect_each_ran_once(int n) {
    for (int i = 0; i < n; ++i) {
      EXPECT_EQ(log().runs[static_cast<std::size_t>(i)].load(), 1) << "item " << i;
    }
  }

  /// The pool still has `size` workers and computes a whole map correctly.
  static void expect_pool_works(mpp::ProcessPool& pool, std::size_t size) {
    EXPECT_EQ(pool.size(), size);
    const auto out = pool.map(&square, std::views::iota(0, 200), 7);
    ASSERT_EQ(out.size(), 200U);
    for (int i = 0; i < 200; ++i) EXPECT_EQ(out[static_cast<std::size_t>(i)], i * i) << "item " << i;
  }

 private:
  mpp_test::Shared<CrashLog> log_;
};

// ---------------------------------------------------------------------------------------------
// One poison item in the middle of a chunk, for each fault and chunk size.

struct FaultCase {
  Fault fault;
  std::size_t chunksize;
};

std::ostream& operator<<(std::ostream& out, const FaultCase& c) {
  return out << fault_name(c.fault) << " chunksize " << c.chunksize;
}

class ProcessPoolCrash : public CrashTest, public ::testing::WithParamInterface<FaultCase> {};

TEST_P(ProcessPoolCrash, OnlyThePoisonItemFailsInImapAndNoItemRunsTwice) {
  const auto [fault, chunksize] = GetParam();
  constexpr int k_items = 96;
  // In its chunk's third position (chunksize 1: its own chunk), after items that finished on the
  // same worker and before items that had not started.
  const int bad = static_cast<int>(2 * chunksize + chunksize / 2);
  poison(bad, fault);
  mpp::ProcessPool pool(2);

  auto results = pool.imap(&crash_or_square, std::views::iota(0, k_items), chunksize);
  int lost = 0;
  for (int i = 0; i < k_items; ++i) {
    try {
      const auto r = results.next();
      ASSERT_TRUE(r.has_value()) << "ended early at item " << i;
      EXPECT_NE(i, bad) << "the poison item returned " << *r;
      if (i != bad) {
        EXPECT_EQ(*r, i * i) << "item " << i;
      }
    } catch (const mpp::WorkerLost& e) {
      ++lost;
      EXPECT_EQ(i, bad) << e.what();
      EXPECT_TRUE(contains(e.what(), fault_evidence(fault))) << e.what();
    }
  }
  EXPECT_FALSE(results.next().has_value());
  EXPECT_EQ(lost, 1);
  expect_each_ran_once(k_items);
  expect_pool_works(pool, 2);
}

// An imap's runs are numbered by the slots of its window; messages name the input position.
TEST_F(CrashTest, ImapErrorsNameTheItemsPositionInTheInput) {
  constexpr int k_items = 300;
  constexpr int k_bad = 250;  // far past the first window of 2 * 2 chunks
  poison(k_bad, Fault::abort);
  mpp::ProcessPool pool(2);
  for (const std::size_t chunksize : {std::size_t{1}, std::size_t{3}}) {
    for (const bool ordered : {true, false}) {
      auto results = ordered ? pool.imap(&crash_or_square, std::views::iota(0, k_items), chunksize)
                             : pool.imap_unordered(&crash_or_square, std::views::iota(0, k_items), chunksize);
      std::string message;
      int values = 0;
      for (;;) {
        try {
          if (!results.next()) break;
          ++values;
        } catch (const mpp::WorkerLost& e) {
          message = e.what();
        }
      }
      EXPECT_EQ(values, k_items - 1);
      EXPECT_TRUE(contains(message.c_str(), "item 250 ")) << "chunksize " << chunksize << ": " << message;
    }
  }
}

TEST_P(ProcessPoolCrash, MapRethrowsWorkerLostAndNoItemRunsTwice) {
  const auto [fault, chunksize] = GetParam();
  constexpr int k_items = 96;
  const int bad = static_cast<int>(2 * chunksize + chunksize / 2);
  poison(bad, fault);
  mpp::ProcessPool pool(2);

  try {
    (void)pool.map(&crash_or_square, std::views::iota(0, k_items), chunksize);
    ADD_FAILURE() << "map returned although an item killed its worker";
  } catch (const mpp::WorkerLost& e) {
    EXPECT_TRUE(contains(e.what(), fault_evidence(fault))) << e.what();
  }
  // map starts no new item after the failure, so some may never run; none runs twice.
  EXPECT_EQ(log().runs[static_cast<std::size_t>(bad)].load(), 1);
  for (int i = 0; i < k_items; ++i) EXPECT_LE(log().runs[static_cast<std::size_t>(i)].load(), 1) << i;
  expect_pool_works(pool, 2);
}

std::string case_name(const ::testing::TestParamInfo<FaultCase>& info) {
  return std::string(fault_name(info.param.fault)) + "Chunksize" + std::to_string(info.param.chunksize);
}

INSTANTIATE_TEST_SUITE_P(Faults, ProcessPoolCrash,
                         ::testing::Values(FaultCase{Fault::segv, 1}, FaultCase{Fault::segv, 4},
                                           FaultCase{Fault::segv, 16}, FaultCase{Fault::abort, 1},
                                           FaultCase{Fault::abort, 4}, FaultCase{Fault::abort, 16},
                                           FaultCase{Fault::exit3, 1}, FaultCase{Fault::exit3, 4},
                                           FaultCase{Fault::exit3, 16}),
                         case_name);

// ---------------------------------------------------------------------------------------------

class ProcessPoolCrashMore : public CrashTest {};

TEST_F(ProcessPoolCrashMore, ManyPoisonItemsAtEveryChunkPositionFailAlone) {
  // Every fifth item of 4-item chunks: first, middle and last positions, two in one chunk, and
  // consecutive chunks; each crash needs a replacement worker.
  constexpr int k_items = 120;
  for (int i = 0; i < k_items; i += 5) poison(i, Fault::segv);
  mpp::ProcessPool pool(2);

  auto results = pool.imap(&crash_or_square, std::views::iota(0, k_items), 4);
  int lost = 0;
  for (int i = 0; i < k_items; ++i) {
    const bool bad = i % 5 == 0;
    try {
      const auto r = results.next();
      ASSERT_TRUE(r.has_value()) << "ended early at item " << i;
      EXPECT_FALSE(bad) << "poison item " << i << " returned " << *r;
      if (!bad) {
        EXPECT_EQ(*r, i * i) << "item " << i;
      }
    } catch (const mpp::WorkerLost& e) {
      ++lost;
      EXPECT_TRUE(bad) << "item " << i << ": " << e.what();
      EXPECT_TRUE(contains(e.what(), "SIGSEGV")) << e.what();
    }
  }
  EXPECT_EQ(lost, k_items / 5);
  expect_each_ran_once(k_items);
  cure();
  expect_pool_works(pool, 2);
}

TEST_F(ProcessPoolCrashMore, ImapUnorderedDeliversEveryOtherResultOnce) {
  constexpr int k_items = 64;
  poison(9, Fault::abort);
  poison(40, Fault::exit3);
  mpp::ProcessPool pool(3);

  std::vector<int> seen(k_items, 0);
  int lost = 0;
  auto results = pool.imap_unordered(&crash_or_square, std::views::iota(0, k_items), 8);
  for (int k = 0; k < k_items; ++k) {
    try {
      const auto r = results.next();
      ASSERT_TRUE(r.has_value());
      // x * x identifies x for these inputs.
      int x = 0;
      while (x * x < *r) ++x;
      ASSERT_EQ(x * x, *r);
      ++seen[static_cast<std::size_t>(x)];
    } catch (const mpp::WorkerLost& e) {
      ++lost;
      EXPECT_TRUE(contains(e.what(), "SIGABRT") || contains(e.what(), "code 3")) << e.what();
    }
  }
  EXPECT_FALSE(results.next().has_value());
  EXPECT_EQ(lost, 2);
  for (int i = 0; i < k_items; ++i) {
    EXPECT_EQ(seen[static_cast<std::size_t>(i)], i == 9 || i == 40 ? 0 : 1) << "item " << i;
  }
  expect_each_ran_once(k_items);
}

TEST_F(ProcessPoolCrashMore, ApplyAsyncOfAPoisonTaskFailsItAloneAndOthersComplete) {
  poison(3, Fault::segv);
  poison(7, Fault::exit3);
  mpp::ProcessPool pool(2);

  std::vector<mpp::AsyncResult<int>> results;
  for (int i = 0; i < 12; ++i) results.push_back(pool.apply_async(&crash_or_square, i));
  for (int i = 0; i < 12; ++i) {
    auto& r = results[static_cast<std::size_t>(i)];
    if (i == 3 || i == 7) {
      try {
        (void)r.get();
        ADD_FAILURE() << "task " << i << " returned";
      } catch (const mpp::WorkerLost& e) {
        EXPECT_TRUE(contains(e.what(), i == 3 ? "SIGSEGV" : "code 3")) << e.what();
      }
      EXPECT_FALSE(r.successful());
    } else {
      EXPECT_EQ(r.get(), i * i);
    }
  }
  expect_each_ran_once(12);
  expect_pool_works(pool, 2);
}

TEST_F(ProcessPoolCrashMore, ApplyRethrowsWorkerLostAndTheNextApplyWorks) {
  poison(5, Fault::abort);
  mpp::ProcessPool pool(1);  // one worker: the next call must run on its replacement
  EXPECT_THROW((void)pool.apply(&crash_or_square, 5), mpp::WorkerLost);
  EXPECT_EQ(pool.apply(&crash_or_square, 6), 36);
  EXPECT_EQ(log().runs[5].load(), 1);
  expect_pool_works(pool, 1);
}

// An apply_async is one task, not an item of an input: its message names "the task"; a map's
// and an imap's keep naming the item's position.
TEST_F(ProcessPoolCrashMore, ApplyMessagesNameTheTaskAndMapMessagesTheItem) {
  poison(5, Fault::abort);
  mpp::ProcessPool pool(2);
  std::string message;
  try {
    (void)pool.apply(&crash_or_square, 5);
  } catch (const mpp::WorkerLost& e) {
    message = e.what();
  }
  EXPECT_EQ(message, "mpp::ProcessPool: the worker running the task died (killed by signal SIGABRT (6))");
  message.clear();
  log().runs[5].store(0);
  try {
    (void)pool.map(&crash_or_square, std::views::iota(0, 8), 2);
  } catch (const mpp::WorkerLost& e) {
    message = e.what();
  }
  EXPECT_EQ(message, "mpp::ProcessPool: the worker running item 5 died (killed by signal SIGABRT (6))");
  message.clear();
  log().runs[5].store(0);
  auto results = pool.imap(&crash_or_square, std::views::iota(0, 8), 3);
  for (;;) {
    try {
      if (!results.next()) break;
    } catch (const mpp::WorkerLost& e) {
      message = e.what();
    }
  }
  EXPECT_EQ(message, "mpp::ProcessPool: the worker running item 5 died (killed by signal SIGABRT (6))");
}

// A program that ignores SIGCHLD (a server's signal(SIGCHLD, SIG_IGN)) has its children reaped by
// the kernel: a worker's crash is still reported with its signal, not as "exited with code 0", and
// the pool replaces it and joins. A kernel that cannot give the status of a reaped child (before
// Linux 6.15) makes the constructor refuse, saying why.
class ProcessPoolSigchldIgnored : public ProcessPoolCrashMore,
                                  public ::testing::WithParamInterface<mpp_test::SigchldIgnored> {};

TEST_P(ProcessPoolSigchldIgnored, CrashesAreReportedWithTheirSignalOrTheConstructorRefuses) {
  const mpp_test::SigchldIgnoredScope ignored(GetParam());
  poison(3, Fault::segv);
  poison(4, Fault::exit3);
  std::optional<mpp::ProcessPool> pool;
  try {
    pool.emplace(2);
  } catch (const mpp::Error& e) {
    EXPECT_EQ(
        std::string(e.what()).rfind("mpp::ProcessPool: SIGCHLD is ignored (SIG_IGN or SA_NOCLDWAIT)", 0), 0U)
        << e.what();
    GTEST_SKIP() << "this kernel cannot give a reaped child's status (needs Linux 6.15); the pool refused";
  }
  std::string message;
  try {
    (void)pool->apply(&crash_or_square, 3);
  } catch (const mpp::WorkerLost& e) {
    message = e.what();
  }
  EXPECT_TRUE(contains(message.c_str(), "killed by signal SIGSEGV")) << message;
  message.clear();
  try {
    (void)pool->map(&crash_or_square, std::views::iota(0, 8), 1);
  } catch (const mpp::WorkerLost& e) {
    message = e.what();
  }
  EXPECT_TRUE(contains(message.c_str(), "item 3 died (killed by signal SIGSEGV") ||
              contains(message.c_str(), "item 4 died (exited with code 3)"))
      << message;
  expect_pool_works(*pool, 2);
  pool->close();
  pool->join();
}

// A kernel without PIDFD_INFO_EXIT (played by failing the ioctl): the constructor refuses.
TEST_P(ProcessPoolSigchldIgnored, TheConstructorRefusesClearlyWhereTheKernelCannotKeepTheStatus) {
  const mpp_test::SigchldIgnoredScope ignored(GetParam());
  mpp::detail::posix::set_fault_hook(
      [](const char* what) noexcept { return std::string_view(what) == "PIDFD_GET_INFO" ? ENOTTY : 0; });
  std::string message;
  try {
    mpp::ProcessPool pool(2);
  } catch (const mpp::Error& e) {
    message = e.what();
  }
  mpp::detail::posix::set_fault_hook(nullptr);
  EXPECT_EQ(
      message.rfind("mpp::ProcessPool: SIGCHLD is ignored (SIG_IGN or SA_NOCLDWAIT), so the kernel would "
                    "reap child processes itself",
                    0),
      0U)
      << message;
}

INSTANTIATE_TEST_SUITE_P(Dispositions, ProcessPoolSigchldIgnored,
                         ::testing::Values(mpp_test::SigchldIgnored::sig_ign,
                                           mpp_test::SigchldIgnored::sa_nocldwait),
                         mpp_test::SigchldIgnoredName());

TEST_F(ProcessPoolCrashMore, ErrorCallbackReceivesWorkerLost) {
  poison(1, Fault::segv);
  mpp::ProcessPool pool(2);
  std::string error;  // plain: callbacks are serialised and have all run when join() returns
  int values = 0;
  auto bad = pool.apply_async(&crash_or_square, 1);
  bad.then([&](int) { ++values; },
           [&](const std::exception_ptr& e) {
             try {
               std::rethrow_exception(e);
             } catch (const mpp::WorkerLost& lost) {
               error = lost.what();
             } catch (...) {
               error = "another exception";
             }
           });
  auto good = pool.apply_async(&crash_or_square, 2);
  good.then([&](int v) { values += v; });
  pool.close();
  pool.join();
  EXPECT_EQ(values, 4);
  EXPECT_TRUE(contains(error.c_str(), "SIGSEGV")) << error;
}

TEST_F(ProcessPoolCrashMore, CrashedWorkersAreReapedWhileThePoolRuns) {
  for (int i = 0; i < 10; ++i) poison(i, Fault::segv);
  mpp::ProcessPool pool(2);
  for (int i = 0; i < 10; ++i) EXPECT_THROW((void)pool.apply(&crash_or_square, i), mpp::WorkerLost);
  // Each WorkerLost is reported after its worker was reaped: no zombie is left behind, and no
  // more processes than workers exist.
  const auto children = mpp_test::child_processes();
  for (const auto& c : children) EXPECT_NE(c.state, 'Z') << "zombie " << c.pid;
  EXPECT_LE(children.size(), pool.size());
  expect_pool_works(pool, 2);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// A worker that dies before the item starts leaves nothing to blame: the chunk goes to another
// worker. When that happens a few times in a row (here every worker's memory is too small to take
// the request in), the item fails with WorkerLost instead of being sent round forever, and the
// pool goes on.

/// The initializer: the worker's address space may grow by 32 MiB at most.
void limit_worker_memory() {
  std::FILE* statm = std::fopen("/proc/self/statm", "r");
  unsigned long pages = 0;
  if (statm == nullptr || std::fscanf(statm, "%lu", &pages) != 1) std::abort();
  std::fclose(statm);
  const rlim_t limit = pages * static_cast<rlim_t>(::sysconf(_SC_PAGESIZE)) + (rlim_t{32} << 20);
  const rlimit r{limit, limit};
  if (::setrlimit(RLIMIT_AS, &r) != 0) std::abort();
}

std::size_t length_of(const std::string& s) { return s.size(); }

TEST(ProcessPoolUnattributedDeaths, ARequestNoWorkerCanTakeFailsAfterAFewDeathsAndThePoolGoesOn) {
  mpp::ProcessPool pool(mpp::ProcessPoolOptions{.processes = 1, .initializer = &limit_worker_memory});
  const std::string huge(std::size_t{96} << 20, 'x');
  try {
    (void)pool.apply(&length_of, huge);
    ADD_FAILURE() << "a 96 MiB request reached a worker limited to 32 MiB more";
  } catch (const mpp::WorkerLost& e) {
    EXPECT_TRUE(contains(e.what(), "3 workers in a row died before the task started")) << e.what();
  }
  EXPECT_EQ(pool.apply(&length_of, std::string("abc")), 3U);
  EXPECT_EQ(pool.size(), 1U);
}

// ---------------------------------------------------------------------------------------------
// Workers without a pidfd (pidfd_open failing: no descriptor left under a low ulimit -n, or valgrind,
// which lacks it; played by the fault hook): their exits are still seen, a crash still fails its
// item alone, and join() returns instead of waiting for an exit nobody sees.
TEST_F(ProcessPoolCrashMore, WorkersWithoutAPidfdAreStillWatchedReplacedAndJoined) {
  mpp::detail::posix::set_fault_hook(
      [](const char* what) noexcept { return std::string_view(what) == "pidfd_open" ? EMFILE : 0; });
  {
    mpp::ProcessPool pool(2);
    poison(5, Fault::segv);
    try {
      (void)pool.apply(&crash_or_square, 5);
      ADD_FAILURE() << "a worker that crashed returned";
    } catch (const mpp::WorkerLost& e) {
      EXPECT_TRUE(contains(e.what(), "SIGSEGV")) << e.what();
    }
    cure();
    expect_pool_works(pool, 2);
    pool.close();
    pool.join();
  }
  mpp::detail::posix::set_fault_hook(nullptr);
}
