// mpp-run, the real binary: where commands come from, quoting of hostile values, help and version,
// --dry-run, bad command lines, exit statuses and the joblog.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tool_support.hpp"

namespace mpp_run_test {
namespace {

using Words = std::vector<std::string>;

const Words k_hostile{
    "a b",
    "it's",
    "\"quoted\"",
    "$(touch PWNED)",
    "`touch PWNED`",
    "; touch PWNED",
    "a\nb",
    "-n",
    "--help",
    "",
    "*",
    "~",
    "$HOME",
    "a\\b",
    "'",
    "{}",
    "a&b|c",
    "x=1",
};

std::string expected_lines(const Words& values) {
  std::string text;
  for (const std::string& v : values) text += v + "\n";
  return text;
}

TEST(MppRun, EachArgumentIsACommand) {
  const Result r = run({"-k", "echo one", "echo two; echo err >&2", "printf '%s|' a 'b c'"});
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, "one\ntwo\na|b c|");
  EXPECT_EQ(r.err, "err\n");
}

TEST(MppRun, CommandsFromStandardInput) {
  const Result r = run({"-k"}, "echo 1\n\necho 2\necho 3");
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, "1\n2\n3\n");
}

TEST(MppRun, CommandsAndValuesFromAFile) {
  ScratchDir dir;
  write_file(dir / "commands", "echo a\necho b\n");
  Result r = run({"-k", "-a", dir / "commands"});
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, "a\nb\n");
  write_file(dir / "values", "x y\n$(touch " + (dir / "PWNED") + ")\n");
  r = run({"-k", "--arg-file", dir / "values", "echo", "value:"});
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, "value: x y\nvalue: $(touch " + (dir / "PWNED") + ")\n");
  r = run({"-k", "-a", "-", "echo"}, "from stdin\n");
  EXPECT_EQ(r.out, "from stdin\n") << r;
  EXPECT_FALSE(std::filesystem::exists(dir / "PWNED"));
}

TEST(MppRun, TemplateWithValues) {
  const Result r = run({"-k", "echo", "[{}]", "{}", ":::", "a", "b"});
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, "[a] a\n[b] b\n");
  const Result appended = run({"-k", "echo", ":::", "x", "y"});
  EXPECT_EQ(appended.out, "x\ny\n") << appended;
  const Result commands = run({"-k", ":::", "echo p", "echo q"});
  EXPECT_EQ(commands.out, "p\nq\n") << commands;
}

// The values reach the program as single literal arguments, whether the command runs directly
// (no shell syntax) or through /bin/sh (the pipe), and nothing they hold is executed.
TEST(MppRun, HostileValuesRunDirectly) {
  ScratchDir dir;
  Words args{"-k", "-j", "4", "printf", "'%s\\n'", "{}", ":::"};
  args.insert(args.end(), k_hostile.begin(), k_hostile.end());
  const std::string cwd = std::filesystem::current_path().string();
  std::filesystem::current_path(dir.str());  // where PWNED would appear
  const Result r = run(args);
  std::filesystem::current_path(cwd);
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, expected_lines(k_hostile));
  EXPECT_FALSE(std::filesystem::exists(dir / "PWNED"));
}

TEST(MppRun, HostileValuesThroughTheShell) {
  ScratchDir dir;
  Words args{"-k", "-j", "4", "printf '%s\\n' {} | cat", ":::"};
  args.insert(args.end(), k_hostile.begin(), k_hostile.end());
  const std::string cwd = std::filesystem::current_path().string();
  std::filesystem::current_path(dir.str());
  const Result r = run(args);
  std::filesystem::current_path(cwd);
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, expected_lines(k_hostile));
  EXPECT_FALSE(std::filesystem::exists(dir / "PWNED"));
}

TEST(MppRun, DryRunPrintsTheQuotedCommands) {
  ScratchDir dir;
  const Result r = run({"--dry-run", "touch", dir / "{}", ":::", "a b", "it's", "c"});
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out,
            "touch " + dir.str() + "/'a b'\ntouch " + dir.str() + "/'it'\\''s'\ntouch " + dir.str() + "/c\n");
  EXPECT_TRUE(std::filesystem::is_empty(dir.str()));
}

