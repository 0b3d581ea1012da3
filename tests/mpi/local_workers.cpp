// MpiPoolOptions::workers_per_rank, task_timeout and maxtasksperchild: each serving rank runs the
// pool's items in worker processes of its own, so a crashing item costs that item only, an
// overrunning one fails with TimeoutError, workers are replaced, and a rank runs several items at
// once. (The shared pool suites also run on local workers: MpiShared.LocalWorkers.*.)
#include <gtest/gtest.h>
#include <mpi.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "mpp/cpu.hpp"
#include "mpp/errors.hpp"
#include "mpp/mpi.hpp"
#include "mpp_test/probe.hpp"

namespace {

using namespace std::chrono_literals;

// Counts its calls; item 25 kills its process as a bug would.
int crash_at_25(int i) {
  mpp_test::probe().slot[static_cast<std::size_t>(i)].fetch_add(1);
  if (i == 25) std::raise(SIGSEGV);
  return 2 * i;
}

// Item 3 never ends by itself.
int stuck_at_3(int i) {
  if (i == 3) (void)mpp_test::probe().release.wait();
  return i;
}

// Item 250 kills its process.
int crash_at_250(int i) {
  if (i == 250) std::raise(SIGSEGV);
  return i;
}

// Counts itself in, then blocks until the gate opens (or the deadlock limit passes).
int counted_and_gated(int i) {
  mpp_test::Probe& p = mpp_test::probe();
  p.started.add();
  (void)p.release.wait();
  p.finished.add();
  return i;
}

int own_pid(int /*item*/) { return static_cast<int>(::getpid()); }

// A local worker's initializer: its address space may grow by 32 MiB at most.
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

// Its worker's pid, after long enough that every worker of every rank takes some.
int own_pid_slowly(int /*item*/) {
  std::this_thread::sleep_for(50ms);
  return static_cast<int>(::getpid());
}
int parent_pid(int /*item*/) { return static_cast<int>(::getppid()); }

int barrier_on_self(int x) {
  if (MPI_Barrier(MPI_COMM_SELF) != MPI_SUCCESS) return -1;
  return x;
}
int world_rank_is_known(int /*item*/) {
  int rank = -1;
  return MPI_Comm_rank(MPI_COMM_WORLD, &rank) == MPI_SUCCESS && rank >= 0 ? 1 : 0;
}

// Calls the MPI function k_communicating[which] (on MPI_COMM_SELF where it takes a communicator).
const char* const k_communicating[] = {"MPI_Ibsend",
                                       "MPI_Irsend",
                                       "MPI_Imrecv",
                                       "MPI_Bsend_init",
                                       "MPI_Alltoallw",
                                       "MPI_Reduce_scatter_block",
                                       "MPI_Igather",
                                       "MPI_Ialltoall",
                                       "MPI_Iscan",
                                       "MPI_Ireduce_scatter_block",
                                       "MPI_Comm_idup",
                                       "MPI_Comm_dup_with_info",
                                       "MPI_Comm_create_group",
                                       "MPI_Cart_create",
                                       "MPI_Intercomm_merge",
                                       "MPI_Finalize",
                                       "MPI_Abort",
                                       "MPI_Neighbor_allgather",
                                       "MPI_Ineighbor_alltoall",
                                       "MPI_Dist_graph_create_adjacent",
                                       "MPI_Accumulate",
                                       "MPI_Fetch_and_op",
                                       "MPI_Rget",
                                       "MPI_Win_lock",
                                       "MPI_Win_flush_all",
                                       "MPI_Win_free",
                                       "MPI_Comm_connect",
                                       "MPI_Comm_join",
                                       "MPI_File_write_at_all",
                                       "MPI_File_close"};
int call_mpi(int which) {
  int in = 1;
  int out = 0;
  int one = 1;
  int zero = 0;
  MPI_Datatype type = MPI_INT;
  MPI_Request request = MPI_REQUEST_NULL;
  MPI_Message message = MPI_MESSAGE_NO_PROC;
  MPI_Comm comm = MPI_COMM_NULL;
  MPI_Group group = MPI_GROUP_NULL;
  MPI_Win window = MPI_WIN_NULL;
  MPI_File file = MPI_FILE_NULL;
  switch (which) {
    case 0:
      return MPI_Ibsend(&in, 1, MPI_INT, 0, 0, MPI_COMM_SELF, &request);
    case 1:
      return MPI_Irsend(&in, 1, MPI_INT, 0, 0, MPI_COMM_SELF, &request);
    case 2:
      return MPI_Imrecv(&out, 1, MPI_INT, &message, &request);
    case 3:
      return MPI_Bsend_init(&in, 1, MPI_INT, 0, 0, MPI_COMM_SELF, &request);
    case 4:
      return MPI_Alltoallw(&in, &one, &zero, &type, &out, &one, &zero, &type, MPI_COMM_SELF);
    case 5:
      return MPI_Reduce_scatter_block(&in, &out, 1, MPI_INT, MPI_SUM, MPI_COMM_SELF);
    case 6:
      return MPI_Igather(&in, 1, MPI_INT, &out, 1, MPI_INT, 0, MPI_COMM_SELF, &request);
    case 7:
      return MPI_Ialltoall(&in, 1, MPI_INT, &out, 1, MPI_INT, MPI_COMM_SELF, &request);
    case 8:
      return MPI_Iscan(&in, &out, 1, MPI_INT, MPI_SUM, MPI_COMM_SELF, &request);
    case 9:
      return MPI_Ireduce_scatter_block(&in, &out, 1, MPI_INT, MPI_SUM, MPI_COMM_SELF, &request);
    case 10:
      return MPI_Comm_idup(MPI_COMM_SELF, &comm, &request);
    case 11:
      return MPI_Comm_dup_with_info(MPI_COMM_SELF, MPI_INFO_NULL, &comm);
    case 12:
      MPI_Comm_group(MPI_COMM_SELF, &group);
      return MPI_Comm_create_group(MPI_COMM_SELF, group, 0, &comm);
    case 13:
      return MPI_Cart_create(MPI_COMM_SELF, 1, &one, &zero, 0, &comm);
    case 14:
      return MPI_Intercomm_merge(MPI_COMM_SELF, 0, &comm);
    case 15:
      return MPI_Finalize();
    case 16:
      return MPI_Abort(MPI_COMM_WORLD, 9);
    case 17:
      return MPI_Neighbor_allgather(&in, 1, MPI_INT, &out, 1, MPI_INT, MPI_COMM_SELF);
    case 18:
      return MPI_Ineighbor_alltoall(&in, 1, MPI_INT, &out, 1, MPI_INT, MPI_COMM_SELF, &request);
    case 19:
      return MPI_Dist_graph_create_adjacent(MPI_COMM_SELF, 0, nullptr, MPI_UNWEIGHTED, 0, nullptr,
                                            MPI_UNWEIGHTED, MPI_INFO_NULL, 0, &comm);
    case 20:
      return MPI_Accumulate(&in, 1, MPI_INT, 0, 0, 1, MPI_INT, MPI_SUM, window);
    case 21:
      return MPI_Fetch_and_op(&in, &out, MPI_INT, 0, 0, MPI_SUM, window);
    case 22:
      return MPI_Rget(&out, 1, MPI_INT, 0, 0, 1, MPI_INT, window, &request);
    case 23:
      return MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, window);
    case 24:
      return MPI_Win_flush_all(window);
    case 25:
      return MPI_Win_free(&window);
    case 26:
      return MPI_Comm_connect("no-port", MPI_INFO_NULL, 0, MPI_COMM_SELF, &comm);
    case 27:
      return MPI_Comm_join(-1, &comm);
    case 28:
      return MPI_File_write_at_all(file, 0, &in, 1, MPI_INT, MPI_STATUS_IGNORE);
    default:
      return MPI_File_close(&file);
  }
}

