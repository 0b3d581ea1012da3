// How the demo shows each method: its first results, whether they equal the serial ones (or, for
// exercise 2, the expected ones), its time, and a summary table at the end.
#pragma once

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <exception>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tutorial {

// `print(results[:10])`: the first 10 results, as Python prints a list.
template <class T>
std::string first_10(const std::vector<T>& results) {
  return fmt::format("{}", std::span(results).first(std::min<std::size_t>(10, results.size())));
}
// Exercise 3's normalized rows, with 2 decimals.
inline std::string first_10(const std::vector<std::vector<double>>& results) {
  return fmt::format("{:::.2f}", std::span(results).first(std::min<std::size_t>(10, results.size())));
}

// Calls `compute` once; returns its result and the wall time it took, in milliseconds.
template <class Compute>
auto timed(Compute compute) {
  const auto start = std::chrono::steady_clock::now();
  auto result = compute();
  const std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
  return std::pair{std::move(result), elapsed.count()};
}

class Report {
 public:
  // Prints a section's title.
  static void heading(std::string_view title);

  // Runs the serial method, the reference for the others, once; prints its first results and its
  // time, and returns its results.
  template <class T, class Compute>
  std::vector<T> serial(std::string name, Compute compute) {
    fmt::print("method: {}\n", name);
    auto [results, ms] = timed(compute);
    fmt::print("results[:10]: {}\ntime: {:.2f} ms\n", first_10(results), ms);
    serial_ms_ = ms;
    entries_.push_back({std::move(name), ms, Verdict::reference, false});
    return std::move(results);
  }

  // Runs a parallel method once and prints its first results, whether they equal `expected` (the
  // serial computation's) and its time; the summary compares that time with serial's. An exception
  // counts as results that differ.
  template <class T, class Compute>
  void method(std::string name, const std::vector<T>& expected, Compute compute) {
    run(std::move(name), expected, compute, true);
  }

  // As method(), for an exercise: its data are tiny, so it shows the calls, not a speed-up, and its
  // time is not compared with the serial method's.
  template <class T, class Compute>
  void exercise(std::string name, const std::vector<T>& expected, Compute compute) {
    run(std::move(name), expected, compute, false);
  }

  // Runs a method that has no serial counterpart (exercise 2) once: prints its results with
  // `show`, whether `check` finds them as expected, and its time. An exception counts as results
  // that are not as expected.
  template <class Compute, class Show, class Check>
  void checked(std::string name, Compute compute, Show show, Check check) {
    fmt::print("method: {}\n", name);
    bool expected = false;
    double ms = 0;
    try {
      const auto [results, elapsed] = timed(compute);
      ms = elapsed;
      show(results);
      expected = check(results);
      fmt::print("as expected: {}\ntime: {:.2f} ms\n", expected ? "yes" : "no", ms);
    } catch (const std::exception& e) {
      fmt::print("failed: {}\nas expected: no\n", e.what());
    }
    entries_.push_back({std::move(name), ms, expected ? Verdict::yes : Verdict::no, false});
  }

  // A method that cannot run here (exercise 2 without python3): prints why. It fails nothing.
  void skipped(std::string name, std::string_view why);

  // Prints the table of every method: its time, how it compares with serial's, whether it is correct.
  void summary() const;

  // Whether every method's results are correct: equal to the serial ones, or as expected.
  [[nodiscard]] bool all_correct() const;

 private:
  enum class Verdict {
    reference,  // the serial method itself
    yes,        // equal to serial, or as expected
    no,
    skipped,
  };
  struct Entry {
    std::string method;
    double ms;
    Verdict verdict;
    bool versus_serial;  // whether comparing its time with serial's means something
  };
  template <class T, class Compute>
  void run(std::string name, const std::vector<T>& expected, Compute compute, bool versus_serial) {
    fmt::print("method: {}\n", name);
    bool equal = false;
    double ms = 0;
    try {
      const auto [results, elapsed] = timed(compute);
      ms = elapsed;
      equal = results == expected;
      fmt::print("results[:10]: {}\nequal to serial: {}\ntime: {:.2f} ms\n", first_10(results),
                 equal ? "yes" : "no", ms);
    } catch (const std::exception& e) {
      fmt::print("failed: {}\nequal to serial: no\n", e.what());
    }
    entries_.push_back({std::move(name), ms, equal ? Verdict::yes : Verdict::no, versus_serial});
  }

  // The summary's "vs serial" cell: how many times faster or slower than serial.
  [[nodiscard]] std::string comparison(const Entry& entry) const;

  std::vector<Entry> entries_;
  double serial_ms_ = 0;
};

}  // namespace tutorial