TEST(MppRun, HelpAndVersion) {
  for (const char* flag : {"--help", "-h"}) {
    const Result r = run({flag});
    EXPECT_EQ(r.code(), 0) << r;
    EXPECT_NE(r.out.find("usage: mpp-run"), std::string::npos) << r;
    for (const char* option : {"--jobs", "--keep-order", "--timeout", "--retries", "--joblog", "--halt",
                               "--arg-file", "--dry-run", "--no-bar", "--version", "Exit status"}) {
      EXPECT_NE(r.out.find(option), std::string::npos) << option;
    }
  }
  const Result v = run({"--version"});
  EXPECT_EQ(v.code(), 0) << v;
  EXPECT_EQ(v.out.rfind("mpp-run (mpp) ", 0), 0u) << v;
}

TEST(MppRun, BadUsageExits255WithAMessage) {
  for (const Words& args :
       {Words{"--bogus", "true"}, Words{"-j", "1.5", "true"}, Words{"-j"}, Words{"--timeout", "x", "true"},
        Words{"--halt", "sometimes", "true"}, Words{"--retries", "many", "true"}, Words{"true", ":::+", "a"},
        Words{"true", "::::"}, Words{"-a", "/nonexistent/file"}}) {
    const Result r = run(args);
    EXPECT_EQ(r.code(), 255) << r;
    EXPECT_EQ(r.err.rfind("mpp-run: ", 0), 0u) << r;
    EXPECT_NE(r.err.find("mpp-run --help"), std::string::npos) << r;
    EXPECT_EQ(r.out, "");
  }
}

TEST(MppRun, RefusesGnuParallelFormsItDoesNotImplementBeforeAnyJob) {
  ScratchDir dir;
  const std::string marker = dir / "ran";
  // In the scratch folder: without the refusal, these jobs would create files named after the
  // values and replacement strings.
  const std::string touch = "cd " + dir.str() + " && touch ran";
  write_file(dir / "args", "a\n");
  struct Case {
    Words args;
    std::string input;    // mpp-run's standard input
    std::string message;  // a part of the error
  };
  const std::vector<Case> cases = {
      {{touch + " {1%}", ":::", "a"}, "", "'{1%}'"},
      {{touch + " {=uc=}", ":::", "a"}, "", "'{=uc=}'"},
      {{touch + " {1=uc=}", ":::", "a"}, "", "'{1=uc=}'"},
      {{"-a", dir / "args", touch + " {1#}"}, "", "'{1#}'"},
      {{"--results", dir / "out.csv", touch}, "", "csv"},
      {{"--tagstring", "{=uc=}", touch, ":::", "a"}, "", "--tagstring"},
      {{touch, "{}"}, "", "'{}' in a command without ::: or -a"},
      {{touch, "{.}"}, "", "'{.}' in a command without ::: or -a"},
      {{touch, ":::+", "b"}, "", "':::+' links to the input source before it"},
      {{touch, "::::"}, "", "'::::' needs a file name"},
      {{"-a", dir / "args", "-a", dir / "args", touch}, "", "--arg-file"},
      {{"--joblog", "+" + (dir / "log"), touch}, "", "--joblog +FILE"},
      {{"--pipepart", "-a", dir / "args", touch, ":::", "a"}, "", "--pipepart"},
      {{"--pipepart", "-a", dir.str(), touch}, "", "neither a file nor a block device"},
      {{"--xargs", touch}, "", "unknown option"},
  };
  for (const Case& c : cases) {
    const Result r = run(c.args, c.input);
    EXPECT_EQ(r.code(), 255) << c.args.front() << " " << c.args.back() << ": " << r;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r;
    EXPECT_EQ(r.err.rfind("mpp-run: ", 0), 0u) << r;
    EXPECT_FALSE(std::filesystem::exists(marker)) << "a job ran: " << c.args.front();
    std::filesystem::remove(marker);
  }
}

TEST(MppRun, BarIsDrawnOnlyOnATerminalUnlessAskedFor) {
  // Standard error is a pipe here: no bar by default, GNU parallel's --bar draws it all the same
  // (for a log, or zenity), and --no-bar wins.
  const Result plain = run({"-k", "echo", ":::", "a", "b"});
  EXPECT_EQ(plain.code(), 0) << plain;
  EXPECT_EQ(plain.err, "");
  const Result asked = run({"--bar", "-k", "echo", ":::", "a", "b"});
  EXPECT_EQ(asked.code(), 0) << asked;
  EXPECT_EQ(asked.out, "a\nb\n");
  EXPECT_NE(asked.err.find("100% 2/2"), std::string::npos) << asked;
  EXPECT_TRUE(asked.err.ends_with("\n")) << asked;
  const Result off = run({"--bar", "--no-bar", "echo", ":::", "a"});
  EXPECT_EQ(off.err, "");
}

