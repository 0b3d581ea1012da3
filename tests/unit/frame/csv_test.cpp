// read_csv and write_csv: the format (RFC 4180, nulls, type inference), every malformed input as a
// ParseError with its file, line and field, and the round trip on random frames.
#include "mpp/csv.hpp"

#include <gtest/gtest.h>
#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "mpp/errors.hpp"
#include "mpp/frame.hpp"

namespace {

using I = std::int64_t;
using mpp::ColumnType;
using mpp::Frame;

namespace fs = std::filesystem;

Frame read_text(const std::string& text, const mpp::CsvOptions& options = {}) {
  std::istringstream in(text);
  return mpp::read_csv(in, options);
}

std::string write_text(const Frame& frame, const mpp::CsvOptions& options = {}) {
  std::ostringstream out;
  mpp::write_csv(frame, out, options);
  return out.str();
}

// A stream that cannot seek, as a pipe: read_csv keeps what it reads for a second pass.
class PipeBuffer : public std::streambuf {
 public:
  explicit PipeBuffer(std::string text) : text_(std::move(text)) {
    setg(text_.data(), text_.data(), text_.data() + text_.size());
  }

 private:
  std::string text_;
};

Frame read_pipe(const std::string& text) {
  PipeBuffer buffer(text);
  std::istream in(&buffer);
  return mpp::read_csv(in);
}

// A scratch folder, removed with its files.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "mpp-csv-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::system_error(errno, std::generic_category(), "mkdtemp");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  fs::path file(const std::string& name, const std::string& content) const {
    const fs::path path = path_ / name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Expects `text` to fail with a ParseError at `line` and `field` whose message contains `what`.
void expect_parse_error(const std::string& text, std::size_t line, std::size_t field, const std::string& what,
                        const mpp::CsvOptions& options = {}) {
  try {
    const Frame frame = read_text(text, options);
    ADD_FAILURE() << "no ParseError for:\n" << text << "read:\n" << mpp::to_string(frame);
  } catch (const mpp::ParseError& e) {
    EXPECT_EQ(e.file(), "<stream>") << e.what();
    EXPECT_EQ(e.line(), line) << e.what();
    EXPECT_EQ(e.column(), field) << e.what();
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

// -- reading ----------------------------------------------------------------------------------------

TEST(ReadCsv, ReadsTheHeaderAndInfersATypePerColumn) {
  const Frame frame = read_text("id,price,name\n1,2.5,apple\n2,3,pear\n-3,1e3,fig\n");
  EXPECT_EQ(frame, Frame({{"id", std::vector<I>{1, 2, -3}},
                          {"price", std::vector<double>{2.5, 3.0, 1000.0}},
                          {"name", std::vector<std::string>{"apple", "pear", "fig"}}}));
}

TEST(ReadCsv, Int64ThenFloat64ThenString) {
  // Whatever order the fields come in, the narrowest type that holds them all.
  EXPECT_EQ(read_text("a\n1\n2.5\n").column(0), mpp::Column("a", std::vector<double>{1, 2.5}));
  EXPECT_EQ(read_text("a\n2.5\n1\n").column(0), mpp::Column("a", std::vector<double>{2.5, 1}));
  EXPECT_EQ(read_text("a\n+7\n007\n-0\n").column(0), mpp::Column("a", std::vector<I>{7, 7, 0}));
  EXPECT_EQ(read_text("a\ninf\n-inf\n.5\n5.\n1E-3\n").column(0).type(), ColumnType::float64);
  EXPECT_TRUE(std::isnan(read_text("a\nnan\n").column(0).get<double>(0)));
  // Text after numbers: the column is read again for the numbers' own text.
  EXPECT_EQ(read_text("a,b\n1,x\n2.50,y\n007,z\nabc,w\n").column(0),
            mpp::Column("a", std::vector<std::string>{"1", "2.50", "007", "abc"}));
  // Not numbers: a lone sign, hex, two signs, thousands separators (spaces around a number are
  // skipped: SpacesAroundANumberAreSkippedAsPandasDoes).
  for (const char* text : {"-", "+", "0x10", "+-1", "1,000", "1e", "--1", "1_0", " -", " 0x10"}) {
    const std::string field =
        std::string(text).find(',') != std::string::npos ? "\"" + std::string(text) + "\"" : text;
    EXPECT_EQ(read_text("a\n" + field + "\n").column(0).type(), ColumnType::string) << text;
  }
}

TEST(ReadCsv, ASecondPassWorksOnFilesStreamsAndPipes) {
  const std::string text = "n,s\n1,a\n2,b\n3.0,c\nfour,d\n";
  const Frame expected{{"n", std::vector<std::string>{"1", "2", "3.0", "four"}},
                       {"s", std::vector<std::string>{"a", "b", "c", "d"}}};
  EXPECT_EQ(read_text(text), expected);
  EXPECT_EQ(read_pipe(text), expected);
  const TempDir dir;
  EXPECT_EQ(mpp::read_csv(dir.file("second.csv", text)), expected);
  // A stream read from the middle is rewound to where it started, not to its beginning.
  std::istringstream in("skipped line\n" + text);
  std::string skipped;
  std::getline(in, skipped);
  EXPECT_EQ(mpp::read_csv(in), expected);
}

TEST(ReadCsv, QuotedFieldsAreText) {
  const Frame frame = read_text("a,b\n\"1\",2\n3,4\n");
  EXPECT_EQ(frame.column("a"), mpp::Column("a", std::vector<std::string>{"1", "3"}));
  EXPECT_EQ(frame.column("b").type(), ColumnType::int64);
}

TEST(ReadCsv, AnEmptyFieldIsNullAndQuotesMakeAnEmptyString) {
  const Frame frame = read_text("i,d,s\n1,,\"\"\n,2.5,x\n3,4,\n");
  EXPECT_EQ(frame, Frame({{"i", std::vector<std::optional<I>>{1, std::nullopt, 3}},
                          {"d", std::vector<std::optional<double>>{std::nullopt, 2.5, 4}},
                          {"s", std::vector<std::optional<std::string>>{"", "x", std::nullopt}}}));
}

TEST(ReadCsv, AColumnWithoutValuesIsString) {
  const Frame frame = read_text("a,b\n,1\n,2\n");
  EXPECT_EQ(frame.column("a"),
            mpp::Column("a", std::vector<std::optional<std::string>>{std::nullopt, std::nullopt}));
}

TEST(ReadCsv, AHeaderWithoutRowsIsAnEmptyFrame) {
  for (const char* text : {"a,b\n", "a,b", "a,b\r\n"}) {
    const Frame frame = read_text(text);
    EXPECT_EQ(frame.shape(), (std::pair<std::size_t, std::size_t>{0, 2})) << text;
    EXPECT_EQ(frame.column_names(), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(frame.column(0).type(), ColumnType::string);
  }
}

// pandas names an empty header field "Unnamed: <position>": the header `df.to_csv(path)` writes for its
// index (",a,b") reads as in pandas, and two of them are no repeated name. A quoted "" stays the
// name "", as write_csv writes a column named "" (pandas renames it too).
TEST(ReadCsv, AnEmptyHeaderFieldIsUnnamedAsInPandas) {
  const Frame frame = read_text(",a,\n0,1,2\n");
  EXPECT_EQ(frame.column_names(), (std::vector<std::string>{"Unnamed: 0", "a", "Unnamed: 2"}));
  EXPECT_EQ(frame.column("Unnamed: 2").get<I>(0), 2);
  EXPECT_EQ(read_text(",a,\n0,1,2\n", {.usecols = {"Unnamed: 0", "a"}}).column_names(),
            (std::vector<std::string>{"Unnamed: 0", "a"}));
  EXPECT_EQ(read_text(",a,\n0,1,2\n", {.usecols = {1, 2}}).column_names(),
            (std::vector<std::string>{"a", "Unnamed: 2"}));
  EXPECT_EQ(read_text("x\n,a\n0,1\n", {.skiprows = 1}).column_names(),
            (std::vector<std::string>{"Unnamed: 0", "a"}));
  EXPECT_EQ(read_text("\"\",a\n0,1\n").column_names(), (std::vector<std::string>{"", "a"}));
  EXPECT_EQ(read_text(" ,a\n0,1\n").column_names(), (std::vector<std::string>{" ", "a"}));
  EXPECT_EQ(read_text("0,1\n", {.header = false}).column_names(), (std::vector<std::string>{"0", "1"}));
}

TEST(ReadCsv, GivenTypesAreParsedNotInferred) {
  const mpp::CsvOptions options{.types = {{"zip", ColumnType::string}, {"n", ColumnType::float64}}};
  const Frame frame = read_text("zip,n,k\n02134,1,5\n,2,6\n", options);
  EXPECT_EQ(frame, Frame({{"zip", std::vector<std::optional<std::string>>{"02134", std::nullopt}},
                          {"n", std::vector<double>{1, 2}},
                          {"k", std::vector<I>{5, 6}}}));
  // An empty column keeps the type it is given.
  EXPECT_EQ(read_text("a\n\n", {.types = {{"a", ColumnType::int64}}}).column(0).type(), ColumnType::int64);
  EXPECT_THROW((void)read_text("a\n1\n", {.types = {{"b", ColumnType::int64}}}), std::invalid_argument);
  expect_parse_error("a,b\n1,2\n3,x\n", 3, 2, "'x' is not an integer (column 'b' was given type int64)",
                     {.types = {{"b", ColumnType::int64}}});
  expect_parse_error("a\n1.5\n", 2, 1, "'1.5' is not an integer", {.types = {{"a", ColumnType::int64}}});
  expect_parse_error("a\n9223372036854775808\n", 2, 1, "does not fit int64",
                     {.types = {{"a", ColumnType::int64}}});
  expect_parse_error("a\nabc\n", 2, 1, "is not a number", {.types = {{"a", ColumnType::float64}}});
  expect_parse_error("a\n1e400\n", 2, 1, "out of the range of double",
                     {.types = {{"a", ColumnType::float64}}});
}

TEST(ReadCsv, Rfc4180Quoting) {
  const Frame frame = read_text("text,n\n\"a,b\",1\n\"say \"\"hi\"\"\",2\n\"two\nlines\",3\n\"\",4\n");
  EXPECT_EQ(frame.column("text"),
            mpp::Column("text", std::vector<std::string>{"a,b", "say \"hi\"", "two\nlines", ""}));
  EXPECT_EQ(frame.column("n"), mpp::Column("n", std::vector<I>{1, 2, 3, 4}));
  // Quoted header names too.
  EXPECT_EQ(read_text("\"x,y\",\"\"\"q\"\"\"\n1,2\n").column_names(),
            (std::vector<std::string>{"x,y", "\"q\""}));
}

TEST(ReadCsv, AnyLineEnding) {
  const Frame expected{{"a", std::vector<I>{1, 3}}, {"b", std::vector<std::string>{"x", "y"}}};
  EXPECT_EQ(read_text("a,b\r\n1,x\r\n3,y\r\n"), expected);
  EXPECT_EQ(read_text("a,b\r1,x\r3,y\r"), expected);
  EXPECT_EQ(read_text("a,b\n1,x\n3,y"), expected);  // no final line break
  EXPECT_EQ(read_text("a,b\r\n1,x\n3,y\r\n"), expected);
  // A CRLF inside quotes is part of the value.
  EXPECT_EQ(read_text("a\r\n\"x\r\ny\"\r\n").column(0).get<std::string>(0), "x\r\ny");
}

TEST(ReadCsv, BytesPassThroughAndSpacesAreKept) {
  const Frame frame = read_text("名前,note\n日本,  padded  \nhéllo,\t\n");
  EXPECT_EQ(frame.column_names(), (std::vector<std::string>{"名前", "note"}));
  EXPECT_EQ(frame.column(0).get<std::string>(0), "日本");
  EXPECT_EQ(frame.column(1).get<std::string>(0), "  padded  ");
  EXPECT_EQ(frame.column(1).get<std::string>(1), "\t");
  const std::string with_nul("n\n\"a\0b\"\n", 9);
  EXPECT_EQ(read_text(with_nul).column(0).get<std::string>(0), std::string("a\0b", 3));
}

// pandas' parser skips ASCII white space around a number written in digits, not around the words
// inf and nan, nor in text: " 1 ", "\t2", "1e3 " are numbers; " inf", "  ", "+ 5", "1 2" text.
TEST(ReadCsv, SpacesAroundANumberAreSkippedAsPandasDoes) {
  const Frame frame = read_text("a,b,c,d,e,f,g\n 1 ,\t2,1e3 , inf,  ,+ 5,1 2\n-4\v,5 , .5,nan ,x, 7,3\n");
  EXPECT_EQ(frame.column("a"), mpp::Column("a", std::vector<I>{1, -4}));
  EXPECT_EQ(frame.column("b"), mpp::Column("b", std::vector<I>{2, 5}));
  EXPECT_EQ(frame.column("c"), mpp::Column("c", std::vector<double>{1000, 0.5}));
  EXPECT_EQ(frame.column("d"), mpp::Column("d", std::vector<std::string>{" inf", "nan "}));
  EXPECT_EQ(frame.column("e"), mpp::Column("e", std::vector<std::string>{"  ", "x"}));
  EXPECT_EQ(frame.column("f"), mpp::Column("f", std::vector<std::string>{"+ 5", " 7"}));
  EXPECT_EQ(frame.column("g"), mpp::Column("g", std::vector<std::string>{"1 2", "3"}));
  // A column that turns out to be text keeps the spaces of the numbers read before.
  EXPECT_EQ(read_text("h\n 8\ny\n").column(0), mpp::Column("h", std::vector<std::string>{" 8", "y"}));
  // A given type reads such numbers too; a comment after a number leaves a space behind.
  EXPECT_EQ(read_text("a\n 7 \n", {.types = {{"a", ColumnType::int64}}}).column(0),
            mpp::Column("a", std::vector<I>{7}));
  EXPECT_EQ(read_text("a\n2.5 \n", {.types = {{"a", ColumnType::float64}}}).column(0),
            mpp::Column("a", std::vector<double>{2.5}));
  EXPECT_EQ(read_text("a\n3 # three\n4\n", {.comment = '#'}).column(0),
            mpp::Column("a", std::vector<I>{3, 4}));
  // A string with spaces around a number is written quoted, and reads back as that string.
  const Frame text{{"s", std::vector<std::string>{" 12", "3 "}}};
  EXPECT_EQ(read_text(write_text(text)), text);
}

TEST(ReadCsv, SkipsAByteOrderMark) {
  EXPECT_EQ(read_text("\xEF\xBB\xBFid\n1\n").column_names(), (std::vector<std::string>{"id"}));
}

TEST(ReadCsv, AnotherDelimiterAndNoHeader) {
  EXPECT_EQ(read_text("a;b\n1;x,y\n", {.delimiter = ';'}),
            Frame({{"a", std::vector<I>{1}}, {"b", std::vector<std::string>{"x,y"}}}));
  EXPECT_EQ(read_text("1\t2\n3\t4\n", {.delimiter = '\t', .header = false}),
            Frame({{"0", std::vector<I>{1, 3}}, {"1", std::vector<I>{2, 4}}}));
  EXPECT_EQ(read_text("x,1\ny,2\n", {.header = false, .types = {{"1", ColumnType::float64}}}),
            Frame({{"0", std::vector<std::string>{"x", "y"}}, {"1", std::vector<double>{1, 2}}}));
  EXPECT_THROW((void)read_text("a\n1\n", {.delimiter = '"'}), std::invalid_argument);
  EXPECT_THROW((void)read_text("a\n1\n", {.delimiter = '\n'}), std::invalid_argument);
}

TEST(ReadCsv, BlankLines) {
  // Two or more columns: a blank line is no record, and is skipped.
  EXPECT_EQ(read_text("\n\na,b\n1,2\n\n3,4\n\n"),
            Frame({{"a", std::vector<I>{1, 3}}, {"b", std::vector<I>{2, 4}}}));
  // One column: a blank line is a null value.
  EXPECT_EQ(read_text("a\n1\n\n3\n"), Frame({{"a", std::vector<std::optional<I>>{1, std::nullopt, 3}}}));
}

TEST(ReadCsv, NumbersAtTheEdgesOfTheirTypes) {
  const Frame frame =
      read_text("i,d\n9223372036854775807,5e-324\n-9223372036854775808,1.7976931348623157e308\n0,1e-400\n");
  EXPECT_EQ(frame.column("i").get<I>(0), std::numeric_limits<I>::max());
  EXPECT_EQ(frame.column("i").get<I>(1), std::numeric_limits<I>::min());
  EXPECT_EQ(frame.column("d").get<double>(0), std::numeric_limits<double>::denorm_min());
  EXPECT_EQ(frame.column("d").get<double>(1), std::numeric_limits<double>::max());
  EXPECT_EQ(frame.column("d").get<double>(2), 0.0);  // too small: rounds to zero, as strtod does
  EXPECT_EQ(read_text("d\n-1e-400\n").column(0).get<double>(0), 0.0);
  EXPECT_TRUE(std::signbit(read_text("d\n-1e-400\n").column(0).get<double>(0)));
}

TEST(ReadCsv, MinusZeroKeepsItsSignInFloat64Columns) {
  // "-0" is an integer: 0 in an int64 column, but -0.0 (as "-0.0" is) once the column is float64,
  // whether the float64 value comes before it, after it, or from a given type.
  for (const char* text : {"d\n1.5\n-0\n", "d\n-0\n1.5\n", "d\n-000\n\n1.5\n", "d\n-0.0\n1.5\n"}) {
    const mpp::Column column = read_text(text).column(0);
    ASSERT_EQ(column.type(), ColumnType::float64) << text;
    const std::size_t at = column.get_optional<double>(0) == 1.5 ? 1 : 0;
    EXPECT_EQ(column.get<double>(at), 0.0) << text;
    EXPECT_TRUE(std::signbit(column.get<double>(at))) << text;
  }
  const Frame given = read_text("d\n-0\n0\n", {.types = {{"d", ColumnType::float64}}});
  EXPECT_TRUE(std::signbit(given.column(0).get<double>(0)));
  EXPECT_FALSE(std::signbit(given.column(0).get<double>(1)));
  // Only a minus makes a negative zero; an int64 column has none.
  EXPECT_FALSE(std::signbit(read_text("d\n0\n+0\n1.5\n").column(0).get<double>(0)));
  EXPECT_FALSE(std::signbit(read_text("d\n0\n+0\n1.5\n").column(0).get<double>(1)));
  EXPECT_EQ(read_text("i\n-0\n1\n").column(0), mpp::Column("i", std::vector<I>{0, 1}));
  // Nulls before and after stay nulls.
  const mpp::Column with_nulls = read_text("d,x\n,a\n-0,b\n,c\n2.5,d\n").column(0);
  EXPECT_TRUE(with_nulls.is_null(0));
  EXPECT_TRUE(std::signbit(with_nulls.get<double>(1)));
  EXPECT_TRUE(with_nulls.is_null(2));
  // And it survives the round trip.
  const Frame negative_zero{{"d", std::vector<double>{-0.0, 0.0}}};
  EXPECT_EQ(read_text(write_text(negative_zero)), negative_zero);
}

TEST(ReadCsv, AnIntegerColumnValueOutsideInt64IsAParseError) {
  expect_parse_error(
      "id,x\n1,a\n2,b\n9223372036854775808,c\n", 4, 1,
      "integer 9223372036854775808 does not fit int64 (every value of column 'id' is an integer, "
      "so its type is int64)");
  expect_parse_error("id\n-9223372036854775809\n", 2, 1, "does not fit int64");
  // Not when another value makes the column float64 (where it is rounded, as every decimal is)...
  const Frame wide = read_text("id\n9223372036854775808\n0.5\n");
  EXPECT_EQ(wide.column(0).get<double>(0), 9223372036854775808.0);
  // ...or string.
  EXPECT_EQ(read_text("id\n99999999999999999999\nx\n").column(0).get<std::string>(0), "99999999999999999999");
}

TEST(ReadCsv, AFloat64ColumnValueOutsideDoubleIsAParseError) {
  expect_parse_error("a,d\n1,2.5\n2,1e309\n", 3, 2,
                     "number 1e309 is out of the range of double (column 'd' is float64)");
  expect_parse_error("d\n-1.5e99999\n", 2, 1, "out of the range of double");
  EXPECT_EQ(read_text("d\n1e309\nx\n").column(0).get<std::string>(0), "1e309");
}

TEST(ReadCsv, RaggedRowsAreParseErrors) {
  expect_parse_error("a,b\n1,2\n3\n", 3, 2, "a record with 1 field where there are 2 columns");
  expect_parse_error("a,b\n1,2\n3,4,5\n", 3, 3,
                     "a record with more fields than the 2 columns the header names");
  expect_parse_error("a,b\n1,2,\n", 2, 3, "more fields");  // a trailing delimiter is an empty field
  // Lines count physical lines, so a field spanning two lines moves the count on.
  expect_parse_error("a,b\n\"x\ny\",2\n3\n", 4, 2, "a record with 1 field");
  expect_parse_error("a,b\r\n1,2\r\n3\r\n", 3, 2, "a record with 1 field");
  // With every line ending, inside quotes too: CR LF is one line break, a lone CR (old Mac files)
  // or LF is one.
  expect_parse_error("a,b\r\"x\ry\",2\r3\r", 4, 2, "a record with 1 field");
  expect_parse_error("a,b\r\"x\r\ry\",2\r3\r", 5, 2, "a record with 1 field");
  expect_parse_error("a,b\r\n\"x\r\ny\",2\r\n3\r\n", 4, 2, "a record with 1 field");
  expect_parse_error("a,b\n\"x\n\r\ny\r\",2\n3\n", 6, 2, "a record with 1 field");
  expect_parse_error("1,2\n3\n", 2, 2, "where there are 2 columns", {.header = false});
  expect_parse_error("1,2\n3,4,5\n", 2, 3, "more fields than the 2 columns of the first record",
                     {.header = false});
}

TEST(ReadCsv, BadQuotingIsAParseError) {
  expect_parse_error("a,b\n1,\"open\n2,3\n", 2, 2, "a quoted field is not closed");
  expect_parse_error("a,b\n\"12 pipe,x\n3,4\n", 2, 1, "a quoted field is not closed");
  // With strict_quotes, as RFC 4180 has it (by default they are read as pandas reads them:
  // csv_options_test.cpp).
  const mpp::CsvOptions strict{.strict_quotes = true};
  expect_parse_error("a,b\n1,x\"y\n", 2, 2, "a quote inside an unquoted field", strict);
  expect_parse_error("a,b\n1,\"x\"y\n", 2, 2, "text after the closing quote", strict);
  expect_parse_error("a,b\n1,\"x\ny\"z\n", 3, 2, "text after the closing quote", strict);
  expect_parse_error("a,b\r1,\"x\ry\"z\r", 3, 2, "text after the closing quote", strict);
  expect_parse_error("a,b\r\n1,\"x\r\ny\"z\r\n", 3, 2, "text after the closing quote", strict);
  expect_parse_error("a,b\n1,\"x\" \n", 2, 2, "text after the closing quote", strict);
}

TEST(ReadCsv, EmptyInputIsAParseError) {
  for (const char* text : {"", "\n", "\r\n\r\n", "\xEF\xBB\xBF"}) {
    expect_parse_error(text, 1, 0, "empty input: no header row");
  }
  expect_parse_error("", 1, 0, "empty input: no record", {.header = false});
}

TEST(ReadCsv, RepeatedColumnNamesAreAParseError) {
  expect_parse_error("a,b,a\n1,2,3\n", 1, 3, "column name 'a' is repeated (fields 1 and 3)");
  expect_parse_error("\n\"\",x,\"\"\n", 2, 3, "column name '' is repeated");
}

TEST(ReadCsv, FilesNameThemselvesInErrors) {
  const TempDir dir;
  const fs::path path = dir.file("ragged.csv", "a,b\n1,2\n3\n");
  try {
    (void)mpp::read_csv(path);
    FAIL() << "no exception";
  } catch (const mpp::ParseError& e) {
    EXPECT_EQ(e.file(), path.string());
    EXPECT_EQ(std::string(e.what()),
              path.string() + ":3:2: mpp::read_csv: a record with 1 field where there are 2 columns");
  }
  try {
    (void)mpp::read_csv(dir.path() / "missing.csv");
    FAIL() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
    EXPECT_NE(std::string(e.what()).find("missing.csv"), std::string::npos);
  }
  EXPECT_THROW((void)mpp::read_csv(dir.path()), std::system_error);  // a folder: read() fails
}

TEST(ReadCsv, LargeInputAcrossBlocks) {
  // Over 1 MiB, with quoted fields and line breaks everywhere, so some straddle libcsv's blocks.
  std::string text = "id,text,x\n";
  std::vector<I> ids;
  std::vector<std::string> texts;
  std::vector<double> xs;
  for (I i = 0; i < 80000; ++i) {
    ids.push_back(i);
    texts.push_back("line " + std::to_string(i) + ",\n\"quoted\"");
    xs.push_back(static_cast<double>(i) + 0.25);
    text += std::to_string(i) + ",\"line " + std::to_string(i) + ",\n\"\"quoted\"\"\"," +
            std::to_string(xs.back()) + "\n";
  }
  ASSERT_GT(text.size(), std::size_t{2} << 20);
  EXPECT_EQ(read_text(text), Frame({{"id", ids}, {"text", texts}, {"x", xs}}));
  // An error near the end still gets its line: two lines per record, after the header.
  text += "1,2\n";
  expect_parse_error(text, 2 + 2 * 80000, 3, "a record with 2 fields");
}

// -- hostile input: linear time, bounded memory -----------------------------------------------------

TEST(ReadCsv, AHundredThousandColumnHeaderReadsInLinearTime) {
  constexpr std::size_t k_columns = 100'000;
  std::string header;
  std::string row;
  for (std::size_t c = 0; c < k_columns; ++c) {
    header += (c == 0 ? "c" : ",c") + std::to_string(c);
    row += (c == 0 ? "" : ",") + std::to_string(c);
  }
  // Pairwise name checks took about 15 s optimised and over 400 s unoptimised, past the test's
  // timeout; a hash table takes under a second. Speed itself is the benchmarks' to measure.
  const Frame frame = read_text(header + "\n" + row + "\n");
  ASSERT_EQ(frame.shape(), (std::pair<std::size_t, std::size_t>{1, k_columns}));
  EXPECT_EQ(frame.column(k_columns - 1).name(), "c99999");
  EXPECT_EQ(frame.column("c99999").get<I>(0), 99999);
  // A repeated name at the far end is found, with both positions, as fast.
  expect_parse_error(header + ",c5\n", 1, k_columns + 1,
                     "column name 'c5' is repeated (fields 6 and " + std::to_string(k_columns + 1) + ")");
}

// Expects read_csv on `path` to fail with a ParseError at `line` and `field` over max_field_size.
void expect_too_long(const fs::path& path, std::size_t line, std::size_t field,
                     const mpp::CsvOptions& options) {
  try {
    (void)mpp::read_csv(path, options);
    ADD_FAILURE() << "no ParseError for " << path;
  } catch (const mpp::ParseError& e) {
    EXPECT_EQ(e.file(), path.string());
    EXPECT_EQ(e.line(), line) << e.what();
    EXPECT_EQ(e.column(), field) << e.what();
    EXPECT_NE(std::string(e.what()).find("a field is longer than CsvOptions::max_field_size, " +
                                         std::to_string(options.max_field_size) + " bytes"),
              std::string::npos)
        << e.what();
  }
}

TEST(ReadCsv, AFieldLongerThanMaxFieldSizeIsAParseError) {
  // /dev/zero is one endless field: it fails once the field passes the default 16 MiB, instead
  // of growing until memory runs out.
  ASSERT_EQ(mpp::CsvOptions{}.max_field_size, std::size_t{16} << 20);
  expect_too_long("/dev/zero", 1, 1, {});

  const TempDir dir;
  const mpp::CsvOptions small{.max_field_size = 10};
  // Exactly the limit is fine, quoted or not; the limit counts a field's bytes after unquoting.
  EXPECT_EQ(
      mpp::read_csv(
          dir.file("fits.csv", "a,b\n1,0123456789\n2,\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\n"), small),
      Frame({{"a", std::vector<I>{1, 2}},
             {"b", std::vector<std::string>{"0123456789", std::string(10, '"')}}}));
  // One byte more is an error naming the file, the line where the field starts and its field.
  expect_too_long(dir.file("row.csv", "a,b\n1,0123456789\n2,0123456789A\n"), 3, 2, small);
  expect_too_long(dir.file("header.csv", "a,0123456789A\n1,2\n"), 1, 2, small);
  expect_too_long(dir.file("quoted.csv", "a,b\n1,\"x\ny\"\n2,\"0123\n456789A\"\n"), 4, 2, small);
  // A quote never closed is stopped by the limit long before the input ends (3 MiB here, read
  // a block at a time), at the line where it opened.
  expect_too_long(dir.file("open.csv", "a,b\n1,2\n3,\"" + std::string(3 << 20, 'x')), 3, 2,
                  {.max_field_size = 1000});
  // Without a limit, the same file reads to its end (and finds the quote never closed).
  try {
    (void)mpp::read_csv(dir.path() / "open.csv", {.max_field_size = std::numeric_limits<std::size_t>::max()});
    ADD_FAILURE() << "no ParseError";
  } catch (const mpp::ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("a quoted field is not closed"), std::string::npos) << e.what();
  }
}

// A FIFO in a scratch folder and a thread that writes `text` into it.
class Fifo {
 public:
  Fifo(const TempDir& dir, std::string text) : path_(dir.path() / "input.fifo") {
    if (::mkfifo(path_.c_str(), 0600) != 0) throw std::system_error(errno, std::generic_category(), "mkfifo");
    writer_ = std::thread([this, text = std::move(text)] {
      // Opening blocks until the reader opens its end; the reader reads to the end of the input.
      std::ofstream(path_, std::ios::binary) << text;
    });
  }
  Fifo(const Fifo&) = delete;
  Fifo& operator=(const Fifo&) = delete;
  ~Fifo() { writer_.join(); }
  [[nodiscard]] const fs::path& path() const noexcept { return path_; }

 private:
  fs::path path_;
  std::thread writer_;
};

// Rows whose first column is numeric until its very last value, which is text: the reader learns
// only at the end of the input that it must read it again. Over 1 MiB, so it spans blocks.
std::pair<std::string, Frame> late_text_input() {
  std::string text = "n,s\n";
  std::vector<std::string> numbers;
  std::vector<std::string> words;
  for (int i = 0; i < 100'000; ++i) {
    numbers.push_back(std::to_string(i) + (i % 3 == 0 ? ".5" : ""));
    words.push_back("w" + std::to_string(i));
    text += numbers.back() + "," + words.back() + "\n";
  }
  numbers.emplace_back("late text");
  words.emplace_back("end");
  text += "late text,end\n";
  return {text, Frame({{"n", numbers}, {"s", words}})};
}

TEST(ReadCsv, AFifoIsReadTwiceWhenAColumnTurnsToTextLate) {
  const auto [text, expected] = late_text_input();
  ASSERT_GT(text.size(), std::size_t{1} << 20);
  const TempDir dir;
  {
    const Fifo fifo(dir, text);
    EXPECT_EQ(mpp::read_csv(fifo.path()), expected);
  }
  fs::remove(dir.path() / "input.fifo");
  {
    const Fifo fifo(dir, text);
    std::ifstream in(fifo.path(), std::ios::binary);  // a stream that cannot seek
    EXPECT_EQ(mpp::read_csv(in), expected);
  }
}

// Sets an environment variable for the life of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(ReadCsv, APipeNeedsATemporaryFileOnlyForASecondPass) {
  const TempDir dir;
  const ScopedEnv tmpdir("TMPDIR", (dir.path() / "missing").string());
  // No temporary folder: a pipe that needs no second pass reads as ever...
  EXPECT_EQ(read_pipe("n,s\n1,a\n2,b\n"),
            Frame({{"n", std::vector<I>{1, 2}}, {"s", std::vector<std::string>{"a", "b"}}}));
  // ...and one that does fails, saying which column needed it and what to do.
  try {
    (void)read_pipe("n,s\n1,a\nx,b\n");
    ADD_FAILURE() << "no exception";
  } catch (const std::system_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("column 'n' turned to text after numeric rows"), std::string::npos) << message;
    EXPECT_NE(message.find("CsvOptions::types"), std::string::npos) << message;
  }
  // Given its type, the column needs no second pass.
  EXPECT_EQ(
      read_text("n,s\n1,a\nx,b\n", {.types = {{"n", ColumnType::string}}}).column(0).get<std::string>(1),
      "x");
}

// An endless-looking pipe of `rows` records of one int64 column, each written with `width` digits
// ("000...0042"), made as it is read: the test itself holds none of it.
class GeneratedPipe : public std::streambuf {
 public:
  GeneratedPipe(std::size_t rows, std::size_t width) : rows_(rows), line_(width + 1, '0') {
    line_.back() = '\n';
    header_ = "n\n";
    setg(header_.data(), header_.data(), header_.data() + header_.size());
  }

