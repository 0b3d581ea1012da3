// mpp-run, the real binary: what marks and where goes each job's output: --tag and --tagstring on
// standard output and error, the job slot {%}, and --results DIR's tree of files.
// Jobs that must run at once wait on files, never on a guess of how long something takes.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "tool_support.hpp"

namespace mpp_run_test {
namespace {

// Every file below `dir`, relative to it, sorted.
std::set<std::string> files_below(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) out.insert(std::filesystem::relative(entry.path(), dir).string());
  }
  return out;
}

TEST(MppRunOutput, TagMarksEveryLineOfOutputAndErrorOutput) {
  // As GNU parallel: the tag before each line, a last line without newline left so.
  const Result r = run({"-k", "--tag", "printf 'x\\ny'; printf 'e1\\ne2' >&2", ":::", "a", "b c"});
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, "a\tx\na\tyb c\tx\nb c\ty");
  EXPECT_EQ(r.err, "a\te1\na\te2b c\te1\nb c\te2");
}

TEST(MppRunOutput, TagOfSeveralSourcesAndOfCommands) {
  EXPECT_EQ(run({"-k", "--tag", "echo", ":::", "a", "b", ":::", "1"}).out, "a 1\ta 1\nb 1\tb 1\n");
  // Lines that are commands are their own tag, as GNU parallel's.
  EXPECT_EQ(run({"-k", "--tag"}, "echo x\necho y\n").out, "echo x\tx\necho y\ty\n");
  // An empty line and a carriage return start lines of their own too; no output, no tag.
  EXPECT_EQ(run({"-k", "--tag", "printf '1\\n\\n2\\r3\\n'", ":::", "t"}).out, "t\t1\nt\t\nt\t2\rt\t3\n");
  EXPECT_EQ(run({"--tag", "true", ":::", "t"}).out, "");
}

TEST(MppRunOutput, TagKeepsTabsAndNewlinesOfValues) {
  // The tag is the values as they are; a newline in a ::: value ends it, as in GNU parallel.
  const Result r = run({"-k", "--tag", "echo x{#}", ":::", "a\tb", "c\nd"});
  EXPECT_EQ(r.out, "a\tb\tx1\nc\tx2\nd\tx3\n") << r;
}

TEST(MppRunOutput, TagstringIsTextNeverACommand) {
  ScratchDir dir;
  const std::string trap = "$(touch " + (dir / "ran") + ")";
  const std::string value = "`touch " + (dir / "ran2") + "`.x";
  const Result r = run({"-k", "--tagstring", trap + "<{}|{#}|{%}|{.}>", "echo v{#}", ":::", value});
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, trap + "<" + value + "|1|1|`touch " + (dir / "ran2") + "`>\tv1\n");
  EXPECT_FALSE(std::filesystem::exists(dir / "ran"));
  EXPECT_FALSE(std::filesystem::exists(dir / "ran2"));
}

TEST(MppRunOutput, TagstringWinsOverTagAndTimeoutMessagesStayUntagged) {
  const Result r =
      run({"--tag", "--tagstring", "T", "--timeout", "0.2", "echo x; exec sleep {}", ":::", "30"});
  EXPECT_EQ(r.code(), 1) << r;
  EXPECT_EQ(r.out, "T\tx\n");
  EXPECT_NE(r.err.find("mpp-run: timed out"), std::string::npos) << r;
  EXPECT_EQ(r.err.find("T\tmpp-run"), std::string::npos) << r;
}

TEST(MppRunOutput, TwoJobsAtOnceHaveSlotsOneAndTwo) {
  ScratchDir dir;
  // Each job announces itself and waits for the other: they run at once, in slots 1 and 2.
  const Result r =
      run({"-k", "-j", "2",
           "sh -c 'touch " + dir.str() + "/$0; " + wait_for(dir.str() + "/$1") + "; echo {%}' {1} {2}",
           ":::", "a", "b", ":::+", "b", "a"});
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, "1\n2\n");
}

TEST(MppRunOutput, ARetryKeepsItsSlot) {
  ScratchDir dir;
  const Result r =
      run({"-j", "1", "--retries", "3", "echo {%} >> " + (dir / "slots") + "; exit 1", ":::", "a"});
  EXPECT_EQ(r.code(), 1) << r;
  EXPECT_EQ(read_file(dir / "slots"), "1\n1\n1\n");
}

TEST(MppRunOutput, ResultsWritesGnuParallelsTree) {
  ScratchDir dir;
  const std::string results = dir / "r";
  const Result r =
      run({"--results", results, "sh -c 'echo out \"$1\"; echo err >&2; exit 3' _ {}", ":::", "a", "b c"});
  EXPECT_EQ(r.code(), 2) << r;
  EXPECT_EQ(r.out, "");  // to the files only, as GNU parallel
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(files_below(results), (std::set<std::string>{"1/a/seq", "1/a/stderr", "1/a/stdout", "1/b c/seq",
                                                         "1/b c/stderr", "1/b c/stdout"}));
  EXPECT_EQ(read_file(results + "/1/a/stdout"), "out a\n");
  EXPECT_EQ(read_file(results + "/1/b c/stderr"), "err\n");
  EXPECT_EQ(read_file(results + "/1/b c/seq"), "2");
}

TEST(MppRunOutput, ResultsOfSeveralSourcesNestTheirValues) {
  ScratchDir dir;
  const std::string results = dir / "r";
  const Result r = run({"--results", results, "echo", ":::", "a", ":::", "1", "2"});
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(read_file(results + "/1/a/2/2/stdout"), "a 2\n");
  EXPECT_EQ(read_file(results + "/1/a/2/1/seq"), "1");
}