// The drawings of the bar in `err`, in order: the text between each '\r' and the escape that ends
// it, and the job output between them as lines of their own.
std::vector<std::string> bar_and_lines(const std::string& err) {
  std::vector<std::string> items;
  std::size_t i = 0;
  while (i < err.size()) {
    if (err[i] == '\r') {
      const std::size_t end = err.find('\033', i);
      if (end == std::string::npos) break;
      if (end > i + 1) items.push_back(err.substr(i + 1, end - i - 1));
      i = err.find('K', end) + 1;
    } else if (err[i] == '\n') {
      ++i;
    } else {
      const std::size_t end = err.find_first_of("\r\n", i);
      items.push_back(err.substr(i, end - i));
      i = end;
    }
  }
  return items;
}

TEST(MppRun, BarCountsEachJobBeforeItsOutput) {
  // One job at a time, each writing a line to standard error, where the bar is: the drawing that
  // follows job N's line counts N jobs done, and the last one all of them.
  const Result r =
      run({"--bar", "-j1", "sh -c 'echo job1 >&2'", "sh -c 'echo job2 >&2'", "sh -c 'echo job3 >&2'"});
  ASSERT_EQ(r.code(), 0) << r;
  const std::vector<std::string> items = bar_and_lines(r.err);
  for (int job = 1; job <= 3; ++job) {
    const std::string line = "job" + std::to_string(job);
    const auto at = std::find(items.begin(), items.end(), line);
    ASSERT_NE(at, items.end()) << line << " missing in " << r;
    ASSERT_NE(at + 1, items.end()) << "no bar after " << line << " in " << r;
    EXPECT_NE((at + 1)->find(" " + std::to_string(job) + "/3 "), std::string::npos)
        << "after " << line << ": " << *(at + 1);
  }
  ASSERT_FALSE(items.empty());
  EXPECT_NE(items.back().find("100% 3/3"), std::string::npos) << items.back();
}

TEST(MppRun, CrlfArgumentFileGivesValuesWithoutCarriageReturns) {
  ScratchDir dir;
  write_file(dir / "args", "one\r\ntwo\r\n");
  const Result r = run({"-k", "-a", dir / "args", "printf '[%s]\\n'"});
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, "[one]\n[two]\n");
}

TEST(MppRun, NulInInputExits255) {
  const Result r = run({}, std::string("true\nec\0ho\n", 11));
  EXPECT_EQ(r.code(), 255) << r;
  EXPECT_NE(r.err.find("NUL"), std::string::npos) << r;
  EXPECT_NE(r.err.find("<stdin>:2:3"), std::string::npos) << r;
}

TEST(MppRun, ExitStatusCountsFailedJobs) {
  EXPECT_EQ(run({"true", "true"}).code(), 0);
  EXPECT_EQ(run({}, "").code(), 0);  // nothing to do
  EXPECT_EQ(run({"true", "false", "sh -c 'exit 7'", "sh -c 'kill -9 $$'"}).code(), 3);
  const Result none = run({"-j", "8", "false", ":::"});
  EXPECT_EQ(none.code(), 0) << none;  // no values: no jobs
  // `test ''` fails, `test x` succeeds.
  Words args{"-j", "8", "test", ":::"};
  args.resize(args.size() + 102, "");
  EXPECT_EQ(run(args).code(), 101);  // 102 failed
  args.back() = "x";
  EXPECT_EQ(run(args).code(), 101);  // 101 failed
  args[args.size() - 2] = "x";
  EXPECT_EQ(run(args).code(), 100);
}

TEST(MppRun, MissingProgramFailsAs127) {
  ScratchDir dir;
  // Directly (mpp-run's message) and through the shell (sh's).
  const Result r =
      run({"--joblog", dir / "log", "mpp-run-no-such-program x", "mpp-run-no-such-program \"$HOME\""});
  EXPECT_EQ(r.code(), 2) << r;
  EXPECT_NE(r.err.find("mpp-run: mpp-run-no-such-program: command not found"), std::string::npos) << r;
  const std::string log = read_file(dir / "log");
  EXPECT_NE(log.find("\t127\t0\tmpp-run-no-such-program x\n"), std::string::npos) << log;
  EXPECT_NE(log.find("\t127\t0\tmpp-run-no-such-program \"$HOME\"\n"), std::string::npos) << log;
}

TEST(MppRun, ScriptWithoutInterpreterLineRunsInTheShell) {
  ScratchDir dir;
  write_file(dir / "script", "echo from script\n");
  std::filesystem::permissions(dir / "script", std::filesystem::perms::owner_all);
  const Result r = run({dir / "script"});
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, "from script\n");
}

