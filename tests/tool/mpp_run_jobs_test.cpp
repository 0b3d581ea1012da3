// mpp-run, the real binary: how jobs are scheduled and stopped (-j, --timeout, --retries, --halt)
// and how their outputs come out (--keep-order, completion order, grouping under load).
// Jobs that must wait for each other wait on files, never on a guess of how long something takes.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tool_support.hpp"

namespace mpp_run_test {
namespace {

using Words = std::vector<std::string>;

// A shell loop that waits (at most 20 s) for a joblog row of job `seq`: mpp-run writes it as the job
// is finished, before it decides anything else.
std::string wait_for_log(const std::string& log, int seq) {
  return "i=0; while ! grep -q \"^" + std::to_string(seq) + "\t\" " + log +
         " 2>/dev/null && [ $i -lt 2000 ]; do sleep 0.01; i=$((i+1)); done";
}

TEST(MppRunJobs, RunsJobsAtOnce) {
  ScratchDir dir;
  // Each job announces itself and waits for the other: they can only end if both run at once.
  const Result r =
      run({"-j", "2",
           "sh -c 'touch " + (dir / "a") + "; " + wait_for(dir / "b") + "; test -e " + (dir / "b") + "'",
           "sh -c 'touch " + (dir / "b") + "; " + wait_for(dir / "a") + "; test -e " + (dir / "a") + "'"});
  EXPECT_EQ(r.code(), 0) << r;
}

TEST(MppRunJobs, NeverMoreThanJobsAtOnce) {
  ScratchDir dir;
  // Each job counts the jobs running (their marker files) while it runs.
  const std::string job = "sh -c 'touch " + dir.str() + "/run.$$; ls " + dir.str() + " | grep -c run. >> " +
                          (dir / "counts") + "; sleep 0.05; rm " + dir.str() + "/run.$$'";
  for (const char* jobs : {"1", "3"}) {
    std::filesystem::remove(dir / "counts");
    const Result r = run({"-j", jobs, job, job, job, job, job, job, job});
    EXPECT_EQ(r.code(), 0) << r;
    const auto counts = lines_of(read_file(dir / "counts"));
    ASSERT_EQ(counts.size(), 7u);
    for (const std::string& c : counts) EXPECT_LE(std::stoi(c), std::stoi(jobs)) << "-j " << jobs;
  }
}

TEST(MppRunJobs, KeepOrder) {
  ScratchDir dir;
  // The first job ends only after the second has: input order differs from completion order.
  const Words jobs{"sh -c '" + wait_for(dir / "second-done") + "; echo first'",
                   "sh -c 'echo second; touch " + (dir / "second-done") + "'", "echo third"};
  Words args{"-k", "-j", "3"};
  args.insert(args.end(), jobs.begin(), jobs.end());
  const Result r = run(args);
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, "first\nsecond\nthird\n");
}

TEST(MppRunJobs, OutputsComeAsJobsEnd) {
  ScratchDir dir;
  const std::string log = dir / "log";
  const Result r =
      run({"-j", "2", "--joblog", log, "sh -c '" + wait_for_log(log, 2) + "; echo first'", "echo second"});
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, "second\nfirst\n");
}

TEST(MppRunJobs, JoblogRowOfATimedOutJobSaysTheSignalThatEndedIt) {
  ScratchDir dir;
  const std::string log = dir / "log";
  // The shell ends on SIGTERM, its background child ignores it: the job ends only on the SIGKILL
  // that follows the grace period, and its row is written then.
  const Result r = run({"--timeout", "0.2", "--joblog", log, "sh -c '(trap \"\" TERM; sleep 30) & wait'"});
  EXPECT_EQ(r.code(), 1) << r;
  const auto rows = lines_of(read_file(log));
  ASSERT_EQ(rows.size(), 2u) << read_file(log);
  EXPECT_NE(rows[1].find("\t-1\t9\t"), std::string::npos) << rows[1];
  // JobRuntime covers the grace period (1 s) it took to end.
  EXPECT_GE(std::stod(rows[1].substr(rows[1].find('\t', rows[1].find('\t', 2) + 1) + 1)), 1.0) << rows[1];
}

