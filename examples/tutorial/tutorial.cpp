#include "tutorial.hpp"

#include <algorithm>
#include <iterator>
#include <random>
#include <set>
#include <stdexcept>

namespace tutorial {

std::vector<Row> make_data(std::size_t rows) {
  // The tutorial's `np.random.RandomState(100)` builds a generator and throws it away, so its data
  // differ on every run; ours are seeded for real, so every run and every machine sees the same rows.
  // std::mt19937's output sequence is fixed by the standard, but std::uniform_int_distribution's
  // algorithm is not (libstdc++ and libc++ give different numbers), so the engine's output is mapped
  // to 0..9 by hand. `% 10` favours 0..5 by 6 values in 2^32, far too little to matter here.
  std::mt19937 engine(100);
  std::vector<Row> data(rows);
  for (Row& row : data) {
    for (int& n : row) n = static_cast<int>(engine() % 10);
  }
  return data;
}

int howmany_within_range(const Row& row, int minimum, int maximum) {
  // Returns how many numbers lie within `maximum` and `minimum` in a given `row`.
  int count = 0;
  for (int n : row) {
    if (minimum <= n && n <= maximum) count = count + 1;
  }
  return count;
}

int howmany_within_range_rowonly(const Row& row) {
  // Python gives `minimum=4, maximum=8` as defaults. A C++ default argument belongs to a call, not
  // to the function: a pointer to a function with defaults still takes three arguments, so map could
  // not call it with one. The defaults become constants instead.
  constexpr int k_minimum = 4;
  constexpr int k_maximum = 8;
  int count = 0;
  for (int n : row) {
    if (k_minimum <= n && n <= k_maximum) count = count + 1;
  }
  return count;
}

std::pair<std::size_t, int> howmany_within_range2(std::size_t i, const Row& row, int minimum, int maximum) {
  // As howmany_within_range, but takes and returns the iteration number `i` too.
  int count = 0;
  for (int n : row) {
    if (minimum <= n && n <= maximum) count = count + 1;
  }
  return {i, count};
}

IntLists exercise_1_list_a() { return {{1, 2, 3}, {5, 6, 7, 8}, {10, 11, 12}, {20, 21}}; }
IntLists exercise_1_list_b() { return {{2, 3, 4, 5}, {6, 9, 10}, {11, 12, 13, 14}, {21, 24, 25}}; }
IntLists exercise_3_list_a() { return {{2, 3, 4, 5}, {6, 9, 10, 12}, {11, 12, 13, 14}, {21, 24, 25, 26}}; }

std::vector<int> get_commons(const std::vector<int>& list_1, const std::vector<int>& list_2) {
  // `list(set(list_1).intersection(list_2))`. Python's order is that of a hash set; std::set makes it
  // sorted, so the output is the same on every run.
  const std::set<int> set_1(list_1.begin(), list_1.end());
  const std::set<int> set_2(list_2.begin(), list_2.end());
  std::vector<int> commons;
  std::ranges::set_intersection(set_1, set_2, std::back_inserter(commons));
  return commons;
}

std::vector<double> normalize(const std::vector<int>& mylist) {
  if (mylist.empty()) throw std::invalid_argument("normalize: the list is empty");  // Python: ValueError
  const auto [mini, maxi] = std::ranges::minmax(mylist);
  // Python raises ZeroDivisionError here; C++ would quietly return NaN, so say it as Python does.
  if (maxi == mini)
    throw std::domain_error("normalize: every value is the same, there is no range to scale to");
  std::vector<double> normalized;
  normalized.reserve(mylist.size());
  for (int i : mylist) normalized.push_back(static_cast<double>(i - mini) / static_cast<double>(maxi - mini));
  return normalized;
}

}  // namespace tutorial