 private:
  int_type underflow() override {
    if (row_ == rows_) return traits_type::eof();
    const std::string digits = std::to_string(row_++);
    std::copy(digits.begin(), digits.end(), line_.end() - 1 - static_cast<std::ptrdiff_t>(digits.size()));
    setg(line_.data(), line_.data(), line_.data() + line_.size());
    return traits_type::to_int_type(line_.front());
  }

  std::size_t rows_;
  std::size_t row_ = 0;
  std::string line_;
  std::string header_;
};

// The process's resident memory (VmRSS) or its peak (VmHWM) in bytes, from /proc/self/status.
std::size_t status_bytes(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with(field + ":")) return std::stoul(line.substr(field.size() + 1)) * 1024;
  }
  throw std::runtime_error("no " + field + " in /proc/self/status");
}

TEST(ReadCsv, APipeIsNotKeptInMemory) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "sanitizers' shadow memory and quarantine make resident memory no measure of what "
                  "read_csv keeps";
#endif
  // 24 MiB of input whose column takes 0.75 MiB: a copy of the input in memory would show.
  constexpr std::size_t k_rows = 96 * 1024;
  constexpr std::size_t k_width = 255;
  const std::size_t input = k_rows * (k_width + 1);
  // Memory freed by earlier tests but still resident would hide what this read allocates: give
  // it back to the system first.
  ::malloc_trim(0);
  {
    std::ofstream reset("/proc/self/clear_refs");
    reset << "5";  // resets VmHWM to VmRSS
  }
  const std::size_t before = status_bytes("VmRSS");
  ASSERT_LE(status_bytes("VmHWM"), before + (std::size_t{1} << 20)) << "VmHWM was not reset";
  GeneratedPipe pipe(k_rows, k_width);
  std::istream in(&pipe);
  const Frame frame = mpp::read_csv(in);
  const std::size_t peak = status_bytes("VmHWM") - before;
  ASSERT_EQ(frame.num_rows(), k_rows);
  EXPECT_EQ(frame.column(0).get<I>(k_rows - 1), static_cast<I>(k_rows - 1));
  // The column (0.75 MiB, more while its vector grows), three blocks of tokens in flight and the
  // allocator's slack, about 7 MiB in all; a copy of the 24 MiB input would be more than this.
  EXPECT_LT(peak, input / 2) << "peak " << peak << " bytes above the start for " << input
                             << " bytes of input";
  RecordProperty("PeakBytes", std::to_string(peak));
}

