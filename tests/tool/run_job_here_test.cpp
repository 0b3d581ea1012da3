// run_job_here(): a remote job as a rank runs it (remote.hpp): its output, its status, its timeout.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <fstream>
#include <string>
#include <thread>

#include "run/remote.hpp"

namespace mpp::detail::run {
namespace {

std::string this_host() {
  char name[HOST_NAME_MAX + 1] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

// Whether process `pid` has ended (gone, or a zombie nobody reaped yet) within 5 s.
bool ended_soon(pid_t pid) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    std::getline(stat, text);
    const std::size_t close = text.rfind(')');
    if (!stat || close == std::string::npos || text.substr(close + 2, 1) == "Z") return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

TEST(RunJobHere, CapturesOutputErrorAndStatus) {
  const RemoteOutcome o =
      run_job_here(RemoteJob{7, "echo out; echo err >&2; printf 'no newline'; exit 3", 0});
  EXPECT_EQ(o.id, 7u);
  EXPECT_EQ(o.out, "out\nno newline");
  EXPECT_EQ(o.err, "err\n");
  ASSERT_TRUE(WIFEXITED(o.status));
  EXPECT_EQ(WEXITSTATUS(o.status), 3);
  EXPECT_EQ(o.host, this_host());
  EXPECT_FALSE(o.timed_out);
  EXPECT_FALSE(o.lost);
  EXPECT_FALSE(o.stopped);
}

TEST(RunJobHere, APlainCommandAndOneWithoutOutput) {
  const RemoteOutcome plain = run_job_here(RemoteJob{0, "echo 'a  b' \"c\"", 0});
  EXPECT_EQ(plain.out, "a  b c\n");
  EXPECT_EQ(plain.status, 0);
  const RemoteOutcome quiet = run_job_here(RemoteJob{1, "true", 0});
  EXPECT_EQ(quiet.out, "");
  EXPECT_EQ(quiet.err, "");
  EXPECT_EQ(quiet.status, 0);
}

TEST(RunJobHere, StandardInputIsEmpty) {
  const RemoteOutcome o = run_job_here(RemoteJob{0, "wc -c", 0});
  EXPECT_EQ(o.out, "0\n");
}

TEST(RunJobHere, AMissingProgramIs127AsInAShell) {
  const RemoteOutcome o = run_job_here(RemoteJob{0, "no-such-program-mpp x", 0});
  ASSERT_TRUE(WIFEXITED(o.status));
  EXPECT_EQ(WEXITSTATUS(o.status), 127);
  EXPECT_EQ(o.err, "mpp-run: no-such-program-mpp: command not found\n");
}

TEST(RunJobHere, ATimeoutKillsTheJobsWholeGroup) {
  const auto start = std::chrono::steady_clock::now();
  // The background sleep holds the pipes: only a signal to the group ends it.
  const RemoteOutcome o = run_job_here(RemoteJob{0, "sleep 30 & echo started; wait", 0.3});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_TRUE(o.timed_out);
  EXPECT_EQ(o.out, "started\n");
  ASSERT_TRUE(WIFSIGNALED(o.status));
  EXPECT_EQ(WTERMSIG(o.status), SIGTERM);
}

TEST(RunJobHere, AJobThatIgnoresSigtermIsKilledAfterTheGracePeriod) {
  const RemoteOutcome o = run_job_here(RemoteJob{0, "trap '' TERM; sleep 5; sleep 5", 0.2});
  EXPECT_TRUE(o.timed_out);
  ASSERT_TRUE(WIFSIGNALED(o.status));
  EXPECT_EQ(WTERMSIG(o.status), SIGKILL);
}

TEST(RunJobHere, ATimeoutHoldsForAJobThatClosedItsOutput) {
  // Its pipes end at once, long before the timeout: the wait for its process that follows must
  // still end at the timeout, not when the job ends by itself (30 s on).
  const auto start = std::chrono::steady_clock::now();
  const RemoteOutcome o = run_job_here(RemoteJob{0, "exec >/dev/null 2>&1; sleep 30", 0.3});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_TRUE(o.timed_out);
  ASSERT_TRUE(WIFSIGNALED(o.status));
  EXPECT_EQ(WTERMSIG(o.status), SIGTERM);
}

// A job ends when its process ends, as on one machine: a background process it left, here holding
// the job's output pipes, neither keeps the rank waiting (the whole run, under mpirun) nor outlives
// the job, which the rank, unlike mpp-run on one machine, has no later moment to end it at.
TEST(RunJobHere, ABackgroundProcessHoldingTheOutputDoesNotHoldTheJob) {
  const auto start = std::chrono::steady_clock::now();
  const RemoteOutcome o = run_job_here(RemoteJob{0, "sleep 30 & echo $!; echo done", 0});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  ASSERT_EQ(o.status, 0);
  const std::size_t newline = o.out.find('\n');
  ASSERT_NE(newline, std::string::npos) << o.out;
  EXPECT_EQ(o.out.substr(newline), "\ndone\n");
  EXPECT_TRUE(ended_soon(static_cast<pid_t>(std::stol(o.out.substr(0, newline)))));
}

TEST(RunJobHere, ABackgroundProcessEndsWithTheJobThoughItClosedTheOutput) {
  const RemoteOutcome o = run_job_here(RemoteJob{0, "sleep 30 >/dev/null 2>&1 & echo $!", 0});
  ASSERT_EQ(o.status, 0);
  ASSERT_FALSE(o.out.empty());
  EXPECT_TRUE(ended_soon(static_cast<pid_t>(std::stol(o.out))));
}

}  // namespace
}  // namespace mpp::detail::run
