// read_csv's pandas options (CsvOptions: usecols, nrows, skiprows, na_values, comment, quotechar)
// and its pandas reading of stray quotes, each against what pandas 1.5 reads from the same text
// (written out here; where mpp differs, the test says so).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "mpp/csv.hpp"
#include "mpp/errors.hpp"
#include "mpp/frame.hpp"

namespace {

using I = std::int64_t;
using S = std::string;
using mpp::Frame;

Frame read_text(const std::string& text, const mpp::CsvOptions& options = {}) {
  std::istringstream in(text);
  return mpp::read_csv(in, options);
}

// `text` fails with a ParseError at `line` and `field` whose message contains `what`.
void expect_parse_error(const std::string& text, std::size_t line, std::size_t field, const std::string& what,
                        const mpp::CsvOptions& options = {}) {
  try {
    const Frame frame = read_text(text, options);
    ADD_FAILURE() << "no ParseError for:\n" << text << "read:\n" << frame;
  } catch (const mpp::ParseError& e) {
    EXPECT_EQ(e.line(), line) << e.what();
    EXPECT_EQ(e.column(), field) << e.what();
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

// `text` is refused with std::invalid_argument whose message contains `what`.
void expect_invalid(const std::string& text, const mpp::CsvOptions& options, const std::string& what) {
  try {
    (void)read_text(text, options);
    ADD_FAILURE() << "no std::invalid_argument for:\n" << text;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

// The frame written and read back is the same frame.
void expect_round_trip(const Frame& frame, const mpp::CsvOptions& options = {}) {
  std::ostringstream out;
  mpp::write_csv(frame, out, options);
  EXPECT_EQ(read_text(out.str(), options), frame) << out.str();
}

// -- stray quotes ---------------------------------------------------------------------------------

TEST(ReadCsvQuotes, StrayQuotesReadAsPandasReadsThem) {
  // A quote inside an unquoted field is a quote.
  EXPECT_EQ(read_text("a,b\n12\" pipe,x\n"),
            (Frame{{"a", std::vector<S>{"12\" pipe"}}, {"b", std::vector<S>{"x"}}}));
  EXPECT_EQ(read_text("where\n37\xC2\xB0"
                      "36'37.8\"N\n"),
            (Frame{{"where", std::vector<S>{"37\xC2\xB0"
                                            "36'37.8\"N"}}}));
  EXPECT_EQ(read_text("a,b\nx,a\"b\"c\"\"\n"),
            (Frame{{"a", std::vector<S>{"x"}}, {"b", std::vector<S>{"a\"b\"c\"\""}}}));
  EXPECT_EQ(read_text("a\nx\"\n"), (Frame{{"a", std::vector<S>{"x\""}}}));  // at the end of the input
  // Text after a closing quote goes on as unquoted text.
  EXPECT_EQ(read_text("a,b\n\"ab\"cd,e\n"),
            (Frame{{"a", std::vector<S>{"abcd"}}, {"b", std::vector<S>{"e"}}}));
  EXPECT_EQ(read_text("a,b\n\"12\" pipe,x\n"),
            (Frame{{"a", std::vector<S>{"12 pipe"}}, {"b", std::vector<S>{"x"}}}));
  EXPECT_EQ(read_text("a,b\n\"ab\" \"cd\",e\n"),
            (Frame{{"a", std::vector<S>{"ab \"cd\""}}, {"b", std::vector<S>{"e"}}}));
  EXPECT_EQ(read_text("a,b\n\"x\"\"y\"z\"w,1\n"),
            (Frame{{"a", std::vector<S>{"x\"yz\"w"}}, {"b", std::vector<I>{1}}}));
  // A field that was quoted is text: pandas reads "12"34 as the integer 1234, mpp as a string.
  EXPECT_EQ(read_text("a\n\"12\"34\n"), (Frame{{"a", std::vector<S>{"1234"}}}));
  // A quote at the start of a field opens a quoted field, which must close (as pandas).
  expect_parse_error("a,b\n\"12 pipe,x\n3,4\n", 2, 1, "a quoted field is not closed");
  // A line break after the text goes on: errors still name their line.
  expect_parse_error("a,b\n\"x\ny\"z\n", 2, 2, "a record with 1 field where there are 2 columns");
}

TEST(ReadCsvQuotes, StrayQuotesAtAnyLengthAndBlock) {
  // libcsv's field buffer grows in steps of 4096 bytes; the quote lands at its end, and across
  // the 1 MiB blocks the input is read in.
  for (const std::size_t before : {std::size_t{4095}, std::size_t{4096}, std::size_t{4097},
                                   std::size_t{1} << 20, (std::size_t{1} << 20) - 4}) {
    const std::string field = std::string(before, 'x') + "\"y\"" + std::string(5000, 'z');
    const Frame frame = read_text("a,b\n" + field + ",1\n\"q\"" + std::string(before, 'r') + ",2\n");
    ASSERT_EQ(frame.num_rows(), 2U);
    EXPECT_TRUE(frame.column("a").get<S>(0) == field) << before;  // not printed: megabytes
    EXPECT_TRUE(frame.column("a").get<S>(1) == "q" + std::string(before, 'r')) << before;
    EXPECT_EQ(frame.column("b").get<I>(1), 2);
  }
}

TEST(ReadCsvQuotes, ManyStrayQuotesCostLinearTimeAndBoundedMemory) {
  // Each stray quote restarts libcsv once: 4 MiB of them read as one field, at once.
  const std::string quotes(std::size_t{4} << 20, '"');
  const Frame frame = read_text("a,b\nx" + quotes + ",1\n");
  EXPECT_TRUE(frame.column("a").get<S>(0) == "x" + quotes);  // not printed: megabytes
  // The field limit holds for them as for any field.
  expect_parse_error("a,b\nx" + quotes + ",1\n", 2, 1, "longer than CsvOptions::max_field_size",
                     {.max_field_size = 1000});
  expect_parse_error("a,b\n\"x\"" + quotes + ",1\n", 2, 1, "longer than CsvOptions::max_field_size",
                     {.max_field_size = 1000});
}

TEST(ReadCsvQuotes, WhatIsReadWritesBack) {
  const Frame frame = read_text("a,b\n12\" pipe,\"ab\"cd\n\"1\"2,x\"\n");
  EXPECT_EQ(frame, (Frame{{"a", std::vector<S>{"12\" pipe", "12"}}, {"b", std::vector<S>{"abcd", "x\""}}}));
  expect_round_trip(frame);
}

TEST(ReadCsvQuotes, AnotherQuoteCharacter) {
  const mpp::CsvOptions single{.quotechar = '\''};
  EXPECT_EQ(read_text("a,b\n'x,y',1\n'it''s',2\n\"q\",3\n", single),
            (Frame{{"a", std::vector<S>{"x,y", "it's", "\"q\""}}, {"b", std::vector<I>{1, 2, 3}}}));
  expect_round_trip(Frame{{"a", std::vector<S>{"x,y", "it's", "\"", "1"}}}, single);
  std::ostringstream out;
  mpp::write_csv(Frame{{"a", std::vector<S>{"it's", "\"q\""}}}, out, single);
  EXPECT_EQ(out.str(), "a\n'it''s'\n\"q\"\n");
  expect_invalid("a\n", {.delimiter = ';', .quotechar = ';'}, "the delimiter cannot be the quote character");
  expect_invalid("a\n", {.quotechar = '\n'}, "the quote character cannot be CR or LF");
  std::ostringstream ignored;
  EXPECT_THROW(mpp::write_csv(Frame{{"a", std::vector<I>{1}}}, ignored, {.quotechar = ','}),
               std::invalid_argument);
}

// -- usecols ----------------------------------------------------------------------------------------

TEST(ReadCsvOptions, UsecolsByNameOrPositionInTheInputsOrder) {
  const std::string text = "a,b,c\n1,x,2.5\n3,y,\n";
  const Frame ac{{"a", std::vector<I>{1, 3}}, {"c", std::vector<std::optional<double>>{2.5, std::nullopt}}};
  EXPECT_EQ(read_text(text, {.usecols = {"c", "a"}}), ac);
  EXPECT_EQ(read_text(text, {.usecols = {2, 0}}), ac);
  EXPECT_EQ(read_text(text, {.usecols = {"a", 2, "a"}}), ac);  // mixed and repeated
  EXPECT_EQ(read_text(text, {.usecols = {std::size_t{1}}}), (Frame{{"b", std::vector<S>{"x", "y"}}}));
  // Without a header, columns keep their positions as names (pandas: 0 and 2).
  EXPECT_EQ(read_text(text, {.header = false, .usecols = {0, 2}}),
            (Frame{{"0", std::vector<S>{"a", "1", "3"}},
                   {"2", std::vector<std::optional<S>>{"c", "2.5", std::nullopt}}}));
  // Records keep the input's width: a short one is an error naming its field in the input.
  expect_parse_error("a,b,c\n1,2\n", 2, 3, "a record with 2 fields where there are 3 columns",
                     {.usecols = {"a"}});
  // A column that turns to text after numbers is read again, among columns left out.
  EXPECT_EQ(read_text("a,b,c\n1,2,3\nx,4,y\n", {.usecols = {"a", "c"}}),
            (Frame{{"a", std::vector<S>{"1", "x"}}, {"c", std::vector<S>{"3", "y"}}}));
  // Given types: for a column left out, ignored.
  EXPECT_EQ(read_text(text, {.types = {{"a", mpp::ColumnType::float64}, {"b", mpp::ColumnType::int64}},
                             .usecols = {"a"}}),
            (Frame{{"a", std::vector<double>{1, 3}}}));
  // So are dates (pandas refuses those); a name the input lacks is refused for both.
  EXPECT_EQ(read_text("a,t\n1,2024-01-02\n", {.parse_dates = {"t"}, .usecols = {"a"}}),
            (Frame{{"a", std::vector<I>{1}}}));
  expect_invalid(text, {.types = {{"x", mpp::ColumnType::int64}}, .usecols = {"a"}},
                 "CsvOptions::types names column 'x', which the input does not have");
  expect_invalid(text, {.parse_dates = {"x"}, .usecols = {"a"}},
                 "CsvOptions::parse_dates names column 'x', which the input does not have");
}

TEST(ReadCsvOptions, UsecolsNamingWhatIsNotThereIsRefused) {
  expect_invalid("a,b,c\n1,2,3\n", {.usecols = {"a", "x"}},
                 "CsvOptions::usecols names column 'x', which <stream> does not have");
  expect_invalid("a,b,c\n1,2,3\n", {.usecols = {5}}, "column position 5, but <stream> has 3 columns");
  EXPECT_THROW((void)mpp::CsvColumn(-1), std::invalid_argument);
  EXPECT_EQ(mpp::CsvColumn(3).position(), 3U);
  EXPECT_EQ(mpp::CsvColumn("x").name(), std::optional<std::string>("x"));
  // An input with only a header, or nothing.
  EXPECT_EQ(read_text("a,b\n", {.usecols = {"b"}}), (Frame{{"b", std::vector<S>{}}}));
  expect_parse_error("", 1, 0, "empty input: no header row", {.usecols = {"b"}});
}

// -- nrows ------------------------------------------------------------------------------------------

TEST(ReadCsvOptions, NrowsReadsNoFurther) {
  const std::string text = "a,b\n1,2\n3,4\n5,6\n";
  EXPECT_EQ(read_text(text, {.nrows = 2}), (Frame{{"a", std::vector<I>{1, 3}}, {"b", std::vector<I>{2, 4}}}));
  EXPECT_EQ(read_text(text, {.nrows = 9}), read_text(text));
  // nrows 0: the columns, no rows (their type unknown: string, as pandas' object).
  EXPECT_EQ(read_text(text, {.nrows = 0}), (Frame{{"a", std::vector<S>{}}, {"b", std::vector<S>{}}}));
  EXPECT_EQ(read_text(text, {.header = false, .nrows = 0}),
            (Frame{{"0", std::vector<S>{}}, {"1", std::vector<S>{}}}));
  EXPECT_EQ(read_text(text, {.header = false, .nrows = 1}),
            (Frame{{"0", std::vector<S>{"a"}}, {"1", std::vector<S>{"b"}}}));
  // What follows is not read: neither a ragged record nor text makes a difference.
  EXPECT_EQ(read_text("a,b\n1,2\n3\n\"open", {.nrows = 1}),
            (Frame{{"a", std::vector<I>{1}}, {"b", std::vector<I>{2}}}));
  EXPECT_EQ(read_text("a\n1\n2\nx\n", {.nrows = 2}), (Frame{{"a", std::vector<I>{1, 2}}}));
  // A one-column file's blank line is a row (a null), and counts.
  EXPECT_EQ(read_text("a\n1\n\n2\n", {.nrows = 2}),
            (Frame{{"a", std::vector<std::optional<I>>{1, std::nullopt}}}));
  // The second pass for a column that turned to text stops at the same row.
  EXPECT_EQ(read_text("a,b\n1,2\nx,3\n4,y\n", {.nrows = 2}),
            (Frame{{"a", std::vector<S>{"1", "x"}}, {"b", std::vector<I>{2, 3}}}));
  // A large input: the rows read, not the file, are what memory holds room for.
  std::string big = "a\n";
  for (int i = 0; i < 300000; ++i) big += "12345\n";
  EXPECT_EQ(read_text(big, {.nrows = 3}), (Frame{{"a", std::vector<I>{12345, 12345, 12345}}}));
}

// -- skiprows ---------------------------------------------------------------------------------------

TEST(ReadCsvOptions, SkiprowsSkipsLinesBeforeTheHeader) {
  const Frame ab{{"a", std::vector<I>{1}}, {"b", std::vector<I>{2}}};
  EXPECT_EQ(read_text("junk\n\na,b\n1,2\n", {.skiprows = 2}), ab);  // a blank line is a line
  EXPECT_EQ(read_text("junk\n\na,b\n1,2\n", {.skiprows = 1}), ab);  // then blank lines are skipped
  EXPECT_EQ(read_text("\"j\nunk\",x\na,b\n1,2\n", {.skiprows = 1}),
            ab);  // a record, quoted line break and all
  EXPECT_EQ(read_text("x\r\ny\r\na,b\r\n1,2\r\n", {.skiprows = 2}), ab);
  EXPECT_EQ(read_text("x\ra,b\r1,2", {.skiprows = 1}), ab);
  // Without a header, the first line after them is the first row.
  EXPECT_EQ(read_text("junk\n1,2\n", {.header = false, .skiprows = 1}),
            (Frame{{"0", std::vector<I>{1}}, {"1", std::vector<I>{2}}}));
  // Lines count from the top of the input in errors.
  expect_parse_error("j\nk\na,b\n1\n", 4, 2, "a record with 1 field where there are 2 columns",
                     {.skiprows = 2});
  // Past the end: no header.
  expect_parse_error("a,b\n1,2\n", 1, 0,
                     "empty input: no header row after the 5 lines CsvOptions::skiprows skips",
                     {.skiprows = 5});
  expect_parse_error("a,b\n1,2", 1, 0, "no header row", {.skiprows = 2});
  EXPECT_EQ(read_text("a,b\n1,2", {.header = false, .skiprows = 1}).num_rows(), 1U);
}

// -- na_values --------------------------------------------------------------------------------------

TEST(ReadCsvOptions, NaValuesAreNullWhenUnquoted) {
  const std::string text = "a,b,c\nNA,1,nan\n\"NA\",-,2.5\n-,3,\n";
  // By default only an empty field is null: "NA" is text, "nan" a float64 NaN (pandas: both null).
  const Frame plain = read_text(text);
  EXPECT_EQ(plain.column("a").null_count(), 0U);
  EXPECT_EQ(plain.column("b").type(), mpp::ColumnType::string);
  EXPECT_TRUE(std::isnan(plain.column("c").get<double>(0)));
  // Asked for: "-" is null, and a quoted "NA" stays text.
  EXPECT_EQ(read_text(text, {.na_values = {"-"}}),
            (Frame{{"a", std::vector<std::optional<S>>{"NA", "NA", std::nullopt}},
                   {"b", std::vector<std::optional<I>>{1, std::nullopt, 3}},
                   {"c", std::vector<std::optional<double>>{std::numeric_limits<double>::quiet_NaN(), 2.5,
                                                            std::nullopt}}}));
  // pandas' list: "NA", "nan" and "-"... null; the quoted "NA" is not.
  const Frame pandas = read_text(text, {.na_values = [] {
                                   auto values = mpp::pandas_na_values();
                                   values.emplace_back("-");
                                   return values;
                                 }()});
  EXPECT_EQ(pandas, (Frame{{"a", std::vector<std::optional<S>>{std::nullopt, "NA", std::nullopt}},
                           {"b", std::vector<std::optional<I>>{1, std::nullopt, 3}},
                           {"c", std::vector<std::optional<double>>{std::nullopt, 2.5, std::nullopt}}}));
  // pandas 1.5.3's list exactly (pandas._libs.parsers.STR_NA_VALUES; "None" came in 2.0).
  auto list = mpp::pandas_na_values();
  std::sort(list.begin(), list.end());
  EXPECT_EQ(list, (std::vector<std::string>{"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN",
                                            "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN",
                                            "n/a", "nan", "null"}));
  // Also in given types, and in the first row of a headerless input; never in the header.
  EXPECT_EQ(read_text("NA\nNA\n1\n", {.types = {{"NA", mpp::ColumnType::int64}}, .na_values = {"NA"}}),
            (Frame{{"NA", std::vector<std::optional<I>>{std::nullopt, 1}}}));
  EXPECT_EQ(read_text("NA\n1\n", {.header = false, .na_values = {"NA"}}),
            (Frame{{"0", std::vector<std::optional<I>>{std::nullopt, 1}}}));
}

// -- comment ----------------------------------------------------------------------------------------

TEST(ReadCsvOptions, CommentsAreIgnoredOutsideQuotes) {
  const mpp::CsvOptions hash{.comment = '#'};
  // pandas: the rest of the line goes; a line that is a comment is no line at all.
  EXPECT_EQ(read_text("#top\na,b\n1,2#c\n#whole\n3,4\n", hash),
            (Frame{{"a", std::vector<I>{1, 3}}, {"b", std::vector<I>{2, 4}}}));
  // Inside a quoted field it is text; after a closing quote it starts a comment (pandas keeps it
  // as text there, and reads "z"#c as z#c).
  EXPECT_EQ(read_text("a\n\"x#y\"\n\"z\"#c\n", hash), (Frame{{"a", std::vector<S>{"x#y", "z"}}}));
  // One column: a comment line is no row, a blank line a null.
  EXPECT_EQ(read_text("a\n1\n#c\n\n2\n", hash),
            (Frame{{"a", std::vector<std::optional<I>>{1, std::nullopt, 2}}}));
  // A comment after a delimiter leaves a null field; one at the end of the input ends it.
  EXPECT_EQ(read_text("a,b\n1,#c\n3,4#c", hash),
            (Frame{{"a", std::vector<I>{1, 3}}, {"b", std::vector<std::optional<I>>{std::nullopt, 4}}}));
  // CR LF and CR line ends; error lines count the comment lines.
  EXPECT_EQ(read_text("#c\r\na,b\r\n#c\r\n1,2\r\n", hash),
            (Frame{{"a", std::vector<I>{1}}, {"b", std::vector<I>{2}}}));
  EXPECT_EQ(read_text("#c\ra,b\r#c\r1,2\r", hash),
            (Frame{{"a", std::vector<I>{1}}, {"b", std::vector<I>{2}}}));
  expect_parse_error("a,b\n#c\n#d\r\n1\n", 4, 2, "a record with 1 field where there are 2 columns", hash);
  // A quote in a comment is not a quote.
  EXPECT_EQ(read_text("a\n1 # it's \"quoted\n2\n", {.comment = ' '}), (Frame{{"a", std::vector<I>{1, 2}}}));
  // Without the option, # is text.
  EXPECT_EQ(read_text("a\n#x\n").column("a").get<S>(0), "#x");
  // Only comments: no header.
  expect_parse_error("#a\n#b\n", 1, 0, "empty input: no header row", hash);
  expect_invalid("a\n", {.comment = ','}, "the comment character cannot be the delimiter");
  expect_invalid("a\n", {.comment = '"'}, "the comment character cannot be");
  expect_invalid("a\n", {.comment = '\n'}, "the comment character cannot be");
}

// pandas' skiprows counts a line that is all comment as one of the lines it skips, so
// skiprows=2, comment="#" after "# note\nsome title\n" finds the header; counting only the lines
// that are not comments skipped the header itself and silently took the first data row for it.
TEST(ReadCsvOptions, SkiprowsCountsCommentLines) {
  const mpp::CsvOptions two{.skiprows = 2, .comment = '#'};
  EXPECT_EQ(read_text("# note\ntitle\na,b\n1,2\n", two),
            (Frame{{"a", std::vector<I>{1}}, {"b", std::vector<I>{2}}}));
  EXPECT_EQ(read_text("title\n# c\n# d\na\n1\n", {.skiprows = 3, .comment = '#'}),
            (Frame{{"a", std::vector<I>{1}}}));
  // After the skipped lines, comment lines are no line at all, as before.
  EXPECT_EQ(read_text("#c\na\n#d\n1\n", {.skiprows = 1, .comment = '#'}), (Frame{{"a", std::vector<I>{1}}}));
}

TEST(WriteCsvOptions, WritesWhatReadsBackWithTheSameOptions) {
  // Strings holding the comment character or equal to a na_value are quoted.
  const mpp::CsvOptions options{.na_values = {"NA"}, .comment = '#'};
  const Frame frame{{"a#", std::vector<std::optional<S>>{"#x", "NA", "x#", std::nullopt, "NAB"}},
                    {"b", std::vector<I>{1, 2, 3, 4, 5}}};
  std::ostringstream out;
  mpp::write_csv(frame, out, options);
  EXPECT_EQ(out.str(), "\"a#\",b\n\"#x\",1\n\"NA\",2\n\"x#\",3\n,4\nNAB,5\n");
  expect_round_trip(frame, options);
}

TEST(ReadCsvOptions, CommentLinesAcrossBlocks) {
  // A comment line longer than a block (1 MiB), and a CR LF split between two blocks.
  std::string text = "a\n#" + std::string((std::size_t{1} << 20) + 10, 'c') + "\n1\n";
  EXPECT_EQ(read_text(text, {.comment = '#'}), (Frame{{"a", std::vector<I>{1}}}));
  for (std::size_t pad = 0; pad < 4; ++pad) {
    const std::string split = "a\n#" + std::string((std::size_t{1} << 20) - 4 + pad, 'c') + "\r\n1\r\n";
    EXPECT_EQ(read_text(split, {.comment = '#'}), (Frame{{"a", std::vector<I>{1}}})) << pad;
  }
}

// -- gzip -------------------------------------------------------------------------------------------

// A scratch file, removed at the end.
class ScratchFile {
 public:
  explicit ScratchFile(const std::string& name)
      : path_(std::filesystem::temp_directory_path() /
              ("mpp-csv-options-" + std::to_string(::getpid()) + "-" + name)) {}
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  ~ScratchFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  void write(const std::string& bytes) const { std::ofstream(path_, std::ios::binary) << bytes; }
  [[nodiscard]] std::string read() const {
    std::ifstream in(path_, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

 private:
  std::filesystem::path path_;
};

std::string from_hex(std::string_view hex) {
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return bytes;
}

// Python's gzip.compress(b"a,b\n1,x\n", mtime=0), and of b"2,x\n".
const std::string k_gzip_ab = from_hex("1f8b08000000000002034bd449e232d4a9e00200f4a0010008000000");
const std::string k_gzip_2x = from_hex("1f8b080000000000020333d2a9e00200524a024d04000000");

// Where pandas 1.5.3 differs on number text (docs/frame.md, CSV): a column given int64 takes
// integers only (pandas takes 1e5, 1.0 and -0.0 as whole floats); decimal text becomes the nearest
// double (pandas' default parser reads 9223372036854775807 as 9223372036854777856, one unit in the
// last place above 2^63; its float_precision="round_trip" agrees with mpp).
TEST(ReadCsvOptions, NumberTextWherePandasDiffers) {
  const mpp::CsvOptions as_int{.types = {{"a", mpp::ColumnType::int64}}};
  expect_parse_error("a\n1e5\n", 2, 1, "is not an integer", as_int);
  expect_parse_error("a\n 1.0\n", 2, 1, "is not an integer", as_int);
  expect_parse_error("a\n-0.0\n", 2, 1, "is not an integer", as_int);
  EXPECT_EQ(read_text("a\n 7 \n", as_int).column(0).get<I>(0), 7);
  const mpp::CsvOptions as_float{.types = {{"a", mpp::ColumnType::float64}}};
  EXPECT_EQ(read_text("a\n9223372036854775807\n", as_float).column(0).get<double>(0), 0x1p63);
}

// pandas reads NaN, nan and NAN in a parse_dates column as NaT (its default na_values); mpp refuses
// them as text that is no date, and reads NaN and nan as nulls with pandas' na_values (NAN is not
// in that list, so it stays an error, where pandas' to_datetime takes it).
TEST(ReadCsvOptions, NaNInADateColumnIsNullOnlyWithPandasNaValues) {
  expect_parse_error("d\n2024-01-02\nnan\n", 3, 1, "ISO 8601", {.parse_dates = {"d"}});
  const Frame frame =
      read_text("d\nNaN\n2024-01-02\nnan\n", {.parse_dates = {"d"}, .na_values = mpp::pandas_na_values()});
  EXPECT_EQ(frame.column(0).type(), mpp::ColumnType::datetime);
  EXPECT_EQ(frame.column(0).null_count(), 2U);
  EXPECT_FALSE(frame.column(0).is_null(1));
  expect_parse_error("d\nNAN\n", 2, 1, "ISO 8601",
                     {.parse_dates = {"d"}, .na_values = mpp::pandas_na_values()});
}

TEST(CsvGzip, ReadsWhatGzipWrote) {
  const ScratchFile file("ab.csv.gz");
  file.write(k_gzip_ab);
  const Frame ab{{"a", std::vector<I>{1}}, {"b", std::vector<S>{"x"}}};
  EXPECT_EQ(mpp::read_csv(file.path()), ab);  // inferred from the name
  std::istringstream in(k_gzip_ab);
  EXPECT_EQ(mpp::read_csv(in, {.compression = mpp::CsvCompression::gzip}), ab);
  // Two members, as `cat a.gz b.gz` makes: one input.
  const ScratchFile twice("twice.gz");
  twice.write(k_gzip_ab + k_gzip_2x);
  EXPECT_EQ(mpp::read_csv(twice.path()),
            (Frame{{"a", std::vector<I>{1, 2}}, {"b", std::vector<S>{"x", "x"}}}));
}

// Zero bytes after a member (a file padded to a block size by tape or block tools) are skipped,
// as gzip(1) and Python's gzip module (so pandas) skip them; other bytes after a member must be one.
TEST(CsvGzip, ZeroPaddingAfterAMemberIsSkippedAsGzipDoes) {
  const Frame ab{{"a", std::vector<I>{1}}, {"b", std::vector<S>{"x"}}};
  const ScratchFile file("padded.csv.gz");
  file.write(k_gzip_ab + std::string(700000, '\0'));  // past a block of compressed input
  EXPECT_EQ(mpp::read_csv(file.path()), ab);
  file.write(k_gzip_ab + std::string(3, '\0') + k_gzip_2x + std::string(5, '\0'));
  EXPECT_EQ(mpp::read_csv(file.path()),
            (Frame{{"a", std::vector<I>{1, 2}}, {"b", std::vector<S>{"x", "x"}}}));
  file.write(k_gzip_ab + std::string(3, '\0') + "garbage");
  EXPECT_THROW((void)mpp::read_csv(file.path()), mpp::ParseError);
}

TEST(CsvGzip, WritesGzipThatReadsBack) {
  std::vector<I> numbers(200000);
  std::vector<S> words(200000);
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    numbers[i] = static_cast<I>(i * 7919 % 100003);
    words[i] = i % 3 == 0 ? "x" : "word " + std::to_string(i);
  }
  const Frame frame{{"n", numbers}, {"w", words}};
  const ScratchFile file("big.csv.gz");
  mpp::write_csv(frame, file.path());
  const std::string bytes = file.read();
  ASSERT_GT(bytes.size(), 2U);
  EXPECT_EQ(bytes.substr(0, 2), "\x1f\x8b");  // gzip's magic
  EXPECT_EQ(mpp::read_csv(file.path()), frame);
  // Read as plain CSV it is not CSV; written without compression it is.
  const ScratchFile plain("plain.csv.gz");
  mpp::write_csv(frame, plain.path(), {.compression = mpp::CsvCompression::none});
  EXPECT_EQ(plain.read().substr(0, 4), "n,w\n");
  EXPECT_EQ(mpp::read_csv(plain.path(), {.compression = mpp::CsvCompression::none}), frame);
  // A column that turns to text far down: the second pass reads the gzip again.
  std::vector<S> late(numbers.size(), "1");
  late.back() = "text";
  const Frame turning{{"t", late}};
  mpp::write_csv(turning, file.path());
  EXPECT_EQ(mpp::read_csv(file.path()), turning);
  // To a stream and back.
  std::ostringstream out;
  mpp::write_csv(frame, out, {.compression = mpp::CsvCompression::gzip});
  std::istringstream in(out.str());
  EXPECT_EQ(mpp::read_csv(in, {.compression = mpp::CsvCompression::gzip}), frame);
}

TEST(CsvGzip, CorruptOrTruncatedGzipIsAParseError) {
  const ScratchFile file("bad.csv.gz");
  const auto expect_error = [&](const std::string& bytes, const std::string& what) {
    file.write(bytes);
    try {
      (void)mpp::read_csv(file.path());
      ADD_FAILURE() << "no ParseError";
    } catch (const mpp::ParseError& e) {
      EXPECT_EQ(e.file(), file.path().string());
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  expect_error("a,b\n1,2\n", "the data is not gzip, or is corrupt");
  expect_error(k_gzip_ab.substr(0, 20), "ends before its end");
  std::string flipped = k_gzip_ab;
  flipped[12] = static_cast<char>(flipped[12] ^ 0x55);
  expect_error(flipped, "gzip");
  // An empty file is an empty input.
  expect_error("", "empty input: no header row");
}

TEST(CsvGzip, GzipReadAsPlainIsAParseError) {
  // gzip data in a file not named .gz, or in a stream not told, would read as a frame of one
  // garbage column (pandas: a UnicodeDecodeError); its magic bytes say what it is.
  const ScratchFile file("gzip-named.csv");
  file.write(k_gzip_ab);
  const auto message = [](const auto& read) {
    try {
      (void)read();
    } catch (const mpp::ParseError& e) {
      return e.file() + ": " + std::string(e.what());
    }
    return std::string("no ParseError");
  };
  const std::string what =
      "mpp::read_csv: the data is gzip (it starts with gzip's magic bytes), read as plain CSV: name the file "
      "*.gz or give CsvOptions::compression = CsvCompression::gzip";
  EXPECT_EQ(message([&] { return mpp::read_csv(file.path()); }),
            file.path().string() + ": " + file.path().string() + ": " + what);
  std::istringstream in(k_gzip_ab);
  EXPECT_EQ(message([&] { return mpp::read_csv(in); }), "<stream>: <stream>: " + what);
  // Told it is plain, read_csv reads the bytes as they are; one byte of the magic is no gzip.
  EXPECT_EQ(mpp::read_csv(file.path(), {.compression = mpp::CsvCompression::none}).num_columns(), 1U);
  std::istringstream one("\x1f\n1\n");
  EXPECT_EQ(mpp::read_csv(one).num_rows(), 1U);
  // A name or value that starts so is written quoted, so it reads back.
  const Frame odd{{"\x1f\x8b", std::vector<S>{"\x1f\x8b"}}};
  std::ostringstream out;
  mpp::write_csv(odd, out, {.header = false});
  mpp::write_csv(odd, out);
  EXPECT_EQ(out.str(), "\"\x1f\x8b\"\n\"\x1f\x8b\"\n\"\x1f\x8b\"\n");
  std::istringstream back(out.str().substr(out.str().find('\n') + 1));
  EXPECT_EQ(mpp::read_csv(back), odd);
}

}  // namespace