// -- writing ----------------------------------------------------------------------------------------

TEST(WriteCsv, WritesWhatReadsBackAsTheSameTypes) {
  const Frame frame{{"i", std::vector<std::optional<I>>{-1, std::nullopt}},
                    {"d", std::vector<double>{100, -0.0}},
                    {"s", std::vector<std::optional<std::string>>{"12", std::nullopt}},
                    {"t", std::vector<std::string>{"a,b", ""}}};
  EXPECT_EQ(write_text(frame), "i,d,s,t\n-1,100.0,\"12\",\"a,b\"\n,-0.0,,\"\"\n");
  EXPECT_EQ(write_text(frame, {.delimiter = '\t', .header = false}),
            "-1\t100.0\t\"12\"\ta,b\n\t-0.0\t\t\"\"\n");
}

// A float64 is written as pandas' to_csv writes it (Python's str()), so that a ported program's
// output files compare equal to pandas': 100000.0, not 1e+05.
TEST(WriteCsv, DoublesAreWrittenAsPandasWritesThem) {
  const Frame frame{
      {"d", std::vector<double>{100000.0, 0.0001, 1e-05, 1e15, 1e16, 3e6, 123456789012345678.0, -0.0}}};
  EXPECT_EQ(
      write_text(frame),
      "d\n100000.0\n0.0001\n1e-05\n1000000000000000.0\n1e+16\n3000000.0\n1.2345678901234568e+17\n-0.0\n");
  EXPECT_EQ(read_text(write_text(frame)), frame);
}

