// mpp-run, the real binary: Ctrl-C (SIGINT to its process group, as a terminal sends it), SIGTERM and
// a closed standard output stop every job it started, whole process groups included, and leave no
// process behind. This test process is the subreaper of mpp-run's descendants, so that the jobs'
// orphaned children come back to it and it can see how they ended.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

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

// A job whose shell dies of SIGTERM while its child ignores it: after `sig` to mpp-run, the child
// is gone too, by the time mpp-run has exited.
void stop_job_with_child_ignoring_sigterm(int sig) {
  mpp_test::SubreaperScope subreaper;
  ASSERT_TRUE(subreaper.ok());
  ScratchDir dir;
  KillAtEnd cleanup;
  const std::string child = dir / "child";
  write_file(dir / "child.sh", "trap '' TERM\n" + write_pid(child) + "\nexec sleep 30\n");
  Tool tool({"sh -c 'sh " + (dir / "child.sh") + " & wait'"}, {}, /*own_group=*/true);
  const pid_t pid = cleanup.add(read_pid(child));
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(-tool.pid(), sig), 0);
  const Result r = tool.finish();
  EXPECT_EQ(r.code(), 128 + sig) << r;
  EXPECT_TRUE(ended_within(pid, 0s)) << "the job's child " << pid << " outlived mpp-run";
}

TEST(MppRunSignals, CtrlCKillsAChildIgnoringSigterm) { stop_job_with_child_ignoring_sigterm(SIGINT); }

TEST(MppRunSignals, SigtermKillsAChildIgnoringSigterm) { stop_job_with_child_ignoring_sigterm(SIGTERM); }

TEST(MppRunSignals, SigkillOfMppRunTakesItsJobsAlong) {
  // mpp-run cannot catch SIGKILL; its jobs get SIGKILL when it dies (PR_SET_PDEATHSIG). This process
  // is their subreaper then, so it reaps them and sees how they ended.
  mpp_test::SubreaperScope subreaper;
  ASSERT_TRUE(subreaper.ok());
  ScratchDir dir;
  KillAtEnd cleanup;
  Tool tool({"-j", "2", "sh -c '" + write_pid(dir / "first") + "; exec sleep 30'",
             "sh -c 'trap \"\" TERM INT HUP; " + write_pid(dir / "second") + "; exec sleep 30'"});
  const pid_t first = cleanup.add(read_pid(dir / "first"));
  const pid_t second = cleanup.add(read_pid(dir / "second"));
  ASSERT_GT(first, 0);
  ASSERT_GT(second, 0);
  ASSERT_EQ(::kill(tool.pid(), SIGKILL), 0);
  const Result r = tool.finish();
  EXPECT_EQ(r.code(), 128 + SIGKILL) << r;
  for (pid_t job : {first, second}) {
    const auto reaped = mpp_test::reap(job, 10s);
    ASSERT_TRUE(reaped) << "job " << job << " outlived mpp-run";
    EXPECT_TRUE(WIFSIGNALED(reaped->status) && WTERMSIG(reaped->status) == SIGKILL)
        << mpp_test::describe_status(reaped->status);
  }
}

TEST(MppRunSignals, ASignalIgnoredAtStartStaysIgnoredForMppRunAndItsJobs) {
  // nohup mpp-run ...: SIGHUP, ignored when mpp-run starts, neither stops it nor its jobs.
  ScratchDir dir;
  KillAtEnd cleanup;
  const std::string job = "sh -c 'grep SigIgn /proc/self/status > " + (dir / "ignored") + "; " +
                          write_pid(dir / "job") + "; while [ ! -e " + (dir / "go") +
                          " ]; do sleep 0.01; done; echo finished'";
  Tool tool({job}, {}, /*own_group=*/false, {"/bin/sh", "-c", "trap '' HUP; exec \"$0\" \"$@\""});
  const pid_t pid = cleanup.add(read_pid(dir / "job"));
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(tool.pid(), SIGHUP), 0);
  ASSERT_EQ(::kill(pid, SIGHUP), 0);
  write_file(dir / "go", "");
  const Result r = tool.finish();
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, "finished\n") << r;
  const std::string status = read_file(dir / "ignored");  // "SigIgn:\t<hex mask>"
  const auto tab = status.find('\t');
  ASSERT_NE(tab, std::string::npos) << status;
  const unsigned long long ignored = std::stoull(status.substr(tab + 1), nullptr, 16);
  EXPECT_NE(ignored & (1ULL << (SIGHUP - 1)), 0U) << status;
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

