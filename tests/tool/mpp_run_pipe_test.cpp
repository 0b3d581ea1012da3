// mpp-run --pipe, the real binary: standard input cut into blocks, each the standard input of one
// job; with -k the outputs in input order, retries fed their block again, jobs that read nothing
// or hang.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "tool_support.hpp"

namespace mpp_run_test {
namespace {

TEST(MppRunPipe, BlocksInInputOrder) {
  // seq 30 | parallel --pipe --block 10 -k 'echo {#}; wc -l': GNU parallel's output.
  const Result r = run({"--pipe", "--block", "10", "-k", "echo {#}: $(wc -l)"}, seq(1, 30));
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, "1: 5\n2: 4\n3: 3\n4: 3\n5: 3\n6: 3\n7: 3\n8: 3\n9: 3\n");
}

TEST(MppRunPipe, EveryByteOnceInOrder) {
  const std::string input = seq(1, 200000);
  const Result r = run({"--pipe", "--block", "64k", "-j", "4", "-k", "cat"}, input);
  EXPECT_EQ(r.code(), 0) << r.err;
  EXPECT_TRUE(r.out == input) << "the output differs from the input";
  // Without -k: every line still, each block whole.
  const Result any = run({"--pipe", "--block", "64k", "-j", "4", "wc", "-l"}, input);
  EXPECT_EQ(any.code(), 0) << any;
  long total = 0;
  for (const std::string& n : lines_of(any.out)) total += std::stol(n);
  EXPECT_EQ(total, 200000);
}

TEST(MppRunPipe, RecordsPerBlock) {
  const Result r = run({"--pipe", "-N", "2", "-k", "echo B; cat"}, "a\nb\nc\nd\ne");
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, "B\na\nb\nB\nc\nd\nB\ne");
}

TEST(MppRunPipe, RecordStartAndEnd) {
  const Result start =
      run({"--pipe", "--block", "3", "--recstart", ">", "-k", "echo B; cat"}, ">a\nx\n>b\n>c\ny\n");
  EXPECT_EQ(start.code(), 0) << start;
  EXPECT_EQ(start.out, "B\n>a\nx\nB\n>b\nB\n>c\ny\n");
  const Result end =
      run({"--pipe", "--block", "2", "--recend", "\\0", "-k", "wc", "-c"}, std::string("ab\0c\0", 5));
  EXPECT_EQ(end.code(), 0) << end;
  EXPECT_EQ(end.out, "3\n2\n");
}

TEST(MppRunPipe, EmptyInputRunsNoJob) {
  ScratchDir dir;
  const Result r = run({"--pipe", "touch " + (dir / "ran")}, "");
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_FALSE(std::filesystem::exists(dir / "ran"));
}

TEST(MppRunPipe, NulBytesAndNoFinalNewline) {
  const std::string input("a\0b\nc\0d", 7);
  const Result r = run({"--pipe", "--block", "2", "-k", "cat"}, input);
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_TRUE(r.out == input) << r;
}

TEST(MppRunPipe, ARecordLongerThanTheBlockGoesWhole) {
  // GNU parallel's figures: the block grows (1024 -> 1333 -> ... -> 6296 bytes) until the record
  // fits, and stays grown; at the end, the rest goes whole.
  const std::string record = std::string(5000, 'x') + "\nab\n";
  const Result r = run({"--pipe", "--block", "1k", "-k", "wc", "-c"}, record);
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, "5004\n");
  const Result more = run({"--pipe", "--block", "1k", "-k", "wc", "-c"}, record + seq(1, 2000));
  EXPECT_EQ(more.code(), 0) << more;
  EXPECT_EQ(more.out, "6296\n6296\n1305\n");
}

TEST(MppRunPipe, JobsThatDoNotReadTheirInput) {
  // EPIPE is theirs: every job runs, and mpp-run goes on.
  const Result r = run({"--pipe", "--block", "100k", "-j", "3", "-k", "head -c 3 | wc -c"}, seq(1, 200000));
  EXPECT_EQ(r.code(), 0) << r;
  const auto lines = lines_of(r.out);
  ASSERT_GT(lines.size(), 10u) << r;
  for (const std::string& line : lines) EXPECT_EQ(line, "3");
  const Result none = run({"--pipe", "--block", "1k", "-k", "true"}, seq(1, 10000));
  EXPECT_EQ(none.code(), 0) << none;
  EXPECT_EQ(none.out, "");
}

TEST(MppRunPipe, RetriedJobsGetTheirBlockAgain) {
  ScratchDir dir;
  // Each job fails its first try without reading, then passes its block on.
  const std::string job =
      "if [ -e " + dir.str() + "/tried{#} ]; then cat; else touch " + dir.str() + "/tried{#}; exit 1; fi";
  const std::string input = seq(1, 3000);
  const Result r = run({"--pipe", "--block", "1k", "-j", "2", "-k", "--retries", "2", job}, input);
  EXPECT_EQ(r.code(), 0) << r.err;
  EXPECT_TRUE(r.out == input) << r.out.substr(0, 200);
}

TEST(MppRunPipe, SlotsAndJoblog) {
  ScratchDir dir;
  const Result r = run({"--pipe", "-N", "1", "-j", "2", "--joblog", dir / "log", "echo {%}"}, "a\nbb\nccc\n");
  EXPECT_EQ(r.code(), 0) << r;
  for (const std::string& slot : lines_of(r.out)) EXPECT_TRUE(slot == "1" || slot == "2") << slot;
  const auto rows = lines_of(read_file(dir / "log"));
  ASSERT_EQ(rows.size(), 4u);
  // Send: the block's bytes.
  std::vector<std::string> sent;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    std::size_t field = 0;
    std::string row = rows[i];
    for (int f = 0; f < 4; ++f) field = row.find('\t', field) + 1;
    sent.push_back(row.substr(0, row.find('\t')) + ":" + row.substr(field, row.find('\t', field) - field));
  }
  std::sort(sent.begin(), sent.end());
  EXPECT_EQ(sent, (std::vector<std::string>{"1:2", "2:3", "3:4"}));
}

TEST(MppRunPipe, HangingJobsTimeOut) {
  const Result r = run({"--pipe", "--timeout", "0.3", "-k", "cat; exec sleep 30"}, "a\n");
  EXPECT_EQ(r.code(), 1) << r;
  EXPECT_EQ(r.out, "a\n");
  EXPECT_NE(r.err.find("timed out"), std::string::npos) << r;
}

TEST(MppRunPipe, HaltStopsFeeding) {
  // The first block's job fails: no more blocks are given out.
  const Result r =
      run({"--pipe", "-N", "1", "-j", "1", "--halt", "soon,fail=1", "-k", "read x; echo $x; exit 3"},
          "a\nb\nc\n");
  EXPECT_EQ(r.code(), 3) << r;
  EXPECT_EQ(r.out, "a\n");
}

}  // namespace
}  // namespace mpp_run_test
