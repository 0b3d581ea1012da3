// bool and datetime columns (ColumnType::boolean, ColumnType::datetime) in every Frame operation:
// built, read and written as CSV, printed, converted, compared, filtered, sorted, grouped, merged,
// made distinct, and sent to other threads and processes. Expected results are pandas 1.5.3's,
// written out; where mpp differs, the test says so.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "mpp/detail/remote/codec.hpp"
#include "mpp/errors.hpp"
#include "mpp/frame.hpp"
#include "mpp_test/pools.hpp"

namespace {

using I = std::int64_t;
using mpp::Column;
using mpp::ColumnType;
using mpp::Frame;
using mpp::Scalar;
using mpp::Timestamp;
using OB = std::optional<bool>;
using OT = std::optional<Timestamp>;

Timestamp at(const char* text) { return Timestamp::parse(text); }

// pandas' example: a bool column, a nullable one, dates (one NaT) and times to the nanosecond.
Frame sample() {
  return Frame{{"flag", std::vector<bool>{true, false, true}},
               {"ok", std::vector<OB>{true, std::nullopt, false}},
               {"day", std::vector<OT>{at("2024-01-02"), std::nullopt, at("1960-12-31")}},
               {"at", std::vector<Timestamp>{at("2024-01-02 03:04:05"), at("2024-01-02 03:04:05.25"),
                                             at("2262-04-11 23:47:16.854775807")}}};
}

Frame read(const std::string& text, const mpp::CsvOptions& options) {
  std::istringstream in(text);
  return mpp::read_csv(in, options);
}

std::string written(const Frame& frame) {
  std::ostringstream out;
  mpp::write_csv(frame, out);
  return out.str();
}

// -- Timestamp ---------------------------------------------------------------------------------

TEST(FrameTypesTimestamp, ParsesIsoFormsToNanosecondsSinceTheEpoch) {
  EXPECT_EQ(at("1970-01-01").ns, 0);
  EXPECT_EQ(at("1970-01-02").ns, I{86'400'000'000'000});
  EXPECT_EQ(at("1969-12-31 23:59:59.999999999").ns, -1);
  EXPECT_EQ(at("2024-01-02T03:04:05").ns, at("2024-01-02 03:04:05").ns);
  EXPECT_EQ(at("2024-01-02 03:04").ns, at("2024-01-02 03:04:00").ns);
  EXPECT_EQ(at("2024-01-02 03:04:05.5").ns - at("2024-01-02 03:04:05").ns, 500'000'000);
  EXPECT_EQ(at("2262-04-11 23:47:16.854775807").ns, std::numeric_limits<I>::max());
  EXPECT_EQ(at("1677-09-21 00:12:43.145224193").ns, std::numeric_limits<I>::min() + 1);
  EXPECT_EQ(at("2024-02-29").ns, at("2024-03-01").ns - 86'400'000'000'000);  // a leap year
  // White space around it goes, as pandas' Timestamp and to_datetime drop it.
  EXPECT_EQ(at(" 2024-01-02 "), at("2024-01-02"));
  EXPECT_EQ(at("\t2024-01-02T03:04+01:00\r"), at("2024-01-02 02:04"));
}

TEST(FrameTypesTimestamp, ATimeZoneIsConvertedToUtc) {
  EXPECT_EQ(at("2024-01-02T03:04:05Z"), at("2024-01-02 03:04:05"));
  EXPECT_EQ(at("2024-01-02T03:04:05+02:00"), at("2024-01-02 01:04:05"));
  EXPECT_EQ(at("2024-01-02T03:04:05-0530"), at("2024-01-02 08:34:05"));
  EXPECT_EQ(at("2024-01-01T00:30:00+01:00"), at("2023-12-31 23:30:00"));
  // An offset of hours alone, as pandas reads it (docs/frame.md promises `+02`).
  EXPECT_EQ(at("2024-01-02T03:04:05+02"), at("2024-01-02 01:04:05"));
  EXPECT_EQ(at("1969-07-20 20:17:40+00"), at("1969-07-20 20:17:40"));
  EXPECT_EQ(at("2024-01-02 03:04-05"), at("2024-01-02 08:04:00"));
}

TEST(FrameTypesTimestamp, RefusesWhatPandasRefuses) {
  for (const char* bad :
       {"2023-02-29", "2024-13-01", "2024-00-10", "2016-12-31 23:59:60", "2024-01-02T24:00:00", "2262-04-12",
        "1677-09-21", "2024-01-02 03:04:05.1234567891", "24-01-02", "2024/01/02", "", " ", "2024 -01-02",
        "2024-01-02T03", "2024-01-02 03:04:05+25:00", "2024-01-02 03:04:05+02:", "2024-01-02 03:04:05+",
        "now"}) {
    EXPECT_THROW((void)Timestamp::parse(bad), std::invalid_argument) << bad;
  }
  try {
    (void)Timestamp::parse("2262-04-12");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "mpp::Timestamp::parse: '2262-04-12' is out of the range of datetime64[ns] (1677-09-21 "
              "00:12:43.145224193 to 2262-04-11 23:47:16.854775807)");
  }
  EXPECT_THROW((void)Timestamp::parse(std::string_view("2024-01-02\0", 11)), std::invalid_argument);
}