TEST(MppRun, FindsProgramsOnPath) {
  ScratchDir dir;
  write_file(dir / "mpp-run-test-program", "#!/bin/sh\necho found \"$@\"\n");
  std::filesystem::permissions(dir / "mpp-run-test-program", std::filesystem::perms::owner_all);
  const std::string old_path = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe): one thread here
  ::setenv("PATH", (dir.str() + ":" + old_path).c_str(), 1);
  const Result r = run({"-k", "mpp-run-test-program a", "mpp-run-test-program b"});
  ::setenv("PATH", old_path.c_str(), 1);
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, "found a\nfound b\n");
}

TEST(MppRun, JoblogHasGnuParallelColumns) {
  ScratchDir dir;
  const Result r = run({"--joblog", dir / "log", "-k", "echo hello", "sh -c 'exit 3'",
                        "sh -c 'kill -TERM $$'", "echo x\necho y"});
  EXPECT_EQ(r.code(), 2) << r;
  const auto lines = lines_of(read_file(dir / "log"));
  ASSERT_EQ(lines.size(), 5u) << read_file(dir / "log");
  EXPECT_EQ(lines[0], "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand");
  // Rows as jobs end: find each by its sequence number.
  std::map<std::string, std::vector<std::string>> rows;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> fields;
    std::istringstream in(lines[i]);
    for (std::string f; std::getline(in, f, '\t');) fields.push_back(f);
    ASSERT_EQ(fields.size(), 9u) << lines[i];
    EXPECT_EQ(fields[1], ":");
    EXPECT_GT(std::stod(fields[2]), 1.6e9);
    EXPECT_GE(std::stod(fields[3]), 0.0);
    EXPECT_EQ(fields[4], "0");
    rows[fields[0]] = fields;
  }
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows["1"][5], "6");  // "hello\n"
  EXPECT_EQ(rows["1"][6], "0");
  EXPECT_EQ(rows["1"][8], "echo hello");
  EXPECT_EQ(rows["2"][6], "3");
  EXPECT_EQ(rows["2"][7], "0");
  EXPECT_EQ(rows["3"][6], "0");
  EXPECT_EQ(rows["3"][7], "15");
  EXPECT_EQ(rows["4"][5], "4");
  EXPECT_EQ(rows["4"][8], "echo x\\necho y");  // a newline would end the row
}

TEST(MppRun, JoblogThatCannotBeWrittenStopsBeforeRunning) {
  ScratchDir dir;
  const Result r = run({"--joblog", dir / "missing/log", "touch " + (dir / "ran")});
  EXPECT_EQ(r.code(), 255) << r;
  EXPECT_NE(r.err.find("joblog"), std::string::npos) << r;
  EXPECT_FALSE(std::filesystem::exists(dir / "ran"));
}

TEST(MppRun, EmptyOptionValuesExit255BeforeAnyJob) {
  ScratchDir dir;
  const std::string touch = "touch " + (dir / "ran");
  for (const Words& args :
       {Words{"-j", "", touch}, Words{"--timeout=", touch}, Words{"--retries", "", touch},
        Words{"--halt=", touch}, Words{"--dry-run=0", touch}, Words{"--keep-order=1", touch}}) {
    const Result r = run(args);
    EXPECT_EQ(r.code(), 255) << args[0] << ": " << r;
    EXPECT_NE(r.err.find(args[0].substr(0, 4)), std::string::npos) << r;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "ran"));
}

// `mpp-run args...` started in `dir`, to its end.
Result run_in(const ScratchDir& dir, const Words& args) {
  Tool tool(args, {}, false, {"/bin/sh", "-c", "cd " + dir.str() + " && exec \"$0\" \"$@\""});
  return tool.finish();
}

TEST(MppRun, JoblogDashIsStandardOutput) {
  // GNU parallel's --joblog -: the rows go to standard output, with the jobs' output; no file "-".
  ScratchDir dir;
  const Result r = run_in(dir, {"--joblog", "-", "-j1", "echo hello", "sh -c 'exit 3'"});
  EXPECT_EQ(r.code(), 1) << r;
  EXPECT_FALSE(std::filesystem::exists(dir / "-"));
  const std::vector<std::string> lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 4u) << r;
  EXPECT_EQ(lines[0], "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand");
  EXPECT_TRUE(lines[1].starts_with("1\t:\t") && lines[1].ends_with("\t0\t0\techo hello")) << lines[1];
  EXPECT_EQ(lines[2], "hello");
  EXPECT_TRUE(lines[3].starts_with("2\t:\t") && lines[3].ends_with("\t3\t0\tsh -c 'exit 3'")) << lines[3];
}

