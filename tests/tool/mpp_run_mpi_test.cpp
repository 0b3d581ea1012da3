// mpp-run under mpirun (docs/mpp-run.md, "Across machines (MPI)"): rank 0 reads and writes, the other
// ranks run the jobs. Run through scripts/mpirun-local (more ranks than cores on purpose). A job
// knows its rank from Open MPI's OMPI_COMM_WORLD_RANK, which its rank passes on.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <csignal>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tool_support.hpp"

namespace mpp_run_test {
namespace {

using Words = std::vector<std::string>;
using namespace std::chrono_literals;

// mpp-run on `ranks` ranks of this machine.
// `mpirun_options` go to mpirun before the program.
Result run_on(int ranks, const Words& args, std::chrono::nanoseconds limit = 60s,
              const Words& mpirun_options = {}) {
  Words launcher{MPP_MPIRUN_LOCAL, MPP_MPIEXEC, std::to_string(ranks)};
  launcher.insert(launcher.end(), mpirun_options.begin(), mpirun_options.end());
  Tool tool(args, {}, false, launcher);
  return tool.finish(limit);
}

std::string this_host() {
  char name[HOST_NAME_MAX + 1] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

// Whether the job ended with exit status 75 (a rank lost: docs/mpi.md). Open MPI 4.1.4's mpirun has
// been seen to crash or hang in its own shutdown after it reported rank 0's exit code 75: that counts.
bool ended_75(const Result& r) {
  if (r.code() == 75) return true;
  const std::string all = r.out + r.err;
  const std::size_t at = all.find("Exit code:");
  return at != std::string::npos && all.find_first_not_of(' ', at + 10) == all.find("75", at + 10);
}

// A job that, on rank 2, sends `signal` to its rank (the parent of the local worker that runs the
// job) and then runs `then`; elsewhere runs `otherwise`.
std::string signal_rank_2(const std::string& signal, const std::string& then, const std::string& otherwise) {
  return "sh -c 'if [ $OMPI_COMM_WORLD_RANK = 2 ]; then kill -" + signal +
         " $(cut -d\" \" -f4 /proc/$PPID/stat); " + then + "; else " + otherwise + "; fi'";
}

// The joblog's rows (its header left out), each split at its TABs.
std::vector<Words> joblog_rows(const std::string& path) {
  std::vector<Words> rows;
  const std::vector<std::string> lines = lines_of(read_file(path));
  for (std::size_t i = 1; i < lines.size(); ++i) {
    Words fields;
    std::stringstream line(lines[i]);
    for (std::string field; std::getline(line, field, '\t');) fields.push_back(field);
    rows.push_back(fields);
  }
  return rows;
}

TEST(MppRunMpi, TheServingRanksRunTheJobsInInputOrderWithKeepOrder) {
  ScratchDir dir;
  // Two jobs that can only end if they run at once (each waits for the other's file), on two ranks
  // that run one job each: so both serving ranks run jobs; rank 0 runs none. The other jobs print
  // their number.
  const std::string meet = "sh -c 'touch " + (dir / "{}") + "; " + wait_for(dir / "a") + "; " +
                           wait_for(dir / "b") + "; echo {} $OMPI_COMM_WORLD_RANK'";
  const Result r = run_on(3, {"-k", "-j1", meet, ":::", "a", "b"});
  ASSERT_EQ(r.code(), 0) << r;
  const std::vector<std::string> lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 2u) << r;
  EXPECT_EQ(lines[0].substr(0, 2), "a ");
  EXPECT_EQ(lines[1].substr(0, 2), "b ");
  EXPECT_EQ(std::set<std::string>({lines[0].substr(2), lines[1].substr(2)}),
            std::set<std::string>({"1", "2"}));

  const Result order =
      run_on(3, {"-k", "-j2", "echo", ":::", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"});
  ASSERT_EQ(order.code(), 0) << order;
  EXPECT_EQ(order.out, "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n");
}

TEST(MppRunMpi, EveryInputFormWorks) {
  ScratchDir dir;
  write_file(dir / "list", "x\ny\n");
  const Result files = run_on(3, {"-k", "echo", "{}", "{#}", "::::", dir / "list", ":::", "1", "2"});
  ASSERT_EQ(files.code(), 0) << files;
  EXPECT_EQ(files.out, "x 1 1\nx 2 2\ny 1 3\ny 2 4\n");
  Tool piped({"-k", "echo", "in"}, "p\nq\n", false, {MPP_MPIRUN_LOCAL, MPP_MPIEXEC, "3"});
  const Result stdin_input = piped.finish(60s);
  ASSERT_EQ(stdin_input.code(), 0) << stdin_input;
  EXPECT_EQ(stdin_input.out, "in p\nin q\n");
}

TEST(MppRunMpi, TheJoblogNamesTheHostOfEachJob) {
  ScratchDir dir;
  const std::string log = dir / "log";
  const Result r = run_on(3, {"--joblog", log, "sh -c 'exit {}'", ":::", "0", "3", "0"});
  EXPECT_EQ(r.code(), 1) << r;  // one failed
  const std::vector<Words> rows = joblog_rows(log);
  ASSERT_EQ(rows.size(), 3u) << read_file(log);
  for (const Words& row : rows) {
    ASSERT_EQ(row.size(), 9u) << read_file(log);
    EXPECT_EQ(row[1], this_host());
    EXPECT_EQ(row[6], row[0] == "2" ? "3" : "0") << read_file(log);
  }
}

TEST(MppRunMpi, OutputTagsSeqAndFailuresKeepTheirMeaning) {
  const Result r =
      run_on(3, {"-k", "--tag", "sh -c 'echo out {} {#}; echo err {} >&2; exit {}'", ":::", "0", "2"});
  EXPECT_EQ(r.code(), 1) << r;
  EXPECT_EQ(r.out, "0\tout 0 1\n2\tout 2 2\n");
  EXPECT_NE(r.err.find("0\terr 0\n"), std::string::npos) << r;
  EXPECT_NE(r.err.find("2\terr 2\n"), std::string::npos) << r;
  // A program that is not there: 127, as the shell's.
  const Result missing = run_on(2, {"no-such-program-mpp", ":::", "a"});
  EXPECT_EQ(missing.code(), 1) << missing;
  EXPECT_NE(missing.err.find("no-such-program-mpp: command not found"), std::string::npos) << missing;
}

TEST(MppRunMpi, TimeoutAndRetriesWorkOnTheRanks) {
  ScratchDir dir;
  const std::string log = dir / "log";
  const Result r = run_on(2, {"--timeout", "0.5", "--joblog", log, "sleep", ":::", "30", "0"});
  EXPECT_EQ(r.code(), 1) << r;
  EXPECT_NE(r.err.find("timed out after 0.5 s, killed: sleep 30"), std::string::npos) << r;
  for (const Words& row : joblog_rows(log)) {
    ASSERT_EQ(row.size(), 9u);
    EXPECT_EQ(row[6], row[8] == "sleep 30" ? "-1" : "0") << read_file(log);
  }
  // --retries: the job fails twice (its counter file) and succeeds the third time.
  const std::string count = dir / "count";
  const Result retried = run_on(
      3, {"--retries", "3", "sh -c 'echo x >> " + count + "; test $(wc -l < " + count + ") -ge 3 && echo ok'",
          ":::", "1"});
  EXPECT_EQ(retried.code(), 0) << retried;
  EXPECT_EQ(retried.out, "ok\n");
}

TEST(MppRunMpi, HaltNowStopsTheRunningJobsAndWhatTheyStarted) {
  ScratchDir dir;
  // The second job starts `sleep` in the background and waits for it; the first fails once it has:
  // --halt now stops the second on its rank, the background sleep included.
  const std::string bg = dir / "bg";
  const std::string job = "sh -c 'if [ {} = fail ]; then " + wait_for(bg) +
                          "; exit 1; fi; sleep 300 & echo $! > " + bg + ".tmp && mv " + bg + ".tmp " + bg +
                          "; wait'";
  const Result r = run_on(3, {"-j1", "--halt", "now,fail=1", job, ":::", "fail", "stay"});
  EXPECT_EQ(r.code(), 1) << r;
  EXPECT_NE(r.err.find("--halt now: stopped after 1 failed job"), std::string::npos) << r;
  KillAtEnd cleanup;
  const pid_t sleeper = cleanup.add(read_pid(bg));
  ASSERT_GT(sleeper, 0);
  EXPECT_TRUE(ended_within(sleeper, 10s));
}

// The pid of rank `rank` among mpirun's children, or 0.
pid_t rank_pid(pid_t mpirun, int rank) {
  const std::string wanted = std::string("OMPI_COMM_WORLD_RANK=") + std::to_string(rank);
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = read_file("/proc/" + name + "/stat");
    const std::size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::stringstream fields(stat.substr(close + 2));
    std::string state;
    pid_t parent = 0;
    fields >> state >> parent;
    if (parent != mpirun) continue;
    std::string env = read_file("/proc/" + name + "/environ");
    std::replace(env.begin(), env.end(), '\0', '\n');
    if (("\n" + env).find("\n" + wanted + "\n") != std::string::npos) return std::stoi(name);
  }
  return 0;
}

// A job that starts `sleep 300` in the background, writes its pid to `bg` and waits for it.
std::string background_sleeper(const std::string& bg) {
  return "sh -c 'sleep 300 & echo $! > " + bg + ".tmp && mv " + bg + ".tmp " + bg + "; wait'";
}

TEST(MppRunMpi, SigtermToRankZeroStopsEveryJobAndSaysSo) {
  ScratchDir dir;
  const std::string log = dir / "log";
  const std::string bg = dir / "bg";
  Tool tool({"-j1", "--joblog", log, background_sleeper(bg), ":::", "1"}, {}, false,
            {MPP_MPIRUN_LOCAL, MPP_MPIEXEC, "2"});
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(bg); })) << tool.finish(60s);
  KillAtEnd cleanup;
  const pid_t sleeper = cleanup.add(read_pid(bg));
  ASSERT_GT(sleeper, 0);
  const pid_t rank0 = rank_pid(tool.pid(), 0);
  ASSERT_GT(rank0, 0) << tool.finish(60s);
  ASSERT_EQ(::kill(rank0, SIGTERM), 0);
  const Result r = tool.finish(60s);
  EXPECT_FALSE(r.timed_out) << r;
  EXPECT_NE(r.code(), 0) << r;
  EXPECT_NE(r.err.find("mpp-run: SIGTERM: stopped the running jobs"), std::string::npos) << r;
  EXPECT_TRUE(ended_within(sleeper, 10s));
  EXPECT_TRUE(joblog_rows(log).empty()) << read_file(log);  // --resume runs the stopped job again
}