TEST(WriteCsv, AFrameWithoutColumnsIsNothing) { EXPECT_EQ(write_text(Frame()), ""); }

TEST(WriteCsv, FailuresThrow) {
  const TempDir dir;
  EXPECT_THROW(mpp::write_csv(Frame{{"a", std::vector<I>{1}}}, dir.path() / "no" / "such" / "dir.csv"),
               std::system_error);
  std::ostringstream closed;
  closed.setstate(std::ios::badbit);
  EXPECT_THROW(mpp::write_csv(Frame{{"a", std::vector<I>{1}}}, closed), std::system_error);
  EXPECT_THROW(mpp::write_csv(Frame{{"a", std::vector<I>{1}}}, dir.path() / "x.csv", {.delimiter = '\r'}),
               std::invalid_argument);
}

// -- round trip -------------------------------------------------------------------------------------

// Random text drawn from the characters CSV cares about.
std::string random_text(std::mt19937_64& rng) {
  static const std::vector<std::string> pieces{
      "a", "Z", " ", ",", ";", "\t",  "\"",  "\n", "\r",   "\r\n",         "1",
      "-", "+", ".", "e", "5", "nan", "inf", "é",  "日本", "\xEF\xBB\xBF", "0"};
  std::string out;
  const std::size_t n = rng() % 6;
  for (std::size_t i = 0; i < n; ++i) out += pieces[rng() % pieces.size()];
  return out;
}

