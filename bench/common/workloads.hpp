// The data and per-item work of the benchmark problems, shared by every contender of a problem so
// that they compute exactly the same thing.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <numeric>
#include <random>
#include <vector>

namespace mpp::bench {

// ---- tutorial: the tutorial's data set and howmany_within_range_rowonly ------------------------

/// One row of the tutorial's data: five ints in 0..9.
using Row = std::array<int, 5>;

/// `rows` rows of the tutorial's data (std::mt19937 seeded with 100, value = engine() % 10), built
/// once per size and kept for the life of the process (setup, never timed).
inline const std::vector<Row>& tutorial_rows(std::size_t rows) {
  static std::map<std::size_t, std::vector<Row>> cache;
  auto [it, inserted] = cache.try_emplace(rows);
  if (inserted) {
    std::mt19937 engine(100);
    it->second.resize(rows);
    for (Row& row : it->second) {
      for (int& value : row) value = static_cast<int>(engine() % 10);
    }
  }
  return it->second;
}

inline int howmany_within_range(const Row& row, int minimum, int maximum) {
  int count = 0;
  for (int n : row) {
    if (minimum <= n && n <= maximum) ++count;
  }
  return count;
}

/// The tutorial's function, with its default bounds [4, 8] fixed: one argument, so map can call it.
inline int howmany_within_range_rowonly(const Row& row) { return howmany_within_range(row, 4, 8); }

/// The sum of every row's count: what each contender's results must add up to.
inline long long tutorial_expected(std::size_t rows) {
  static std::map<std::size_t, long long> cache;
  auto [it, inserted] = cache.try_emplace(rows, 0);
  if (inserted) {
    for (const Row& row : tutorial_rows(rows)) it->second += howmany_within_range_rowonly(row);
  }
  return it->second;
}

// ---- tiny tasks and the round trip ------------------------------------------------------------

inline constexpr std::size_t k_tiny_tasks = 1'000'000;

inline int add_one(int x) { return x + 1; }

// ---- trivial map: per-item work far below the cost of scheduling it ---------------------------

inline constexpr std::size_t k_trivial_items = 10'000'000;

inline int trivial(int x) { return x * 2 + 1; }

/// 0, 1, 2, ... k_trivial_items - 1, built once.
inline const std::vector<int>& trivial_input() {
  static const std::vector<int> input = [] {
    std::vector<int> v(k_trivial_items);
    std::iota(v.begin(), v.end(), 0);
    return v;
  }();
  return input;
}

/// What every contender's output must equal.
inline const std::vector<int>& trivial_expected() {
  static const std::vector<int> expected = [] {
    std::vector<int> v(trivial_input());
    for (int& x : v) x = trivial(x);
    return v;
  }();
  return expected;
}

// ---- imbalanced map: item i costs i / 100 xorshift steps ---------------------------------------

/// 200 000 items: about 2 * 10^8 xorshift steps in all, a few hundred milliseconds serially, and
/// the last item costs 2000 steps while the first costs none.
inline constexpr std::size_t k_imbalanced_items = 200'000;

inline std::uint64_t imbalanced_item(std::size_t i) {
  std::uint64_t x = 0x9E3779B97F4A7C15ULL ^ i;
  for (std::size_t step = 0, steps = i / 100; step < steps; ++step) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  return x;
}

/// The xor of a contender's results, compared with imbalanced_expected().
inline std::uint64_t fold(const std::vector<std::uint64_t>& results) {
  std::uint64_t x = 0;
  for (std::uint64_t r : results) x ^= r;
  return x;
}

/// The xor of every item's result.
inline std::uint64_t imbalanced_expected() {
  static const std::uint64_t expected = [] {
    std::uint64_t x = 0;
    for (std::size_t i = 0; i < k_imbalanced_items; ++i) x ^= imbalanced_item(i);
    return x;
  }();
  return expected;
}

}  // namespace mpp::bench
