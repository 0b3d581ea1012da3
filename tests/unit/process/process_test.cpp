// mpp::Process: Python's multiprocessing.Process on fork. Exit codes, the life cycle (start, join,
// is_alive, terminate, kill), what the forked child sees, output flushing, atexit, moves and the
// waiting destructor; then the same under each start method (ProcessOptions::start_method).
//
// Checks that must see a process's own stdout or atexit handlers run inside a helper process forked
// by the test itself (run_helper), so the test binary's own streams are never redirected.
#include "mpp/process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "mpp/errors.hpp"
#include "mpp/start_method.hpp"
#include "mpp_test/processes.hpp"
#include "mpp_test/start_methods.hpp"
#include "mpp_test/sync.hpp"
#include "posix/syscall.hpp"
#include "process/forkserver.hpp"

namespace {

using namespace std::chrono_literals;

/// A fresh, empty temporary file, removed with the object.
class TempFile {
 public:
  TempFile() {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/mpp-process-test-XXXXXX";
    const int fd = ::mkstemp(path_.data());
    if (fd < 0) throw std::runtime_error("mkstemp failed");
    ::close(fd);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() { ::unlink(path_.c_str()); }

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] std::string contents() const {
    std::ifstream in(path_, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

 private:
  std::string path_;
};

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
  return n;
}

/// Runs `body` in a helper process forked by the test itself (not by mpp) and returns the helper's
/// wait status. `body` returns the helper's exit code; GoogleTest assertions do not work there.
template <class Body>
int run_helper(Body body) {
  std::fflush(nullptr);  // the test binary's own buffers must not be written twice
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int code = 100;
    try {
      code = body();
    } catch (...) {
      code = 101;
    }
    ::_exit(code);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error("waitpid failed");
  }
  return status;
}

/// In the child: sends its standard error to `path` (so a test can read what the child wrote there).
void redirect_stderr_to(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC);
  if (fd < 0) ::_exit(90);
  ::dup2(fd, 2);
  ::close(fd);
}

/// Whether `pid` is no child of ours any more (reaped, so neither running nor a zombie).
bool reaped(pid_t pid) {
  errno = 0;
  return ::waitpid(pid, nullptr, WNOHANG) == -1 && errno == ECHILD;
}

// -- before start --------------------------------------------------------------------------------

TEST(Process, BeforeStartIsNotAliveAndHasNoExitCode) {
  mpp::Process p([] {});
  EXPECT_FALSE(p.is_alive());
  EXPECT_FALSE(p.exitcode().has_value());
  EXPECT_EQ(p.pid(), -1);
}

TEST(Process, JoinBeforeStartThrowsLogicError) {
  mpp::Process p([] {});
  EXPECT_THROW(p.join(), std::logic_error);
  EXPECT_THROW((void)p.join(10ms), std::logic_error);
}

