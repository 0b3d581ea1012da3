// How input becomes jobs (src/run/records.hpp): delimiters, -E, -L's continued lines, --colsep,
// and several values per job (-N, -n, -L), from the command line to the commands made.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mpp/errors.hpp"
#include "run/command.hpp"
#include "run/input.hpp"
#include "run/options.hpp"
#include "run/records.hpp"
#include "run_input_support.hpp"

namespace {

using mpp::detail::run::InputFormat;
using mpp::detail::run::Options;
using mpp::detail::run::RecordReader;
using mpp_run_test::parse;
using mpp_run_test::parse_error;
using mpp_run_test::streamed;
using mpp_run_test::Words;

// The commands of `args` with `input` on standard input, read as the runner reads them.
Words commands(std::vector<const char*> args, const std::string& input = {}) {
  return streamed(parse(std::move(args)), input);
}

// The records of `chunks`, fed one after the other.
Words records(const InputFormat& format, const Words& chunks, bool strip_cr = true) {
  RecordReader reader(format, "test", strip_cr);
  Words out;
  for (const std::string& chunk : chunks) reader.feed(chunk, out);
  reader.finish(out);
  return out;
}

InputFormat delimited(std::string delimiter) {
  InputFormat format;
  format.default_delimiter = delimiter == "\n";
  format.delimiter = std::move(delimiter);
  return format;
}

TEST(RecordReader, LinesByDefault) {
  EXPECT_EQ(records({}, {"a\nb", "c\n\nd"}), (Words{"a", "bc", "", "d"}));
  EXPECT_EQ(records({}, {"a\r\nb\r\n"}), (Words{"a", "b"}));
  EXPECT_EQ(records({}, {"a\r\nb\r\n"}, false), (Words{"a\r", "b\r"}));
  EXPECT_EQ(records({}, {""}), Words{});
  EXPECT_EQ(records({}, {"\n"}), Words{""});
}

TEST(RecordReader, DelimiterSplitAcrossReads) {
  const InputFormat format = delimited("\r\n");
  EXPECT_EQ(records(format, {"a\r", "\nb\r", "\n", "c\rd"}), (Words{"a", "b", "c\rd"}));
  EXPECT_EQ(records(delimited("xyz"), {"1x", "y", "z2xy", "z"}), (Words{"1", "2"}));
  // Not the default: a CR stays.
  EXPECT_EQ(records(delimited(","), {"a\r\n,b"}), (Words{"a\r\n", "b"}));
  EXPECT_EQ(records(delimited(std::string(1, '\0')), {std::string("a\nb\0c\0", 6)}), (Words{"a\nb", "c"}));
}

TEST(RecordReader, DelimiterThatNeverOccursIsOneRecordUpToTheLimit) {
  EXPECT_EQ(records(delimited(","), {"a b\nc"}), Words{"a b\nc"});
  RecordReader reader(delimited(","), "big", true);
  Words out;
  const std::string chunk(1 << 20, 'x');
  try {
    for (int i = 0; i < 8; ++i) reader.feed(chunk, out);
    FAIL() << "no error";
  } catch (const mpp::ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("longer than"), std::string::npos) << e.what();
  }
}

TEST(RecordReader, NulByteIsAnErrorWithItsPlace) {
  try {
    (void)records({}, {std::string("a\nbc\0", 5)});
    FAIL() << "no error";
  } catch (const mpp::ParseError& e) {
    EXPECT_EQ(e.line(), 2u);
    EXPECT_EQ(e.column(), 3u);
  }
}

TEST(RecordReader, EndOfFileString) {
  InputFormat format;
  format.eof = "END";
  RecordReader reader(format, "test", true);
  Words out;
  reader.feed("a\nEND\nb\n", out);
  EXPECT_TRUE(reader.ended());
  reader.feed("c\n", out);
  reader.finish(out);
  EXPECT_EQ(out, Words{"a"});
  EXPECT_EQ(records(format, {"a\nENDx\nEND"}), (Words{"a", "ENDx"}));
}

