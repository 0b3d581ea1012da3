// mpp-run, the real binary: Ctrl-C (SIGINT to its process group, as a terminal sends it), SIGTERM and
// a closed standard output stop every job it started, whole process groups included, and leave no
// process behind. This test process is the subreaper of mpp-run's descendants, so that the jobs'
// orphaned children come back to it and it can see how they ended.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>
#include <vector>

#include "mpp_test/processes.hpp"
#include "tool_support.hpp"

namespace mpp_run_test {
namespace {

using Words = std::vector<std::string>;

struct JobPids {
  std::vector<pid_t> shells;      // the jobs themselves, mpp-run's children
  std::vector<pid_t> background;  // a child each job started in the background
};

// Three jobs running at once, each a shell with a background sleep, and two waiting their turn.
// Each job writes "shell-pid background-pid" to `pids`.
Words busy_jobs(const ScratchDir& dir, const std::string& trap = "") {
  const std::string job = "sh -c '" + trap + "sleep 30 & echo $$ $! >> " + (dir / "pids") + "; wait'";
  return {"-j", "3", job, job, job, "touch " + (dir / "fourth"), "touch " + (dir / "fifth")};
}

JobPids read_pids(const std::string& path) {
  JobPids pids;
  for (const std::string& line : lines_of(read_file(path))) {
    std::istringstream in(line);
    pid_t shell = 0;
    pid_t background = 0;
    in >> shell >> background;
    pids.shells.push_back(shell);
    pids.background.push_back(background);
  }
  return pids;
}

// Every job and every process a job started has ended; mpp-run reaped its own children.
void expect_nothing_left(const JobPids& pids) {
  for (pid_t shell : pids.shells)
    EXPECT_TRUE(mpp_test::process_gone(shell)) << "job " << shell << " left behind";
  for (pid_t child : pids.background) {
    // An orphan now: this process (the subreaper) reaps it, unless it went before its shell did.
    if (mpp_test::process_gone(child)) continue;
    const auto reaped = mpp_test::reap(child, k_limit);
    ASSERT_TRUE(reaped) << "background process " << child << " still runs";
    EXPECT_TRUE(WIFSIGNALED(reaped->status)) << mpp_test::describe_status(reaped->status);
  }
}

void stop_with_signal(int sig, const std::string& name, const std::string& trap = "") {
  mpp_test::SubreaperScope subreaper;
  ASSERT_TRUE(subreaper.ok());
  ScratchDir dir;
  Tool tool(busy_jobs(dir, trap), {}, /*own_group=*/true);
  ASSERT_TRUE(wait_for_lines(dir / "pids", 3));
  ASSERT_EQ(::kill(-tool.pid(), sig), 0);  // the whole foreground group, as a terminal does
  const Result r = tool.finish();
  EXPECT_EQ(r.code(), 128 + sig) << r;
  EXPECT_NE(r.err.find(name), std::string::npos) << r;
  EXPECT_NE(r.err.find("2 not started"), std::string::npos) << r;
  EXPECT_FALSE(std::filesystem::exists(dir / "fourth"));
  EXPECT_FALSE(std::filesystem::exists(dir / "fifth"));
  expect_nothing_left(read_pids(dir / "pids"));
}

TEST(MppRunSignals, CtrlCStopsEveryJobAndExits130) { stop_with_signal(SIGINT, "SIGINT"); }

TEST(MppRunSignals, SigtermStopsEveryJobAndExits143) { stop_with_signal(SIGTERM, "SIGTERM"); }

TEST(MppRunSignals, JobsIgnoringSigtermAreKilled) {
  // The jobs and their children ignore SIGTERM: SIGKILL follows after the grace period.
  stop_with_signal(SIGINT, "SIGINT", "trap \"\" TERM INT; ");
}

TEST(MppRunSignals, ClosedStandardOutputStopsTheJobs) {
  mpp_test::SubreaperScope subreaper;
  ASSERT_TRUE(subreaper.ok());
  ScratchDir dir;
  // The second job starts in the same round as the first, whose output then finds no reader.
  Tool tool({"-j", "2",
             "sh -c '" + std::string("i=0; while [ ! -s ") + (dir / "pids") +
                 " ] && [ $i -lt 2000 ]; do sleep 0.01; i=$((i+1)); done; echo output'",
             "sh -c 'sleep 30 & echo $$ $! >> " + (dir / "pids") + "; wait'", "touch " + (dir / "third")});
  tool.close_output();
  const Result r = tool.finish();
  EXPECT_EQ(r.code(), 128 + SIGPIPE) << r;
  EXPECT_FALSE(std::filesystem::exists(dir / "third"));
  expect_nothing_left(read_pids(dir / "pids"));
}

}  // namespace
}  // namespace mpp_run_test