// True once two items run at the same time (each waits, bounded, for the other).
bool meets_another(int /*item*/) {
  mpp_test::Probe& p = mpp_test::probe();
  p.started.add();
  return p.started.wait_at_least(2, 20s);
}

// Its bytes, each plus one, in reverse: a result as large as the argument, in which a stale or
// misplaced byte of a reused buffer shows.
std::vector<unsigned char> reversed_plus_one(std::vector<unsigned char> bytes) {
  std::reverse(bytes.begin(), bytes.end());
  for (unsigned char& b : bytes) b = static_cast<unsigned char>(b + 1);
  return bytes;
}

std::vector<unsigned char> pattern(std::size_t size, unsigned seed) {
  std::vector<unsigned char> bytes(size);
  for (std::size_t i = 0; i < size; ++i)
    bytes[i] = static_cast<unsigned char>((i * 131 + seed * 7 + i / 4099) & 0xFF);
  return bytes;
}

class MpiLocalWorkers : public mpp_test::ProbeTest {};

// A large request moves into its chunk on the rank, and the buffers of finished chunks carry the
// next ones (relay.hpp): arguments and results on both sides of that size, in turn, several at
// once, cross intact.
TEST_F(MpiLocalWorkers, LargeArgumentsAndResultsCrossIntactInReusedBuffers) {
  mpp::MpiPool pool(mpp::MpiPoolOptions{.workers_per_rank = 2});
  const std::vector<std::size_t> sizes{
      std::size_t{5} << 20,   std::size_t{300} << 10, (std::size_t{256} << 10) - 1,
      std::size_t{256} << 10, std::size_t{1} << 20,   64,
      std::size_t{9} << 20,   std::size_t{200} << 10, 0,
      std::size_t{3} << 20};
  unsigned seed = 0;
  for (const std::size_t size : sizes) {
    const auto bytes = pattern(size, ++seed);
    EXPECT_EQ(pool.apply(&reversed_plus_one, bytes), reversed_plus_one(bytes)) << size << " bytes";
  }
  std::vector<std::vector<unsigned char>> items;
  for (const std::size_t size : sizes) items.push_back(pattern(size, ++seed));
  std::vector<std::vector<unsigned char>> expected;
  for (const auto& item : items) expected.push_back(reversed_plus_one(item));
  EXPECT_EQ(pool.map(&reversed_plus_one, items, 1), expected);
  EXPECT_EQ(pool.map(&reversed_plus_one, items, 3), expected);
  std::vector<mpp::AsyncResult<std::vector<unsigned char>>> calls;
  for (const auto& item : items) calls.push_back(pool.apply_async(&reversed_plus_one, item));
  for (std::size_t k = 0; k < calls.size(); ++k)
    EXPECT_EQ(calls[k].get(), expected[k]) << sizes[k] << " bytes";
}