TEST(RecordReader, LinesEndingInABlankGoOnUnderL) {
  InputFormat format;
  format.continue_lines = true;
  EXPECT_EQ(records(format, {"a \nb\nc\t\nd \n"}), (Words{"a b", "c\td "}));
  EXPECT_EQ(records(format, {"a \n \nb"}), Words{"a  b"});
  format.eof = "E";
  EXPECT_EQ(records(format, {"a \nE\nb"}), Words{"a "});
}

TEST(RecordReader, ValuesAreWrittenAndReadBackAsGnuParallelDoes) {
  EXPECT_EQ(mpp::detail::run::records_of_values({}, {"a\nb", "", "c"}), (Words{"a", "b", "", "c"}));
  EXPECT_EQ(mpp::detail::run::records_of_values(delimited(","), {"a,", "b"}), (Words{"a", "", "b"}));
  EXPECT_EQ(mpp::detail::run::records_of_values({}, {}), Words{});
}

TEST(Delimiter, GnuParallelsEscapes) {
  using mpp::detail::run::parse_delimiter;
  EXPECT_EQ(parse_delimiter("\\t"), "\t");
  EXPECT_EQ(parse_delimiter("\\r\\n"), "\r\n");
  EXPECT_EQ(parse_delimiter("\\0"), std::string(1, '\0'));
  EXPECT_EQ(parse_delimiter("\\054"), ",");
  EXPECT_EQ(parse_delimiter("\\x"), "\\x");  // not an escape: as it is
  EXPECT_EQ(parse_delimiter(","), ",");
  for (const char* bad : {"", "\\9", "\\400", "\\8"}) {
    EXPECT_THROW((void)parse_delimiter(bad), mpp::ParseError) << bad;
  }
}

TEST(Colsep, LiteralSeparatorsOnly) {
  using mpp::detail::run::parse_colsep;
  EXPECT_EQ(parse_colsep("\\t"), "\t");
  EXPECT_EQ(parse_colsep(", "), ", ");
  EXPECT_EQ(parse_colsep("\\|"), "|");
  EXPECT_EQ(parse_colsep("\\\\"), "\\");
  EXPECT_EQ(parse_colsep("::"), "::");
  for (const char* bad : {"", ".", "a|b", "\\s+", "[,;]", "x*", "\\d", "(,)", "^", "$", "\\"}) {
    try {
      (void)parse_colsep(bad);
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const mpp::ParseError& e) {
      EXPECT_NE(std::string(e.what()).find("--colsep"), std::string::npos) << e.what();
    }
  }
}

TEST(Colsep, ColumnsLoseTheirBlanks) {
  InputFormat format;
  format.colsep = ",";
  Words out;
  mpp::detail::run::append_columns(format, " a , b\t,", out);
  EXPECT_EQ(out, (Words{" a ", " b\t", ""}));  // --header's tab alone trims nothing
  out.clear();
  format.trim = true;
  mpp::detail::run::append_columns(format, " a , b\t,", out);
  EXPECT_EQ(out, (Words{"a", "b", ""}));
  out.clear();
  mpp::detail::run::append_columns(format, "", out);
  EXPECT_EQ(out, Words{""});
  out.clear();
  format.colsep.reset();
  mpp::detail::run::append_columns(format, " a,b ", out);
  EXPECT_EQ(out, Words{" a,b "});
}