TEST(Process, TerminateAndKillBeforeStartDoNothing) {
  mpp::Process p([] {});
  EXPECT_NO_THROW(p.terminate());
  EXPECT_NO_THROW(p.kill());
  EXPECT_FALSE(p.is_alive());
  // Still startable, and the target still runs normally.
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

TEST(Process, StartTwiceThrowsLogicError) {
  mpp::Process p([] {});
  p.start();
  EXPECT_THROW(p.start(), std::logic_error);
  p.join();
  EXPECT_THROW(p.start(), std::logic_error);
  EXPECT_EQ(p.exitcode(), 0);
}

/// Removes the system-call fault hook when the test ends, whatever way it ends.
struct FaultHookGuard {
  explicit FaultHookGuard(mpp::detail::posix::FaultHook hook) { mpp::detail::posix::set_fault_hook(hook); }
  FaultHookGuard(const FaultHookGuard&) = delete;
  FaultHookGuard& operator=(const FaultHookGuard&) = delete;
  ~FaultHookGuard() { mpp::detail::posix::set_fault_hook(nullptr); }
};

TEST(Process, StartThrowsSystemErrorWhenForkFailsAndCanBeRetried) {
  mpp::Process p([] { ::_exit(4); });
  {
    FaultHookGuard guard(
        [](const char* what) noexcept { return std::string_view(what) == "fork" ? EAGAIN : 0; });
    try {
      p.start();
      FAIL() << "start() did not throw";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), EAGAIN);
      EXPECT_NE(std::string(e.what()).find("fork"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(p.pid(), -1);
  EXPECT_FALSE(p.is_alive());
  EXPECT_FALSE(p.exitcode().has_value());
  EXPECT_THROW(p.join(), std::logic_error);
  p.start();  // nothing was started, so it may be started now
  p.join();
  EXPECT_EQ(p.exitcode(), 4);
}

// -- exit codes ----------------------------------------------------------------------------------

TEST(Process, NormalReturnGivesExitCodeZero) {
  mpp::Process p([] {});
  p.start();
  EXPECT_GT(p.pid(), 0);
  EXPECT_NE(p.pid(), ::getpid());
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_FALSE(p.is_alive());
  EXPECT_TRUE(reaped(p.pid()));
}

TEST(Process, ThrowingTargetGivesExitCodeOneAndReportsOnStderr) {
  TempFile err;
  mpp::Process p([&] {
    redirect_stderr_to(err.path());
    throw std::invalid_argument("the target failed with 42");
  });
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 1);
  const std::string text = err.contents();
  EXPECT_NE(text.find("std::invalid_argument"), std::string::npos) << text;
  EXPECT_NE(text.find("the target failed with 42"), std::string::npos) << text;
  EXPECT_EQ(count_of(text, "the target failed with 42"), 1U) << text;
}

struct CustomFailure {
  int code;
};

TEST(Process, ThrowingANonExceptionGivesExitCodeOneAndAMessage) {
  TempFile err;
  mpp::Process p([&] {
    redirect_stderr_to(err.path());
    throw CustomFailure{7};
  });
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 1);
  EXPECT_FALSE(err.contents().empty()) << "the child wrote nothing to its standard error";
}

TEST(Process, UnderscoreExitGivesThatExitCode) {
  for (int code : {0, 3, 42, 255}) {
    mpp::Process p([code] { ::_exit(code); });
    p.start();
    p.join();
    EXPECT_EQ(p.exitcode(), code);
  }
}

TEST(Process, KillGivesMinusSigkill) {
  mpp_test::Shared<mpp_test::Gate> running;
  mpp::Process p([&] {
    running->open();
    for (;;) ::pause();
  });
  p.start();
  ASSERT_TRUE(running->wait());
  EXPECT_TRUE(p.is_alive());
  EXPECT_FALSE(p.exitcode().has_value());
  p.kill();
  p.join();
  EXPECT_EQ(p.exitcode(), -SIGKILL);
  EXPECT_FALSE(p.is_alive());
  EXPECT_NO_THROW(p.kill());  // after it was reaped: nothing to signal, no error
}

TEST(Process, TerminateGivesMinusSigterm) {
  mpp_test::Shared<mpp_test::Gate> running;
  mpp::Process p([&] {
    running->open();
    for (;;) ::pause();
  });
  p.start();
  ASSERT_TRUE(running->wait());
  p.terminate();
  p.join();
  EXPECT_EQ(p.exitcode(), -SIGTERM);
  EXPECT_NO_THROW(p.terminate());
}

TEST(Process, SignalRaisedInTheTargetGivesMinusThatSignal) {
  mpp::Process p([] {
    // Sanitizer runtimes catch SIGSEGV to print a report; the default action is what is under test.
    std::signal(SIGSEGV, SIG_DFL);
    std::raise(SIGSEGV);
  });
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), -SIGSEGV);
}

TEST(Process, AbortGivesMinusSigabrt) {
  mpp::Process p([] {
    std::signal(SIGABRT, SIG_DFL);
    std::abort();
  });
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), -SIGABRT);
}

// -- SIGCHLD ignored (a server's signal(SIGCHLD, SIG_IGN)) ----------------------------------------

// The kernel reaps the children of a process that ignores SIGCHLD: mpp reads their status from
// their pidfd (Linux 6.15 keeps it there), so exit codes and join() work as usual; a kernel that
// cannot do that makes start() refuse, saying why, rather than lose a crash.
class ProcessWithSigchldIgnored : public ::testing::TestWithParam<mpp_test::SigchldIgnored> {};

TEST_P(ProcessWithSigchldIgnored, ExitCodesAndJoinWorkOrStartRefusesClearly) {
  const mpp_test::SigchldIgnoredScope ignored(GetParam());
  mpp::Process crash([] {
    std::signal(SIGSEGV, SIG_DFL);  // sanitizer runtimes catch it; the default action is under test
    std::raise(SIGSEGV);
  });
  try {
    crash.start();
  } catch (const mpp::Error& e) {
    EXPECT_EQ(
        std::string(e.what()).rfind("mpp::Process::start: SIGCHLD is ignored (SIG_IGN or SA_NOCLDWAIT), "
                                    "so the kernel would reap child processes itself",
                                    0),
        0U)
        << e.what();
    GTEST_SKIP() << "this kernel cannot give a reaped child's status (needs Linux 6.15); start() refused";
  }
  crash.join();
  EXPECT_EQ(crash.exitcode(), -SIGSEGV);

  mpp::Process exits([] { ::_exit(7); });
  exits.start();
  exits.join();
  EXPECT_EQ(exits.exitcode(), 7);

  mpp::Process returns([] {});
  returns.start();
  EXPECT_TRUE(returns.join(20s));
  EXPECT_EQ(returns.exitcode(), 0);

  // is_alive() and a join with a timeout while it runs, then its end seen without join().
  mpp_test::Shared<mpp_test::Gate> release;
  mpp::Process waits([&] {
    if (!release->wait()) ::_exit(3);
    ::_exit(5);
  });
  waits.start();
  EXPECT_FALSE(waits.join(10ms));
  EXPECT_TRUE(waits.is_alive());
  release->open();
  EXPECT_TRUE(mpp_test::poll_until([&] { return !waits.is_alive(); }, 20s));
  EXPECT_EQ(waits.exitcode(), 5);

  mpp::Process killed([] {
    for (;;) ::pause();
  });
  killed.start();
  killed.kill();
  killed.join();
  EXPECT_EQ(killed.exitcode(), -SIGKILL);
}