TEST(MppRunJobs, TimeoutMessageShowsTheTimeoutAsGiven) {
  const Result r = run({"--timeout", "0.2", "sleep 30"});
  EXPECT_EQ(r.code(), 1) << r;
  EXPECT_NE(r.err.find("timed out after 0.2 s, killed: sleep 30"), std::string::npos) << r;
}

TEST(MppRunJobs, TimeoutKillsTheJobsProcessGroup) {
  ScratchDir dir;
  const std::string log = dir / "log";
  // The job's background child would outlive a kill of the job alone.
  const Result r = run({"--timeout", "1", "--joblog", log, "-k",
                        "sh -c 'sleep 30 & echo $! > " + (dir / "pid") + "; wait'", "echo quick"});
  EXPECT_EQ(r.code(), 1) << r;
  EXPECT_EQ(r.out, "quick\n");
  EXPECT_NE(r.err.find("timed out"), std::string::npos) << r;
  const auto rows = lines_of(read_file(log));
  ASSERT_EQ(rows.size(), 3u);
  const auto timed_out =
      std::find_if(rows.begin(), rows.end(), [](const std::string& s) { return s.starts_with("1\t"); });
  ASSERT_NE(timed_out, rows.end());
  EXPECT_NE(timed_out->find("\t-1\t15\t"), std::string::npos) << *timed_out;
  const std::string pid_text = read_file(dir / "pid");
  ASSERT_FALSE(pid_text.empty()) << "the job was killed before it started its background child";
  const pid_t pid = std::stoi(pid_text);
  // SIGTERM reached the whole group: the background sleep is gone (or a zombie its new parent has
  // not reaped yet).
  EXPECT_TRUE(wait_until([&] {
    const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    return stat.empty() || stat.find(") Z ") != std::string::npos;
  }));
}

TEST(MppRunJobs, TimeoutEndsInSigkillWhenTermIsIgnored) {
  const Result r = run({"--timeout", "0.2", "sh -c 'trap \"\" TERM; sleep 30 & wait; wait'"});
  EXPECT_EQ(r.code(), 1) << r;
}

TEST(MppRunJobs, TimeoutKillsAChildIgnoringSigtermAfterItsLeaderEnded) {
  // The job's shell dies of the SIGTERM; its child ignores it, and must not outlive the timeout:
  // the SIGKILL that follows the grace period reaches the job's whole group all the same. The
  // next job watches the child while mpp-run still runs, so this is the timeout's doing, not that
  // of mpp-run's end; it ignores SIGTERM itself, so that its own timeout leaves it a second more
  // (its SIGKILL comes a grace period after the child's).
  ScratchDir dir;
  KillAtEnd cleanup;
  const std::string child = dir / "child";
  write_file(dir / "child.sh", "trap '' TERM\n" + write_pid(child) + "\nexec sleep 30\n");
  write_file(dir / "watch.sh", "trap '' TERM\n" + wait_for(child) + "\np=$(cat " + child +
                                   ")\n"
                                   "i=0; while kill -0 $p 2>/dev/null && [ $i -lt 500 ]; do sleep 0.01; "
                                   "i=$((i+1)); done\n"
                                   "kill -0 $p 2>/dev/null && echo alive || echo gone\n");
  const Result r = run({"-j", "1", "--timeout", "0.5",
                        "sh -c 'sh " + (dir / "child.sh") + " & " + wait_for(child) + "; wait'",
                        "sh " + (dir / "watch.sh")});
  cleanup.add(read_pid(child));
  EXPECT_EQ(r.code(), 2) << r;  // both ran past the timeout
  EXPECT_EQ(r.out, "gone\n") << r;
  EXPECT_TRUE(ended_within(read_pid(child), 0s));
}

TEST(MppRunJobs, NothingAJobLeftBehindOutlivesMppRun) {
  // A job that ended well left a process behind in its group and another one in a session of its
  // own, both ignoring SIGTERM: neither survives mpp-run.
  ScratchDir dir;
  KillAtEnd cleanup;
  write_file(dir / "stay.sh", "trap '' TERM\n" + write_pid("$1") + "\nexec sleep 30\n");
  const std::string job = "sh -c 'sh " + (dir / "stay.sh") + " " + (dir / "grouped") + " & setsid sh " +
                          (dir / "stay.sh") + " " + (dir / "away") + " & " + wait_for(dir / "grouped") +
                          "; " + wait_for(dir / "away") + "'";
  const Result r = run({job});
  cleanup.add(read_pid(dir / "grouped"));
  cleanup.add(read_pid(dir / "away"));
  EXPECT_EQ(r.code(), 0) << r;
  // mpp-run, their subreaper, has killed and reaped them before it exited.
  EXPECT_TRUE(ended_within(read_pid(dir / "grouped"), 0s));
  EXPECT_TRUE(ended_within(read_pid(dir / "away"), 0s));
}