TEST(PerJob, OptionsAreParsed) {
  EXPECT_EQ(parse({"-N", "3", "echo"}).format.per_job, 3u);
  EXPECT_TRUE(parse({"-N3", "echo"}).format.context);
  EXPECT_FALSE(parse({"-n", "3", "echo"}).format.context);
  EXPECT_EQ(parse({"--max-args=2", "echo"}).format.per_job, 2u);
  EXPECT_EQ(parse({"-L", "0", "echo"}).format.per_job, 0u);
  EXPECT_FALSE(parse({"-L", "0", "echo"}).format.continue_lines);
  EXPECT_TRUE(parse({"-L", "2", "echo"}).format.continue_lines);
  EXPECT_EQ(parse({"--max-lines", "0", "echo"}).format.per_job, 1u);
  EXPECT_EQ(parse({"-0", "echo"}).format.delimiter, std::string(1, '\0'));
  EXPECT_EQ(parse({"-d", "\\t", "echo"}).format.delimiter, "\t");
  EXPECT_EQ(parse({"-E", "", "echo"}).format.eof, "");
  EXPECT_EQ(*parse({"--colsep", ",", "echo"}).format.colsep, ",");
  EXPECT_EQ(*parse({"-C", ",", "echo"}).format.colsep, ",");
}

TEST(PerJob, BadValuesAreRefused) {
  EXPECT_NE(parse_error({"-N", "x", "echo"}).find("whole number"), std::string::npos);
  EXPECT_NE(parse_error({"-N", "-1", "echo"}).find("-N"), std::string::npos);
  EXPECT_NE(parse_error({"-N", "", "echo"}).find("needs a value"), std::string::npos);
  EXPECT_NE(parse_error({"-N", "99999999999999999999", "echo"}).find("too large"), std::string::npos);
  EXPECT_NE(parse_error({"-n", "2000000", "echo"}).find("too large"), std::string::npos);
  EXPECT_NE(parse_error({"-N"}).find("--max-replace-args"), std::string::npos);
  EXPECT_NE(parse_error({"-L"}).find("-L"), std::string::npos);
  EXPECT_NE(parse_error({"-N", "2", "-n", "2", "echo"}).find("give one of"), std::string::npos);
  EXPECT_NE(parse_error({"-N", "2", "-N", "3", "echo"}).find("more than once"), std::string::npos);
  EXPECT_NE(parse_error({"-0", "-d", ",", "echo"}).find("give one of"), std::string::npos);
  EXPECT_NE(parse_error({"-d", "", "echo"}).find("-d"), std::string::npos);
  EXPECT_NE(parse_error({"--colsep", "", "echo"}).find("--colsep"), std::string::npos);
  EXPECT_NE(parse_error({"--colsep=", "echo"}).find("--colsep"), std::string::npos);
  EXPECT_NE(parse_error({"--null=1", "echo"}).find("takes no value"), std::string::npos);
}

TEST(PerJob, GroupsOfValues) {
  EXPECT_EQ(commands({"-N2", "echo", ":::", "a", "b", "c"}), (Words{"echo a b", "echo c"}));
  EXPECT_EQ(commands({"-N3", "echo", "{1}-{2}-{3}", ":::", "a", "b", "c", "d"}),
            (Words{"echo a-b-c", "echo d--"}));
  EXPECT_EQ(commands({"-N2", "echo", "x{}y", "{#}", ":::", "a", "b c", "d"}),
            (Words{"echo xay x'b c'y 1", "echo xdy 2"}));
  EXPECT_EQ(commands({"-n2", "echo", "x{}y", ":::", "a", "b"}), Words{"echo xa by"});
  EXPECT_EQ(commands({"-N2", "echo", ":::", "a", "b", ":::", "1", "2"}),
            (Words{"echo a 1 a 2", "echo b 1 b 2"}));
  EXPECT_EQ(commands({"-N0", "echo", "x{}", "{1}", ":::", "a", "b"}), (Words{"echo x ", "echo x "}));
  EXPECT_EQ(commands({"-N2", ":::", "echo a", "echo b"}), Words{"echo a echo b"});
  EXPECT_EQ(commands({"-N2", "echo", ":::"}), Words{});
}