TEST(MppRunMpi, CtrlCToMpirunEndsEveryJobWithoutHanging) {
  ScratchDir dir;
  const std::string bg = dir / "bg";
  Tool tool({"-j1", background_sleeper(bg), ":::", "1"}, {}, false, {MPP_MPIRUN_LOCAL, MPP_MPIEXEC, "2"});
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(bg); })) << tool.finish(60s);
  KillAtEnd cleanup;
  const pid_t sleeper = cleanup.add(read_pid(bg));
  ASSERT_GT(sleeper, 0);
  ASSERT_EQ(::kill(tool.pid(), SIGINT), 0);
  const Result r = tool.finish(60s);
  EXPECT_FALSE(r.timed_out) << r;
  EXPECT_NE(r.code(), 0) << r;
  // What a job started in the background ends too, though Open MPI may SIGKILL rank 0 before it
  // can stop anything (docs/mpp-run.md): the ranks' workers and watchers end the jobs.
  EXPECT_TRUE(ended_within(sleeper, 10s));
}

TEST(MppRunMpi, OptionsThatCannotWorkAcrossRanksAreRefused) {
  for (const Words& args :
       {Words{"--pipe", "cat"}, Words{"--pipepart", "-a", "/etc/passwd", "cat"},
        Words{"-u", "echo", ":::", "a"}, Words{"--line-buffer", "echo", ":::", "a"},
        Words{"--memfree", "1M", "echo", ":::", "a"}, Words{"--load", "100%", "echo", ":::", "a"}}) {
    const Result r = run_on(2, args);
    EXPECT_EQ(r.code(), 255) << r;
    EXPECT_NE(r.err.find(args[0] + " does not work across MPI ranks"), std::string::npos) << r;
    EXPECT_EQ(r.out, "") << r;
  }
}

