// mpp-run, the real binary: what controls a run's course: --halt in GNU parallel's forms (now/soon;
// fail, success, done; counts and shares of all jobs) and the exit statuses it sets, with jobs
// killed by signals, timed out, or never ending; --delay between starts; --resume, --resume-failed
// and --retry-failed with the joblog of an earlier run. Jobs that must overlap
// wait on files, never on a guess of how long something takes.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "tool_support.hpp"

namespace mpp_run_test {
namespace {

using Words = std::vector<std::string>;

TEST(MppRunHalt, FailOneGivesTheStatusOfASignal) {
  // As a shell shows it: 128 + the signal (GNU parallel's status here).
  const Result r = run({"-j", "1", "--halt", "now,fail=1", "kill -9 $$", ":::", "a", "b"});
  EXPECT_EQ(r.code(), 137) << r;
  EXPECT_NE(r.err.find("1 not started"), std::string::npos) << r;
  EXPECT_EQ(run({"-j", "1", "--halt", "soon,fail=1", "kill -TERM $$", ":::", "a"}).code(), 143);
}

TEST(MppRunHalt, FailOneAfterATimeoutIs255) {
  // GNU parallel's Exitval -1 for a timed-out job, which exit() makes 255.
  const Result r = run({"--timeout", "0.2", "--halt", "now,fail=1", "exec sleep {}", ":::", "30"});
  EXPECT_EQ(r.code(), 255) << r;
  EXPECT_NE(r.err.find("timed out"), std::string::npos) << r;
}

TEST(MppRunHalt, SuccessNowKillsAJobThatNeverEnds) {
  ScratchDir dir;
  // The first job never ends by itself; the second succeeds once the first runs.
  const Result r =
      run({"-j", "2", "--halt", "now,success=1",
           "sh -c 'echo $$ > " + (dir / "pid") + "; touch " + (dir / "started") + "; exec sleep 1000'",
           "sh -c '" + wait_for(dir / "started") + "; exit 0'", "touch " + (dir / "third")});
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_NE(r.err.find("--halt now: stopped after 1 successful job"), std::string::npos) << r;
  EXPECT_FALSE(std::filesystem::exists(dir / "third"));
  const pid_t pid = std::stoi(read_file(dir / "pid"));
  EXPECT_TRUE(wait_until([&] { return read_file("/proc/" + std::to_string(pid) + "/stat").empty(); }));
}

TEST(MppRunHalt, NowWritesNoOutputOfTheJobsItKills) {
  for (const bool keep_order : {false, true}) {
    ScratchDir dir;
    // The first job prints and runs on; the second fails once the first has started.
    Words args{"-j",
               "2",
               "--halt",
               "now,fail=1",
               "sh -c 'echo slow; touch " + (dir / "started") + "; exec sleep 30'",
               "sh -c '" + wait_for(dir / "started") + "; echo fast; exit 3'"};
    if (keep_order) args.insert(args.begin(), "-k");
    const Result r = run(args);
    EXPECT_EQ(r.code(), 3) << r;
    // As GNU parallel: the killed job's output is not written; with -k the failed job's output
    // waited for the killed one's turn, and is not written either.
    EXPECT_EQ(r.out, keep_order ? "" : "fast\n") << r;
  }
}

TEST(MppRunHalt, SuccessIgnoresFailuresBefore) {
  const Result r =
      run({"-j", "1", "-k", "--halt", "soon,success=1", "echo {}; exit {}", ":::", "3", "0", "2"});
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, "3\n0\n");
}

TEST(MppRunHalt, DoneCountsEveryFinishedJob) {
  const Result r =
      run({"-j", "1", "-k", "--halt", "soon,done=3", "echo {}; exit {}", ":::", "0", "4", "5", "0"});
  EXPECT_EQ(r.code(), 2) << r;  // the failed jobs so far
  EXPECT_EQ(r.out, "0\n4\n5\n");
  // done=1: the first job's own status, success included.
  EXPECT_EQ(run({"-j", "1", "--halt", "now,done=1", "exit {}", ":::", "6", "0"}).code(), 6);
  EXPECT_EQ(run({"-j", "1", "--halt", "now,done=1", "exit {}", ":::", "0", "6"}).code(), 0);
}

TEST(MppRunHalt, PercentOfAllJobsFromStandardInput) {
  // 2 of 4 jobs is 50%: the third job reaches it; the status is the share that failed.
  const Result r = run({"-j", "1", "-k", "--halt", "soon,fail=50%", "echo {}; exit {}"}, "0\n1\n1\n0\n");
  EXPECT_EQ(r.code(), 50) << r;
  EXPECT_EQ(r.out, "0\n1\n1\n");
}

TEST(MppRunHalt, PercentNotReachedGivesTheShareThatFailed) {
  // 1 of 3 failed, 50% not reached: ceil(100/3) as GNU parallel.
  const Result r = run({"-j", "1", "--halt", "now,fail=50%", "exit {}", ":::", "0", "1", "0"});
  EXPECT_EQ(r.code(), 34) << r;
}

TEST(MppRunHalt, CountAboveOneGivesTheFailedJobs) {
  const Result r = run({"-j", "1", "--halt", "now,fail=2", "exit {}", ":::", "7", "0", "9", "0"});
  EXPECT_EQ(r.code(), 2) << r;
}

TEST(MppRunHalt, BadFormsAreRefusedBeforeAnyJob) {
  ScratchDir dir;
  for (const char* halt : {"now,fail=0", "soon", "later,fail=1", "now,fail=1x", "now,fail=0%",
                           "now,fail=101%", "now,fail,1", "3"}) {
    const Result r = run({"--halt", halt, "touch " + (dir / "ran"), ":::", "a"});
    EXPECT_EQ(r.code(), 255) << halt << ": " << r;
    EXPECT_NE(r.err.find("--halt"), std::string::npos) << r;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "ran"));
}