// A kernel without PIDFD_INFO_EXIT (played by failing the ioctl): start() refuses, saying why.
TEST_P(ProcessWithSigchldIgnored, StartRefusesClearlyWhereTheKernelCannotKeepTheStatus) {
  const mpp_test::SigchldIgnoredScope ignored(GetParam());
  FaultHookGuard guard(
      [](const char* what) noexcept { return std::string_view(what) == "PIDFD_GET_INFO" ? ENOTTY : 0; });
  mpp::Process p([] {});
  try {
    p.start();
    ADD_FAILURE() << "start() did not throw";
  } catch (const mpp::Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "mpp::Process::start: SIGCHLD is ignored (SIG_IGN or SA_NOCLDWAIT), so the kernel would reap "
              "child processes itself and their exit status (a crash, its signal) would be lost; this kernel "
              "cannot report it afterwards (that needs Linux 6.15): restore SIGCHLD's default disposition "
              "(signal(SIGCHLD, SIG_DFL)) before starting processes");
  }
  EXPECT_EQ(p.pid(), -1);
}

// SIGCHLD ignored only after start(), on such a kernel: join() says the status is lost (an
// mpp::Error), not ECHILD.
TEST_P(ProcessWithSigchldIgnored, JoinSaysTheStatusIsLostWhenSigchldIsIgnoredAfterStart) {
  mpp_test::Shared<mpp_test::Gate> release;
  mpp::Process p([&] {
    if (!release->wait()) ::_exit(3);
  });
  p.start();
  const mpp_test::SigchldIgnoredScope ignored(GetParam());
  FaultHookGuard guard(
      [](const char* what) noexcept { return std::string_view(what) == "PIDFD_GET_INFO" ? ENOTTY : 0; });
  release->open();
  try {
    p.join();
    ADD_FAILURE() << "join() returned, exit code " << p.exitcode().value_or(-1000);
  } catch (const mpp::Error& e) {
    EXPECT_NE(std::string(e.what()).find("is lost: SIGCHLD is ignored"), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Dispositions, ProcessWithSigchldIgnored,
                         ::testing::Values(mpp_test::SigchldIgnored::sig_ign,
                                           mpp_test::SigchldIgnored::sa_nocldwait),
                         mpp_test::SigchldIgnoredName());

// -- join, is_alive ------------------------------------------------------------------------------

TEST(Process, JoinWithTimeoutIsFalseWhileRunningThenTrue) {
  mpp_test::Shared<mpp_test::Gate> release;
  mpp::Process p([&] {
    if (!release->wait()) ::_exit(3);
  });
  p.start();
  const auto before = std::chrono::steady_clock::now();
  EXPECT_FALSE(p.join(50ms));
  EXPECT_GE(std::chrono::steady_clock::now() - before, 50ms);
  EXPECT_FALSE(p.join(0ms));
  EXPECT_TRUE(p.is_alive());
  EXPECT_FALSE(p.exitcode().has_value());
  release->open();
  EXPECT_TRUE(p.join(20s));
  EXPECT_FALSE(p.is_alive());
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_TRUE(p.join(0ms));  // ended: true at once, any number of times
  EXPECT_NO_THROW(p.join());
  EXPECT_EQ(p.exitcode(), 0);
}

TEST(Process, IsAliveBecomesFalseWhenTheChildEndsWithoutJoin) {
  mpp_test::Shared<std::atomic<int>> done(0);
  mpp::Process p([&] { done->store(1); });
  p.start();
  // is_alive() itself must notice the end (it reaps): poll it, bounded by the deadlock limit.
  const auto limit = std::chrono::steady_clock::now() + mpp_test::k_deadlock_limit;
  while (p.is_alive() && std::chrono::steady_clock::now() < limit) std::this_thread::yield();
  EXPECT_FALSE(p.is_alive());
  EXPECT_EQ(done->load(), 1);
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_TRUE(reaped(p.pid()));
}

// -- what the child sees ---------------------------------------------------------------------------

TEST(Process, CapturingLambdaSeesCapturedStateAtStart) {
  const std::string text = "captured by value";
  std::vector<int> numbers{1, 2, 3};
  int counter = 10;
  mpp::Process p([text, &numbers, &counter] {
    // The child is a fork taken at start(): it sees the state of that moment, and its changes
    // stay its own.
    if (text != "captured by value") ::_exit(20);
    if (numbers.size() != 4 || numbers.back() != 4) ::_exit(21);
    counter += 5;
    ::_exit(counter);
  });
  numbers.push_back(4);  // after construction, before start: the child sees it
  counter = 30;
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 35);
  EXPECT_EQ(counter, 30);  // the child's change stayed in the child
}

TEST(Process, ArgumentsAreCopiedIntoTheTarget) {
  auto target = [](int a, const std::string& s, std::vector<int> v) {
    if (s != "abc" || v != std::vector<int>{7, 8}) ::_exit(50);
    ::_exit(a);
  };
  std::string s = "abc";
  mpp::Process p(target, 12, s, std::vector<int>{7, 8});
  s = "changed";  // the argument was copied at construction
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 12);
}

