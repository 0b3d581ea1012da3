// --pipe's blocks (src/run/blocks.hpp): where GNU parallel cuts standard input, and how the
// options that shape it are read. The expected blocks are GNU parallel 20221122's.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mpp/errors.hpp"
#include "run/blocks.hpp"
#include "run/options.hpp"
#include "run_input_support.hpp"

namespace {

using mpp::detail::run::BlockSplitter;
using mpp::detail::run::PipeFormat;
using Blocks = std::vector<std::string>;
using mpp_run_test::parse;
using mpp_run_test::parse_error;

// The blocks of `input`, given to the splitter in pieces of `piece` bytes.
Blocks blocks_of(const PipeFormat& format, const std::string& input, std::size_t piece = 1000) {
  BlockSplitter splitter(format);
  Blocks out;
  const auto take = [&] {
    for (std::string& b : splitter.blocks()) out.push_back(std::move(b));
    splitter.blocks().clear();
  };
  for (std::size_t at = 0; at < input.size(); at += piece) {
    splitter.add(std::string_view(input).substr(at, piece));
    take();
  }
  splitter.finish();
  take();
  return out;
}

PipeFormat block(std::size_t size) {
  PipeFormat format;
  format.block = size;
  return format;
}

std::string seq(int from, int to) {
  std::string out;
  for (int i = from; i <= to; ++i) out += std::to_string(i) + "\n";
  return out;
}

TEST(RunBlocks, CutsAtTheLastLineEndOfEachBuffer) {
  // seq 30 | parallel --pipe --block 10 -k cat: the buffer is filled to a whole number of blocks,
  // cut at its last newline, and the rest (a partial line) starts the next.
  const Blocks expected{seq(1, 5),   seq(6, 9),   seq(10, 12), seq(13, 15), seq(16, 18),
                        seq(19, 21), seq(22, 24), seq(25, 27), seq(28, 30)};
  EXPECT_EQ(blocks_of(block(10), seq(1, 30)), expected);
  // However the input arrives.
  EXPECT_EQ(blocks_of(block(10), seq(1, 30), 1), expected);
  EXPECT_EQ(blocks_of(block(10), seq(1, 30), 7), expected);
}

TEST(RunBlocks, EmptyInputMakesNoBlock) {
  EXPECT_EQ(blocks_of(block(10), ""), Blocks{});
  EXPECT_EQ(blocks_of(PipeFormat{}, ""), Blocks{});
}

TEST(RunBlocks, OneRecordAndNoFinalNewline) {
  EXPECT_EQ(blocks_of(PipeFormat{}, "abc"), Blocks{"abc"});
  EXPECT_EQ(blocks_of(PipeFormat{}, "abc\n"), Blocks{"abc\n"});
  // The last block is whatever is left, unended.
  EXPECT_EQ(blocks_of(block(4), "ab\ncd\nef"), (Blocks{"ab\n", "cd\n", "ef"}));
}

TEST(RunBlocks, ARecordLongerThanTheBlockGoesWhole) {
  // The block grows by 30% (4 -> 7 -> 11) until the record fits, as GNU parallel's.
  BlockSplitter splitter(block(4));
  splitter.add("0123456789\nab\n");
  splitter.finish();
  EXPECT_EQ(splitter.growths(), 2u);
  EXPECT_EQ(splitter.block_size(), 11u);
  EXPECT_EQ(blocks_of(block(4), "0123456789\nab\n"), (Blocks{"0123456789\n", "ab\n"}));
  EXPECT_EQ(blocks_of(block(1), std::string(100, 'x')), Blocks{std::string(100, 'x')});
}

TEST(RunBlocks, NulBytesAreData) {
  const std::string input("a\0b\nc\0\n", 7);
  EXPECT_EQ(blocks_of(block(4), input), (Blocks{std::string("a\0b\n", 4), std::string("c\0\n", 3)}));
}

TEST(RunBlocks, RecordsPerBlock) {
  // seq 7 | parallel --pipe -N3 -k cat
  PipeFormat three;
  three.records = 3;
  EXPECT_EQ(blocks_of(three, seq(1, 7)), (Blocks{seq(1, 3), seq(4, 6), seq(7, 7)}));
  PipeFormat one;
  one.records = 1;
  EXPECT_EQ(blocks_of(one, "a\nb\nc"), (Blocks{"a\n", "b\n", "c"}));
  // A block too small for N records grows until they fit.
  three.block = 2;
  EXPECT_EQ(blocks_of(three, seq(1, 7)), (Blocks{seq(1, 3), seq(4, 6), seq(7, 7)}));
}

TEST(RunBlocks, RecordStart) {
  // printf 'a1\nb\na2\nb\nb\na3\n' | parallel --pipe --recstart a --recend '' --block 3 -k cat
  PipeFormat format = block(3);
  format.recstart = "a";
  format.recend = "";
  EXPECT_EQ(blocks_of(format, "a1\nb\na2\nb\nb\na3\n"), (Blocks{"a1\nb\n", "a2\nb\nb\n", "a3\n"}));
  // Both: a record ends with recend and the next starts with recstart.
  format.recend = "\n";
  format.block = 4;
  EXPECT_EQ(blocks_of(format, "a1\nab\na2\nxa\n"), (Blocks{"a1\n", "ab\n", "a2\nxa\n"}));
}

TEST(RunBlocks, RecordEnd) {
  // printf 'x;y;z;w;' | parallel --pipe --recend ';' --block 3 -k cat
  PipeFormat format = block(3);
  format.recend = ";";
  EXPECT_EQ(blocks_of(format, "x;y;z;w;"), (Blocks{"x;", "y;", "z;", "w;"}));
  // A multi-byte end, found across the pieces the input came in.
  format.recend = "END";
  format.block = 4;
  EXPECT_EQ(blocks_of(format, "aEND\nbbEND\ncEND", 1), (Blocks{"aEND", "\nbbEND", "\ncEND"}));
}

TEST(RunBlocks, HostileSeparatorsStayLinear) {
  // One long record: each pass searches a buffer 30% larger, so the work is a geometric sum.
  const std::string input(8 << 20, 'a');
  EXPECT_EQ(blocks_of(block(16), input, 1 << 16), Blocks{input});
  PipeFormat many;
  many.records = 1;
  many.block = 1 << 20;
  // -N1 of empty lines: GNU parallel looks for a record's end from the buffer's second byte on,
  // so each block holds two (printf '\n\n\n\n' | parallel --pipe -N1 wc -c: 2 2).
  EXPECT_EQ(blocks_of(many, std::string(1 << 20, '\n'), 1 << 16), Blocks(std::size_t{1} << 19, "\n\n"));
}

TEST(RunBlocks, BlockSizes) {
  using mpp::detail::run::parse_block_size;
  EXPECT_EQ(parse_block_size("10"), 10u);
  EXPECT_EQ(parse_block_size("1k"), 1000u);
  EXPECT_EQ(parse_block_size("1K"), 1024u);
  EXPECT_EQ(parse_block_size("1ki"), 1024u);
  EXPECT_EQ(parse_block_size("1M"), 1u << 20);
  EXPECT_EQ(parse_block_size("1m"), 1000000u);
  EXPECT_EQ(parse_block_size("1.5K"), 1536u);
  EXPECT_EQ(parse_block_size("1Gi"), 1u << 30);
  for (const char* bad : {"", "-1", "-2", "0", "0.5", "1x", "K", "1KK", "3G", "1e3", ".", "1 M"}) {
    EXPECT_THROW((void)parse_block_size(bad), mpp::ParseError) << bad;
  }
}

TEST(RunBlocks, RecordSeparatorEscapes) {
  using mpp::detail::run::parse_record_separator;
  EXPECT_EQ(parse_record_separator("\\n"), "\n");
  EXPECT_EQ(parse_record_separator("a\\tb\\0"), std::string("a\tb\0", 4));
  EXPECT_EQ(parse_record_separator("\\\\\\x"), "\\\\x");
  EXPECT_EQ(parse_record_separator("end\\"), "end\\");
  EXPECT_THROW(BlockSplitter(PipeFormat{1, "", "", 0}), mpp::ParseError);
}

TEST(RunBlocks, CommandLine) {
  const auto options = parse({"--pipe", "--block", "2k", "--recend", "\\0", "-N", "2", "wc", "-l"});
  ASSERT_TRUE(options.pipe);
  EXPECT_EQ(options.pipe->block, 2000u);
  EXPECT_EQ(options.pipe->recend, std::string(1, '\0'));
  EXPECT_EQ(options.pipe->recstart, "");
  EXPECT_EQ(options.pipe->records, 2u);
  const auto start = parse({"--spreadstdin", "--recstart", ">", "cat"});
  ASSERT_TRUE(start.pipe);
  EXPECT_EQ(start.pipe->recend, "");
  EXPECT_EQ(start.pipe->block, 1u << 20);
  EXPECT_FALSE(parse({"cat"}).pipe);
  for (const std::vector<const char*>& bad :
       std::vector<std::vector<const char*>>{{"--block", "1M", "cat"},
                                             {"--recend", ";", "cat"},
                                             {"--pipe", "--regexp", "cat"},
                                             {"--pipepart", "cat"},
                                             {"--pipepart", "-a", "-", "cat"},
                                             {"--pipepart", "-a", "f", "cat", ":::", "a"},
                                             {"--pipepart", "--pipe", "-a", "f", "cat"},
                                             {"--pipepart", "-a", "f", "-N", "2", "cat"},
                                             {"--pipepart", "-a", "f", "--block", "-0.5", "cat"},
                                             {"--pipepart", "-a", "f"},
                                             {"--pipepart", "-a", "f", "echo", "{}"},
                                             {"--pipepart", "-a", "f", "--tag", "cat"},
                                             {"--pipe", "cat", ":::", "a"},
                                             {"--pipe", "-a", "f", "cat"},
                                             {"--pipe", "--header", "a.*\\n", "cat"},
                                             {"--pipe", "--header", "", "cat"},
                                             {"--pipe", "--header", "-1", "cat"},
                                             {"--pipe", "-n", "2", "cat"},
                                             {"--pipe", "-L", "2", "cat"},
                                             {"--pipe", "-N", "0", "cat"},
                                             {"--pipe", "--block", "-1", "cat"},
                                             {"--pipe", "echo", "{}"},
                                             {"--pipe", "echo", "{1}"},
                                             {"--pipe", "--tag", "cat"},
                                             {"--pipe"},
                                             {"--pipe", "--recstart", "", "--recend", "", "cat"}}) {
    EXPECT_THROW((void)parse(bad), mpp::ParseError) << bad[0] << " " << bad[1];
  }
  EXPECT_NO_THROW((void)parse({"--pipe", "echo", "{#}", "{%}"}));
  EXPECT_EQ(parse_error({"--pipepart", "-a", "f", "cat", ":::", "a"}),
            "::: values with --pipepart are not implemented by mpp-run: give the file to cut with -a FILE or "
            ":::: FILE");
}

TEST(RunBlocks, CommandLineOfHeaderAndParts) {
  const auto header = parse({"--pipe", "--header", ":", "cat"});
  ASSERT_TRUE(header.pipe);
  EXPECT_EQ(header.pipe->header_lines, 1u);
  EXPECT_EQ(parse({"--pipe", "--header", "3", "-N", "2", "cat"}).pipe->header_lines, 3u);
  EXPECT_EQ(parse({"--pipe", "cat"}).pipe->header_lines, 0u);
  const auto part = parse({"--pipepart", "-a", "f", "--block", "10k", "wc"});
  ASSERT_TRUE(part.pipe);
  EXPECT_EQ(part.pipe->files, std::vector<std::string>{"f"});
  EXPECT_EQ(part.pipe->block, 10000u);
  EXPECT_EQ(part.pipe->blocks_per_slot, 0u);
  // GNU parallel's default: 10 parts per job slot; a negative --block: that many.
  EXPECT_EQ(parse({"--pipepart", "-a", "f", "wc"}).pipe->blocks_per_slot, 10u);
  EXPECT_EQ(parse({"--pipepart", "-a", "f", "--block", "-3", "wc"}).pipe->blocks_per_slot, 3u);
  EXPECT_EQ(parse({"--pipepart", "-a", "f", "--block", "-1k", "wc"}).pipe->blocks_per_slot, 1000u);
  const auto files = parse({"--pipepart", "--header", "2", "wc", "::::", "f", "g"});
  ASSERT_TRUE(files.pipe);
  EXPECT_EQ(files.pipe->files, (std::vector<std::string>{"f", "g"}));
  EXPECT_EQ(files.pipe->header_lines, 2u);
}

}  // namespace
