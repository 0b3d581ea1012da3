// --pipepart's cutting of a file (part_cuts, GNU parallel's positions written out), --header's
// lines taken off an input (HeaderLines), and a job's input written to its pipe (write_input).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "mpp/errors.hpp"
#include "run/header_lines.hpp"
#include "run/job_input.hpp"
#include "run/parts.hpp"

namespace {

using mpp::detail::Fd;
using mpp::detail::run::HeaderLines;
using mpp::detail::run::JobInput;
using mpp::detail::run::part_cuts;
using Cuts = std::vector<std::uint64_t>;

// A file holding `text`, removed at the end of the test.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    std::string name = ::testing::TempDir() + "run_parts_XXXXXX";
    const int fd = ::mkstemp(name.data());
    EXPECT_GE(fd, 0);
    path_ = name;
    EXPECT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ::close(fd);
    fd_ = Fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() { ::unlink(path_.c_str()); }
  [[nodiscard]] int fd() const { return fd_.get(); }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
  Fd fd_;
};

Cuts cuts_of(const std::string& text, std::uint64_t block, const std::string& separator = "\n",
             std::size_t recend = 1, std::uint64_t begin = 0) {
  const TempFile file(text);
  return part_cuts(file.fd(), file.path(), begin, text.size(), block, separator, recend);
}

TEST(RunParts, CutsAtTheFirstRecordEndPastEachBlock) {
  // parallel --pipepart --block 3 (and 4): parts 1,2 / 3,4 / 5 (and 1,2,3 / 4,5).
  EXPECT_EQ(cuts_of("1\n2\n3\n4\n5\n", 3), (Cuts{0, 4, 8, 10}));
  EXPECT_EQ(cuts_of("1\n2\n3\n4\n5\n", 4), (Cuts{0, 6, 10}));
  EXPECT_EQ(cuts_of("1\n2\n3\n4\n5\n", 1), (Cuts{0, 2, 4, 6, 8, 10}));
  EXPECT_EQ(cuts_of("1\n2\n3\n4\n5\n", 100), (Cuts{0, 10}));
}

TEST(RunParts, EdgeCases) {
  EXPECT_EQ(cuts_of("", 1), (Cuts{0}));                  // empty: no part
  EXPECT_EQ(cuts_of("x", 1), (Cuts{0, 1}));              // one byte
  EXPECT_EQ(cuts_of("abcdefgh", 2), (Cuts{0, 8}));       // a record longer than a block, no newline
  EXPECT_EQ(cuts_of("a\nbb\nccc", 2), (Cuts{0, 5, 8}));  // no final newline
  EXPECT_EQ(cuts_of(std::string("a\0b\nc\0\nd\n", 9), 2), (Cuts{0, 4, 7, 9}));  // NUL bytes
  EXPECT_EQ(cuts_of(std::string("a\0b\0", 4), 1, std::string(1, '\0')), (Cuts{0, 2, 4}));
  // After a header of 2 bytes.
  EXPECT_EQ(cuts_of("h\n1\n2\n", 1, "\n", 1, 2), (Cuts{2, 4, 6}));
  EXPECT_EQ(cuts_of("h\n", 1, "\n", 1, 2), (Cuts{2}));
}

TEST(RunParts, RecordStartAndEnd) {
  // --recstart '>': separator "\n>", cut after the newline.
  EXPECT_EQ(cuts_of("x>a\n>b\n>c\n", 1, "\n>", 1), (Cuts{0, 4, 7, 10}));
  // --recstart '>' alone: cut before it.
  EXPECT_EQ(cuts_of(">a\n>b\n>c\n", 1, ">", 0), (Cuts{0, 3, 6, 9}));
}

TEST(RunParts, SearchesAcrossReads) {
  // A record far longer than one read (64 KiB): read through, once.
  // (Built by append: g++ 12 at -O1 warns falsely, -Warray-bounds, on `std::string(n, c) + "..."`.)
  std::string long_record(200000, 'x');
  long_record += "\ny\n";
  EXPECT_EQ(cuts_of(long_record, 10), (Cuts{0, 200001, 200003}));
  // A separator split between two reads.
  std::string split(65536, 'x');
  split += "abzz";
  EXPECT_EQ(cuts_of(split, 1, "ab", 1), (Cuts{0, 65537, 65540}));
  // Many parts of a large file: every cut right after a newline, the last at the end.
  std::string lines;
  for (int i = 0; i < 100000; ++i) lines += std::to_string(i) + "\n";
  const Cuts many = cuts_of(lines, 1000);
  ASSERT_GT(many.size(), 500u);
  EXPECT_EQ(many.back(), lines.size());
  for (std::size_t i = 1; i + 1 < many.size(); ++i) {
    EXPECT_EQ(lines[many[i] - 1], '\n');
    EXPECT_GE(many[i] - many[i - 1], 1000u);
  }
}

