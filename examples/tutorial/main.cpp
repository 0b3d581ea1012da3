// mpp-tutorial: runs every example of the tutorial "Parallel Processing in Python" ported to mpp,
// on mpp::Pool and on mpp::ProcessPool, checks each parallel method against the serial one (exercise
// 2, which runs Python scripts, against their expected output) and times it once (the benchmarks in
// bench/ measure properly). Exit status: 0 when every method is correct, 1 otherwise, 2 for bad options.
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
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
    "Runs the examples of the tutorial \"Parallel Processing in Python\" ported to mpp, on\n"
    "mpp::Pool (threads) and mpp::ProcessPool (processes), checks every parallel method against\n"
    "the serial one (exercise 2's scripts against their expected output) and times each once.\n"
    "\n"
    "  --rows N      rows of 5 integers in 0..9 (default 200000)\n"
    "  --workers N   pool size (default mpp::cpu_count(), as the tutorial's mp.cpu_count());\n"
    "                exercise 2's pools have one worker per script, as the tutorial's\n"
    "  --help        show this help and exit\n"
    "\n"
    "Exit status: 0 when every method is correct, 1 otherwise, 2 for bad options.\n";

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

// Calls `section` once for each pool type, mpp::Pool (threads) then mpp::ProcessPool (processes),
// with the type and its name: the same section code, compiled for each. The two rows of a method
// come one after the other, in the output and in the summary.
template <class Section>
void on_both_pools(Section section) {
#ifdef MPP_TUTORIAL_MPI
  section(std::type_identity<tutorial::MpiPool>{}, std::string_view("MpiPool"));
#else
  section(std::type_identity<mpp::Pool>{}, std::string_view("Pool"));
  section(std::type_identity<mpp::ProcessPool>{}, std::string_view("ProcessPool"));
#endif
}

// Exercise 2: the three scripts, run by a map on each pool and by one mpp::Process each.
void exercise_2(tutorial::Report& report) {
  const std::optional<std::string> python = tutorial::find_python3();
  if (!python) {
    // Installed by scripts/install-deps, so normally there; without it, the exercise cannot run.
    report.skipped("exercise 2: run_python", "python3 is not on PATH");
    return;
  }
  const tutorial::ScriptFolder folder;  // removed, with the scripts, at the end of this scope
  fmt::print("python3: {}\nscripts: {}/{{script1.py, script2.py, script3.py}}\n", *python, folder.path());
  on_both_pools([&]<class P>(std::type_identity<P>, std::string_view pool) {
    report.checked(
        fmt::format("exercise 2: {}.map(run_python)", pool),
        [&] { return tutorial::exercise_2_map<P>(folder); }, tutorial::print_script_runs,
        tutorial::script_runs_as_expected);
  });
  fmt::print(
      "Each mpp::Process child execs python3, so its pid() is the script's and its exitcode() the\n"
      "script's: 0 when it ends normally, N after sys.exit(N) (as after _exit(N) in a target), -N when\n"
      "signal N kills it; a target that throws gives 1.\n");
  report.checked(
      "exercise 2: mpp::Process per script", [&] { return tutorial::exercise_2_processes(folder); },
      tutorial::print_script_runs, tutorial::script_runs_as_expected);
#ifdef MPP_TUTORIAL_MPP_RUN
  fmt::print("The command-line way: mpp-run -k --joblog FILE python3 ::: script1.py script2.py script3.py\n");
  report.checked(
      "exercise 2: mpp-run python3 ::: scripts", [&] { return tutorial::exercise_2_mpp_run(folder); },
      tutorial::print_script_runs, tutorial::script_runs_as_expected);
#endif
}

