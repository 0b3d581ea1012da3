// Section 7: parallelising a DataFrame by row, by column and by whole partitions, with mpp::Frame, on
// mpp::Pool and on mpp::ProcessPool. Each part prints its results and throws (the demo then exits
// with 1) when they are not the tutorial's.
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mpp/mpp.hpp"
#include "tutorial.hpp"

namespace tutorial {
namespace {

// `pd.DataFrame(np.random.randint(3, 10, size=[5, 2]))`: the tutorial's printed frame, as printed.
mpp::Frame tutorial_df() {
  return mpp::Frame{{"0", std::vector<std::int64_t>{8, 5, 3, 4, 7}},
                    {"1", std::vector<std::int64_t>{5, 3, 4, 4, 9}}};
}

// `np.random.randint(3, 10, size=[rows, 2])` with a fixed seed (mapped by hand, as make_data does).
mpp::Frame random_df(std::size_t rows) {
  std::mt19937 engine(100);
  std::vector<std::int64_t> a(rows);
  std::vector<std::int64_t> b(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    a[i] = 3 + static_cast<std::int64_t>(engine() % 7);
    b[i] = 3 + static_cast<std::int64_t>(engine() % 7);
  }
  return mpp::Frame{{"0", std::move(a)}, {"1", std::move(b)}};
}

// Python's round(x, 2).
double round2(double x) { return std::round(x * 100) / 100; }

// A float as Python prints it: the shortest text that reads back the same, with ".0" if integral.
std::string python_float(double x) {
  std::string text = fmt::format("{}", x);
  if (text.find_first_of(".eni") == std::string::npos) text += ".0";
  return text;
}

std::string python_list(const std::vector<double>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i == 0 ? "" : ", ") + python_float(values[i]);
  return out + "]";
}

// A 2-column integer array as numpy prints it: `[[250   2]\n [250   2]]`.
std::string numpy_array(const std::vector<std::pair<std::size_t, std::size_t>>& rows) {
  std::size_t width = 1;
  for (const auto& [a, b] : rows)
    width = std::max({width, fmt::formatted_size("{}", a), fmt::formatted_size("{}", b)});
  std::string out = "[";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    out += fmt::format("{}[{:>{}} {:>{}}]", i == 0 ? "" : "\n ", rows[i].first, width, rows[i].second, width);
  }
  return out + "]";
}

void check(bool ok, std::string_view what) {
  fmt::print("as expected: {}\n", ok ? "yes" : "no");
  if (!ok) throw std::runtime_error(fmt::format("section 7: {} differs from the tutorial's", what));
}

// Row wise Operation: the row is an mpp::Row, with its index (the tutorial's row[0]) and its values
// (row[1], row[2]: here get<double>(0) and get<double>(1)).
double hypotenuse(const mpp::Row& row) {
  const double a = row.get<double>(0);
  const double b = row.get<double>(1);
  return std::sqrt(round2(a * a + b * b));  // round(row[1]**2 + row[2]**2, 2)**0.5
}

// Column wise Operation: the column is an mpp::Column, with its name and its typed values.
std::int64_t sum_of_squares(const mpp::Column& column) {
  std::int64_t sum = 0;
  for (const std::int64_t i : column.values<std::int64_t>()) sum += i * i;
  return sum;
}

// pathos' `func(df)`: a function of a whole frame.
std::pair<std::size_t, std::size_t> func(const mpp::Frame& df) { return df.shape(); }

// The tutorial's pools print their pool type's name; the code is the same for both.
template <class Section>
void on_both_pools(Section section) {
#ifdef MPP_TUTORIAL_MPI
  section.template operator()<MpiPool>("MpiPool");
#else
  section.template operator()<mpp::Pool>("Pool");
  section.template operator()<mpp::ProcessPool>("ProcessPool");
#endif
}

}  // namespace

void section_7_row_wise() {
  const mpp::Frame df = tutorial_df();
  fmt::print("df.head():\n{}", mpp::to_string(df.head()));
  on_both_pools([&]<class Pool>(std::string_view name) {
    // with mp.Pool(4) as pool: result = pool.imap(hypotenuse, df.itertuples(name=False), chunksize=10)
    Pool pool(4);
    const std::vector<double> result = mpp::map_rows(pool, df, hypotenuse, 10);
    std::vector<double> output;
    for (const double x : result) output.push_back(round2(x));  // [round(x, 2) for x in result]
    fmt::print("{}: mpp::map_rows(pool, df, hypotenuse, 10): {}\n", name, python_list(output));
    check(output == std::vector<double>{9.43, 5.83, 5.0, 5.66, 11.4}, "the row-wise result");
  });
}

void section_7_column_wise() {
  const mpp::Frame df = tutorial_df();
  on_both_pools([&]<class Pool>(std::string_view name) {
    // with mp.Pool(2) as pool: result = pool.imap(sum_of_squares, df.iteritems(), chunksize=10)
    Pool pool(2);
    const std::vector<std::int64_t> output = mpp::map_columns(pool, df, sum_of_squares);
    fmt::print("{}: mpp::map_columns(pool, df, sum_of_squares): {}\n", name, output);
    check(output == std::vector<std::int64_t>{163, 147}, "the column-wise result");
  });
}

void section_7_whole_frame() {
  // df = pd.DataFrame(np.random.randint(3, 10, size=[500, 2])); cores = mp.cpu_count()
  const mpp::Frame df = random_df(500);
  const std::size_t cores = mpp::cpu_count();
  // df_split = np.array_split(df, cores, axis=0): views of df, nothing copied.
  const std::vector<mpp::Frame> df_split = mpp::array_split(df, cores);
  fmt::print("df.shape: ({}, {}); cores: {}\n", df.num_rows(), df.num_columns(), cores);
  on_both_pools([&]<class Pool>(std::string_view name) {
    // pool = Pool(cores); df_out = np.vstack(pool.map(func, df_split)). A thread reads its partition in
    // place; a worker process receives it as one message.
    Pool pool(cores);
    const auto df_out = pool.map(func, df_split);
    fmt::print("{}: np.vstack(pool.map(func, df_split)):\n{}\n", name, numpy_array(df_out));
    std::size_t rows = 0;
    bool sizes_ok = true;
    for (const auto& [r, c] : df_out) {
      rows += r;
      sizes_ok = sizes_ok && c == 2 && (r == 500 / cores || r == 500 / cores + 1);
    }
    check(sizes_ok && rows == 500, "the partitions' shapes");
    // Stacked back: each worker returns its partition (a process sends it back whole).
    const std::vector<mpp::Frame> parts = pool.map([](const mpp::Frame& part) { return part; }, df_split);
    const mpp::Frame stacked = mpp::concat(parts);
    fmt::print("{}: mpp::concat(pool.map(identity, df_split)) == df: {}\n", name, stacked == df);
    check(stacked == df, "the frame stacked back");
    // pool.close(); pool.join(); pool.clear(): the destructor closes and joins.
  });
}

}  // namespace tutorial