TEST(MppRun, JoblogOnAFullDiskStopsBeforeRunning) {
  ScratchDir dir;
  const Result r = run({"--joblog", "/dev/full", "touch " + (dir / "ran")});
  EXPECT_EQ(r.code(), 255) << r;
  EXPECT_NE(r.err.find("cannot write the joblog /dev/full: No space left on device"), std::string::npos) << r;
  EXPECT_FALSE(std::filesystem::exists(dir / "ran"));
}

TEST(MppRun, JoblogThatFailsDuringTheRunStopsIt) {
  // The joblog grows past the file-size limit (512-byte blocks; SIGXFSZ ignored, so the write fails
  // with EFBIG): reported, no more jobs start, and the exit status says so.
  ScratchDir dir;
  const std::string padding(300, 'x');
  Words args{"--joblog", dir / "log", "-j1"};
  for (int i = 0; i < 20; ++i) args.push_back("echo " + std::to_string(i) + padding);
  Tool tool(args, {}, false, {"/bin/sh", "-c", "trap '' XFSZ; ulimit -f 1 && exec \"$0\" \"$@\""});
  const Result r = tool.finish();
  EXPECT_EQ(r.code(), 255) << r;
  EXPECT_NE(r.err.find("cannot write the joblog " + (dir / "log") + ": File too large"), std::string::npos)
      << r;
  EXPECT_LT(lines_of(r.out).size(), 5u) << r;
}

TEST(MppRun, OutputOnAFullDiskStopsTheJobs) {
  // Standard output is /dev/full: the first output fails, the job still running is killed (well
  // before its 30 s), the third never starts, and the error is reported.
  ScratchDir dir;
  Tool tool({"-j2", "echo first", "sleep 30", "touch " + (dir / "third")}, {}, false,
            {"/bin/sh", "-c", "exec \"$0\" \"$@\" > /dev/full"});
  const Result r = tool.finish(10s);
  EXPECT_FALSE(r.timed_out) << r;
  EXPECT_EQ(r.code(), 255) << r;
  EXPECT_NE(r.err.find("cannot write the output: No space left on device"), std::string::npos) << r;
  EXPECT_FALSE(std::filesystem::exists(dir / "third"));
}

TEST(MppRun, ArgumentsFromStandardInputAreReadAsJobsNeedThem) {
  // The first line's job runs while the input is still open (its writer waits for that job's
  // file): mpp-run does not read to the end first.
  ScratchDir dir;
  const std::string producer = "{ echo " + (dir / "first") + "; while [ ! -e " + (dir / "first") +
                               " ]; do sleep 0.01; done; echo " + (dir / "second") + "; }";
  // In a process group of its own, so that a failure kills the producer too.
  Tool tool({"--no-bar", "-a", "-", "touch"}, {}, /*own_group=*/true,
            {"/bin/sh", "-c", producer + " | exec \"$0\" \"$@\""});
  const Result r = tool.finish();
  EXPECT_FALSE(r.timed_out) << r;
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_TRUE(std::filesystem::exists(dir / "second"));
}

// The largest resident size of any process this one has waited for, directly or below (kB).
long children_max_rss() {
  rusage usage{};
  ::getrusage(RUSAGE_CHILDREN, &usage);
  return usage.ru_maxrss;
}

TEST(MppRun, LongInputIsNeverHeldWhole) {
  // 16 MB of arguments on standard input cost mpp-run no more memory than 1 MB do (it once read
  // all of it, a huge input ending in std::bad_alloc). --dry-run reads and prints them as a run would.
  const auto run_over = [](int megabytes) {
    // Under AddressSanitizer, freed memory stays resident in its quarantine: not what is measured.
    const std::string feed =
        "export ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0\"; yes $(printf '%099d' "
        "0) | "
        "head -c " +
        std::to_string(megabytes << 20) + " | \"$0\" \"$@\" > /dev/null";
    Tool tool({"--dry-run", "-a", "-", "echo"}, {}, false, {"/bin/sh", "-c", feed});
    const Result r = tool.finish();
    EXPECT_EQ(r.code(), 0) << r;
    return children_max_rss();
  };
  const long small = run_over(1);
  const long large = run_over(16);
  EXPECT_LT(large - small, 8 * 1024) << small << " kB for 1 MB, " << large << " kB for 16 MB";
}

TEST(MppRun, JobsGetAnEmptyStandardInput) {
  const Result r = run({"-a", "-", "cat"}, "/dev/stdin\n");
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace mpp_run_test