TEST(MppRunJobs, RetriesSucceedOnTheSecondTry) {
  ScratchDir dir;
  const std::string state = dir / "state";
  const std::string log = dir / "log";
  // Fails the first time (and leaves a mark), succeeds the second.
  const std::string job = "sh -c 'echo try >> " + (dir / "tries") + "; if [ -e " + state +
                          " ]; then echo ok; else touch " + state + "; echo failing; exit 1; fi'";
  const Result r = run({"--retries", "2", "--joblog", log, job});
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, "ok\n");  // only the last try's output
  EXPECT_EQ(lines_of(read_file(dir / "tries")).size(), 2u);
  const auto rows = lines_of(read_file(log));
  ASSERT_EQ(rows.size(), 2u);  // one row per job, for its last try
  EXPECT_NE(rows[1].find("\t0\t0\tsh -c"), std::string::npos) << rows[1];
}

TEST(MppRunJobs, RetriesGiveUp) {
  ScratchDir dir;
  const std::string job = "sh -c 'echo try >> " + (dir / "tries") + "; exit 1'";
  const Result r = run({"--retries", "3", job});
  EXPECT_EQ(r.code(), 1) << r;
  EXPECT_EQ(lines_of(read_file(dir / "tries")).size(), 3u);
  std::filesystem::remove(dir / "tries");
  EXPECT_EQ(run({job}).code(), 1);  // no --retries: one try
  EXPECT_EQ(lines_of(read_file(dir / "tries")).size(), 1u);
}

TEST(MppRunJobs, HaltNowKillsTheRunningJobs) {
  ScratchDir dir;
  // The second job starts, then the first fails: the second is killed, the third never starts.
  const Result r =
      run({"-j", "2", "--halt", "now,fail=1", "sh -c '" + wait_for(dir / "started") + "; exit 4'",
           "sh -c 'echo $$ > " + (dir / "pid") + "; touch " + (dir / "started") + "; exec sleep 30'",
           "touch " + (dir / "third")});
  // As GNU parallel's: after fail=1, the failed job's own exit status.
  EXPECT_EQ(r.code(), 4) << r;
  EXPECT_NE(r.err.find("--halt now"), std::string::npos) << r;
  EXPECT_NE(r.err.find("1 not started"), std::string::npos) << r;
  EXPECT_FALSE(std::filesystem::exists(dir / "third"));
  const pid_t pid = std::stoi(read_file(dir / "pid"));
  EXPECT_TRUE(wait_until([&] { return read_file("/proc/" + std::to_string(pid) + "/stat").empty(); }));
}

TEST(MppRunJobs, HaltSoonLetsTheRunningJobsFinish) {
  ScratchDir dir;
  const std::string log = dir / "log";
  // The second job finishes only after mpp-run has seen the first fail: it must still finish.
  const Result r =
      run({"-j", "2", "--halt", "soon,fail=1", "--joblog", log,
           "sh -c '" + wait_for(dir / "started") + "; exit 4'",
           "sh -c 'touch " + (dir / "started") + "; " + wait_for_log(log, 1) + "; echo second done'",
           "touch " + (dir / "third")});
  EXPECT_EQ(r.code(), 4) << r;
  EXPECT_EQ(r.out, "second done\n");
  EXPECT_NE(r.err.find("--halt soon"), std::string::npos) << r;
  EXPECT_FALSE(std::filesystem::exists(dir / "third"));
}

TEST(MppRunJobs, HaltAfterSeveralFailures) {
  ScratchDir dir;
  const Result r =
      run({"-j", "1", "--halt", "soon,fail=2", "false", "true", "false", "touch " + (dir / "fourth")});
  EXPECT_EQ(r.code(), 2) << r;
  EXPECT_FALSE(std::filesystem::exists(dir / "fourth"));
}