int run(const Options& options) {
  using tutorial::Report;
#ifdef MPP_TUTORIAL_MPI
  const std::size_t workers = std::min(options.workers, mpp::MpiPool::available_ranks());
#else
  const std::size_t workers = options.workers;
#endif
  fmt::print(
      "mpp tutorial: {} rows of 5 integers in 0..9 (std::mt19937, seed 100), pools of {} workers:\n"
#ifdef MPP_TUTORIAL_MPI
      "every pool method runs on mpp::MpiPool (the serving ranks of this MPI job)\n",
#else
      "every pool method runs on mpp::Pool (threads) and on mpp::ProcessPool (processes)\n",
#endif
      options.rows, workers);

  Report::heading("2. How many maximum parallel processes can you run?");
  tutorial::section_2_cpu_count();

  Report::heading("4. Count how many numbers lie within [4, 8] in each row, without parallelization");
  const std::vector<tutorial::Row> data = tutorial::make_data(options.rows);
  fmt::print("data[:5]: {}\n", std::span(data).first(std::min<std::size_t>(5, data.size())));
  Report report;
  const std::vector<int> serial =
      report.serial<int>("serial", [&] { return tutorial::section_4_serial(data); });

  // A pool method checked against serial on both pools: "Pool.<method>" and "ProcessPool.<method>".
  // `compute` is a lambda templated on the pool type.
  const auto method = [&](std::string_view name, auto compute) {
    on_both_pools([&]<class P>(std::type_identity<P>, std::string_view pool) {
      report.method(fmt::format("{}.{}", pool, name), serial,
                    [&] { return compute.template operator()<P>(); });
    });
  };

  Report::heading("5.1 Parallelizing using Pool.apply()");
  method("apply", [&]<class P>() { return tutorial::section_5_1_apply<P>(data, workers); });

  Report::heading("5.2 Parallelizing using Pool.map()");
  method("map", [&]<class P>() { return tutorial::section_5_2_map<P>(data, workers); });

  Report::heading("5.3 Parallelizing using Pool.starmap()");
  method("starmap", [&]<class P>() { return tutorial::section_5_3_starmap<P>(data, workers); });

  Report::heading("6.1 Parallelizing with Pool.apply_async()");
  method("apply_async, callback",
         [&]<class P>() { return tutorial::section_6_1_apply_async_callback<P>(data, workers); });
  method("apply_async, get()",
         [&]<class P>() { return tutorial::section_6_1_apply_async_get<P>(data, workers); });

  Report::heading("6.2 Parallelizing with Pool.starmap_async()");
  method("starmap_async", [&]<class P>() { return tutorial::section_6_2_starmap_async<P>(data, workers); });
  method("map_async", [&]<class P>() { return tutorial::section_6_2_map_async<P>(data, workers); });

  Report::heading("7. How to parallelize a DataFrame? Row wise");
  tutorial::section_7_row_wise();
  Report::heading("7. How to parallelize a DataFrame? Column wise");
  tutorial::section_7_column_wise();
  Report::heading("7. How to parallelize a DataFrame? The whole frame");
  tutorial::section_7_whole_frame();

  Report::heading("8. Exercise 1: row wise common items of list_a and list_b with Pool.apply()");
  const tutorial::IntLists commons = tutorial::exercise_1_commons_serial();
  on_both_pools([&]<class P>(std::type_identity<P>, std::string_view pool) {
    report.exercise(fmt::format("exercise 1: {}.apply(get_commons)", pool), commons,
                    [&] { return tutorial::exercise_1_commons<P>(workers); });
  });

  Report::heading("8. Exercise 2: run scripts in parallel with Pool.map()");
  exercise_2(report);

  Report::heading("8. Exercise 3: normalize each row of list_a with Pool.apply()");
  const std::vector<std::vector<double>> normalized = tutorial::exercise_3_normalize_serial();
  on_both_pools([&]<class P>(std::type_identity<P>, std::string_view pool) {
    report.exercise(fmt::format("exercise 3: {}.apply(normalize)", pool), normalized,
                    [&] { return tutorial::exercise_3_normalize<P>(workers); });
  });

  Report::heading(fmt::format("Summary: {} rows, pools of {} workers", options.rows, workers));
  report.summary();
  if (!report.all_correct()) {
    fmt::print("Some results differ from serial (or, for exercise 2, from the expected ones).\n");
    return 1;
  }
  fmt::print("Every method's results equal the serial ones (for exercise 2, the expected ones).\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // First: a ProcessPool's spawned or forkserver workers run this program again, and become
  // workers here (<mpp/start_method.hpp>).
  mpp::freeze_support(argc, argv);
#ifdef MPP_TUTORIAL_MPI
  mpp::MpiPool::serve(argc, argv);  // the other ranks serve the pools of rank 0, which runs the rest
#endif
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