TEST(MppRunSignals, ClosedStandardOutputIsNoticedWithoutAWrite) {
  // `mpp-run ... | head -1` once head has gone: noticed at once, not at the next output. These jobs
  // print nothing and would run 30 s.
  ScratchDir dir;
  KillAtEnd cleanup;
  Tool tool({"-j2", "sh -c '" + write_pid(dir / "first") + "; exec sleep 30'",
             "sh -c '" + write_pid(dir / "second") + "; exec sleep 30'", "touch " + (dir / "third")});
  const pid_t first = cleanup.add(read_pid(dir / "first"));
  const pid_t second = cleanup.add(read_pid(dir / "second"));
  ASSERT_GT(first, 0);
  ASSERT_GT(second, 0);
  tool.close_output();
  const Result r = tool.finish(10s);
  EXPECT_FALSE(r.timed_out) << r;
  EXPECT_EQ(r.code(), 128 + SIGPIPE) << r;
  EXPECT_TRUE(ended_within(first, 0s));
  EXPECT_TRUE(ended_within(second, 0s));
  EXPECT_FALSE(std::filesystem::exists(dir / "third"));
}

// One job at a time: the first prints more than a pipe holds, to a reader that never reads; the
// second starts behind it (its output waits, it does not block mpp-run) and writes its pid.
Words blocked_output_jobs(const ScratchDir& dir) {
  return {"-j1", "head -c 1000000 /dev/zero", "sh -c '" + write_pid(dir / "second") + "; exec sleep 30'",
          "touch " + (dir / "third")};
}

TEST(MppRunSignals, SigtermStopsEverythingWhileStandardOutputIsBlocked) {
  ScratchDir dir;
  KillAtEnd cleanup;
  Tool tool(blocked_output_jobs(dir));
  tool.hold_output();
  const pid_t second = cleanup.add(read_pid(dir / "second"));
  ASSERT_GT(second, 0) << "the second job never started: mpp-run is stuck writing the first's output";
  ASSERT_EQ(::kill(tool.pid(), SIGTERM), 0);
  const auto start = Clock::now();
  const Result r = tool.finish(10s);
  EXPECT_FALSE(r.timed_out) << r;
  EXPECT_EQ(r.code(), 128 + SIGTERM) << r;
  EXPECT_NE(r.err.find("SIGTERM"), std::string::npos) << r;
  EXPECT_TRUE(ended_within(second, 0s));
  EXPECT_FALSE(std::filesystem::exists(dir / "third"));
  // The job ends on SIGTERM at once; what waits for the reader gets one grace period (1 s).
  EXPECT_LT(Clock::now() - start, 5s);
}

// A FIFO at a fresh path in `dir`.
std::string make_fifo(const ScratchDir& dir) {
  const std::string path = dir / "fifo";
  if (::mkfifo(path.c_str(), 0600) != 0) throw std::system_error(errno, std::generic_category(), "mkfifo");
  return path;
}

// Whether `pid` catches `sig` now (/proc/PID/status, SigCgt): mpp-run has set up its handlers.
bool catches(pid_t pid, int sig) {
  for (const std::string& line : lines_of(read_file("/proc/" + std::to_string(pid) + "/status"))) {
    if (line.starts_with("SigCgt:"))
      return ((std::stoull(line.substr(7), nullptr, 16) >> (sig - 1)) & 1) != 0;
  }
  return false;
}