// The Starttime column of a joblog, in seconds.
std::vector<double> start_times(const std::string& log) {
  std::vector<double> out;
  std::istringstream in(read_file(log));
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::istringstream row(line);
    std::string seq, host, start;
    std::getline(row, seq, '\t');
    std::getline(row, host, '\t');
    std::getline(row, start, '\t');
    out.push_back(std::stod(start));
  }
  return out;
}

TEST(MppRunDelay, StartsAreApartByTheDelayWhateverTheSlots) {
  ScratchDir dir;
  const std::string log = dir / "log";
  // Three slots free at once: the delay still spaces the starts (a lower bound: nothing waits on
  // a guess).
  const Result r = run({"-j", "3", "-k", "--delay", "0.15", "--joblog", log, "echo", ":::", "a", "b", "c"});
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, "a\nb\nc\n");
  std::vector<double> starts = start_times(log);
  ASSERT_EQ(starts.size(), 3u);
  std::sort(starts.begin(), starts.end());
  // The joblog's times have milliseconds: allow for their rounding.
  EXPECT_GE(starts[1] - starts[0], 0.148);
  EXPECT_GE(starts[2] - starts[1], 0.148);
}

TEST(MppRunDelay, UnitsAndBadValues) {
  EXPECT_EQ(run({"--delay", "0", "echo", ":::", "a"}).out, "a\n");
  EXPECT_EQ(run({"--delay", "0.01s", "echo", ":::", "a"}).out, "a\n");
  for (const char* delay : {"", "-1", "x", "1m30s", "auto", "2auto", "1e3", "nan"}) {
    const Result r = run({"--delay", delay, "echo", ":::", "a"});
    EXPECT_EQ(r.code(), 255) << delay << ": " << r;
    EXPECT_NE(r.err.find("--delay"), std::string::npos) << r;
    EXPECT_EQ(r.out, "");
  }
}

TEST(MppRunDelay, CtrlCIsHeardDuringTheDelay) {
  // A long delay keeps the second job waiting; SIGTERM still ends mpp-run at once.
  ScratchDir dir;
  Tool tool({"-j", "2", "--delay", "1000", "touch " + dir.str() + "/{}", ":::", "a", "b"});
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(dir / "a"); }));
  ::kill(tool.pid(), SIGTERM);
  const Result r = tool.finish();
  EXPECT_EQ(r.code(), 143) << r;
  EXPECT_FALSE(std::filesystem::exists(dir / "b"));
}