TEST(MppRunMpi, AFrozenRankFailsItsJobAndTheOthersRunElsewhere) {
  ScratchDir dir;
  const std::string log = dir / "log";
  // A job on rank 2 stops its rank (the parent of the local worker running the job) with SIGSTOP,
  // then says so; the jobs on rank 1 wait for that before they end. Rank 0 gives rank 2 up after
  // rank_timeout (10 s): its job fails, the others run on rank 1, and the job ends with exit
  // status 75 (docs/mpi.md).
  const std::string job =
      signal_rank_2("STOP", "touch " + (dir / "frozen"), wait_for(dir / "frozen") + "; echo done {}");
  const Result r = run_on(3, {"-j1", "--joblog", log, job, ":::", "1", "2", "3", "4", "5"}, 90s);
  EXPECT_TRUE(ended_75(r)) << r;
  EXPECT_NE(r.err.find("rank 2 (" + this_host() + ")"), std::string::npos) << r;
  EXPECT_NE(r.err.find("job failed: "), std::string::npos) << r;
  const std::vector<Words> rows = joblog_rows(log);
  ASSERT_EQ(rows.size(), 5u) << read_file(log);
  std::size_t lost = 0;
  for (const Words& row : rows) {
    lost += row[6] == "255";
    EXPECT_EQ(row[1], this_host()) << read_file(log);  // the lost job's too, from the rank's message
  }
  EXPECT_GE(lost, 1u) << read_file(log);
  const std::vector<std::string> lines = lines_of(r.out);
  const auto done = static_cast<std::size_t>(std::count_if(
      lines.begin(), lines.end(), [](const std::string& line) { return line.starts_with("done "); }));
  EXPECT_EQ(done + lost, 5u) << r;
}