// A struct of 5 MiB taken and returned by value (docs/api.md, "Large values by value"): a rank or
// a local worker decoding it as a local overflowed its 8 MiB stack, which ended the job where the
// rank ran items itself.
struct Block {
  std::array<std::uint64_t, (std::size_t{5} << 20) / sizeof(std::uint64_t)> words;
};
std::uint64_t sum_of_block(const Block& b) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < b.words.size(); ++i) sum += b.words[i] * (i % 7 + 1);
  return sum;
}
std::uint64_t block_sum(Block b) { return sum_of_block(b); }
void fill_block(Block& b, std::uint64_t seed) {
  for (std::size_t i = 0; i < b.words.size(); ++i) b.words[i] = i * 31 + seed;
}
Block make_block(std::uint64_t seed) {
  Block b;
  fill_block(b, seed);
  return b;
}
// In a frame of its own, so that the test's frame holds no block.
template <class Get>
std::uint64_t sum_of(Get get) {
  return sum_of_block(get());
}

TEST_F(MpiLocalWorkers, AStructOfSeveralMiBCrossesByValueWithAndWithoutLocalWorkers) {
  for (const std::size_t workers : {std::size_t{2}, std::size_t{0}}) {
    mpp::MpiPool pool(mpp::MpiPoolOptions{.workers_per_rank = workers});
    const auto block = std::make_unique<Block>();
    fill_block(*block, 3);
    const std::uint64_t want = sum_of_block(*block);
    EXPECT_EQ(pool.apply(&block_sum, *block), want) << workers << " workers";
    EXPECT_EQ(sum_of([&] { return pool.apply(&make_block, 3); }), want) << workers << " workers";
    const std::vector<std::uint64_t> seeds{3, 3, 3};
    for (const Block& b : pool.map(&make_block, seeds, 1))
      EXPECT_EQ(sum_of_block(b), want) << workers << " workers";
  }
}

