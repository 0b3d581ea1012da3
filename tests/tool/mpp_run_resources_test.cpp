// mpp-run, the real binary: --memfree and --load hold starts while the machine is short of memory
// or busy, and resume them once it is not; one job always runs when none does. The machine's
// state comes from files named by MPP_RUN_MEMINFO and MPP_RUN_LOADAVG (the test aid of
// src/run/resources.hpp), never from the real machine. Also -S/--sshlogin refused, and --eta and
// --progress drawing the bar on a standard error that is no terminal.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tool_support.hpp"

namespace mpp_run_test {
namespace {

using Words = std::vector<std::string>;

// mpp-run `args` with `variable` (NAME=FILE) in its environment.
Result run_with(const std::string& variable, const Words& args) {
  Tool tool(args, {}, false, {"env", variable});
  return tool.finish();
}

struct Row {
  double start = 0;
  double runtime = 0;
};

// The joblog's rows by Seq: Starttime and JobRuntime.
std::map<int, Row> rows_of(const std::string& log) {
  std::map<int, Row> rows;
  std::istringstream in(read_file(log));
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::istringstream row(line);
    std::string seq, host, start, runtime;
    std::getline(row, seq, '\t');
    std::getline(row, host, '\t');
    std::getline(row, start, '\t');
    std::getline(row, runtime, '\t');
    rows[std::stoi(seq)] = Row{std::stod(start), std::stod(runtime)};
  }
  return rows;
}

// The two ways of holding a start: the file that says "short" and "enough", and the option.
struct Case {
  const char* variable;
  const char* short_of;
  const char* enough;
  Words option;
};

const Case k_cases[] = {
    {"MPP_RUN_MEMINFO",
     "MemTotal: 900000 kB\nMemAvailable:      1000 kB\n",
     "MemTotal: 900000 kB\nMemAvailable:    800000 kB\n",
     {"--memfree", "500M"}},
    {"MPP_RUN_LOADAVG", "7.50 3.00 1.00 3/200 4242\n", "0.20 3.00 1.00 1/200 4242\n", {"--load", "2.5"}},
};

TEST(MppRunResources, HeldWhileShortThenResumedWhileTheFirstJobStillRuns) {
  for (const Case& c : k_cases) {
    ScratchDir dir;
    const std::string state = dir / "state";
    const std::string log = dir / "log";
    write_file(state, c.short_of);
    write_file(dir / "enough", c.enough);
    // The first job starts (none runs), holds the machine "short" for a while, then makes it
    // "enough" and waits for the second job, which may start only then.
    const std::string first = "sleep 0.3; date +%s.%N > " + (dir / "flipped") + "; cp " + (dir / "enough") +
                              " " + state + ".tmp && mv " + state + ".tmp " + state + "; " +
                              wait_for(dir / "second");
    Words args = c.option;
    args.insert(args.end(), {"-j", "2", "--joblog", log, first, "touch " + (dir / "second")});
    const Result r = run_with(std::string(c.variable) + "=" + state, args);
    EXPECT_EQ(r.code(), 0) << c.variable << ": " << r;
    const std::map<int, Row> rows = rows_of(log);
    ASSERT_EQ(rows.size(), 2u) << read_file(log);
    const double flipped = std::stod(read_file(dir / "flipped"));
    // The joblog's times have milliseconds: allow for their rounding.
    EXPECT_GE(rows.at(2).start, flipped - 0.002) << c.variable;
    // ... and the first job still ran: the second did not wait for a free slot.
    EXPECT_LT(rows.at(2).start, rows.at(1).start + rows.at(1).runtime) << c.variable;
  }
}

TEST(MppRunResources, OneJobAlwaysRunsWhenNoneDoes) {
  for (const Case& c : k_cases) {
    ScratchDir dir;
    const std::string state = dir / "state";
    const std::string log = dir / "log";
    write_file(state, c.short_of);
    // Never enough: the jobs run one after the other, never two at once, and all of them run.
    Words args = c.option;
    args.insert(args.end(), {"-j", "3", "-k", "--joblog", log, "sleep 0.05; echo", ":::", "a", "b", "c"});
    const Result r = run_with(std::string(c.variable) + "=" + state, args);
    EXPECT_EQ(r.code(), 0) << c.variable << ": " << r;
    EXPECT_EQ(r.out, "a\nb\nc\n") << c.variable;
    const std::map<int, Row> rows = rows_of(log);
    ASSERT_EQ(rows.size(), 3u) << read_file(log);
    for (int seq = 2; seq <= 3; ++seq) {
      const Row& before = rows.at(seq - 1);
      EXPECT_GE(rows.at(seq).start, before.start + before.runtime - 0.002) << c.variable << " job " << seq;
    }
  }
}

TEST(MppRunResources, EnoughStartsEveryJobAtOnce) {
  for (const Case& c : k_cases) {
    ScratchDir dir;
    const std::string state = dir / "state";
    write_file(state, c.enough);
    // Each job waits for the other: they end only when both run at once.
    Words args = c.option;
    args.insert(args.end(),
                {"-j", "2", "touch " + (dir / "a") + "; " + wait_for(dir / "b") + "; test -e " + (dir / "b"),
                 "touch " + (dir / "b") + "; " + wait_for(dir / "a") + "; test -e " + (dir / "a")});
    const Result r = run_with(std::string(c.variable) + "=" + state, args);
    EXPECT_EQ(r.code(), 0) << c.variable << ": " << r;
  }
}

TEST(MppRunResources, UnreadableSourceIsRefusedBeforeAnyJob) {
  for (const Case& c : k_cases) {
    ScratchDir dir;
    write_file(dir / "garbage", "nothing to see\n");
    for (const std::string& source : {dir / "missing", dir / "garbage"}) {
      Words args = c.option;
      args.insert(args.end(), {"touch " + (dir / "ran")});
      const Result r = run_with(std::string(c.variable) + "=" + source, args);
      EXPECT_EQ(r.code(), 255) << r;
      EXPECT_NE(r.err.find(source), std::string::npos) << r;
      EXPECT_FALSE(std::filesystem::exists(dir / "ran"));
    }
  }
}

TEST(MppRunResources, BadValuesAreRefused) {
  ScratchDir dir;
  const std::string ran = dir / "ran";
  for (const Words& option :
       {Words{"--memfree", ""}, Words{"--memfree", "1Q"}, Words{"--memfree", "-1G"}, Words{"--memfree", "G"},
        Words{"--load", ""}, Words{"--load", "x"}, Words{"--load", "0"}, Words{"--load", "1%%"},
        Words{"--load", "-99999"}, Words{"--load", dir / "file"}}) {
    Words args = option;
    args.insert(args.end(), {"touch " + ran});
    const Result r = run(args);
    EXPECT_EQ(r.code(), 255) << option[0] << " '" << option[1] << "': " << r;
    EXPECT_NE(r.err.find(option[0]), std::string::npos) << r;
    EXPECT_FALSE(std::filesystem::exists(ran));
  }
}

TEST(MppRunSshlogin, RefusedBeforeAnyJobNamingWhatToDoInstead) {
  ScratchDir dir;
  const std::string ran = dir / "ran";
  for (const Words& option : {Words{"-S", "host"}, Words{"--sshlogin", "a,b"}, Words{"--slf", "hosts"},
                              Words{"--sshloginfile", ".."}, Words{"-S", ":", "-S", "host"}}) {
    Words args = option;
    args.insert(args.end(), {"touch " + ran});
    const Result r = run(args);
    EXPECT_EQ(r.code(), 255) << r;
    EXPECT_NE(r.err.find("not available in mpp-run yet; run mpp-run on each machine"), std::string::npos)
        << r;
    EXPECT_FALSE(std::filesystem::exists(ran));
  }
}

TEST(MppRunProgress, EtaAndProgressDrawTheBarOnStandardErrorThatIsNoTerminal) {
  for (const char* option : {"--eta", "--progress", "--bar"}) {
    const Result r = run({option, "-k", "-j", "2", "echo", ":::", "a", "b", "c"});
    EXPECT_EQ(r.code(), 0) << r;
    EXPECT_EQ(r.out, "a\nb\nc\n") << option;  // standard output as without the option
    EXPECT_NE(r.err.find("100% 3/3"), std::string::npos) << option << ": " << r;
  }
  // --no-bar wins: mpp-run's own switch.
  const Result quiet = run({"--eta", "--no-bar", "echo", ":::", "a"});
  EXPECT_EQ(quiet.out, "a\n");
  EXPECT_EQ(quiet.err, "");
  // Flags: a value is a mistake.
  EXPECT_EQ(run({"--eta=1", "echo", ":::", "a"}).code(), 255);
}

}  // namespace
}  // namespace mpp_run_test
