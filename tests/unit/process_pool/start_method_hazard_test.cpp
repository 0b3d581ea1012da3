// The fork hazard, start method by start method (<mpp/start_method.hpp>): what another thread of
// the program is doing while a ProcessPool starts its workers and replaces them (maxtasksperchild
// = 1: a fresh worker for every task), and whether a worker function can then do the same.
//
// fork() copies only the calling thread (for a ProcessPool, its dispatcher thread); a lock that any
// other thread holds at that moment is copied locked, and nothing in the child will unlock it. But
// glibc's fork() itself protects some of its own locks, so with glibc:
//   - malloc/free/new/delete: NOT hazardous. fork() takes every malloc arena lock before it forks
//     and resets them in the child (so the fork waits for a thread inside malloc to leave it). This
//     holds for glibc's allocator only: GCC 12's AddressSanitizer allocator does no such thing (a
//     standalone loop of forks beside an allocating thread hung about once in 300 forks), so the
//     fork case is skipped under ASan rather than left to luck.
//   - stdio and std::cout/std::cerr (synced with stdio): NOT hazardous as far as locks go. fork()
//     re-initialises every FILE's lock in the child of a threaded parent, even one another thread
//     held with flockfile() (what it was writing may be half there; mpp purges it, see child.cpp).
//     A std::ostringstream takes no lock at all (its constructor takes libstdc++'s locale mutex
//     only when the global locale is not the classic one, and only for an instant).
//   - std::osyncstream: HAZARDOUS. Its emit() holds one of libstdc++'s mutexes (one per wrapped
//     stream buffer) while it writes; a thread emitting to a slow stream (a full pipe, a terminal)
//     when a worker is forked leaves it locked there for good.
//   - a function-local static another thread is initialising: HAZARDOUS. Its guard says "in
//     progress" in the child, and the first call there waits for an initialisation that will never
//     finish.
//   - a std::mutex of the program (start_method_test.cpp, ...InheritALockAnotherThreadHeld...).
//   - OpenMP (libgomp): its thread pool belongs to the thread that ran the parallel region. A
//     worker forked from another thread (a ProcessPool forks from its own dispatcher thread) builds
//     a pool of its own and works; a process forked from the very thread that ran OpenMP hangs in
//     its first parallel region, always: an mpp::Process started there, and the ProcessPool workers
//     forked after a then() callback (which runs on the dispatcher thread) ran an OpenMP region.
//   - oneTBB: a forked worker's parallel_for returns the right result, but the worker threads the
//     parent had started do not exist in the child, and oneTBB does not start them again: its
//     loops may run on the worker's one thread (observed here with oneTBB 2021.8).
// Spawned workers (a fresh run of the program) inherit no lock and no thread: everything works.
//
// The tests run on every start method (k_methods); each hang is shown deterministically (the lock
// is held, not maybe held, across the start of the worker and of its replacement) and bounded by
// task_timeout (mpp::Process: by join's timeout). This program's main() calls mpp::freeze_support()
// (tests/support/mpp_test/main.cpp).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <iostream>
#include <iterator>
#include <mutex>
#include <optional>
#include <streambuf>
#include <string>
#include <syncstream>
#include <thread>
#include <vector>

#include "mpp/errors.hpp"
#include "mpp/process.hpp"
#include "mpp/process_pool.hpp"
#include "mpp/start_method.hpp"

#if defined(MPP_TEST_HAVE_OPENMP)
#include <omp.h>
#endif
#if defined(MPP_TEST_HAVE_TBB)
#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>
#endif