TEST_F(MpiLocalWorkers, ACrashingItemFailsAloneAndTheRestOfItsChunkRunsElsewhere) {
  mpp::MpiPool pool(mpp::MpiPoolOptions{.workers_per_rank = 2});
  std::vector<int> items(60);
  for (int i = 0; i < 60; ++i) items[static_cast<std::size_t>(i)] = i;
  auto results = pool.imap(&crash_at_25, items, 10);
  for (int i = 0; i < 60; ++i) {
    if (i == 25) {
      try {
        (void)results.next();
        ADD_FAILURE() << "item 25 crashed its worker but did not fail";
      } catch (const mpp::WorkerLost& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("mpp::MpiPool rank "), std::string::npos) << what;
        EXPECT_NE(what.find("SIGSEGV"), std::string::npos) << what;
      }
      continue;
    }
    const auto value = results.next();
    ASSERT_TRUE(value.has_value());
    EXPECT_EQ(*value, 2 * i);
  }
  EXPECT_FALSE(results.next().has_value());
  // Every item ran exactly once: those after 25 in its chunk went back to rank 0 and ran again
  // elsewhere, none twice.
  for (std::size_t i = 0; i < 60; ++i) EXPECT_EQ(probe().slot[i].load(), 1) << "item " << i;
  // The pool goes on.
  EXPECT_EQ(pool.map(&crash_at_25, std::vector<int>{1, 2, 3}), (std::vector<int>{2, 4, 6}));
}

TEST_F(MpiLocalWorkers, AnItemOverrunningTaskTimeoutFailsWithTimeoutError) {
  mpp::MpiPool pool(mpp::MpiPoolOptions{.ranks = 1, .workers_per_rank = 1, .task_timeout = 300ms});
  std::vector<mpp::AsyncResult<int>> results;
  for (int i = 0; i < 8; ++i) results.push_back(pool.apply_async(&stuck_at_3, i));
  for (int i = 0; i < 8; ++i) {
    if (i == 3) {
      try {
        (void)results[3].get();
        ADD_FAILURE() << "item 3 never ended but did not time out";
      } catch (const mpp::TimeoutError& e) {
        EXPECT_NE(std::string(e.what()).find("task_timeout"), std::string::npos) << e.what();
      }
      continue;
    }
    EXPECT_EQ(results[static_cast<std::size_t>(i)].get(), i);
  }
}

TEST_F(MpiLocalWorkers, MaxtasksperchildReplacesTheRanksWorkers) {
  mpp::MpiPool pool(mpp::MpiPoolOptions{.ranks = 1, .workers_per_rank = 1, .maxtasksperchild = 1});
  const std::vector<int> pids = pool.map(&own_pid, std::vector<int>(6, 0), 1);
  EXPECT_EQ(std::set<int>(pids.begin(), pids.end()).size(), 6U);
}

TEST_F(MpiLocalWorkers, TheWorkersAreTheRanksChildrenAndTaskTimeoutAloneStartsThem) {
  mpp::MpiPool itself(mpp::MpiPoolOptions{.ranks = 1, .workers_per_rank = 0});
  const int rank_pid = itself.apply(&own_pid, 0);  // a serving rank's, or rank 0's alone
  mpp::MpiPool timed(mpp::MpiPoolOptions{.ranks = 1, .task_timeout = 10s});
  EXPECT_EQ(timed.apply(&parent_pid, 0), rank_pid);
  EXPECT_EQ(timed.size(), 1U);  // still the serving ranks
}