double random_double(std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0:
      return std::bit_cast<double>(rng());  // any bit pattern: NaNs, infinities, denormals
    case 1:
      return static_cast<double>(static_cast<I>(rng() % 2001) - 1000);  // integral values
    case 2:
      return std::ldexp(static_cast<double>(rng() % 1000), static_cast<int>(rng() % 2200) - 1100);
    default:
      return static_cast<double>(rng() % 100000) / 1000;
  }
}

Frame random_frame(std::mt19937_64& rng) {
  const std::size_t rows = 1 + rng() % 12;
  const std::size_t columns = 1 + rng() % 4;
  std::vector<mpp::Column> out;
  for (std::size_t c = 0; c < columns; ++c) {
    std::vector<bool> nulls(rows);
    // At least one value per column: a column of nulls only cannot say its type in CSV.
    for (std::size_t r = 1; r < rows; ++r) nulls[r] = rng() % 5 == 0;
    const std::string name = "c" + std::to_string(c) + random_text(rng);
    switch (rng() % 3) {
      case 0: {
        std::vector<I> values;
        for (std::size_t r = 0; r < rows; ++r) {
          values.push_back(rng() % 3 == 0 ? static_cast<I>(rng()) : static_cast<I>(rng() % 100) - 50);
        }
        out.emplace_back(name, std::move(values), nulls);
        break;
      }
      case 1: {
        std::vector<double> values;
        for (std::size_t r = 0; r < rows; ++r) values.push_back(random_double(rng));
        out.emplace_back(name, std::move(values), nulls);
        break;
      }
      default: {
        std::vector<std::string> values;
        for (std::size_t r = 0; r < rows; ++r) values.push_back(random_text(rng));
        out.emplace_back(name, std::move(values), nulls);
        break;
      }
    }
  }
  return Frame(std::move(out));
}