namespace {

using namespace std::chrono_literals;

// Every start method the tests run on, with its name in the tests' names (EveryMethod/...
// /Fork). A method added to mpp is one more entry here.
struct NamedMethod {
  mpp::StartMethod method;
  const char* name;
};
constexpr std::array k_named_methods{NamedMethod{mpp::StartMethod::fork, "Fork"},
                                     NamedMethod{mpp::StartMethod::spawn, "Spawn"},
                                     NamedMethod{mpp::StartMethod::forkserver, "Forkserver"}};
constexpr auto k_methods = [] {
  std::array<mpp::StartMethod, k_named_methods.size()> methods{};
  for (std::size_t i = 0; i < methods.size(); ++i) methods[i] = k_named_methods[i].method;
  return methods;
}();

// Whether a worker started by `method` is a fork of this (multi-threaded) process, and so inherits
// the locks its other threads held at that moment. (A fork server's workers are forks of a server
// with one thread: they do not.)
bool inherits_held_locks(mpp::StartMethod method) { return method == mpp::StartMethod::fork; }

std::string name_of(mpp::StartMethod method) {
  for (const NamedMethod& m : k_named_methods) {
    if (m.method == method) return m.name;
  }
  return "Method" + std::to_string(static_cast<int>(method));
}

std::string method_name(const testing::TestParamInfo<mpp::StartMethod>& info) { return name_of(info.param); }

}  // namespace

// How GoogleTest names a failing test's parameter ("where GetParam() = Fork").
namespace mpp {
// NOLINTNEXTLINE(readability-identifier-naming): the name GoogleTest looks for
void PrintTo(StartMethod method, std::ostream* out);
// NOLINTNEXTLINE(readability-identifier-naming)
void PrintTo(StartMethod method, std::ostream* out) { *out << name_of(method); }
}  // namespace mpp