void plain_function(int code) { ::_exit(code); }

TEST(Process, FunctionPointerTarget) {
  mpp::Process p(&plain_function, 9);
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 9);
}

TEST(Process, ChildWritesToSharedMemoryTheParentReads) {
  mpp_test::Shared<std::atomic<long>> total(0);
  std::vector<mpp::Process> processes;
  for (long i = 1; i <= 4; ++i) processes.emplace_back([&total, i] { total->fetch_add(i); });
  for (auto& p : processes) p.start();
  for (auto& p : processes) {
    p.join();
    EXPECT_EQ(p.exitcode(), 0);
  }
  EXPECT_EQ(total->load(), 10);
}

// -- output and atexit ---------------------------------------------------------------------------

TEST(Process, ThrowingChildStillFlushesItsOutput) {
  TempFile out;
  const int status = run_helper([&] {
    if (std::freopen(out.path().c_str(), "w", stdout) == nullptr) return 10;
    std::printf("parent|");
    mpp::Process p([] {
      std::printf("child-before-throw|");
      ::close(2);  // keep the report of the exception out of the test's log
      throw std::runtime_error("x");
    });
    p.start();
    p.join();
    if (p.exitcode() != 1) return 11;
    std::fflush(stdout);
    return 0;
  });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  ASSERT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(out.contents(), "parent|child-before-throw|");
}

TEST(Process, StartNeverWaitsForAnotherThreadsStdioLock) {
  TempFile out;
  // In a helper (a hang there is a deadline here): one thread waits in std::getline(std::cin) on a
  // pipe nobody writes, another holds stdout locked with text in its buffer while start() forks.
  const pid_t helper = ::fork();
  ASSERT_GE(helper, 0);
  if (helper == 0) {
    int in[2];
    if (::pipe(in) != 0 || ::dup2(in[0], 0) < 0) ::_exit(10);
    if (std::freopen(out.path().c_str(), "w", stdout) == nullptr) ::_exit(11);
    std::thread reader([] {
      std::string line;
      std::getline(std::cin, line);  // never returns: nobody writes the pipe
    });
    mpp_test::Counter locked;
    mpp_test::Counter release;
    std::thread holder([&] {
      ::flockfile(stdout);
      std::fputs("held|", stdout);  // the lock is recursive: buffered, not written yet
      locked.add();
      release.wait_at_least(1);
      ::funlockfile(stdout);
    });
    if (!locked.wait_at_least(1)) ::_exit(12);
    mpp::Process p([] { std::fputs("child|", stdout); });
    p.start();
    p.join();
    if (p.exitcode() != 0) ::_exit(13);
    release.add();
    holder.join();
    std::fflush(stdout);
    reader.detach();
    ::_exit(0);
  }
  const auto end = mpp_test::reap(helper, 10s);
  if (!end) {
    ::kill(helper, SIGKILL);
    (void)mpp_test::reap(helper, 10s);
  }
  ASSERT_TRUE(end.has_value()) << "Process::start() waited for another thread's stdio lock";
  ASSERT_TRUE(WIFEXITED(end->status) && WEXITSTATUS(end->status) == 0)
      << mpp_test::describe_status(end->status);
  // The parent's buffered text is written once, by the parent; the child's once, by the child.
  const std::string text = out.contents();
  EXPECT_EQ(count_of(text, "held|"), 1U) << text;
  EXPECT_EQ(count_of(text, "child|"), 1U) << text;
}

TEST(Process, ChildNeverWritesTheParentsUnflushedFileStreams) {
  TempFile out;
  const int status = run_helper([&] {
    std::FILE* file = std::fopen(out.path().c_str(), "w");
    if (file == nullptr) return 10;
    std::fputs("parent-file|", file);  // buffered in the parent, and in the child's copy
    mpp::Process p([] {});
    p.start();
    p.join();
    if (p.exitcode() != 0) return 11;
    std::fclose(file);
    return 0;
  });
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << mpp_test::describe_status(status);
  EXPECT_EQ(out.contents(), "parent-file|");
}

// -- the child dies with its parent ----------------------------------------------------------------