TEST(PerJob, GroupsOfLinesAreReadAsJobsNeedThem) {
  EXPECT_EQ(commands({"-N2", "echo"}, "a\nb\nc\n"), (Words{"echo a b", "echo c"}));
  EXPECT_EQ(commands({"-N2", "-a", "-", "echo"}, ""), Words{});
  EXPECT_EQ(commands({"-L2", "echo"}, "a \nb\nc\nd"), (Words{"echo 'a b' c", "echo d"}));
  EXPECT_EQ(commands({"-N2", "-a", "-"}, "echo a\n\necho b\n"), (Words{"echo a ", "echo b"}));
  EXPECT_EQ(commands({"-E", "b", "-N2", "echo", "{#}"}, "a\nb\nc\n"), Words{"echo 1"});
  EXPECT_EQ(commands({"-0", "echo"}, std::string("a b\nc\0d\0", 8)), (Words{"echo 'a b\nc'", "echo d"}));
  EXPECT_EQ(commands({"--colsep", "\\t", "echo", "{2}", "{1}", "{3}"}, "a\tb\nc\n"),
            (Words{"echo b a ", "echo  c "}));
  // The same from a whole file as from a stream.
  EXPECT_EQ(commands({"-N2", "echo", "::::", "-"}, "a\nb\nc\n"), (Words{"echo a b", "echo c"}));
}

TEST(PerJob, ValuesOfOneJobNeverOutgrowACommandLine) {
  const std::string line(1 << 20, 'v');
  std::string input;
  for (int i = 0; i < 6; ++i) input += line + "\n";
  try {
    (void)commands({"-N", "100", "echo"}, input);
    FAIL() << "no error";
  } catch (const mpp::ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("values of job 1"), std::string::npos) << e.what();
  }
}

}  // namespace

namespace {

TEST(Header, NamesBecomeNumbers) {
  using mpp::detail::run::apply_names;
  EXPECT_EQ(apply_names("echo {a} {b.} {a//} {ab} {a", {"a", "b"}), "echo {1} {2.} {1//} {ab} {a");
  // As GNU parallel, name after name: a name that is a number is rewritten too.
  EXPECT_EQ(apply_names("echo {2} {x}", {"2", "x"}), "echo {1} {2}");
  // A '.' matches any character (GNU parallel's regular expression).
  EXPECT_EQ(apply_names("echo {a.b} {aXb}", {"a.b"}), "echo {1} {1}");
  EXPECT_THROW((void)apply_names("echo", {"a*"}), mpp::ParseError);
  Words names;
  mpp::detail::run::append_names("a\tb\t\t", "\t", names);
  EXPECT_EQ(names, (Words{"a", "b"}));
}

TEST(Header, FirstValueOfEachSourceNamesItsColumns) {
  EXPECT_EQ(commands({"--header", ":", "echo", "{b}{a}", ":::", "a", "1", ":::", "b", "2"}),
            Words{"echo 21"});
  EXPECT_EQ(commands({"--header", ":", "-a", "-", "echo", "{y}"}, "x\ty\r\n1\t2\n"), Words{"echo 2"});
  EXPECT_EQ(commands({"--header", ":", "-a", "-", "echo", "{n}"}, "n\nEND\n"), Words{"echo END"});
  EXPECT_EQ(commands({"--header", ":", "-a", "-", "echo", "{n}"}, ""), Words{});
  EXPECT_EQ(commands({"--header", ":", "echo", "{a}", ":::", "a"}), Words{});
}

TEST(Header, RefusedForms) {
  EXPECT_NE(parse_error({"--header", "0", "echo"}).find("--header 0"), std::string::npos);
  EXPECT_NE(parse_error({"--header", "", "echo"}).find("--header"), std::string::npos);
  // The name made {1} the command's first word: the values would be the command.
  try {
    (void)commands({"--header", ":", "{a}", ":::", "a", "x"});
    FAIL() << "no error";
  } catch (const mpp::ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("first word"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)commands({"--header", ":", "-a", "-", "{a}"}, "a\nx\n"), mpp::ParseError);
}

}  // namespace