TEST(FrameTypesTimestamp, PrintsWithTheFractionItNeeds) {
  EXPECT_EQ(mpp::to_string(at("2024-01-02")), "2024-01-02 00:00:00");
  EXPECT_EQ(mpp::to_string(at("2024-01-02 03:04:05.5")), "2024-01-02 03:04:05.500");
  EXPECT_EQ(mpp::to_string(at("2024-01-02 03:04:05.000001")), "2024-01-02 03:04:05.000001");
  EXPECT_EQ(mpp::to_string(Timestamp(-1)), "1969-12-31 23:59:59.999999999");
  EXPECT_EQ(mpp::to_string(Timestamp(std::numeric_limits<I>::max())), "2262-04-11 23:47:16.854775807");
}

// -- building and reading ------------------------------------------------------------------------

TEST(FrameTypes, ScalarsKeepTheirMeaning) {
  EXPECT_EQ(Scalar(0).index(), 0U);
  EXPECT_EQ(Scalar(7U).index(), 0U);
  EXPECT_EQ(Scalar(0.5).index(), 1U);
  EXPECT_EQ(Scalar("x").index(), 2U);
  EXPECT_EQ(Scalar(true).index(), 3U);
  EXPECT_EQ(Scalar(Timestamp(3)).index(), 4U);
}

TEST(FrameTypes, ColumnsHaveTheirTypesAndValues) {
  const Frame f = sample();
  EXPECT_EQ(f.column("flag").type(), ColumnType::boolean);
  EXPECT_EQ(f.column("ok").type(), ColumnType::boolean);
  EXPECT_EQ(f.column("day").type(), ColumnType::datetime);
  EXPECT_STREQ(mpp::to_string(ColumnType::boolean), "bool");
  EXPECT_STREQ(mpp::to_string(ColumnType::datetime), "datetime64[ns]");
  EXPECT_TRUE(f.column("flag").get<bool>(0));
  EXPECT_FALSE(f.column("flag").get<bool>(1));
  EXPECT_EQ(f.column("ok").get_optional<bool>(1), std::nullopt);
  EXPECT_EQ(f.column("day").get<Timestamp>(0), at("2024-01-02"));
  EXPECT_EQ(f.column("day").get_optional<Timestamp>(1), std::nullopt);
  // Their storage: 0/1 and nanoseconds.
  EXPECT_EQ(f.column("flag").get<I>(0), 1);
  EXPECT_EQ(f.column("at").get<I>(2), std::numeric_limits<I>::max());
  EXPECT_THROW((void)f.column("flag").get<double>(0), std::invalid_argument);
  EXPECT_THROW((void)f.column("day").get<bool>(0), std::invalid_argument);
  EXPECT_THROW((void)f.column("flag").get<Timestamp>(0), std::invalid_argument);
  // A row reads them as a column does.
  EXPECT_EQ(f.row(2).get<Timestamp>("at"), Timestamp(std::numeric_limits<I>::max()));
  EXPECT_TRUE(f.row(0).get<bool>("ok"));
  EXPECT_THROW((void)f.row(1).get<bool>("ok"), std::invalid_argument);
  // A bool column is not an int64 column with the same values.
  EXPECT_NE(Column("a", std::vector<bool>{true}), Column("a", std::vector<I>{1}));
}