TEST(RunParts, AFileThatShrankEndsWhereItEnds) {
  const TempFile file("1\n2\n");
  EXPECT_EQ(part_cuts(file.fd(), file.path(), 0, 10, 1, "\n", 1), (Cuts{0, 2, 4}));
  // One that grew: what came after its size was taken is in no part.
  EXPECT_EQ(part_cuts(file.fd(), file.path(), 0, 3, 1, "\n", 1), (Cuts{0, 2, 3}));
}

TEST(RunParts, HeaderLines) {
  HeaderLines two(2);
  EXPECT_FALSE(two.done());
  EXPECT_EQ(two.add("h1\nh"), "");
  EXPECT_EQ(two.add("2\nrest\n"), "rest\n");
  EXPECT_TRUE(two.done());
  EXPECT_EQ(two.header(), "h1\nh2\n");
  EXPECT_EQ(two.add("more"), "more");
  EXPECT_EQ(two.header(), "h1\nh2\n");
  // Fewer lines than asked for: no header, the text given back.
  HeaderLines three(3);
  EXPECT_EQ(three.add("a\nb"), "");
  EXPECT_EQ(three.give_back(), "a\nb");
  HeaderLines none(0);
  EXPECT_TRUE(none.done());
  EXPECT_EQ(none.add("x\n"), "x\n");
  EXPECT_EQ(none.header(), "");
  HeaderLines nul(1);
  EXPECT_EQ(nul.add(std::string_view("\0a\nb", 4)), "b");
  EXPECT_EQ(nul.header(), std::string("\0a\n", 3));
}

// Everything `input` writes to a non-blocking pipe, read as it fills.
std::string written(const JobInput& input) {
  int ends[2];
  EXPECT_EQ(::pipe2(ends, O_CLOEXEC | O_NONBLOCK), 0);
  const Fd read_end(ends[0]);
  Fd write_end(ends[1]);
  std::string out;
  std::uint64_t fed = 0;
  bool done = false;
  while (!done) {
    done = mpp::detail::run::write_input(write_end.get(), input, fed);
    char buffer[65536];
    for (ssize_t n; (n = ::read(read_end.get(), buffer, sizeof buffer)) > 0;) out.append(buffer, n);
  }
  EXPECT_EQ(fed, out.size());
  return out;
}

TEST(RunParts, WritesHeaderBlockThenPart) {
  const std::string text = "0123456789";
  const TempFile part_file(text);
  const auto fd = std::make_shared<const Fd>(::open(part_file.path().c_str(), O_RDONLY | O_CLOEXEC));
  const auto header = std::make_shared<const std::string>("H\n");
  EXPECT_EQ(written(JobInput{header, "b\n", fd, 3, 4}), "H\nb\n3456");
  EXPECT_EQ(written(JobInput{nullptr, {}, fd, 0, 10}), text);
  EXPECT_EQ(written(JobInput{header, {}, nullptr, 0, 0}), "H\n");
  EXPECT_EQ(written(JobInput{}), "");
  // A part past the file's end (it shrank): what there is.
  EXPECT_EQ(written(JobInput{nullptr, {}, fd, 8, 10}), "89");
  // Far more than a pipe holds: written as it is read, in order.
  std::string large;
  for (int i = 0; i < 100000; ++i) large += std::to_string(i) + "\n";
  const TempFile large_file(large);
  const auto large_fd = std::make_shared<const Fd>(::open(large_file.path().c_str(), O_RDONLY | O_CLOEXEC));
  EXPECT_TRUE(written(JobInput{header, large, large_fd, 0, large.size()}) == "H\n" + large + large);
}

TEST(RunParts, AReaderThatLeftEndsTheWriting) {
  std::signal(SIGPIPE, SIG_IGN);
  int ends[2];
  ASSERT_EQ(::pipe2(ends, O_CLOEXEC | O_NONBLOCK), 0);
  ::close(ends[0]);
  const Fd write_end(ends[1]);
  const TempFile file("abc");
  const auto fd = std::make_shared<const Fd>(::open(file.path().c_str(), O_RDONLY | O_CLOEXEC));
  std::uint64_t fed = 0;
  EXPECT_TRUE(mpp::detail::run::write_input(write_end.get(), JobInput{nullptr, "x", fd, 0, 3}, fed));
  EXPECT_EQ(fed, 0u);
}

}  // namespace