TEST(CsvRoundTrip, RandomFramesReadBackEqual) {
  std::mt19937_64 rng(20240601);
  const TempDir dir;
  for (int trial = 0; trial < 600; ++trial) {
    const Frame frame = random_frame(rng);
    const char delimiter = std::array{',', ';', '\t', '|'}[static_cast<std::size_t>(trial) % 4];
    const mpp::CsvOptions options{.delimiter = delimiter};
    const std::string text = write_text(frame, options);
    Frame back;
    try {
      back = read_text(text, options);
    } catch (const std::exception& e) {
      FAIL() << "trial " << trial << ": " << e.what() << "\n" << text;
    }
    ASSERT_EQ(back, frame) << "trial " << trial << ", written as:\n"
                           << text << "read as:\n"
                           << mpp::to_string(back);
    if (trial % 50 == 0) {
      const fs::path path = dir.path() / ("trial" + std::to_string(trial) + ".csv");
      mpp::write_csv(frame, path, options);
      EXPECT_EQ(mpp::read_csv(path, options), frame) << "trial " << trial;
    }
  }
}

TEST(CsvRoundTrip, DoublesKeepTheirBits) {
  std::mt19937_64 rng(7);
  std::vector<double> values{0.1,
                             1.0 / 3,
                             -0.0,
                             0.0,
                             1e300,
                             5e-324,
                             2.2250738585072014e-308,
                             std::numeric_limits<double>::max(),
                             -std::numeric_limits<double>::infinity(),
                             1e16,
                             123456789012345680.0};
  for (int i = 0; i < 5000; ++i) {
    const double d = std::bit_cast<double>(rng());
    if (!std::isnan(d)) values.push_back(d);
  }
  const Frame frame{{"d", values}};
  const Frame back = read_text(write_text(frame));
  ASSERT_EQ(back.column(0).type(), ColumnType::float64);
  const auto read = back.column(0).values<double>();
  for (std::size_t i = 0; i < values.size(); ++i) {
    ASSERT_EQ(std::bit_cast<std::uint64_t>(read[i]), std::bit_cast<std::uint64_t>(values[i])) << values[i];
  }
}

TEST(CsvRoundTrip, OneColumnWithNullsAndEmptyStrings) {
  const Frame frame{{"", std::vector<std::optional<std::string>>{std::nullopt, "", "x", std::nullopt}}};
  EXPECT_EQ(write_text(frame), "\"\"\n\n\"\"\nx\n\n");
  EXPECT_EQ(read_text(write_text(frame)), frame);
}

}  // namespace