TEST(Process, ChildDiesWhenItsParentIsKilled) {
  // Orphans are reparented to us, so we can reap the child and see how it ended.
  mpp_test::SubreaperScope subreaper;
  ASSERT_TRUE(subreaper.ok());
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t parent = ::fork();
  ASSERT_GE(parent, 0);
  if (parent == 0) {
    ::close(fds[0]);
    const int report = fds[1];
    mpp::Process child([report] {
      const pid_t self = ::getpid();
      if (::write(report, &self, sizeof(self)) != sizeof(self)) ::_exit(2);
      for (;;) ::pause();
    });
    child.start();
    for (;;) ::pause();  // until the test kills it
  }
  ::close(fds[1]);
  pid_t child = 0;
  const bool got = ::read(fds[0], &child, sizeof(child)) == sizeof(child);
  ::close(fds[0]);
  ASSERT_EQ(::kill(parent, SIGKILL), 0);
  ASSERT_TRUE(mpp_test::reap(parent, 10s).has_value());
  ASSERT_TRUE(got) << "the child did not report its pid";
  const auto end = mpp_test::reap(child, 5s);
  if (!end) {
    ::kill(child, SIGKILL);
    (void)mpp_test::reap(child, 5s);
  }
  ASSERT_TRUE(end.has_value()) << "the child outlived its SIGKILLed parent by 5 s";
  EXPECT_TRUE(WIFSIGNALED(end->status) && WTERMSIG(end->status) == SIGKILL)
      << mpp_test::describe_status(end->status);
}

TEST(Process, ChildStartedFromAnotherThreadOutlivesThatThread) {
  // The parent-death signal follows the forking thread, not the process: a child started from a
  // thread that ends must keep running (it is not asked for).
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const int from_test = fds[0];
  std::optional<mpp::Process> p;
  std::thread starter([&] {
    p.emplace([from_test] {
      char c = 0;
      ::_exit(::read(from_test, &c, 1) == 1 ? 0 : 3);
    });
    p->start();
  });
  starter.join();
  // Past the thread's end, long enough for a death signal sent at its exit to be delivered.
  ASSERT_FALSE(p->join(200ms)) << "the child ended with the thread that started it";
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  p->join();
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_EQ(p->exitcode(), 0);
}

const char* g_atexit_marker_path = nullptr;

void write_atexit_marker() {
  const int fd = ::open(g_atexit_marker_path, O_WRONLY | O_APPEND);
  if (fd < 0) return;
  const char text[] = "atexit|";
  [[maybe_unused]] const auto n = ::write(fd, text, sizeof(text) - 1);
  ::close(fd);
}

TEST(Process, ChildNeverRunsTheParentsAtexitHandlers) {
  TempFile marker;
  const int status = run_helper([&] {
    g_atexit_marker_path = marker.path().c_str();
    if (std::atexit(write_atexit_marker) != 0) return 10;
    mpp::Process returns([] {});
    mpp::Process throws([] {
      ::close(2);
      throw std::runtime_error("x");
    });
    returns.start();
    throws.start();
    returns.join();
    throws.join();
    if (returns.exitcode() != 0 || throws.exitcode() != 1) return 11;
    std::exit(0);  // the helper's own exit runs the handler: exactly once in all
  });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  ASSERT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(marker.contents(), "atexit|");
}

// -- moves and destruction -----------------------------------------------------------------------

TEST(Process, MoveConstructedProcessJoinsTheChild) {
  mpp::Process a([] { ::_exit(5); });
  a.start();
  const int pid = a.pid();
  mpp::Process b(std::move(a));
  EXPECT_EQ(b.pid(), pid);
  b.join();
  EXPECT_EQ(b.exitcode(), 5);
  EXPECT_TRUE(reaped(pid));
}

TEST(Process, MoveConstructedBeforeStartKeepsTheTarget) {
  mpp::Process a([] { ::_exit(6); });
  mpp::Process b(std::move(a));
  b.start();
  b.join();
  EXPECT_EQ(b.exitcode(), 6);
}

TEST(Process, MoveAssignedProcessJoinsTheChild) {
  mpp::Process a([] { ::_exit(7); });
  a.start();
  const int pid = a.pid();
  mpp::Process b([] {});
  b = std::move(a);
  EXPECT_EQ(b.pid(), pid);
  b.join();
  EXPECT_EQ(b.exitcode(), 7);
  std::vector<mpp::Process> processes;
  processes.emplace_back([] { ::_exit(8); });
  processes.front().start();
  processes.reserve(16);  // moves the started process inside the vector
  processes.front().join();
  EXPECT_EQ(processes.front().exitcode(), 8);
}

TEST(Process, MoveAssignOverAStartedProcessWaitsForItsChild) {
  mpp_test::Shared<std::atomic<int>> ended(0);
  mpp::Process old([&] {
    std::this_thread::sleep_for(200ms);  // long enough that not waiting would be seen
    ended->store(1);
  });
  old.start();
  const int old_pid = old.pid();
  mpp::Process replacement([] { ::_exit(4); });
  replacement.start();
  old = std::move(replacement);
  EXPECT_EQ(ended->load(), 1) << "move-assignment returned before the replaced child ended";
  EXPECT_TRUE(reaped(old_pid)) << "the replaced child was left a zombie";
  old.join();
  EXPECT_EQ(old.exitcode(), 4);
}

TEST(Process, DestroyingAStartedProcessWaitsForIt) {
  mpp_test::Shared<std::atomic<int>> ended(0);
  int pid = -1;
  {
    mpp::Process p([&] {
      std::this_thread::sleep_for(200ms);
      ended->store(1);
    });
    p.start();
    pid = p.pid();
  }
  EXPECT_EQ(ended->load(), 1) << "the destructor returned before the child ended";
  EXPECT_TRUE(reaped(pid)) << "the destructor left a zombie";
}