// One job at a time, with a joblog at `joblog` that is not read: 160 KB of rows, more than a pipe
// holds, then a job that writes its pid and sleeps. SIGTERM must still stop everything at once.
void sigterm_while_the_joblog_is_blocked(const std::string& joblog, const ScratchDir& dir, bool hold_output) {
  KillAtEnd cleanup;
  Words args{"-j1", "--joblog", joblog};
  const std::string long_command = "true " + std::string(4000, 'x');
  for (int i = 0; i < 40; ++i) args.push_back(long_command);
  args.push_back("sh -c '" + write_pid(dir / "second") + "; exec sleep 30'");
  args.push_back("touch " + (dir / "third"));
  Tool tool(args);
  if (hold_output) tool.hold_output();
  const pid_t second = cleanup.add(read_pid(dir / "second"));
  EXPECT_GT(second, 0) << "the sleeper never started: mpp-run is stuck writing the joblog";
  ASSERT_EQ(::kill(tool.pid(), SIGTERM), 0);
  const Result r = tool.finish(10s);
  EXPECT_FALSE(r.timed_out) << r;
  EXPECT_EQ(r.code(), 128 + SIGTERM) << r;
  EXPECT_FALSE(std::filesystem::exists(dir / "third"));
}

TEST(MppRunSignals, SigtermStopsEverythingWhileAFifoJoblogIsBlocked) {
  ScratchDir dir;
  const std::string fifo = make_fifo(dir);
  // A reader that never reads.
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  sigterm_while_the_joblog_is_blocked(fifo, dir, false);
  ::close(reader);
}

TEST(MppRunSignals, SigtermStopsEverythingWhileAJoblogOnBlockedStandardOutputIsBlocked) {
  // `mpp-run --joblog /dev/stdout ... | (sleep 1000)`: the joblog is the pipe standard output is.
  ScratchDir dir;
  sigterm_while_the_joblog_is_blocked("/dev/stdout", dir, true);
}

TEST(MppRunSignals, SigtermWhileWaitingForAReaderOfAFifoJoblogExits143) {
  ScratchDir dir;
  const std::string fifo = make_fifo(dir);
  Tool tool({"--joblog", fifo, "touch " + (dir / "ran")});
  ASSERT_TRUE(wait_until([&] { return catches(tool.pid(), SIGTERM); }));
  ASSERT_EQ(::kill(tool.pid(), SIGTERM), 0);
  const Result r = tool.finish(10s);
  EXPECT_FALSE(r.timed_out) << r;
  EXPECT_EQ(r.code(), 128 + SIGTERM) << r;
  EXPECT_NE(r.err.find("SIGTERM: stopped waiting for a reader of the joblog " + fifo), std::string::npos)
      << r;
  EXPECT_FALSE(std::filesystem::exists(dir / "ran"));
}

TEST(MppRunSignals, AFifoJoblogWaitsForItsReader) {
  ScratchDir dir;
  const std::string fifo = make_fifo(dir);
  Tool tool({"--joblog", fifo, "echo hello"});
  ASSERT_TRUE(wait_until([&] { return catches(tool.pid(), SIGTERM); }));
  // Blocks until mpp-run opens the FIFO for writing; reads the whole joblog.
  std::ifstream in(fifo);
  std::ostringstream text;
  text << in.rdbuf();
  const Result r = tool.finish(10s);
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, "hello\n");
  const auto rows = lines_of(text.str());
  ASSERT_EQ(rows.size(), 2u) << text.str();
  EXPECT_TRUE(rows[0].starts_with("Seq\t")) << rows[0];
  EXPECT_TRUE(rows[1].starts_with("1\t")) << rows[1];
  EXPECT_TRUE(rows[1].ends_with("\techo hello")) << rows[1];
}

}  // namespace
}  // namespace mpp_run_test