TEST(MppRunOutput, ResultsOfAnyValueStayInsideTheDirectory) {
  ScratchDir dir;
  const std::string results = dir / "inside/r";
  const Result r = run({"--results", results, "echo", ":::", "..", ".", "", "../../x", "/etc/passwd", "a\\b",
                        "t\tab", "new\nline", std::string(300, 'y')});
  EXPECT_EQ(r.code(), 0) << r;
  // Nothing was written next to the directory, and each value has a directory of its own.
  EXPECT_EQ(files_below(dir / "inside").size(), files_below(results).size());
  const std::set<std::string> files = files_below(results);
  EXPECT_EQ(files.size(), 30u);  // "new\nline" is two values, as in GNU parallel
  for (const std::string& name :
       {std::string("\\.\\."), std::string("\\."), std::string("\\e"), std::string("..\\_..\\_x"),
        std::string("\\_etc\\_passwd"), std::string("a\\\\b"), std::string("t\\tab"), std::string("new"),
        std::string("line"), std::string(255, 'y')}) {
    EXPECT_TRUE(files.contains("1/" + name + "/stdout")) << name;
  }
  EXPECT_EQ(read_file(results + "/1/\\.\\./stdout"), "..\n");
}

TEST(MppRunOutput, ResultsThatCannotBeWrittenStopTheRun) {
  ScratchDir dir;
  write_file(dir / "file", "");
  // DIR is a file: its tree cannot be made.
  const Result r = run({"-j", "1", "--results", dir / "file", "echo", ":::", "a", "b"});
  EXPECT_EQ(r.code(), 255) << r;
  EXPECT_NE(r.err.find("cannot write the results file"), std::string::npos) << r;
  EXPECT_EQ(r.out, "");
}

TEST(MppRunOutput, ResultsNamesGnuParallelReadsAsFormatsAreRefused) {
  ScratchDir dir;
  for (const std::string& name : {dir / "out.csv", dir / "out.TSV", dir / "out.json", dir / "my_{}"}) {
    const Result r = run({"--results", name, "touch " + (dir / "ran"), ":::", "a"});
    EXPECT_EQ(r.code(), 255) << r;
    EXPECT_NE(r.err.find("--results"), std::string::npos) << r;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "ran"));
}

// Runs mpp-run with its standard output in the file `out`, so that a job can see what reached it.
Result run_to_file(const std::vector<std::string>& args, const std::string& out) {
  Tool tool(args, {}, false, {"sh", "-c", "exec \"$0\" \"$@\" > " + out});
  return tool.finish();
}

TEST(MppRunOutput, UngroupWritesWhatItReadsAtOnce) {
  ScratchDir dir;
  const std::string out = dir / "out";
  // A part of a line reaches the output while its job runs.
  const std::string first = "printf par; " + wait_for(dir / "seen") + "; echo tial";
  const std::string second = "i=0; until grep -q par " + out +
                             " || [ $i -ge 2000 ]; do sleep 0.01; i=$((i+1)); done; touch " + (dir / "seen");
  const Result r = run_to_file({"-j", "2", "-u", "{}", ":::", first, second}, out);
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_TRUE(std::filesystem::exists(dir / "seen"));
  EXPECT_EQ(read_file(out), "partial\n");
}

TEST(MppRunOutput, LineBufferWritesWholeTaggedLinesAsTheyCome) {
  ScratchDir dir;
  const std::string out = dir / "out";
  const std::string first = "echo first; " + wait_for(dir / "seen") + "; printf second";
  const std::string second = "i=0; until grep -q first " + out +
                             " || [ $i -ge 2000 ]; do sleep 0.01; i=$((i+1)); done; touch " + (dir / "seen");
  const Result r =
      run_to_file({"-j", "2", "--line-buffer", "--tagstring", "{#}", "{}", ":::", first, second}, out);
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_TRUE(std::filesystem::exists(dir / "seen"));
  // The last line, without its newline, at the job's end, tagged too.
  EXPECT_EQ(read_file(out), "1\tfirst\n1\tsecond");
}

TEST(MppRunOutput, StreamedOutputCountsInTheJoblog) {
  ScratchDir dir;
  const Result r = run({"-u", "--joblog", dir / "log", "echo", ":::", "abc"});
  EXPECT_EQ(r.out, "abc\n");
  const std::vector<std::string> rows = lines_of(read_file(dir / "log"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_NE(rows[1].find("\t0\t4\t0\t0\t"), std::string::npos) << rows[1];
}

TEST(MppRunOutput, AJobWhoseGroupOutlivesItStillCountsItsOutputInTheJoblog) {
  ScratchDir dir;
  // Its row waits for the SIGKILL of the child that ignores SIGTERM, after its output went on.
  const Result r = run({"--timeout", "0.2", "--joblog", dir / "log",
                        "sh -c 'echo abc; (trap \"\" TERM; exec sleep 30) & exec sleep {}'", ":::", "30"});
  EXPECT_EQ(r.code(), 1) << r;
  EXPECT_EQ(r.out, "abc\n");
  const std::vector<std::string> rows = lines_of(read_file(dir / "log"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_NE(rows[1].find("\t0\t4\t-1\t9\t"), std::string::npos) << rows[1];
}

TEST(MppRunOutput, UngroupWithATagIsRefused) {
  ScratchDir dir;
  for (const char* tag : {"--tag", "--tagstring=x"}) {
    const Result r = run({"-u", tag, "touch " + (dir / "ran"), ":::", "a"});
    EXPECT_EQ(r.code(), 255) << r;
    EXPECT_NE(r.err.find("--ungroup"), std::string::npos) << r;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "ran"));
}

}  // namespace
}  // namespace mpp_run_test
