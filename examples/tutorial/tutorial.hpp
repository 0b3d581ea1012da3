// The tutorial "Parallel Processing in Python – A Practical Guide with Examples"
// (machinelearningplus.com) ported to mpp: its data, the functions its examples parallelise, and one
// function per section or exercise, named after it.
#pragma once

#include <array>
#include <cstddef>
#include <utility>
#include <vector>

namespace tutorial {

// A row of the tutorial's matrix: `np.random.randint(0, 10, size=[200000, 5]).tolist()` is a list of
// lists. Its width is fixed at 5, so a row is a std::array rather than a std::vector: the 200 000
// rows lie in one contiguous block instead of 200 000 heap allocations, and a row is copied into an
// `apply` task as 20 plain bytes (Python pickles every row it sends to a worker). It still reads as
// the Python does: `for (int n : row)`, `data[i]`, and map/starmap take the vector of rows as is.
using Row = std::array<int, 5>;

// `np.random.randint(0, 10, size=[rows, 5])` with a fixed seed (see tutorial.cpp for how).
[[nodiscard]] std::vector<Row> make_data(std::size_t rows);

// The tutorial's functions, from sections 4, 5.2 and 6.1.
[[nodiscard]] int howmany_within_range(const Row& row, int minimum, int maximum);
[[nodiscard]] int howmany_within_range_rowonly(const Row& row);
[[nodiscard]] std::pair<std::size_t, int> howmany_within_range2(std::size_t i, const Row& row, int minimum,
                                                                int maximum);

// Exercises 1 and 3: their inputs and functions.
using IntLists = std::vector<std::vector<int>>;
[[nodiscard]] IntLists exercise_1_list_a();
[[nodiscard]] IntLists exercise_1_list_b();
[[nodiscard]] IntLists exercise_3_list_a();
[[nodiscard]] std::vector<int> get_commons(const std::vector<int>& list_1, const std::vector<int>& list_2);
[[nodiscard]] std::vector<double> normalize(const std::vector<int>& mylist);

// Section 2 (sync.cpp): prints the number of processors.
void section_2_cpu_count();

// Sections 4 and 5 (sync.cpp): the counts of numbers within [4, 8], row by row, in row order.
// `workers` is the pool size: the tutorial's `mp.cpu_count()` unless --workers says otherwise.
[[nodiscard]] std::vector<int> section_4_serial(const std::vector<Row>& data);
[[nodiscard]] std::vector<int> section_5_1_apply(const std::vector<Row>& data, std::size_t workers);
[[nodiscard]] std::vector<int> section_5_2_map(const std::vector<Row>& data, std::size_t workers);
[[nodiscard]] std::vector<int> section_5_3_starmap(const std::vector<Row>& data, std::size_t workers);

// Section 6 (async.cpp): the same counts, computed asynchronously.
[[nodiscard]] std::vector<int> section_6_1_apply_async_callback(const std::vector<Row>& data,
                                                                std::size_t workers);
[[nodiscard]] std::vector<int> section_6_1_apply_async_get(const std::vector<Row>& data, std::size_t workers);
[[nodiscard]] std::vector<int> section_6_2_starmap_async(const std::vector<Row>& data, std::size_t workers);
[[nodiscard]] std::vector<int> section_6_2_map_async(const std::vector<Row>& data, std::size_t workers);

// Section 7 (later.cpp): DataFrames, which arrive with mpp::Frame; each prints one line until then.
void section_7_row_wise();
void section_7_column_wise();
void section_7_whole_frame();

// Exercises (exercises.cpp). Exercise 2 (running scripts) arrives with mpp::ProcessPool (later.cpp).
[[nodiscard]] IntLists exercise_1_commons(std::size_t workers);
[[nodiscard]] IntLists exercise_1_commons_serial();
void exercise_2_run_scripts();
[[nodiscard]] std::vector<std::vector<double>> exercise_3_normalize(std::size_t workers);
[[nodiscard]] std::vector<std::vector<double>> exercise_3_normalize_serial();

}  // namespace tutorial