// Eight jobs at once, each writing many lines to both streams as fast as it can, several times the
// size of a pipe: every job's lines must come out together and in order.
TEST(MppRunJobs, OutputIsGroupedUnderLoad) {
  constexpr int k_jobs = 16;
  constexpr int k_lines = 4000;
  Words args{"-j", "8",
             "sh -c 'seq -f \"{}-out-%g\" 1 " + std::to_string(k_lines) + "; seq -f \"{}-err-%g\" 1 " +
                 std::to_string(k_lines) + " >&2; seq -f \"{}-out2-%g\" 1 " + std::to_string(k_lines) + "'",
             ":::"};
  for (int i = 0; i < k_jobs; ++i) args.push_back("job" + std::to_string(i));
  const Result r = run(args);
  ASSERT_EQ(r.code(), 0) << r;
  for (const auto& [text, kinds] : {std::pair{r.out, Words{"out", "out2"}}, std::pair{r.err, Words{"err"}}}) {
    const auto lines = lines_of(text);
    ASSERT_EQ(lines.size(), static_cast<std::size_t>(k_jobs * k_lines) * kinds.size());
    // Runs of lines from the same job: exactly one run per job, holding its lines in order.
    std::map<std::string, int> runs;
    std::size_t i = 0;
    while (i < lines.size()) {
      const std::string job = lines[i].substr(0, lines[i].find('-'));
      ++runs[job];
      std::size_t n = 0;
      for (const std::string& kind : kinds) {
        for (int line = 1; line <= k_lines; ++line, ++n) {
          ASSERT_LT(i + n, lines.size());
          ASSERT_EQ(lines[i + n], job + "-" + kind + "-" + std::to_string(line));
        }
      }
      i += n;
    }
    EXPECT_EQ(runs.size(), static_cast<std::size_t>(k_jobs));
    for (const auto& [job, count] : runs) EXPECT_EQ(count, 1) << job;
  }
}

TEST(MppRunJobs, TimeoutKillsWhileStandardOutputIsBlocked) {
  // The first job's output waits for a reader that never reads; the second job's timeout is
  // enforced all the same, while mpp-run still runs.
  ScratchDir dir;
  KillAtEnd cleanup;
  Tool tool({"-j1", "--timeout", "0.5", "head -c 1000000 /dev/zero",
             "sh -c '" + write_pid(dir / "second") + "; exec sleep 30'"});
  tool.hold_output();
  const pid_t second = cleanup.add(read_pid(dir / "second"));
  ASSERT_GT(second, 0) << "the second job never started: mpp-run is stuck writing the first's output";
  EXPECT_TRUE(ended_within(second, 10s)) << "the timeout was not enforced";
  EXPECT_EQ(::kill(tool.pid(), 0), 0) << "mpp-run ended with its output unwritten";
  tool.close_output();  // the reader goes: mpp-run stops as for `| head`
  const Result r = tool.finish(10s);
  EXPECT_FALSE(r.timed_out) << r;
  EXPECT_EQ(r.code(), 128 + SIGPIPE) << r;
}

TEST(MppRunJobs, NoJobStartsWhileMuchOutputWaits) {
  // Output a reader does not take is not piled up without end: past a few MiB waiting, the next
  // job waits for the reader, as it would behind a blocking write.
  ScratchDir dir;
  Words args{"-j1"};
  for (int i = 0; i < 4; ++i) {
    args.push_back("sh -c 'head -c 3000000 /dev/zero; touch " + (dir / ("ran" + std::to_string(i))) + "'");
  }
  Tool tool(args);
  tool.hold_output();
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(dir / "ran1"); }));
  // Two jobs' output (6 MB) waits: the third does not start, however long we look.
  EXPECT_FALSE(wait_until([&] { return std::filesystem::exists(dir / "ran2"); }, 300ms));
  tool.close_output();
  const Result r = tool.finish();
  EXPECT_EQ(r.code(), 128 + SIGPIPE) << r;
  EXPECT_FALSE(std::filesystem::exists(dir / "ran3"));
}