TEST(Process, DestroyingAnUnstartedOrMovedFromProcessReturnsAtOnce) {
  mpp::Process never_started([] { ::_exit(1); });
  mpp::Process a([] {});
  a.start();
  mpp::Process b(std::move(a));
  b.join();
  // `never_started` and the moved-from `a` are destroyed here; the test's timeout catches a hang.
  SUCCEED();
}

// -- start methods (<mpp/start_method.hpp>) -----------------------------------------------------
// This program's main() calls mpp::freeze_support() (SPAWN in tests/unit/CMakeLists.txt).

int g_parent_value = 0;  // set in the test process: a forked child has a copy, a fresh one does not

void exit_with(int code) { ::_exit(code); }
void exit_with_parent_value() { ::_exit(g_parent_value); }
void return_normally() {}
void throw_runtime_error(std::string message) { throw std::runtime_error(message); }
void kill_self() { ::raise(SIGKILL); }
void wait_forever() {
  for (;;) ::pause();
}
void write_arguments(std::string path, int number, std::vector<int> values, std::string text) {
  int sum = 0;
  for (int v : values) sum += v;
  std::ofstream(path) << number << ' ' << sum << ' ' << values.size() << ' ' << text << ' ' << ::getppid();
}
void takes_a_pointer(int* /*unused*/) {}
// Exit code 0 when both C strings arrived with their text.
void check_c_strings(const char* first, int number, char* second) {
  ::_exit(std::string(first) == "hello" && number == 7 && std::string(second) == "mutable" ? 0 : 1);
}

class ProcessStartMethod : public ::testing::TestWithParam<mpp::StartMethod> {
 protected:
  void TearDown() override { mpp::set_start_method(mpp::StartMethod::fork); }
  mpp::ProcessOptions options() const { return mpp::ProcessOptions{.start_method = GetParam()}; }
  bool fresh() const { return GetParam() != mpp::StartMethod::fork; }
};

TEST_P(ProcessStartMethod, ExitCodesAreZeroOneNAndMinusTheSignal) {
  mpp::Process returns(options(), &return_normally);
  mpp::Process throws(options(), &throw_runtime_error, std::string("no luck"));
  mpp::Process exits(options(), &exit_with, 7);
  mpp::Process killed(options(), &kill_self);
  mpp::Process lambda(
      options(), [](int code) { ::_exit(code); }, 5);  // captureless: a plain function
  for (mpp::Process* p : {&returns, &throws, &exits, &killed, &lambda}) p->start();
  for (mpp::Process* p : {&returns, &throws, &exits, &killed, &lambda}) p->join();
  EXPECT_EQ(returns.exitcode(), 0);
  EXPECT_EQ(throws.exitcode(), 1);
  EXPECT_EQ(exits.exitcode(), 7);
  EXPECT_EQ(killed.exitcode(), -SIGKILL);
  EXPECT_EQ(lambda.exitcode(), 5);
}

TEST_P(ProcessStartMethod, AThrowingTargetIsReportedOnTheChildsStandardError) {
  // In a helper process (a fork of the test, with a fork server of its own under forkserver) whose
  // standard error is a file.
  TempFile err;
  const mpp::StartMethod method = GetParam();
  const int status = run_helper([&] {
    redirect_stderr_to(err.path());
    mpp::Process p(mpp::ProcessOptions{.start_method = method}, &throw_runtime_error, std::string("no luck"));
    p.start();
    p.join();
    return *p.exitcode();
  });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_NE(err.contents().find("the target threw std::runtime_error: no luck"), std::string::npos)
      << err.contents();
}

void throw_an_int() { throw 42; }

TEST_P(ProcessStartMethod, ATargetThrowingANonExceptionIsReportedWithItsValue) {
  TempFile err;
  const mpp::StartMethod method = GetParam();
  const int status = run_helper([&] {
    redirect_stderr_to(err.path());
    mpp::Process p(mpp::ProcessOptions{.start_method = method}, &throw_an_int);
    p.start();
    p.join();
    return *p.exitcode();
  });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_NE(err.contents().find("the target threw int: 42"), std::string::npos) << err.contents();
}

void write_child_output() {
  std::printf("child-printf|");
  std::cout << "child-cout|";
}

// Under every start method the parent's buffered output comes out before the child's, once: it is
// flushed before the fork (a file: fully buffered, so without it the child's copy of the buffer
// would write it again), the spawn, or the request to the fork server (a helper process of its
// own, so that its fork server, started here, writes to the file too); the child's exit flushes its
// own unflushed output.
TEST_P(ProcessStartMethod, ParentBufferedOutputComesBeforeTheChilds) {
  TempFile out;
  const mpp::ProcessOptions how = options();
  const int status = run_helper([&] {
    if (std::freopen(out.path().c_str(), "w", stdout) == nullptr) return 10;
    std::printf("parent-printf|");
    std::cout << "parent-cout|";
    mpp::Process p(how, &write_child_output);
    p.start();
    p.join();
    if (p.exitcode() != 0) return 11;
    std::printf("parent-after");
    std::fflush(stdout);
    return 0;
  });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  ASSERT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(out.contents(), "parent-printf|parent-cout|child-printf|child-cout|parent-after");
}