TEST(MppRunDelay, ADelayThatEndsWhileTheLoopLooksStillStartsTheNextJob) {
  // The delay ends at the k-th read of the clock (clock_jump.cpp), for each k in turn: a loop that
  // asked twice whether the delay holds, and heard yes and then no, would wait for neither the
  // delay nor the input, for ever. Where the clock jumps before the first start, or after the
  // last read, the delay passes as it would (a quarter of a second).
  // A sanitizer's runtime must come first among the libraries, unless told not to check.
  const char* asan = std::getenv("ASAN_OPTIONS");  // NOLINT(concurrency-mt-unsafe): no setenv in tests
  const std::string asan_options =
      "ASAN_OPTIONS=" + std::string(asan != nullptr ? asan : "") + ":verify_asan_link_order=0";
  for (int k = 1; k <= 40; ++k) {
    Tool tool({"-j", "2", "-k", "--no-bar", "--delay", "0.25", "echo", ":::", "a", "b"}, {}, false,
              {"env", "LD_PRELOAD=" MPP_TEST_CLOCK_JUMP, "MPP_TEST_CLOCK_JUMP_AT=" + std::to_string(k),
               "MPP_TEST_CLOCK_JUMP_S=2000", asan_options});
    const Result r = tool.finish(std::chrono::seconds(5));
    ASSERT_FALSE(r.timed_out) << "the delay ended at read " << k << " of the clock: " << r;
    EXPECT_EQ(r.code(), 0) << k << ": " << r;
    EXPECT_EQ(r.out, "a\nb\n") << k;
  }
}

// The Seq, Exitval and Command columns of each joblog row, header included.
std::vector<std::string> seq_exit_command(const std::string& log) {
  std::vector<std::string> out;
  for (const std::string& line : lines_of(read_file(log))) {
    std::vector<std::string> fields;
    std::istringstream row(line);
    for (std::string field; std::getline(row, field, '\t');) fields.push_back(field);
    out.push_back(fields.size() < 9 ? line : fields[0] + " " + fields[6] + " " + fields[8]);
  }
  return out;
}

TEST(MppRunResume, SkipsTheJobsOfTheJoblogAndAddsRows) {
  ScratchDir dir;
  const std::string log = dir / "log";
  EXPECT_EQ(run({"-j", "1", "--joblog", log, "exit", ":::", "0", "3"}).code(), 1);
  // A missing joblog would start afresh; this one has jobs 1 and 2.
  const Result r = run(
      {"-k", "-j", "1", "--resume", "--joblog", log, "sh -c 'echo {}; exit {}'", ":::", "0", "3", "0", "4"});
  EXPECT_EQ(r.code(), 1) << r;
  EXPECT_EQ(r.out, "0\n4\n");
  EXPECT_EQ(seq_exit_command(log),
            (std::vector<std::string>{"Seq Exitval Command", "1 0 exit 0", "2 3 exit 3",
                                      "3 0 sh -c 'echo 0; exit 0'", "4 4 sh -c 'echo 4; exit 4'"}));
}

TEST(MppRunResume, ResumeFailedRunsTheFailedOnesAgainInOrder) {
  ScratchDir dir;
  const std::string log = dir / "log";
  EXPECT_EQ(run({"-j", "1", "--joblog", log, "exit", ":::", "1", "0", "2"}).code(), 2);
  // Jobs 1 and 3 failed: they run again (with what the command line makes of them now), in
  // order with job 4; job 2 is skipped.
  const Result r =
      run({"-k", "-j", "3", "--resume-failed", "--joblog", log, "echo", ":::", "a", "b", "c", "d"});
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, "a\nc\nd\n");
}

TEST(MppRunResume, RetryFailedRunsTheJoblogsCommands) {
  ScratchDir dir;
  const std::string log = dir / "log";
  EXPECT_EQ(run({"-j", "1", "--joblog", log, "sh -c 'echo {}; exit {}'", ":::", "0", "5", "0", "6"}).code(),
            2);
  // The command line's own command and values are not used, as in GNU parallel.
  const Result r = run({"-k", "-j", "1", "--retry-failed", "--joblog", log, "echo", "unused", ":::", "x"});
  EXPECT_EQ(r.code(), 2) << r;
  EXPECT_EQ(r.out, "5\n6\n");
  const std::vector<std::string> rows = seq_exit_command(log);
  ASSERT_EQ(rows.size(), 7u);
  EXPECT_EQ(rows[5], "2 5 sh -c 'echo 5; exit 5'");
  EXPECT_EQ(rows[6], "4 6 sh -c 'echo 6; exit 6'");
}