namespace {

// `args` with -j given as the runner resolves it.
Words spread_commands(std::vector<const char*> args, std::size_t jobs, const std::string& input = {}) {
  Options options = parse(args);
  options.jobs = jobs;
  const int fd = ::memfd_create("input", MFD_CLOEXEC);
  EXPECT_EQ(::write(fd, input.data(), input.size()), static_cast<ssize_t>(input.size()));
  EXPECT_EQ(::lseek(fd, 0, SEEK_SET), 0);
  Words out;
  try {
    mpp::detail::run::CommandSource source = mpp::detail::run::make_source(options, fd);
    source.read_all();
    while (auto command = source.next()) out.push_back(command->command);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return out;
}

TEST(Spread, ValuesSpreadOverTheJobSlots) {
  EXPECT_EQ(mpp::detail::run::spread_per_job(5, 4), 2u);
  EXPECT_EQ(mpp::detail::run::spread_per_job(1, 4), 1u);
  EXPECT_EQ(mpp::detail::run::spread_per_job(0, 4), 1u);
  EXPECT_EQ(mpp::detail::run::spread_per_job(7, 1), 7u);
  EXPECT_EQ(spread_commands({"-X", "echo", "x{}", ":::", "a", "b", "c"}, 2),
            (Words{"echo xa xb", "echo xc"}));
  EXPECT_EQ(spread_commands({"-m", "echo", "x{}", ":::", "a", "b", "c"}, 2), (Words{"echo xa b", "echo xc"}));
  EXPECT_EQ(spread_commands({"-m", "-a", "-", "echo"}, 3, "1\n2\n3\n4\n"), (Words{"echo 1 2", "echo 3 4"}));
  EXPECT_EQ(spread_commands({"-X", "-a", "-", "echo"}, 3, ""), Words{});
}

TEST(Spread, InputLongerThanOneCommandLineIsRefused) {
  const std::string line(1000, 'v');
  std::string input;
  for (int i = 0; i < 100; ++i) input += line + "\n";
  EXPECT_THROW((void)spread_commands({"-X", "-a", "-", "echo"}, 2, input), mpp::ParseError);
  // The command with every value, quoting and repeated words included.
  EXPECT_THROW(
      (void)spread_commands({"-X", "-a", "-", "echo", "{}{}{}{}{}{}{}{}{}{}"}, 2, input.substr(0, 10000)),
      mpp::ParseError);
  EXPECT_NE(parse_error({"-X", "-m", "echo"}).find("give one of"), std::string::npos);
}

TEST(Quote, EachWordQuotedWhole) {
  EXPECT_EQ(mpp::detail::run::quote_word("pre {} post"), "'pre '{}' post'");
  EXPECT_EQ(mpp::detail::run::quote_word(""), "''");
  EXPECT_EQ(mpp::detail::run::quote_word("{}"), "{}");
  EXPECT_EQ(mpp::detail::run::quote_word("$x{#}"), "'$x'{#}");
  EXPECT_EQ(commands({"-q", "sh", "-c", "echo $1", "_", "{}", ":::", "a b"}),
            Words{"sh -c 'echo $1' _ 'a b'"});
  EXPECT_NE(parse_error({"-q", "{}", ":::", "a"}).find("first word"), std::string::npos);
  EXPECT_NE(parse_error({"-q", "echo", ":::", "a", ":::", "b"}).find("one value per job"), std::string::npos);
  EXPECT_NE(parse_error({"-q", "-N2", "echo", ":::", "a"}).find("one value per job"), std::string::npos);
  EXPECT_NE(parse_error({"-q", ":::", "a"}).find("-q needs a command"), std::string::npos);
}

}  // namespace

namespace {

TEST(RecordReader, ManyContinuedLinesCostLinearTime) {
  InputFormat format;
  format.continue_lines = true;
  std::string input;
  for (int i = 0; i < 1000000; ++i) input += "a \n";  // 3 MB, one record
  const Words out = records(format, {input, "z"});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].size(), 2000001u);
}

}  // namespace
