// take (src/frame/frame_take.hpp), the gather of sort_values, groupby and the distinct values: a
// column's rows in the order given, k_no_row as a null, on both of its loops (numbers without
// nulls; anything else) and across the ranges a large result is cut into.
#include "frame/frame_take.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mpp/frame.hpp"

namespace {

using mpp::Column;
using mpp::detail::k_no_row;
using mpp::detail::take;

TEST(FrameTake, RowsInTheOrderGivenAndNoRowAsANull) {
  const std::vector<std::size_t> rows{2, k_no_row, 0, 2, k_no_row};
  EXPECT_EQ(take(Column("i", std::vector<std::int64_t>{10, 11, 12}), rows),
            Column("i", std::vector<std::optional<std::int64_t>>{12, std::nullopt, 10, 12, std::nullopt}));
  EXPECT_EQ(take(Column("f", std::vector<std::optional<double>>{1.5, std::nullopt, 2.5}), rows),
            Column("f", std::vector<std::optional<double>>{2.5, std::nullopt, 1.5, 2.5, std::nullopt}));
  EXPECT_EQ(take(Column("s", std::vector<std::string>{"a", "b", std::string("c\0d", 3)}), rows),
            Column("s", std::vector<std::optional<std::string>>{std::string("c\0d", 3), std::nullopt, "a",
                                                                std::string("c\0d", 3), std::nullopt}));
  // A null of the column itself stays one; an empty column gives only nulls.
  EXPECT_EQ(take(Column("n", std::vector<std::optional<std::int64_t>>{std::nullopt, 5}),
                 std::vector<std::size_t>{1, 0, k_no_row}),
            Column("n", std::vector<std::optional<std::int64_t>>{5, std::nullopt, std::nullopt}));
  EXPECT_EQ(take(Column("e", std::vector<std::int64_t>{}), std::vector<std::size_t>{k_no_row, k_no_row}),
            Column("e", std::vector<std::optional<std::int64_t>>{std::nullopt, std::nullopt}));
  EXPECT_EQ(take(Column("i", std::vector<std::int64_t>{1}), std::vector<std::size_t>{}).size(), 0U);
}

// Large enough for several ranges on the frame pool: no-row entries in one range only, in every
// range, and in none, each at the right places.
TEST(FrameTake, ALargeTakeNotesItsNullsInEveryRange) {
  constexpr std::size_t n = std::size_t{1} << 20U;
  std::vector<double> values(n);
  for (std::size_t i = 0; i < n; ++i) values[i] = static_cast<double>(i) * 0.5;
  const Column column("x", values);
  for (const std::size_t every : {std::size_t{0}, std::size_t{7}, n - 3}) {
    std::vector<std::size_t> rows(n);
    for (std::size_t i = 0; i < n; ++i)
      rows[i] = (every != 0 && i % every == every - 1) ? k_no_row : n - 1 - i;
    const Column got = take(column, rows);
    ASSERT_EQ(got.size(), n);
    std::size_t nulls = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (rows[i] == k_no_row) {
        ASSERT_TRUE(got.is_null(i)) << i;
        ++nulls;
      } else {
        ASSERT_FALSE(got.is_null(i)) << i;
        ASSERT_EQ(got.values<double>()[i], values[rows[i]]) << i;
      }
    }
    EXPECT_EQ(got.null_count(), nulls) << every;
  }
}

}  // namespace