TEST(FrameTypes, EmptyAndAllNullColumns) {
  const Frame empty{{"b", std::vector<bool>{}}, {"t", std::vector<Timestamp>{}}};
  EXPECT_EQ(empty.num_rows(), 0U);
  EXPECT_EQ(mpp::to_string(mpp::dtypes(empty)), "b              bool\nt    datetime64[ns]\ndtype: object\n");
  const Frame nulls{{"b", std::vector<OB>{std::nullopt}}, {"d", std::vector<OT>{std::nullopt}}};
  EXPECT_EQ(mpp::to_string(nulls), "      b   d\n0  <NA> NaT\n");
  EXPECT_EQ(written(nulls), "b,d\n,\n");
  EXPECT_EQ(nulls.dropna().num_rows(), 0U);
  EXPECT_EQ(nulls.column("b").isna().count(), 1U);
}

TEST(FrameTypes, PrintsAsPandas) {
  EXPECT_EQ(mpp::to_string(sample()),
            "    flag     ok        day                            at\n"
            "0   True   True 2024-01-02 2024-01-02 03:04:05.000000000\n"
            "1  False   <NA>        NaT 2024-01-02 03:04:05.250000000\n"
            "2   True  False 1960-12-31 2262-04-11 23:47:16.854775807\n");
  EXPECT_EQ(mpp::to_string(Frame{{"b", std::vector<bool>{true}}}), "      b\n0  True\n");
  EXPECT_EQ(mpp::to_string(mpp::dtypes(sample())),
            "flag              bool\nok                bool\nday     datetime64[ns]\nat      datetime64[ns]\n"
            "dtype: object\n");
}

TEST(FrameTypesCsv, WritesAsPandas) {
  EXPECT_EQ(written(sample()),
            "flag,ok,day,at\n"
            "True,True,2024-01-02,2024-01-02 03:04:05.000000000\n"
            "False,,,2024-01-02 03:04:05.250000000\n"
            "True,False,1960-12-31,2262-04-11 23:47:16.854775807\n");
  const Frame millis{{"t", std::vector<Timestamp>{at("2024-01-02 03:04:05"), at("2024-01-02 03:04:05.5")}}};
  EXPECT_EQ(written(millis), "t\n2024-01-02 03:04:05.000\n2024-01-02 03:04:05.500\n");
  const Frame seconds{{"t", std::vector<Timestamp>{at("1900-01-02 03:04:05"), at("2024-01-02")}}};
  EXPECT_EQ(written(seconds), "t\n1900-01-02 03:04:05\n2024-01-02 00:00:00\n");
}

TEST(FrameTypesCsv, ReadsWhatItWroteWhenAsked) {
  mpp::CsvOptions options;
  options.types = {{"flag", ColumnType::boolean}, {"ok", ColumnType::boolean}};
  options.parse_dates = {"day", "at"};
  EXPECT_EQ(read(written(sample()), options), sample());
  // Not asked: bool and datetime are never inferred (pandas infers bool from True/False).
  // Padded dates, as pandas' parse_dates reads them.
  EXPECT_EQ(read("t\n 2024-01-02 \n2024-01-03\n", {.parse_dates = {"t"}}).column(0),
            read("t\n2024-01-02\n2024-01-03\n", {.parse_dates = {"t"}}).column(0));
  const Frame inferred = read(written(sample()), {});
  EXPECT_EQ(inferred.column("flag").type(), ColumnType::string);
  EXPECT_EQ(inferred.column("day").type(), ColumnType::string);
}

TEST(FrameTypesCsv, BoolSpellingsAsPandas) {
  mpp::CsvOptions options;
  options.types = {{"b", ColumnType::boolean}};
  const Frame f = read("b\nTrue\ntrue\nTRUE\n1\nFalse\nfalse\nFALSE\n0\n\n", options);
  EXPECT_EQ(f.column("b"),
            Column("b", std::vector<OB>{true, true, true, true, false, false, false, false, std::nullopt}));
  for (const char* bad : {"yes", "t", "2", "1.0", " True", "\"\"", "tRUE"}) {
    EXPECT_THROW((void)read(std::string("b\n") + bad + "\n", options), mpp::ParseError) << bad;
  }
}