// A local worker shares its rank's MPI connections: a task calling MPI there fails with a clear
// error (and the worker goes on); in the rank itself the same task works.
TEST_F(MpiLocalWorkers, ATaskCallingMpiInALocalWorkerFailsClearly) {
  mpp::MpiPool pool(mpp::MpiPoolOptions{.workers_per_rank = 1});
  try {
    (void)pool.apply(&barrier_on_self, 0);
    ADD_FAILURE() << "MPI_Barrier ran in a local worker";
  } catch (const mpp::Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("MPI_Barrier"), std::string::npos) << what;
    EXPECT_NE(what.find("workers_per_rank = 0"), std::string::npos) << what;
  }
  EXPECT_EQ(pool.apply(&world_rank_is_known, 0), 1);  // what only reads local state passes
  mpp::MpiPool in_ranks(mpp::MpiPoolOptions{.workers_per_rank = 0});
  EXPECT_EQ(in_ranks.apply(&barrier_on_self, 7), 7);
}

// Each MPI call that communicates is refused in a local worker, not only the common ones: the I
// forms of every send, the other collectives (neighbourhood ones too) and their I forms, the other
// communicator and topology makers, MPI_Finalize and MPI_Abort (some waited for ever in a worker,
// and the job with them: task_timeout ends those here).
TEST_F(MpiLocalWorkers, EveryCallThatCommunicatesIsRefusedInALocalWorker) {
  mpp::MpiPool pool(mpp::MpiPoolOptions{.workers_per_rank = 1, .task_timeout = 10s});
  for (int which = 0; which < static_cast<int>(std::size(k_communicating)); ++which) {
    const std::string name = k_communicating[which];
    try {
      (void)pool.apply(&call_mpi, which);
      ADD_FAILURE() << name << " ran in a local worker";
    } catch (const mpp::Error& e) {
      EXPECT_NE(std::string(e.what()).find("a task called " + name + " in a local worker"), std::string::npos)
          << e.what();
    }
  }
}

TEST_F(MpiLocalWorkers, ARankRunsItsWorkersItemsAtOnce) {
  mpp::MpiPool pool(mpp::MpiPoolOptions{.ranks = 1, .workers_per_rank = 2});
  EXPECT_EQ(pool.map(&meets_another, std::vector<int>{0, 1}, 1), (std::vector<bool>{true, true}));
}

// An imap's items are numbered by its window's slots on their way; messages name them by their
// place in the caller's input, as ProcessPool's do.
TEST_F(MpiLocalWorkers, AFailedItemIsNamedByItsPlaceInTheInput) {
  mpp::MpiPool pool(mpp::MpiPoolOptions{.workers_per_rank = 1});
  std::vector<int> items(300);
  for (int i = 0; i < 300; ++i) items[static_cast<std::size_t>(i)] = i;
  auto results = pool.imap(&crash_at_250, items, 1);
  for (int i = 0; i < 300; ++i) {
    if (i != 250) {
      EXPECT_EQ(results.next(), std::optional<int>(i));
      continue;
    }
    try {
      (void)results.next();
      ADD_FAILURE() << "item 250 crashed its worker but did not fail";
    } catch (const mpp::WorkerLost& e) {
      EXPECT_NE(std::string(e.what()).find("the worker running item 250 died"), std::string::npos)
          << e.what();
    }
  }
  try {
    (void)pool.apply_async(&crash_at_250, 250).get();
    ADD_FAILURE() << "the task crashed its worker but did not fail";
  } catch (const mpp::WorkerLost& e) {
    EXPECT_NE(std::string(e.what()).find("the worker running the task died"), std::string::npos) << e.what();
  }
}

