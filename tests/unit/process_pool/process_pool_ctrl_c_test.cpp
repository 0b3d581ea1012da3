// Ctrl-C: a program busy with a ProcessPool (mpp_test_ctrl_c, in its own process group as a
// terminal's foreground job is) gets SIGINT sent to its whole group, as a terminal sends it. With
// the default SIGINT disposition, and nothing done about Ctrl-C by the program: the program ends
// by SIGINT, every worker ends with it promptly, and standard error stays quiet (no flood of
// messages from the workers, as Python's pool is known for).
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include "mpp_test/processes.hpp"

#ifndef MPP_TEST_CTRL_C
#error "MPP_TEST_CTRL_C must name the mpp_test_ctrl_c executable"
#endif

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

/// Reads from `fd` until `text` appears, EOF, or `limit`; everything read.
std::string read_until(int fd, const std::string& text, std::chrono::milliseconds limit) {
  std::string out;
  const auto deadline = Clock::now() + limit;
  while (out.find(text) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buffer[256];
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

/// Everything left to read on `fd` (the writers are gone).
std::string read_all(int fd) {
  std::string out;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof(buffer))) > 0;)
    out.append(buffer, static_cast<std::size_t>(n));
  return out;
}

struct Program {
  pid_t pid = -1;  // also its process group
  int out = -1;
  int err = -1;

  Program() = default;
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;
  /// Whatever failed on the way, nothing of the program outlives the test: its group is killed and
  /// reaped (after a passing test the group is already gone and this does nothing).
  ~Program() {
    if (pid > 0 && ::kill(-pid, SIGKILL) == 0) {
      while (::waitpid(-pid, nullptr, 0) > 0 || errno == EINTR) {
      }
    }
    for (int fd : {out, err})
      if (fd >= 0) ::close(fd);
  }
};

/// Starts mpp_test_ctrl_c in a new process group, with SIGINT at its default disposition and no
/// signal blocked, whatever this process (or the test runner) set. It dies with this process (when
/// CTest kills a test that ran out of time, say), and its workers with it.
void launch(Program& program, const char* mode, const char* workers) {
  int out[2];
  int err[2];
  if (::pipe(out) != 0 || ::pipe(err) != 0) return;
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::setpgid(0, 0);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    for (int fd : {out[0], out[1], err[0], err[1]}) ::close(fd);
    ::signal(SIGINT, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    const char* path = MPP_TEST_CTRL_C;
    ::execl(path, path, mode, workers, static_cast<char*>(nullptr));
    ::_exit(127);
  }
  if (pid > 0) ::setpgid(pid, pid);  // also here: no race with the kill below
  ::close(out[1]);
  ::close(err[1]);
  program.pid = pid;
  program.out = out[0];
  program.err = err[0];
}

void expect_quiet_end_on_ctrl_c(const char* mode, const char* workers) {
  mpp_test::SubreaperScope subreaper;  // the workers, orphaned, are reparented to us
  ASSERT_TRUE(subreaper.ok());
  Program program;
  launch(program, mode, workers);
  ASSERT_GT(program.pid, 0);
  const std::string ready = read_until(program.out, "ready\n", 20s);
  ASSERT_NE(ready.find("ready"), std::string::npos) << "the program never got ready: " << ready;

  // Ctrl-C: SIGINT to the whole foreground process group.
  const auto start = Clock::now();
  ASSERT_EQ(::kill(-program.pid, SIGINT), 0);

  const auto main_end = mpp_test::reap(program.pid, 5s);
  ASSERT_TRUE(main_end.has_value()) << "the program did not end on SIGINT";
  EXPECT_TRUE(WIFSIGNALED(main_end->status) && WTERMSIG(main_end->status) == SIGINT)
      << "the program " << mpp_test::describe_status(main_end->status);

  // The rest of the group (the workers) ends too, promptly.
  int workers_reaped = 0;
  while (auto worker_end = mpp_test::reap(-program.pid, 5s)) {
    ++workers_reaped;
    EXPECT_TRUE(WIFSIGNALED(worker_end->status))
        << "worker " << worker_end->pid << " " << mpp_test::describe_status(worker_end->status);
  }
  EXPECT_EQ(workers_reaped, std::stoi(workers));
  EXPECT_TRUE(::kill(-program.pid, 0) == -1 && errno == ESRCH) << "part of the process group is left";
  EXPECT_LT(Clock::now() - start, 5s);

  const std::string err = read_all(program.err);
  EXPECT_LE(std::count(err.begin(), err.end(), '\n'), 2) << "standard error:\n" << err;
}

TEST(ProcessPoolCtrlC, EndsQuietlyDuringMapOfSleepingItems) { expect_quiet_end_on_ctrl_c("map", "2"); }

TEST(ProcessPoolCtrlC, EndsQuietlyDuringMapOfSpinningItems) { expect_quiet_end_on_ctrl_c("spin", "2"); }

TEST(ProcessPoolCtrlC, EndsQuietlyDuringImap) { expect_quiet_end_on_ctrl_c("imap", "2"); }

TEST(ProcessPoolCtrlC, EndsQuietlyWithIdleWorkers) { expect_quiet_end_on_ctrl_c("idle", "3"); }

TEST(ProcessPoolCtrlC, EndsQuietlyWithManyWorkers) { expect_quiet_end_on_ctrl_c("map", "8"); }

}  // namespace