TEST(MppRunJobs, JobsAboveTheOpenFileLimitAreLowered) {
  // -j 100 with descriptors for far fewer (3 each): a warning, then every job runs, fewer at once,
  // instead of failing half-way (GNU parallel does the same).
  Words args{"-j", "100", "-k", "echo", ":::"};
  std::string expected;
  for (int i = 0; i < 100; ++i) {
    args.push_back(std::to_string(i));
    expected += std::to_string(i) + "\n";
  }
  Tool tool(args, {}, false, {"/bin/sh", "-c", "ulimit -n 48 && exec \"$0\" \"$@\""});
  const Result r = tool.finish();
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, expected);
  EXPECT_NE(r.err.find("warning: only enough file descriptors to run"), std::string::npos) << r;
  EXPECT_NE(r.err.find("ulimit -n"), std::string::npos) << r;
}

// The descriptor of mpp-run that reads the standard output of its job `job`: the first one it
// opened for that job (pipe2 takes the lowest numbers free), so every lower one is held by mpp-run
// for its whole run.
int job_output_descriptor(pid_t tool, pid_t job) {
  std::error_code error;
  const auto target = std::filesystem::read_symlink("/proc/" + std::to_string(job) + "/fd/1", error);
  for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(tool) + "/fd")) {
    if (std::filesystem::read_symlink(entry.path(), error) == target)
      return std::stoi(entry.path().filename());
  }
  return -1;
}

// The open-file limit of the running mpp-run lowered, while its first job runs (it prints "first"
// and waits for the file "go"), to the first descriptor that job holds: once it ends, no other job
// can get its pipes (RLIMIT_NOFILE bounds the numbers of new descriptors, and every lower one stays
// taken). Not lower: poll() refuses more descriptors than the limit.
// `started`: pid files (write_pid) of other jobs that must have started first.
Result lower_the_file_limit_during_a_job(const ScratchDir& dir, Words args, const Words& more,
                                         const Words& started = {}) {
  args.push_back("sh -c 'echo first; " + write_pid(dir / "first") + "; " + wait_for(dir / "go") + "'");
  args.insert(args.end(), more.begin(), more.end());
  Tool tool(args);
  const pid_t first = read_pid(dir / "first");
  EXPECT_GT(first, 0);
  for (const std::string& path : started) EXPECT_GT(read_pid(path), 0) << path;
  const int lowest = job_output_descriptor(tool.pid(), first);
  EXPECT_GT(lowest, 2);
  rlimit files{};
  EXPECT_EQ(::prlimit(tool.pid(), RLIMIT_NOFILE, nullptr, &files), 0);
  files.rlim_cur = static_cast<rlim_t>(lowest);
  EXPECT_EQ(::prlimit(tool.pid(), RLIMIT_NOFILE, &files, nullptr), 0);
  write_file(dir / "go", "");
  return tool.finish();
}

TEST(MppRunJobs, NoDescriptorForAnyJobIsAClearError) {
  ScratchDir dir;
  const Result r = lower_the_file_limit_during_a_job(dir, {"-j1"}, {"touch " + (dir / "second")});
  EXPECT_EQ(r.code(), 255) << r;
  EXPECT_NE(r.err.find("cannot start a job: the open-file limit (ulimit -n: "), std::string::npos) << r;
  EXPECT_EQ(r.err.find("pipe2"), std::string::npos) << r;
  EXPECT_EQ(r.out, "first\n") << r;  // the output of the job that ran is still written
  EXPECT_FALSE(std::filesystem::exists(dir / "second"));
}

TEST(MppRunJobs, NoDescriptorForAnotherJobWaitsForTheRunningOnes) {
  ScratchDir dir;
  // Both slots taken: the second job runs until the first's joblog row is written, which mpp-run
  // does before it tries the next job (it reaps the second only after that). The third cannot
  // start beside it: mpp-run runs fewer at once and waits for the second, whose output is kept;
  // then it cannot start alone either.
  const std::string log = dir / "log";
  const Result r = lower_the_file_limit_during_a_job(
      dir, {"-j2", "--joblog", log},
      {"sh -c '" + write_pid(dir / "second") + "; " + wait_for_log(log, 1) + "; echo second'", "echo third"},
      {dir / "second"});
  EXPECT_EQ(r.code(), 255) << r;
  EXPECT_NE(r.err.find("warning: the open-file limit (ulimit -n: "), std::string::npos) << r;
  EXPECT_NE(r.err.find("cannot start a job: the open-file limit (ulimit -n: "), std::string::npos) << r;
  EXPECT_EQ(r.out, "first\nsecond\n") << r << "\n--- joblog ---\n" << read_file(log);
}

}  // namespace
}  // namespace mpp_run_test