TEST(FrameTypesCsv, ADateErrorNamesTheFileLineAndField) {
  mpp::CsvOptions options;
  options.parse_dates = {"d"};
  try {
    (void)read("a,d\n1,2024-01-02\n2,2023-02-29\n", options);
    FAIL();
  } catch (const mpp::ParseError& e) {
    EXPECT_EQ(e.line(), 3U);
    EXPECT_EQ(e.column(), 2U);
    EXPECT_EQ(e.file(), "<stream>");
    EXPECT_NE(std::string(e.what()).find("'2023-02-29' is not a valid date"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)read("d\n2262-04-12\n", options), mpp::ParseError);
  options.parse_dates = {"nope"};
  EXPECT_THROW((void)read("d\n2024-01-02\n", options), std::invalid_argument);
  // Offsets are converted to UTC; pandas keeps them (a tz-aware column), mpp's datetimes are naive UTC.
  options.parse_dates = {"d"};
  EXPECT_EQ(read("d\n2024-01-02T03:04:05+02:00\n", options).column("d").get<Timestamp>(0),
            at("2024-01-02 01:04:05"));
}

// pandas' missing time: NaT in a datetime column read or converted from text is a null; it is no
// Timestamp (mpp::Timestamp has no missing value).
TEST(FrameTypesCsv, NaTIsTheMissingTime) {
  const Column expected("d", std::vector<std::optional<Timestamp>>{std::nullopt, at("2024-01-02"),
                                                                   std::nullopt, std::nullopt, std::nullopt});
  EXPECT_EQ(read("d\nNaT\n2024-01-02\n nat \nNAT\n\n", {.parse_dates = {"d"}}).column(0), expected);
  EXPECT_EQ(read("d\nNaT\n2024-01-02\nnat\nNAT\n\n", {}).column(0).astype(ColumnType::datetime), expected);
  // Other spellings stay errors, and a quoted "NaT" is text, as a quoted "NA" is.
  EXPECT_THROW((void)read("d\nNaN\n", {.parse_dates = {"d"}}), mpp::ParseError);
  EXPECT_THROW((void)read("d\n\"NaT\"\n", {.parse_dates = {"d"}}), mpp::ParseError);
  EXPECT_THROW((void)Timestamp::parse("NaT"), std::invalid_argument);
}

// The lowest int64 is pandas' NaT, not a time (1677-09-21 00:12:43.145224192 is out of
// datetime64[ns]'s range): as a Timestamp or as int64 nanoseconds, it makes a null.
TEST(FrameTypes, TheLowestInt64IsNaT) {
  constexpr I lowest = std::numeric_limits<I>::min();
  const Column expected("d", std::vector<std::optional<Timestamp>>{std::nullopt, Timestamp(0), std::nullopt});
  EXPECT_EQ(Column("d", std::vector<Timestamp>{Timestamp(lowest), Timestamp(0), Timestamp(lowest)}),
            expected);
  EXPECT_EQ(Column("d", std::vector<Timestamp>{Timestamp(lowest), Timestamp(0), Timestamp(5)},
                   {false, false, true}),
            expected);
  EXPECT_EQ(Column("d", std::vector<std::optional<Timestamp>>{Timestamp(lowest), Timestamp(0), std::nullopt}),
            expected);
  EXPECT_EQ(Column("d", std::vector<I>{lowest, 0, lowest}).astype(ColumnType::datetime), expected);
  EXPECT_EQ(Column("d", std::vector<Timestamp>{Timestamp(lowest), Timestamp(0)}).nunique(), 1U);  // pandas: 1
  EXPECT_EQ(expected.fillna(Timestamp(lowest)), expected);  // pandas' fillna(pd.NaT) fills nothing
  EXPECT_EQ(Column("d", std::vector<I>{lowest + 1}).astype(ColumnType::datetime),
            Column("d", std::vector<Timestamp>{Timestamp(lowest + 1)}));  // the lowest time there is
}

// -- conversions ---------------------------------------------------------------------------------

TEST(FrameTypes, AstypeAsPandas) {
  const Frame f = sample();
  EXPECT_EQ(f.column("ok").astype(ColumnType::int64),
            Column("ok", std::vector<std::optional<I>>{1, std::nullopt, 0}));
  EXPECT_EQ(f.column("flag").astype(ColumnType::float64), Column("flag", std::vector<double>{1, 0, 1}));
  EXPECT_EQ(f.column("flag").astype(ColumnType::string),
            Column("flag", std::vector<std::string>{"True", "False", "True"}));
  EXPECT_EQ(Column("n", std::vector<I>{0, -3, 2}).astype(ColumnType::boolean),
            Column("n", std::vector<bool>{false, true, true}));
  EXPECT_EQ(Column("x", std::vector<double>{0.0, -0.0, 0.5}).astype(ColumnType::boolean),
            Column("x", std::vector<bool>{false, false, true}));
  EXPECT_EQ(
      f.column("day").astype(ColumnType::int64),
      Column("day", std::vector<std::optional<I>>{at("2024-01-02").ns, std::nullopt, at("1960-12-31").ns}));
  EXPECT_EQ(f.column("day").astype(ColumnType::int64).astype(ColumnType::datetime), f.column("day"));
  EXPECT_EQ(f.column("day").astype(ColumnType::string),
            Column("day", std::vector<std::optional<std::string>>{"2024-01-02", std::nullopt, "1960-12-31"}));
  EXPECT_EQ(f.column("day").astype(ColumnType::string).astype(ColumnType::datetime), f.column("day"));
  EXPECT_EQ(Column("s", std::vector<std::string>{"True", "0"}).astype(ColumnType::boolean),
            Column("s", std::vector<bool>{true, false}));
  // pandas makes any non-empty string True; mpp takes only the spellings read_csv takes.
  EXPECT_THROW((void)Column("s", std::vector<std::string>{"no"}).astype(ColumnType::boolean),
               std::invalid_argument);
  EXPECT_THROW((void)Column("s", std::vector<std::string>{"2024-02-30"}).astype(ColumnType::datetime),
               std::invalid_argument);
  EXPECT_THROW((void)f.column("day").astype(ColumnType::float64), std::invalid_argument);
  EXPECT_THROW((void)f.column("day").astype(ColumnType::boolean), std::invalid_argument);
  EXPECT_THROW((void)f.column("flag").astype(ColumnType::datetime), std::invalid_argument);
  EXPECT_EQ(f.astype({{"flag", ColumnType::int64}}).column("flag").type(), ColumnType::int64);
}

TEST(FrameTypes, FillnaWithAValueOfTheColumnsType) {
  const Frame f = sample();
  EXPECT_EQ(f.column("ok").fillna(true), Column("ok", std::vector<bool>{true, true, false}));
  EXPECT_EQ(f.column("day").fillna(at("2000-01-01")),
            Column("day", std::vector<Timestamp>{at("2024-01-02"), at("2000-01-01"), at("1960-12-31")}));
  EXPECT_THROW((void)f.column("ok").fillna(1), std::invalid_argument);
  EXPECT_THROW((void)f.column("day").fillna(0), std::invalid_argument);
  EXPECT_THROW((void)Column("n", std::vector<std::optional<I>>{std::nullopt}).fillna(true),
               std::invalid_argument);
  EXPECT_THROW((void)Column("x", std::vector<std::optional<double>>{std::nullopt}).fillna(at("2000-01-01")),
               std::invalid_argument);
  EXPECT_EQ(f.dropna().num_rows(), 2U);
  EXPECT_EQ(f.column("day").isna(), (mpp::Mask{false, true, false}));
}

TEST(FrameTypes, ComparisonsAndABoolColumnAsAMask) {
  const Frame f = sample();
  EXPECT_EQ(f.column("day") >= at("2000-01-01"), (mpp::Mask{true, false, false}));
  EXPECT_EQ(f.column("day") != at("2024-01-02"), (mpp::Mask{false, true, true}));
  EXPECT_EQ(f.column("ok") == false, (mpp::Mask{false, false, true}));
  EXPECT_EQ(f.column("flag") > false, (mpp::Mask{true, false, true}));
  EXPECT_THROW((void)(f.column("flag") == 1), std::invalid_argument);
  EXPECT_THROW((void)(f.column("day") < 0), std::invalid_argument);
  EXPECT_THROW((void)(f.column("day") < "2024-01-01"), std::invalid_argument);
  EXPECT_THROW((void)(Column("n", std::vector<I>{1}) == true), std::invalid_argument);
  // df[df["flag"]]; a null flag drops its row (pandas' boolean dtype does so too).
  EXPECT_EQ(
      f.filter(f.column("flag")).column("at"),
      Column("at", std::vector<Timestamp>{at("2024-01-02 03:04:05"), at("2262-04-11 23:47:16.854775807")}));
  EXPECT_EQ(f.filter(f.column("ok")).num_rows(), 1U);
  EXPECT_THROW((void)f.filter(f.column("day")), std::invalid_argument);
  EXPECT_EQ(f.filter(mpp::Mask{false, true, false}).column("ok"),
            Column("ok", std::vector<OB>{std::nullopt}));
}

// -- order, groups, keys ---------------------------------------------------------------------------

TEST(FrameTypes, SortAndDistinct) {
  const Frame f = sample();
  EXPECT_EQ(f.sort_values({"day"}).column("day"),
            Column("day", std::vector<OT>{at("1960-12-31"), at("2024-01-02"), std::nullopt}));
  EXPECT_EQ(f.sort_values({"flag", "at"}).column("flag"),
            Column("flag", std::vector<bool>{false, true, true}));
  EXPECT_EQ(f.column("flag").unique(), Column("flag", std::vector<bool>{true, false}));
  EXPECT_EQ(f.column("day").nunique(), 2U);
  EXPECT_EQ(f.column("flag").value_counts(),
            (Frame{{"flag", std::vector<bool>{true, false}}, {"count", std::vector<I>{2, 1}}}));
  EXPECT_EQ(f.drop_duplicates({"flag"}).num_rows(), 2U);
}

TEST(FrameTypes, GroupByAsPandas) {
  const Frame f{{"k", std::vector<I>{1, 1, 2}},
                {"b", std::vector<bool>{true, true, false}},
                {"t", std::vector<OT>{at("2024-01-03"), at("2024-01-01"), std::nullopt}}};
  const Frame sums = f.groupby({"k"}).agg({{"b", mpp::Agg::sum}});
  EXPECT_EQ(sums.column("b"), Column("b", std::vector<I>{2, 0}));
  EXPECT_EQ(f.groupby({"k"}).agg({{"b", mpp::Agg::mean}}).column("b"),
            Column("b", std::vector<double>{1.0, 0.0}));
  const Frame times =
      f.groupby({"k"}).agg({{"t", mpp::Agg::min}, {"t", mpp::Agg::max}, {"t", mpp::Agg::count}});
  EXPECT_EQ(times.column("t_min"), Column("t_min", std::vector<OT>{at("2024-01-01"), std::nullopt}));
  EXPECT_EQ(times.column("t_max"), Column("t_max", std::vector<OT>{at("2024-01-03"), std::nullopt}));
  EXPECT_EQ(times.column("t_count"), Column("t_count", std::vector<I>{2, 0}));
  EXPECT_THROW((void)f.groupby({"k"}).agg({{"t", mpp::Agg::mean}}), std::invalid_argument);
  EXPECT_THROW((void)f.groupby({"k"}).agg({{"t", mpp::Agg::sum}}), std::invalid_argument);
  // Shortcuts drop what they cannot take, as pandas' numeric_only.
  EXPECT_EQ(f.groupby({"k"}).sum().column_names(), (std::vector<std::string>{"k", "b"}));
  // Bool and datetime keys.
  const Frame by_flag = f.groupby({"b"}).agg({{"k", mpp::Agg::sum}});
  EXPECT_EQ(by_flag.column("b"), Column("b", std::vector<bool>{false, true}));
  const Frame by_time = f.groupby({"t"}).size();
  EXPECT_EQ(by_time.column("t"), Column("t", std::vector<Timestamp>{at("2024-01-01"), at("2024-01-03")}));
}

TEST(FrameTypes, MergeOnBoolAndDatetimeKeys) {
  const Frame left{{"t", std::vector<OT>{at("2024-01-02"), std::nullopt, at("1960-01-01")}},
                   {"x", std::vector<I>{1, 2, 3}}};
  const Frame right{{"t", std::vector<OT>{at("1960-01-01"), at("2024-01-02"), std::nullopt}},
                    {"y", std::vector<bool>{true, false, true}}};
  mpp::MergeOptions options;
  options.on = {"t"};
  const Frame merged = mpp::merge(left, right, options);
  EXPECT_EQ(merged, (Frame{{"t", std::vector<OT>{at("2024-01-02"), std::nullopt, at("1960-01-01")}},
                           {"x", std::vector<I>{1, 2, 3}},
                           {"y", std::vector<bool>{false, true, true}}}));
  options.how = mpp::MergeHow::left;
  const Frame partial = mpp::merge(left, right.head(1), options);
  EXPECT_EQ(partial.column("y"), Column("y", std::vector<OB>{std::nullopt, std::nullopt, true}));
  const Frame ints{{"t", std::vector<I>{0}}, {"y", std::vector<I>{0}}};
  EXPECT_THROW((void)mpp::merge(left, ints, options), std::invalid_argument);
}

TEST(FrameTypes, DescribeLeavesThemOutAsPandas) {
  const Frame f{{"a", std::vector<I>{1, 2}},
                {"b", std::vector<bool>{true, false}},
                {"t", std::vector<Timestamp>{Timestamp(0), Timestamp(1)}}};
  EXPECT_EQ(f.describe().column_names(), (std::vector<std::string>{"statistic", "a"}));
  EXPECT_THROW((void)f.select({"b", "t"}).describe(), std::invalid_argument);
}

TEST(FrameTypes, ConcatAndSlicesKeepTheTypes) {
  const Frame f = sample();
  const Frame parts = mpp::concat({f.slice(0, 1), f.slice(2, 3)});
  EXPECT_EQ(parts.column("day"), Column("day", std::vector<OT>{at("2024-01-02"), at("1960-12-31")}));
  EXPECT_EQ(parts.column("flag").type(), ColumnType::boolean);
}

// -- other threads and processes -------------------------------------------------------------------

TEST(FrameTypesCodec, RoundTripsAndRefusesACorruptBool) {
  mpp::detail::ByteBuffer bytes;
  mpp::detail::encode(bytes, sample().slice(1, 3));
  const Frame back = mpp::detail::decode_all<Frame>(bytes);
  EXPECT_EQ(back, sample().slice(1, 3));
  EXPECT_EQ(back.column("day").type(), ColumnType::datetime);
  // A bool column whose value is 2: after the index (8), rows (8), column count (8), the name's
  // length (8) and "b" (1), the type (1) and the value count (8).
  mpp::detail::ByteBuffer one;
  mpp::detail::encode(one, Frame{{"b", std::vector<bool>{true}}});
  ASSERT_EQ(one[33], std::byte{3});
  one[42] = std::byte{2};
  EXPECT_THROW((void)mpp::detail::decode_all<Frame>(one), mpp::SerializationError);
}

template <class P>
class FrameTypesParallel : public ::testing::Test {};
TYPED_TEST_SUITE(FrameTypesParallel, mpp_test::PoolTypes, mpp_test::PoolTypeNames);

std::string row_text(const mpp::Row& row) {
  const auto day = row.get_optional<Timestamp>("day");
  return std::string(row.get<bool>("flag") ? "T" : "F") + (day ? mpp::to_string(*day) : std::string("NaT"));
}

TYPED_TEST(FrameTypesParallel, RowsAndGroupsOnEveryPool) {
  TypeParam pool(2);
  for (const Frame& f : {sample(), sample().share()}) {
    EXPECT_EQ(mpp::map_rows(pool, f, row_text, 1),
              (std::vector<std::string>{"T2024-01-02 00:00:00", "FNaT", "T1960-12-31 00:00:00"}));
    EXPECT_EQ(mpp::filter_rows(pool, f, [](const mpp::Row& row) { return row.get<bool>("flag"); }),
              f.filter(f.column("flag")));
    const Frame grouped =
        mpp::groupby(pool, f, {"flag"}).agg({{"day", mpp::Agg::max}, {"ok", mpp::Agg::sum}});
    EXPECT_EQ(grouped, f.groupby({"flag"}).agg({{"day", mpp::Agg::max}, {"ok", mpp::Agg::sum}}));
    EXPECT_EQ(grouped.column("day"), Column("day", std::vector<OT>{std::nullopt, at("2024-01-02")}));
    // A whole partition crosses and comes back with its types.
    const auto back = pool.map([](const Frame& part) { return part; }, mpp::array_split(f, 2), 1);
    EXPECT_EQ(mpp::concat(back), sample());
  }
}

}  // namespace
