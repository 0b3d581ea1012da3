// mpp-run --pipepart and --header with --pipe, the real binary: a file's parts, each the standard
// input of one job, with -k in order, retries given their part again, --joblog's Send, jobs that
// read nothing or hang, files that cannot be cut; --header's lines before every block or part.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "tool_support.hpp"

namespace mpp_run_test {
namespace {

// A file in `dir` holding `text`; its path.
std::string file_with(const ScratchDir& dir, const std::string& text, const std::string& name = "in") {
  write_file(dir / name, text);
  return dir / name;
}

TEST(MppRunPipepart, PartsInFileOrder) {
  // parallel --pipepart -a F --block 10 -k 'echo {#}: $(wc -l)' on seq 30: GNU parallel's output.
  ScratchDir dir;
  const Result r =
      run({"--pipepart", "-a", file_with(dir, seq(1, 30)), "--block", "10", "-k", "echo {#}: $(wc -l)"});
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, "1: 6\n2: 5\n3: 4\n4: 4\n5: 4\n6: 4\n7: 3\n");
  // :::: FILE is the same file.
  const Result four = run({"--pipepart", "--block", "4", "-k", "echo {#}; cat", "::::", dir / "in"});
  EXPECT_EQ(four.code(), 0) << four;
  EXPECT_EQ(four.out.substr(0, 16), "1\n1\n2\n3\n2\n4\n5\n6\n");
}

TEST(MppRunPipepart, EveryByteOnceInOrder) {
  ScratchDir dir;
  const std::string input = seq(1, 300000);
  const std::string path = file_with(dir, input);
  const Result r = run({"--pipepart", "-a", path, "--block", "64k", "-j", "4", "-k", "cat"});
  EXPECT_EQ(r.code(), 0) << r.err;
  EXPECT_TRUE(r.out == input) << "the output differs from the input";
  const Result any = run({"--pipepart", "-a", path, "--block", "100k", "-j", "4", "wc", "-l"});
  EXPECT_EQ(any.code(), 0) << any;
  long total = 0;
  for (const std::string& n : lines_of(any.out)) total += std::stol(n);
  EXPECT_EQ(total, 300000);
}

TEST(MppRunPipepart, PartsPerJobSlot) {
  // --block -2 with -j 2 on 10 bytes: 1 + 10/2/2 = 3-byte blocks (GNU parallel's figures).
  ScratchDir dir;
  const std::string path = file_with(dir, seq(1, 5));
  const Result r = run({"--pipepart", "-a", path, "--block", "-2", "-j", "2", "-k", "echo B; cat"});
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, "B\n1\n2\nB\n3\n4\nB\n5\n");
  // Without --block: 10 parts per job slot (-j 1 on 10 bytes: 2-byte blocks).
  const Result def = run({"--pipepart", "-a", path, "-j", "1", "-k", "echo B; cat"});
  EXPECT_EQ(def.code(), 0) << def;
  EXPECT_EQ(def.out, "B\n1\n2\nB\n3\n4\nB\n5\n");
}

TEST(MppRunPipepart, HostileFiles) {
  ScratchDir dir;
  // Empty: no job.
  const Result empty = run({"--pipepart", "-a", file_with(dir, "", "empty"), "touch " + (dir / "ran")});
  EXPECT_EQ(empty.code(), 0) << empty;
  EXPECT_FALSE(std::filesystem::exists(dir / "ran"));
  // No final newline, NUL bytes: every byte, as it is.
  const std::string nul("a\0b\nc\0d\nlast", 13);
  const Result bytes = run({"--pipepart", "-a", file_with(dir, nul, "nul"), "--block", "1", "-k", "cat"});
  EXPECT_EQ(bytes.code(), 0) << bytes;
  EXPECT_TRUE(bytes.out == nul) << bytes;
  // A record longer than the block goes whole.
  const std::string long_record = std::string(300000, 'x') + "\nab\n";
  const Result whole =
      run({"--pipepart", "-a", file_with(dir, long_record, "long"), "--block", "1k", "-k", "wc", "-c"});
  EXPECT_EQ(whole.code(), 0) << whole;
  EXPECT_EQ(whole.out, "300001\n3\n");
}

TEST(MppRunPipepart, FilesThatCannotBeCutAreRefusedBeforeAnyJob) {
  ScratchDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);  // no writer: opening it must not block
  for (const std::string& file : {dir / "missing", dir.str(), std::string("/dev/stdin"), dir / "fifo"}) {
    // More input than a pipe holds, which mpp-run never reads: its refusal must reach us whole.
    const Result r = run({"--pipepart", "-a", file, "touch " + (dir / "ran")}, std::string(1 << 20, 'a'));
    EXPECT_EQ(r.code(), 255) << file << r;
    EXPECT_NE(r.err.find("--pipepart"), std::string::npos) << r;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "ran"));
}

TEST(MppRunPipepart, JobsThatDoNotReadTheirPart) {
  ScratchDir dir;
  const std::string path = file_with(dir, seq(1, 300000));
  const Result r = run({"--pipepart", "-a", path, "--block", "200k", "-j", "3", "-k", "head -c 3 | wc -c"});
  EXPECT_EQ(r.code(), 0) << r;
  const auto lines = lines_of(r.out);
  ASSERT_GT(lines.size(), 5u) << r;
  for (const std::string& line : lines) EXPECT_EQ(line, "3");
  const Result none = run({"--pipepart", "-a", path, "--block", "100k", "-k", "true"});
  EXPECT_EQ(none.code(), 0) << none;
  EXPECT_EQ(none.out, "");
}