TEST_P(ProcessStartMethod, ArgumentsCross) {
  TempFile out;
  mpp::Process p(options(), &write_arguments, out.path(), 42, std::vector<int>{1, 2, 3, 4},
                 std::string("hello"));
  p.start();
  p.join();
  ASSERT_EQ(p.exitcode(), 0);
  std::istringstream in(out.contents());
  int number = 0, sum = 0, count = 0, parent = 0;
  std::string text;
  in >> number >> sum >> count >> text >> parent;
  EXPECT_EQ(number, 42);
  EXPECT_EQ(sum, 10);
  EXPECT_EQ(count, 4);
  EXPECT_EQ(text, "hello");
  if (GetParam() == mpp::StartMethod::forkserver) {
    EXPECT_EQ(parent, mpp::detail::forkserver_pid());  // forked by the server
  } else {
    EXPECT_EQ(parent, ::getpid());
  }
}

TEST_P(ProcessStartMethod, CStringArgumentsCrossAsTheirText) {
  char text[] = "mutable";
  mpp::Process p(options(), &check_c_strings, "hello", 7, static_cast<char*>(text));
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_P(ProcessStartMethod, TheChildIsAFreshRunOfTheProgramExceptUnderFork) {
  g_parent_value = 42;
  mpp::Process p(options(), &exit_with_parent_value);
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), fresh() ? 0 : 42);
  g_parent_value = 0;
}

TEST_P(ProcessStartMethod, WithoutOptionsTheProgramsDefaultStartMethodApplies) {
  g_parent_value = 42;
  mpp::set_start_method(GetParam());
  mpp::Process p(&exit_with_parent_value);
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), fresh() ? 0 : 42);
  g_parent_value = 0;
}

