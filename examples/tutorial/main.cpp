// mpp-tutorial: runs every example of the tutorial "Parallel Processing in Python" ported to mpp,
// checks each parallel method against the serial one and times it once (the benchmarks in bench/
// measure properly). Exit status: 0 when every method equals serial, 1 otherwise, 2 for bad options.
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "mpp/mpp.hpp"
#include "report.hpp"
#include "tutorial.hpp"

namespace {

constexpr std::size_t k_default_rows = 200'000;
// Bounds that keep a mistyped number from asking for gigabytes or thousands of threads.
constexpr std::size_t k_max_rows = 100'000'000;
constexpr std::size_t k_max_workers = 1024;

constexpr std::string_view k_usage =
    "usage: mpp-tutorial [--rows N] [--workers N] [--help]\n"
    "\n"
    "Runs the examples of the tutorial \"Parallel Processing in Python\" ported to mpp, checks\n"
    "every parallel method against the serial one and times each once.\n"
    "\n"
    "  --rows N      rows of 5 integers in 0..9 (default 200000)\n"
    "  --workers N   pool size (default mpp::cpu_count(), as the tutorial's mp.cpu_count())\n"
    "  --help        show this help and exit\n"
    "\n"
    "Exit status: 0 when every method equals serial, 1 otherwise, 2 for bad options.\n";

struct Options {
  std::size_t rows = k_default_rows;
  std::size_t workers = mpp::cpu_count();
  bool help = false;
};

// A bad command line: exit status 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::size_t parse_count(std::string_view option, std::string_view text, std::size_t max) {
  std::size_t value = 0;
  const char* const end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error == std::errc::invalid_argument || ptr != end) {
    throw UsageError(fmt::format("{} needs a positive integer, not '{}'", option, text));
  }
  if (error == std::errc::result_out_of_range || value > max) {
    throw UsageError(fmt::format("{} {} is too large (at most {})", option, text, max));
  }
  if (value == 0) throw UsageError(fmt::format("{} must be at least 1", option));
  return value;
}

Options parse_options(std::span<char*> args) {
  Options options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      options.help = true;
      continue;
    }
    // --name VALUE or --name=VALUE
    const std::string_view name = arg.substr(0, arg.find('='));
    if (name != "--rows" && name != "--workers") throw UsageError(fmt::format("unknown option '{}'", arg));
    std::string_view value;
    if (name.size() < arg.size()) {
      value = arg.substr(name.size() + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      throw UsageError(fmt::format("{} needs a value", name));
    }
    if (name == "--rows") {
      options.rows = parse_count(name, value, k_max_rows);
    } else {
      options.workers = parse_count(name, value, k_max_workers);
    }
  }
  return options;
}

int run(const Options& options) {
  using tutorial::Report;
  const std::size_t workers = options.workers;
  fmt::print("mpp tutorial: {} rows of 5 integers in 0..9 (std::mt19937, seed 100), pools of {} workers\n",
             options.rows, workers);

  Report::heading("2. How many maximum parallel processes can you run?");
  tutorial::section_2_cpu_count();

  Report::heading("4. Count how many numbers lie within [4, 8] in each row, without parallelization");
  const std::vector<tutorial::Row> data = tutorial::make_data(options.rows);
  fmt::print("data[:5]: {}\n", std::span(data).first(std::min<std::size_t>(5, data.size())));
  Report report;
  const std::vector<int> serial =
      report.serial<int>("serial", [&] { return tutorial::section_4_serial(data); });

  Report::heading("5.1 Parallelizing using Pool.apply()");
  report.method("Pool.apply", serial, [&] { return tutorial::section_5_1_apply(data, workers); });

  Report::heading("5.2 Parallelizing using Pool.map()");
  report.method("Pool.map", serial, [&] { return tutorial::section_5_2_map(data, workers); });

  Report::heading("5.3 Parallelizing using Pool.starmap()");
  report.method("Pool.starmap", serial, [&] { return tutorial::section_5_3_starmap(data, workers); });

  Report::heading("6.1 Parallelizing with Pool.apply_async()");
  report.method("Pool.apply_async, callback", serial,
                [&] { return tutorial::section_6_1_apply_async_callback(data, workers); });
  report.method("Pool.apply_async, get()", serial,
                [&] { return tutorial::section_6_1_apply_async_get(data, workers); });

  Report::heading("6.2 Parallelizing with Pool.starmap_async()");
  report.method("Pool.starmap_async", serial,
                [&] { return tutorial::section_6_2_starmap_async(data, workers); });
  report.method("Pool.map_async", serial, [&] { return tutorial::section_6_2_map_async(data, workers); });

  Report::heading("7. How to parallelize a DataFrame? Row wise");
  tutorial::section_7_row_wise();
  Report::heading("7. How to parallelize a DataFrame? Column wise");
  tutorial::section_7_column_wise();
  Report::heading("7. How to parallelize a DataFrame? The whole frame");
  tutorial::section_7_whole_frame();

  Report::heading("8. Exercise 1: row wise common items of list_a and list_b with Pool.apply()");
  report.exercise("exercise 1: Pool.apply(get_commons)", tutorial::exercise_1_commons_serial(),
                  [&] { return tutorial::exercise_1_commons(workers); });

  Report::heading("8. Exercise 2: run scripts in parallel with Pool.map()");
  tutorial::exercise_2_run_scripts();

  Report::heading("8. Exercise 3: normalize each row of list_a with Pool.apply()");
  report.exercise("exercise 3: Pool.apply(normalize)", tutorial::exercise_3_normalize_serial(),
                  [&] { return tutorial::exercise_3_normalize(workers); });

  Report::heading(fmt::format("Summary: {} rows, pools of {} workers", options.rows, workers));
  report.summary();
  if (!report.all_equal()) {
    fmt::print("Some results differ from serial.\n");
    return 1;
  }
  fmt::print("Every method's results equal the serial ones.\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  try {
    options = parse_options(std::span(argv, static_cast<std::size_t>(argc)).subspan(1));
  } catch (const UsageError& e) {
    fmt::print(stderr, "mpp-tutorial: {}\nTry 'mpp-tutorial --help'.\n", e.what());
    return 2;
  }
  if (options.help) {
    fmt::print("{}", k_usage);
    return 0;
  }
  try {
    return run(options);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    fmt::print(stderr, "mpp-tutorial: {}\n", e.what());
    return 1;
  }
}