TEST(MppRunMpi, AKilledRankEndsTheWholeJobWithoutHanging) {
  ScratchDir dir;
  const std::string log = dir / "log";
  // A job on rank 2 kills its rank (SIGKILL) once the job on rank 1 runs: MPI ends the whole job,
  // mpirun naming the rank and sending SIGTERM to rank 0, which stops its jobs as on Ctrl-C and
  // writes what it has. Open MPI sends SIGKILL 1 s after SIGTERM by default, too little on a loaded
  // machine: the grace is raised as docs/mpp-run.md tells users to.
  const std::string job = "sh -c 'if [ $OMPI_COMM_WORLD_RANK = 2 ]; then " + wait_for(dir / "running") +
                          "; kill -KILL $(cut -d\" \" -f4 /proc/$PPID/stat); else touch " +
                          (dir / "running") + "; " + wait_for(dir / "never") + "; fi'";
  const Result r = run_on(3, {"-j1", "--joblog", log, job, ":::", "1", "2", "3"}, 60s,
                          {"--mca", "odls_base_sigkill_timeout", "5"});
  EXPECT_FALSE(r.timed_out) << r;
  EXPECT_NE(r.code(), 0) << r;
  EXPECT_NE((r.out + r.err).find("rank 2"), std::string::npos) << r;
  EXPECT_NE(r.err.find("mpp-run: SIGTERM: stopped the running jobs"), std::string::npos) << r;
  // The job on rank 1 was stopped, so it has no row (--resume runs it again), and neither has the
  // job of the rank that died.
  EXPECT_TRUE(joblog_rows(log).empty()) << read_file(log);
}

}  // namespace
}  // namespace mpp_run_test