TEST_P(ProcessStartMethod, WhatCannotCrossIsASerializationErrorFromStartExceptUnderFork) {
  int x = 3;
  mpp::Process capturing(options(), [x] { ::_exit(x); });
  if (!fresh()) {  // a fork has a copy of everything: any callable runs
    capturing.start();
    capturing.join();
    EXPECT_EQ(capturing.exitcode(), 3);
    return;
  }
  try {
    capturing.start();
    ADD_FAILURE() << "no exception";
  } catch (const mpp::SerializationError& e) {
    EXPECT_NE(std::string(e.what()).find("the target must be a plain function"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(capturing.pid(), -1);  // not started
  EXPECT_THROW(capturing.join(), std::logic_error);
  mpp::Process pointer(options(), &takes_a_pointer, &x);
  try {
    pointer.start();
    ADD_FAILURE() << "no exception";
  } catch (const mpp::SerializationError& e) {
    EXPECT_NE(std::string(e.what()).find("argument 1 (int*)"), std::string::npos) << e.what();
  }
  EXPECT_EQ(pointer.pid(), -1);
}

TEST_P(ProcessStartMethod, JoinWithATimeoutThenTerminateAndKill) {
  mpp::Process terminated(options(), &wait_forever);
  mpp::Process killed(options(), &wait_forever);
  terminated.start();
  killed.start();
  EXPECT_FALSE(terminated.join(50ms));
  EXPECT_TRUE(terminated.is_alive());
  EXPECT_EQ(terminated.exitcode(), std::nullopt);
  terminated.terminate();
  killed.kill();
  EXPECT_TRUE(terminated.join(10s));
  EXPECT_TRUE(killed.join(10s));
  EXPECT_FALSE(terminated.is_alive());
  EXPECT_EQ(terminated.exitcode(), -SIGTERM);
  EXPECT_EQ(killed.exitcode(), -SIGKILL);
  terminated.kill();  // after the end: nothing
}

TEST_P(ProcessStartMethod, ADestroyedRunningProcessIsWaitedFor) {
  std::optional<mpp::Process> p;
  p.emplace(options(), &exit_with, 0);
  p->start();
  p.reset();  // waits for it, whatever started it
  SUCCEED();
}

// The server forked the child: killed, it takes the child with it (PR_SET_PDEATHSIG) and its exit
// status too. The child has ended all the same: is_alive() says so and exitcode() is 255, as
// Python's forkserver says of such a child (neither throws while a program polls them), join()
// returns; the next start runs a new server.
TEST(ProcessForkserver, AChildWhoseServerWasKilledEndsWithExitCode255) {
  const mpp::ProcessOptions forkserver{.start_method = mpp::StartMethod::forkserver};
  mpp::Process p(forkserver, &wait_forever);
  p.start();
  const pid_t server = mpp::detail::forkserver_pid();
  ASSERT_GT(server, 0);
  ASSERT_EQ(::kill(server, SIGKILL), 0);
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (p.is_alive() && std::chrono::steady_clock::now() < deadline) {
    const auto code = p.exitcode();  // empty while it runs, 255 once it has ended
    EXPECT_TRUE(!code || *code == 255) << *code;
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_FALSE(p.is_alive()) << "the child outlived its killed server";
  EXPECT_EQ(p.exitcode(), 255);
  p.join();
  EXPECT_EQ(p.exitcode(), 255);
  EXPECT_FALSE(p.is_alive());
  mpp::Process q(forkserver, &exit_with, 4);
  q.start();
  q.join();
  EXPECT_EQ(q.exitcode(), 4);
  EXPECT_NE(mpp::detail::forkserver_pid(), server);
}

// Out of descriptors on either side of the fork server's channel: start() fails with EMFILE, and
// the server is not taken for broken (it used to be stopped, with "a malformed reply"). In a
// helper process, with a fork server of its own.
TEST(ProcessForkserver, NoDescriptorLeftOnEitherSideIsEmfileAndTheServerStays) {
  const int status = run_helper([] {
    const mpp::ProcessOptions forkserver{.start_method = mpp::StartMethod::forkserver};
    const auto start_fails_with_emfile = [&] {
      try {
        mpp::Process p(forkserver, &exit_with, 0);
        p.start();
        return false;
      } catch (const std::system_error& e) {
        return e.code().value() == EMFILE;
      }
    };
    mpp::Process first(forkserver, &exit_with, 0);
    first.start();
    first.join();
    const pid_t server = mpp::detail::forkserver_pid();
    // Here: one descriptor left, which start() takes for the target's setup, so none is left for
    // the new process's pidfd in the server's reply.
    int highest = 0;  // a limit a little above what is open: few descriptors to fill
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
      highest = std::max(highest, std::stoi(entry.path().filename().string()));
    }
    const auto limit = static_cast<rlim_t>(highest + 16);
    const rlimit low{limit, limit};
    if (::setrlimit(RLIMIT_NOFILE, &low) != 0) return 10;
    std::vector<int> taken;
    for (int fd = ::dup(0); fd >= 0; fd = ::dup(0)) taken.push_back(fd);
    if (taken.empty()) return 18;
    ::close(taken.back());
    taken.pop_back();
    const bool here = start_fails_with_emfile();
    for (int fd : taken) ::close(fd);
    if (!here) return 11;
    if (mpp::detail::forkserver_pid() != server) return 12;
    // There: the server cannot take the request's descriptors.
    rlimit saved{};
    if (::prlimit(server, RLIMIT_NOFILE, nullptr, &saved) != 0) return 13;
    const rlimit none{1, saved.rlim_max};
    if (::prlimit(server, RLIMIT_NOFILE, &none, nullptr) != 0) return 13;
    const bool there = start_fails_with_emfile();
    if (::prlimit(server, RLIMIT_NOFILE, &saved, nullptr) != 0) return 14;
    if (!there) return 15;
    if (mpp::detail::forkserver_pid() != server) return 16;
    mpp::Process last(forkserver, &exit_with, 6);
    last.start();
    last.join();
    return last.exitcode() == 6 ? 0 : 17;
  });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// The system call that starts a fresh run of the program fails (clone under spawn; posix_spawn
// for the fork server, which has no death signal): start() throws a system_error that names it,
// leaves no descriptor open (the target's setup, the socket pair), and a later start() works. In a
// helper process: one with no fork server yet.
TEST(ProcessFreshStart, ARunThatCannotStartIsASystemErrorThatLeaksNothing) {
  const int status = run_helper([] {
    const auto open_descriptors = [] {
      const std::filesystem::directory_iterator entries("/proc/self/fd");
      return std::distance(begin(entries), end(entries));
    };
    int code = 10;
    for (const mpp::StartMethod method : {mpp::StartMethod::spawn, mpp::StartMethod::forkserver}) {
      mpp::Process p(mpp::ProcessOptions{.start_method = method}, &exit_with, 4);
      const auto before = open_descriptors();
      mpp::detail::posix::set_fault_hook([](const char* what) noexcept {
        return std::string_view(what) == "clone" || std::string_view(what) == "posix_spawn" ? EAGAIN : 0;
      });
      bool clear = false;
      try {
        p.start();
      } catch (const std::system_error& e) {
        const std::string_view call = method == mpp::StartMethod::spawn ? "clone" : "posix_spawn";
        clear = e.code().value() == EAGAIN && std::string_view(e.what()).find(call) != std::string_view::npos;
      }
      mpp::detail::posix::set_fault_hook(nullptr);
      if (!clear) return code;
      if (open_descriptors() != before) return code + 1;
      if (p.pid() != -1) return code + 2;
      p.start();
      p.join();
      if (p.exitcode() != 4) return code + 3;
      code += 10;
    }
    return 0;
  });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);  // 1x: under spawn, 2x: under forkserver (see the helper)
}

INSTANTIATE_TEST_SUITE_P(StartMethods, ProcessStartMethod, ::testing::ValuesIn(mpp_test::k_start_methods),
                         mpp_test::start_method_name);

}  // namespace