namespace {

// How long an item may run before it counts as hung (task_timeout) where a test expects hangs (its
// items that do not hang take microseconds), and the bound of every wait that only a broken program
// reaches (also the task_timeout of the tests that expect no hang).
constexpr auto k_hung = 500ms;
constexpr auto k_bound = 20s;

// A thread of the test stops at a gate, in the middle of what it is doing, until the test opens
// it. Only in the process that armed it: a forked worker's copy and a spawned worker's own one
// let everyone through.
class Gate {
 public:
  void arm() {
    const std::lock_guard lock(mutex_);
    owner_ = ::getpid();
    arrived_ = false;
    open_ = false;
  }
  void arrive_and_wait() {
    if (::getpid() != owner_) return;
    std::unique_lock lock(mutex_);
    arrived_ = true;
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_; });
  }
  /// Whether a thread arrived within k_bound.
  bool wait_arrived() {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, k_bound, [this] { return arrived_; });
  }
  void open() {
    {
      const std::lock_guard lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  pid_t owner_ = 0;
  bool arrived_ = false;
  bool open_ = false;
};

// Runs `body` on a thread of its own that stops at `gate` somewhere inside it; the constructor
// returns once it has. Opens the gate and joins the thread when destroyed.
class StoppedThread {
 public:
  StoppedThread(Gate& gate, std::function<void()> body) : gate_(gate) {
    gate_.arm();
    thread_ = std::thread(std::move(body));
    arrived_ = gate_.wait_arrived();
  }
  StoppedThread(const StoppedThread&) = delete;
  StoppedThread& operator=(const StoppedThread&) = delete;
  ~StoppedThread() {
    gate_.open();
    thread_.join();
  }
  [[nodiscard]] bool arrived() const { return arrived_; }

 private:
  Gate& gate_;
  std::thread thread_;
  bool arrived_ = false;
};

// The result of an item, or nothing when it hung (task_timeout).
template <class T>
std::optional<T> result_or_hang(mpp::AsyncResult<T>& result) {
  try {
    return result.get(k_bound);
  } catch (const mpp::TimeoutError&) {
    return std::nullopt;
  }
}

// `f(i)` for i in 0..items-1 on a pool of `method` with a fresh worker for every item (the first
// ones started by the constructor, the others replacements); an item that runs longer than
// `hung` fails with task_timeout and its worker is replaced too. Every result, or nothing for the
// items that hung.
template <class R>
std::vector<std::optional<R>> run_on_fresh_workers(mpp::StartMethod method, R (*f)(int), int items,
                                                   std::size_t processes,
                                                   std::chrono::nanoseconds hung = k_bound) {
  mpp::ProcessPool pool(mpp::ProcessPoolOptions{
      .processes = processes, .maxtasksperchild = 1, .task_timeout = hung, .start_method = method});
  std::vector<mpp::AsyncResult<R>> pending;
  pending.reserve(static_cast<std::size_t>(items));
  for (int i = 0; i < items; ++i) pending.push_back(pool.apply_async(f, i));
  std::vector<std::optional<R>> results;
  results.reserve(pending.size());
  for (auto& r : pending) results.push_back(result_or_hang(r));
  pool.close();
  pool.join();
  return results;
}

std::size_t hung_count(const auto& results) {
  return static_cast<std::size_t>(std::count(results.begin(), results.end(), std::nullopt));
}

class StartMethodHazardTest : public testing::TestWithParam<mpp::StartMethod> {
 protected:
  // This test's position in k_methods.
  static std::size_t method_index() {
    return static_cast<std::size_t>(std::find(k_methods.begin(), k_methods.end(), GetParam()) -
                                    k_methods.begin());
  }
};

INSTANTIATE_TEST_SUITE_P(EveryMethod, StartMethodHazardTest, testing::ValuesIn(k_methods), method_name);

// --- malloc: not hazardous with glibc ------------------------------------------------------------

// Allocates and frees strings of many sizes (several arenas' bins) until stopped. The constructor
// returns once it has done so once.
class AllocatingThread {
 public:
  AllocatingThread()
      : thread_([this] {
          while (!stop_.load(std::memory_order_relaxed)) {
            std::vector<std::string> strings;
            for (std::size_t i = 0; i < 64; ++i) strings.emplace_back(16 + i * 97, 'x');
            if (rounds_.fetch_add(1, std::memory_order_relaxed) == 0) rounds_.notify_all();
          }
        }) {
    rounds_.wait(0, std::memory_order_relaxed);
  }
  AllocatingThread(const AllocatingThread&) = delete;
  AllocatingThread& operator=(const AllocatingThread&) = delete;
  ~AllocatingThread() {
    stop_.store(true, std::memory_order_relaxed);
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> rounds_{0};
  std::thread thread_;
};

std::size_t allocate_and_free(int n) {
  std::vector<std::string> strings;
  std::size_t total = 0;
  for (int i = 0; i < 200; ++i) {
    strings.emplace_back(static_cast<std::size_t>(8 + (i * 131 + n) % 5000), 'y');
    total += strings.back().size();
  }
  const std::vector<char> large(std::size_t{1} << 20, 'z');  // mmap'ed, not from an arena
  return total + large.size();
}

TEST_P(StartMethodHazardTest, AnotherThreadInsideMallocIsNoHazard) {
#if defined(__SANITIZE_ADDRESS__)
  if (GetParam() == mpp::StartMethod::fork) {
    GTEST_SKIP() << "AddressSanitizer's allocator (GCC 12) does not reset its locks at fork as glibc's "
                    "malloc does: a forked worker may find one held, by luck";
  }
#endif
  const AllocatingThread allocating;
  const auto results = run_on_fresh_workers(GetParam(), &allocate_and_free, 12, 2);
  ASSERT_EQ(hung_count(results), 0U) << "a worker hung in malloc";
  for (int i = 0; i < 12; ++i) EXPECT_EQ(*results[static_cast<std::size_t>(i)], allocate_and_free(i));
}

// --- stdio and std::cout: not hazardous with glibc -------------------------------------------------

Gate g_stdout_gate;

// A worker writing to std::cout and stdout: each takes stdout's lock, which must be free. (Nothing
// is written: a flush takes the lock all the same.)
int use_stdout(int x) {
  std::cout << std::flush;
  std::fflush(stdout);
  if (::ftrylockfile(stdout) != 0) return -1;
  ::funlockfile(stdout);
  return x;
}

TEST_P(StartMethodHazardTest, AnotherThreadHoldingStdoutsLockIsNoHazard) {
  std::vector<std::optional<int>> results;
  {
    // A thread keeps stdout locked (flockfile, as around a line written in parts) while the
    // workers and their replacements start. Nothing of the test may write to stdout meanwhile.
    const StoppedThread holder(g_stdout_gate, [] {
      ::flockfile(stdout);
      g_stdout_gate.arrive_and_wait();
      ::funlockfile(stdout);
    });
    if (holder.arrived()) results = run_on_fresh_workers(GetParam(), &use_stdout, 6, 2);
  }
  ASSERT_EQ(results.size(), 6U) << "the thread never took stdout's lock";
  EXPECT_EQ(hung_count(results), 0U) << "a worker hung on stdout's lock";
  for (int i = 0; i < 6; ++i) EXPECT_EQ(results[static_cast<std::size_t>(i)], std::optional<int>(i));
}

// --- std::osyncstream: hazardous under fork ---------------------------------------------------------

// A stream buffer on a slow device: in the process that armed the gate, a write stops at it.
Gate g_device_gate;
class SlowDevice : public std::streambuf {
 protected:
  std::streamsize xsputn(const char* /*data*/, std::streamsize n) override {
    g_device_gate.arrive_and_wait();
    return n;
  }
  int_type overflow(int_type c) override {
    g_device_gate.arrive_and_wait();
    return traits_type::not_eof(c);
  }
};
SlowDevice g_device;

// A worker writing a line to the device through a std::osyncstream: emit() takes the mutex
// libstdc++ keeps for that stream buffer.
int emit_a_line(int x) {
  std::osyncstream out(&g_device);
  out << "item " << x << '\n';
  out.emit();
  return out.good() ? x : -1;
}

TEST_P(StartMethodHazardTest, AnotherThreadEmittingToASyncstreamHangsForkedWorkersOnly) {
  std::vector<std::optional<int>> results;
  {
    // The thread stops inside emit(): its line is being written, the mutex is held.
    const StoppedThread writer(g_device_gate, [] { (void)emit_a_line(-1); });
    ASSERT_TRUE(writer.arrived());
    results = run_on_fresh_workers(GetParam(), &emit_a_line, 2, 1, k_hung);
  }
  ASSERT_EQ(results.size(), 2U);
  if (inherits_held_locks(GetParam())) {
    // The first worker and its replacement were both forked while the mutex was held.
    EXPECT_EQ(results[0], std::nullopt) << "the first worker did not hang";
    EXPECT_EQ(results[1], std::nullopt) << "the replacement did not hang";
  } else {
    EXPECT_EQ(results[0], std::optional<int>(0));
    EXPECT_EQ(results[1], std::optional<int>(1));
  }
  EXPECT_EQ(emit_a_line(7), 7);  // here the mutex is free again
}

// --- a function-local static being initialised: hazardous under fork -----------------------------

Gate g_static_gate;
int slow_initialiser() {
  g_static_gate.arrive_and_wait();
  return 42;
}
// One static per start method: each test sees its own initialised while its pool starts.
template <std::size_t N>
int lazily_initialised() {
  static const int k_value = slow_initialiser();
  return k_value;
}
constexpr std::array<int (*)(), 4> k_lazy{&lazily_initialised<0>, &lazily_initialised<1>,
                                          &lazily_initialised<2>, &lazily_initialised<3>};
static_assert(k_methods.size() <= k_lazy.size());

int read_lazy(int index) { return k_lazy[static_cast<std::size_t>(index)](); }

TEST_P(StartMethodHazardTest, AnotherThreadInitialisingAStaticHangsForkedWorkersOnly) {
  const auto index = static_cast<int>(method_index());
  std::vector<std::optional<int>> results;
  {
    const StoppedThread initialising(g_static_gate, [index] { (void)read_lazy(index); });
    ASSERT_TRUE(initialising.arrived());
    mpp::ProcessPool pool(mpp::ProcessPoolOptions{
        .processes = 1, .maxtasksperchild = 1, .task_timeout = k_hung, .start_method = GetParam()});
    auto first = pool.apply_async(&read_lazy, index);   // on the first worker
    auto second = pool.apply_async(&read_lazy, index);  // on its replacement
    results = {result_or_hang(first), result_or_hang(second)};
    pool.close();
    pool.join();
  }
  ASSERT_EQ(results.size(), 2U);
  const std::optional<int> expected = inherits_held_locks(GetParam()) ? std::nullopt : std::optional<int>(42);
  EXPECT_EQ(results[0], expected) << "the first worker";
  EXPECT_EQ(results[1], expected) << "its replacement";
  EXPECT_EQ(read_lazy(index), 42);
}

// --- OpenMP and oneTBB used by the parent before the pool ----------------------------------------

// Why a test of OpenMP or oneTBB did not run (tests/unit/CMakeLists.txt decides).
[[maybe_unused]] constexpr const char* k_no_openmp =
    "built without OpenMP: the compiler's -fopenmp was not found, or this is a ThreadSanitizer build "
    "(libgomp is not instrumented, and ThreadSanitizer ends a forked child that starts threads)";
[[maybe_unused]] constexpr const char* k_no_tbb =
    "built without oneTBB: libtbb-dev was not found, or this is a ThreadSanitizer build (oneTBB is not "
    "instrumented, and ThreadSanitizer ends a forked child that starts threads)";

#if defined(MPP_TEST_HAVE_OPENMP)
// The sum of 0..n-1 over an OpenMP team; its size, through `threads`.
long long openmp_sum(int n, int* threads = nullptr) {
  long long sum = 0;
  int team = 0;
#pragma omp parallel for reduction(+ : sum)
  for (int i = 0; i < n; ++i) {
    sum += i;
    if (i == 0) team = omp_get_num_threads();
  }
  if (threads != nullptr) *threads = team;
  return sum;
}
long long openmp_item(int i) { return openmp_sum(100000 + i); }
long long expected_sum(long long n) { return n * (n - 1) / 2; }
#endif

TEST_P(StartMethodHazardTest, OpenMPUsedByTheParentWorksInWorkers) {
#if !defined(MPP_TEST_HAVE_OPENMP)
  GTEST_SKIP() << k_no_openmp;
#else
  // This thread's OpenMP team exists now (its threads wait for the next region). The pool forks
  // from its own dispatcher thread, which has none: a forked worker starts a team of its own.
  ASSERT_EQ(openmp_sum(1000), expected_sum(1000));
  const auto results = run_on_fresh_workers(GetParam(), &openmp_item, 4, 2);
  ASSERT_EQ(hung_count(results), 0U) << "a worker hung in an OpenMP region";
  for (int i = 0; i < 4; ++i) EXPECT_EQ(*results[static_cast<std::size_t>(i)], expected_sum(100000 + i));
#endif
}

#if defined(MPP_TEST_HAVE_TBB)
long long tbb_sum(int n) {
  return tbb::parallel_reduce(
      tbb::blocked_range<int>(0, n), 0LL,
      [](const tbb::blocked_range<int>& r, long long sum) {
        for (int i = r.begin(); i != r.end(); ++i) sum += i;
        return sum;
      },
      [](long long a, long long b) { return a + b; });
}
long long tbb_item(int i) { return tbb_sum(1000000 + i); }
#endif

TEST_P(StartMethodHazardTest, OneTbbUsedByTheParentWorksInWorkers) {
#if !defined(MPP_TEST_HAVE_TBB)
  GTEST_SKIP() << k_no_tbb;
#else
  const auto sum = [](long long n) { return n * (n - 1) / 2; };
  ASSERT_EQ(tbb_sum(1000000), sum(1000000));  // oneTBB's worker threads exist now
  const auto results = run_on_fresh_workers(GetParam(), &tbb_item, 4, 2);
  ASSERT_EQ(hung_count(results), 0U) << "a worker hung in a oneTBB loop";
  for (int i = 0; i < 4; ++i) EXPECT_EQ(*results[static_cast<std::size_t>(i)], sum(1000000 + i));
#endif
}

#if defined(MPP_TEST_HAVE_OPENMP)
// A task that returns once the test lets it: it reads a byte from the FIFO at `path` (a forked and
// a spawned worker alike can open it).
int wait_for_the_test(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);  // waits for the writer
  if (fd < 0) return -1;
  char byte = 0;
  ssize_t got = -1;
  while ((got = ::read(fd, &byte, 1)) < 0 && errno == EINTR) {
  }
  ::close(fd);
  return got == 1 ? 1 : -1;
}

// Writes the byte wait_for_the_test() waits for, once a worker has opened the FIFO (within k_bound).
bool let_the_task_return(const std::string& path) {
  const auto deadline = std::chrono::steady_clock::now() + k_bound;
  int fd = -1;
  while ((fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
    if (errno != ENXIO || std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);  // polling for the reader, with a deadline
  }
  const bool written = ::write(fd, "x", 1) == 1;
  ::close(fd);
  return written;
}

int die(int /*unused*/) {
  std::raise(SIGKILL);
  return 0;
}
#endif

// A then() callback runs on the pool's dispatcher thread, which also forks the replacements: once
// a callback has run an OpenMP region there, libgomp's pool of that thread is inherited by every
// worker forked afterwards, whose own first region then waits for threads that do not exist.
TEST_P(StartMethodHazardTest, OpenMPRunByACallbackHangsLaterForkedWorkersOnly) {
#if !defined(MPP_TEST_HAVE_OPENMP)
  GTEST_SKIP() << k_no_openmp;
#else
  if (omp_get_max_threads() < 2) GTEST_SKIP() << "OpenMP runs one thread here: it has no pool to inherit";
  char folder[] = "/tmp/mpp_test_hazard_XXXXXX";
  ASSERT_NE(::mkdtemp(folder), nullptr);
  const std::string fifo = std::string(folder) + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  mpp::ProcessPool pool(
      mpp::ProcessPoolOptions{.processes = 1, .task_timeout = k_hung, .start_method = GetParam()});
  // The callback is attached while the task waits: it runs on the dispatcher thread.
  std::mutex mutex;
  std::condition_variable cv;
  std::optional<long long> in_callback;
  auto first = pool.apply_async(&wait_for_the_test, fifo);
  first.then([&](int) {
    const long long sum = openmp_sum(1000);
    const std::lock_guard lock(mutex);
    in_callback = sum;
    cv.notify_all();
  });
  ASSERT_TRUE(let_the_task_return(fifo));
  EXPECT_EQ(first.get(k_bound), 1);
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(cv.wait_for(lock, k_bound, [&] { return in_callback.has_value(); }));
    EXPECT_EQ(*in_callback, expected_sum(1000));
  }
  // Its worker dies; the replacement starts after the callback.
  EXPECT_THROW((void)pool.apply_async(&die, 0).get(k_bound), mpp::WorkerLost);
  auto after = pool.apply_async(&openmp_item, 0);
  const std::optional<long long> result = result_or_hang(after);
  if (inherits_held_locks(GetParam())) {
    EXPECT_EQ(result, std::nullopt) << "a worker forked after the callback's OpenMP region did not hang";
  } else {
    EXPECT_EQ(result, std::optional<long long>(expected_sum(100000)));
  }
  pool.close();
  pool.join();
  ::unlink(fifo.c_str());
  ::rmdir(folder);
#endif
}

// --- mpp::Process, forked from the calling thread -----------------------------------------------

#if defined(MPP_TEST_HAVE_OPENMP)
void openmp_region() { (void)openmp_sum(1000); }
#endif

// mpp::Process forks from the thread that calls start() (it has no start method yet): when that
// thread ran an OpenMP region, libgomp's pool in the child names threads that do not exist there,
// and the child's first region waits for them forever.
TEST(ProcessForkHazardTest, AProcessForkedFromAThreadThatRanOpenMPHangsInItsFirstRegion) {
#if !defined(MPP_TEST_HAVE_OPENMP)
  GTEST_SKIP() << k_no_openmp;
#else
  int threads = 0;
  ASSERT_EQ(openmp_sum(1000, &threads), expected_sum(1000));
  if (threads < 2) GTEST_SKIP() << "OpenMP runs one thread here: it has no pool to inherit";
  mpp::Process child(&openmp_region);
  child.start();
  EXPECT_FALSE(child.join(k_hung)) << "the child's OpenMP region returned";
  child.kill();
  child.join();
  // From a thread that never ran OpenMP, the same child works.
  std::thread other([] {
    mpp::Process fresh(&openmp_region);
    fresh.start();
    EXPECT_TRUE(fresh.join(k_bound));
    EXPECT_EQ(fresh.exitcode(), std::optional<int>(0));
  });
  other.join();
#endif
}

}  // namespace