TEST(MppRunResume, AMissingJoblogStartsAfresh) {
  ScratchDir dir;
  const std::string log = dir / "log";
  const Result r = run({"-k", "--resume-failed", "--joblog", log, "echo", ":::", "a"});
  EXPECT_EQ(r.out, "a\n");
  EXPECT_EQ(seq_exit_command(log), (std::vector<std::string>{"Seq Exitval Command", "1 0 echo a"}));
}

TEST(MppRunResume, AJoblogOfAnotherFormatIsRefusedBeforeAnyJob) {
  ScratchDir dir;
  const std::string log = dir / "log";
  for (const char* text :
       {"Seq\tHost\n1\tonly two\n", "header\nx\t:\t1\t1\t0\t0\t0\t0\tcmd\n",
        "header\n0\t:\t1\t1\t0\t0\t0\t0\tcmd\n", "header\n1\t:\tnow\t1\t0\t0\t0\t0\tcmd\n"}) {
    write_file(log, text);
    for (const char* option : {"--resume", "--resume-failed", "--retry-failed"}) {
      const Result r = run({option, "--joblog", log, "touch " + (dir / "ran"), ":::", "a"});
      EXPECT_EQ(r.code(), 255) << option << ": " << r;
      EXPECT_NE(r.err.find("not in the joblog's format"), std::string::npos) << r;
    }
    EXPECT_EQ(read_file(log), text);  // left as it was
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "ran"));
}

// The joblog `log` has one row, job 1's with exit status `status`, and --resume with it runs job 2
// alone: the job mpp-run stopped got no row.
void expect_only_job_1_logged_and_resume_runs_2(const std::string& log, int status) {
  const std::vector<std::string> rows = seq_exit_command(log);
  ASSERT_EQ(rows.size(), 2u) << read_file(log);
  EXPECT_TRUE(rows[1].starts_with("1 " + std::to_string(status) + " ")) << rows[1];
  const Result r = run({"-k", "--resume", "--joblog", log, "echo", ":::", "1", "2"});
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, "2\n");
}

// Jobs that mpp-run itself stopped (a signal, --halt now) never ended: as in GNU parallel they get
// no joblog row, so that --resume after Ctrl-C runs them again instead of taking them for done.
TEST(MppRunResume, RunsAgainTheJobsASignalStopped) {
  ScratchDir dir;
  const std::string log = dir / "log";
  const std::string job =
      "sh -c 'if [ {} = 1 ]; then echo 1; else touch " + (dir / "running") + "; sleep 300; fi'";
  Tool tool({"-j", "2", "--joblog", log, job, ":::", "1", "2"});
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(dir / "running"); }));
  ASSERT_TRUE(wait_for_lines(log, 2));  // job 1's row
  ASSERT_EQ(::kill(tool.pid(), SIGTERM), 0);
  EXPECT_EQ(tool.finish().code(), 143);
  expect_only_job_1_logged_and_resume_runs_2(log, 0);
}

TEST(MppRunResume, RunsAgainTheJobsHaltNowStopped) {
  ScratchDir dir;
  const std::string log = dir / "log";
  // Job 1 fails once job 2 runs: --halt now stops job 2, which gets no row.
  const std::string job = "sh -c 'if [ {} = 1 ]; then " + wait_for(dir / "running") + "; exit 3; fi; touch " +
                          (dir / "running") + "; sleep 300'";
  EXPECT_EQ(run({"-j", "2", "--halt", "now,fail=1", "--joblog", log, job, ":::", "1", "2"}).code(), 3);
  expect_only_job_1_logged_and_resume_runs_2(log, 3);
}

TEST(MppRunResume, NeedsAJoblogFile) {
  ScratchDir dir;
  for (const Words& args : {Words{"--resume"}, Words{"--resume-failed", "--joblog", "-"},
                            Words{"--retry-failed", "--results", dir / "r"}}) {
    Words all = args;
    all.insert(all.end(), {"touch " + (dir / "ran"), ":::", "a"});
    const Result r = run(all);
    EXPECT_EQ(r.code(), 255) << r;
    EXPECT_NE(r.err.find("need --joblog FILE"), std::string::npos) << r;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "ran"));
}

}  // namespace
}  // namespace mpp_run_test