TEST(MppRunPipepart, RetriedJobsGetTheirPartAgain) {
  ScratchDir dir;
  const std::string job = "if [ -e " + dir.str() +
                          "/tried{#} ]; then cat; else head -c 5 >/dev/null; touch " + dir.str() +
                          "/tried{#}; exit 1; fi";
  const std::string input = seq(1, 30000);
  const Result r = run(
      {"--pipepart", "-a", file_with(dir, input), "--block", "10k", "-j", "2", "-k", "--retries", "2", job});
  EXPECT_EQ(r.code(), 0) << r.err;
  EXPECT_TRUE(r.out == input) << r.out.substr(0, 200);
}

TEST(MppRunPipepart, JoblogSendsThePartsBytes) {
  ScratchDir dir;
  const Result r = run({"--pipepart", "-a", file_with(dir, "a\nbb\nccc\n"), "--block", "1", "-j", "2",
                        "--joblog", dir / "log", "--header", ":", "cat >/dev/null"});
  EXPECT_EQ(r.code(), 0) << r;
  const auto rows = lines_of(read_file(dir / "log"));
  ASSERT_EQ(rows.size(), 3u);
  std::vector<std::string> sent;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    std::size_t field = 0;
    const std::string& row = rows[i];
    for (int f = 0; f < 4; ++f) field = row.find('\t', field) + 1;
    sent.push_back(row.substr(0, row.find('\t')) + ":" + row.substr(field, row.find('\t', field) - field));
  }
  std::sort(sent.begin(), sent.end());
  // The header's 2 bytes and the part's.
  EXPECT_EQ(sent, (std::vector<std::string>{"1:5", "2:6"}));
}

TEST(MppRunPipepart, HangingJobsTimeOutAndHaltStops) {
  ScratchDir dir;
  const std::string path = file_with(dir, "a\nb\nc\n");
  const Result r =
      run({"--pipepart", "-a", path, "--block", "100", "--timeout", "0.3", "-k", "cat; exec sleep 30"});
  EXPECT_EQ(r.code(), 1) << r;
  EXPECT_EQ(r.out, "a\nb\nc\n");
  EXPECT_NE(r.err.find("timed out"), std::string::npos) << r;
  const Result halt = run(
      {"--pipepart", "-a", path, "--block", "1", "-j", "1", "--halt", "soon,fail=1", "-k", "cat; exit 3"});
  EXPECT_EQ(halt.code(), 3) << halt;
  EXPECT_EQ(halt.out, "a\n");
}

TEST(MppRunPipepart, HeaderBeforeEveryPart) {
  ScratchDir dir;
  const std::string path = file_with(dir, "h1\nh2\n1\n2\n3\n4\n5\n");
  const Result r = run({"--pipepart", "-a", path, "--header", "2", "--block", "3", "-k", "echo B; cat"});
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, "B\nh1\nh2\n1\n2\nB\nh1\nh2\n3\n4\nB\nh1\nh2\n5\n");
  // A file of the header alone: no job; fewer lines than the header: no header, all records.
  const Result alone = run({"--pipepart", "-a", file_with(dir, "h\n", "h"), "--header", "1", "echo ran"});
  EXPECT_EQ(alone.code(), 0) << alone;
  EXPECT_EQ(alone.out, "");
  const Result short_file = run({"--pipepart", "-a", file_with(dir, "a\nb", "ab"), "--header", "3", "--block",
                                 "1", "-k", "echo B; cat"});
  EXPECT_EQ(short_file.code(), 0) << short_file;
  EXPECT_EQ(short_file.out, "B\na\nB\nb");
}

TEST(MppRunPipeHeader, HeaderBeforeEveryBlock) {
  // printf 'h1\nh2\n1\n2\n3\n4\n5\n' | parallel --pipe --header 2 -N2 -k 'echo B; cat'
  const std::string input = "h1\nh2\n1\n2\n3\n4\n5\n";
  const Result r = run({"--pipe", "--header", "2", "-N", "2", "-k", "echo B; cat"}, input);
  EXPECT_EQ(r.code(), 0) << r;
  EXPECT_EQ(r.out, "B\nh1\nh2\n1\n2\nB\nh1\nh2\n3\n4\nB\nh1\nh2\n5\n");
  const Result colon = run({"--pipe", "--header", ":", "--block", "3", "-k", "echo B; cat"}, input);
  EXPECT_EQ(colon.code(), 0) << colon;
  EXPECT_EQ(colon.out, "B\nh1\nh2\nB\nh1\n1\nB\nh1\n2\nB\nh1\n3\nB\nh1\n4\nB\nh1\n5\n");
  // Only the header: no job. Fewer lines: all records.
  const Result alone = run({"--pipe", "--header", "2", "echo ran"}, "h1\nh2\n");
  EXPECT_EQ(alone.code(), 0) << alone;
  EXPECT_EQ(alone.out, "");
  const Result few = run({"--pipe", "--header", "5", "-k", "echo B; cat"}, "a\nb");
  EXPECT_EQ(few.code(), 0) << few;
  EXPECT_EQ(few.out, "B\na\nb");
  // A header far longer than a read, and NUL bytes in it.
  const std::string long_header = std::string(200000, 'h') + std::string("\0\n", 2);
  const Result big = run({"--pipe", "--header", "1", "-N", "1", "-k", "wc -c"}, long_header + "a\nb\n");
  EXPECT_EQ(big.code(), 0) << big;
  EXPECT_EQ(big.out, "200004\n200004\n");
}

}  // namespace
}  // namespace mpp_run_test