// terminate() stops what local workers run (they are killed and replaced, as ProcessPool's are),
// and none starts the chunks queued behind: join() returns without waiting for them.
TEST_F(MpiLocalWorkers, TerminateStopsTheItemsRunningInLocalWorkers) {
  mpp::MpiPool pool(mpp::MpiPoolOptions{.ranks = 1, .workers_per_rank = 1});
  auto result = pool.map_async(&counted_and_gated, std::vector<int>{0, 1, 2, 3}, 1);
  ASSERT_TRUE(probe().started.wait_at_least(1));
  pool.terminate();
  pool.join();
  EXPECT_THROW((void)result.get(), mpp::TaskCancelled);
  EXPECT_EQ(probe().started.value(), 1);   // the chunks behind were skipped
  EXPECT_EQ(probe().finished.value(), 0);  // the one running was stopped, not waited for
}

// cancel(Cancel::even_running) of a call that a local worker runs kills and replaces that worker,
// as on ProcessPool: with the default workers_per_rank.
TEST_F(MpiLocalWorkers, CancelEvenRunningStopsACallInALocalWorker) {
  mpp::MpiPool pool(mpp::MpiPoolOptions{.ranks = 1});
  auto running = pool.apply_async(&counted_and_gated, 7);
  ASSERT_TRUE(probe().started.wait_at_least(1));
  EXPECT_TRUE(running.cancel(mpp::Cancel::even_running));
  try {
    (void)running.get();
    ADD_FAILURE() << "a stopped call returned a value";
  } catch (const mpp::TaskCancelled& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("mpp::MpiPool rank "), std::string::npos) << what;
    EXPECT_NE(what.find("cancelled while it ran"), std::string::npos) << what;
  }
  EXPECT_EQ(probe().finished.value(), 0);
  EXPECT_EQ(pool.apply(&length_of, std::string("abcd")), 4U);  // the replacement works
  // Ranks that run items themselves finish the call: it keeps its value.
  mpp::MpiPool in_ranks(mpp::MpiPoolOptions{.ranks = 1, .workers_per_rank = 0});
  auto finishing = in_ranks.apply_async(&counted_and_gated, 8);
  ASSERT_TRUE(probe().started.wait_at_least(2));
  probe().release.open();  // cancel() waits for the call's end: let it come
  EXPECT_FALSE(finishing.cancel(mpp::Cancel::even_running));
  EXPECT_EQ(finishing.get(), 8);
}

// every_cpu shares a host's CPUs among the serving ranks that may use them: here every rank runs
// on this one host, unbound (scripts/mpirun-local oversubscribes), so each gets its share.
TEST_F(MpiLocalWorkers, EveryCpuSharesTheHostsCpusAmongItsRanks) {
  mpp::MpiPool pool(mpp::MpiPoolOptions{.workers_per_rank = mpp::MpiPoolOptions::every_cpu});
  const std::size_t each = std::max<std::size_t>(1, mpp::usable_cpu_count() / pool.size());
  const std::vector<int> pids = pool.map(&own_pid_slowly, std::vector<int>(8 * pool.size() * each, 0), 1);
  EXPECT_EQ(std::set<int>(pids.begin(), pids.end()).size(), pool.size() * each);
}

// A request no local worker can take in kills each before the item starts; the rank gives the
// chunk back whole each time. After a few such returns in a row it fails with WorkerLost instead
// of going round the ranks for ever, and the pool goes on.
TEST_F(MpiLocalWorkers, ARequestNoWorkerCanTakeFailsAfterAFewDeaths) {
  mpp::MpiPool pool(mpp::MpiPoolOptions{.initializer = &limit_worker_memory, .workers_per_rank = 1});
  const std::string huge(std::size_t{96} << 20, 'x');
  try {
    (void)pool.apply(&length_of, huge);
    ADD_FAILURE() << "a 96 MiB request reached a worker limited to 32 MiB more";
  } catch (const mpp::WorkerLost& e) {
    EXPECT_NE(std::string(e.what()).find("3 times in a row before the task started"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(pool.apply(&length_of, std::string("abc")), 3U);
}

TEST_F(MpiLocalWorkers, AnInitializerThatThrowsInAWorkerIsRethrown) {
  EXPECT_THROW(mpp::MpiPool(mpp::MpiPoolOptions{.initializer = [] { throw std::runtime_error("no"); },
                                                .workers_per_rank = 1}),
               std::runtime_error);
}

}  // namespace
