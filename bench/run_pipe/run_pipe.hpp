// run_pipe: mpp-run --pipe against GNU parallel --pipe and plain `wc -l`: one input file of lines
// (k_input_bytes, written once per process) on standard input, cut into 1 MiB blocks, each counted
// by `wc -l`, two jobs at a time. Every contender's output is summed (the counts of its blocks): a
// total other than the file's lines turns the row into an error.
#pragma once

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "run_jobs/run_jobs.hpp"  // run_counted(): a contender run on a file

namespace mpp::bench::run_pipe {

/// The input's size: 256 MiB (the 1 GB takes GNU parallel long on the shared machine).
inline constexpr std::size_t k_input_bytes = std::size_t{256} << 20;
inline constexpr const char* k_jobs = "2";
inline constexpr const char* k_block = "1M";

struct Input {
  std::string path;
  long long lines = 0;
};

/// The input, written once per process: numbered lines of 60-odd bytes, as a log's.
inline const Input& input() {
  static const Input made = [] {
    const char* tmp = std::getenv("TMPDIR");
    Input in{std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/mpp-bench-run-pipe-" +
             std::to_string(::getpid())};
    std::ofstream out(in.path, std::ios::binary);
    std::string line;
    for (std::size_t written = 0; written < k_input_bytes; written += line.size(), ++in.lines) {
      line = std::to_string(in.lines) + " the quick brown fox jumps over the lazy dog, again and again\n";
      out << line;
    }
    return in;
  }();
  return made;
}

/// Runs `argv` with the input file on its standard input; returns the sum of the numbers it
/// printed (one per line), or -1 when it could not start or did not exit with 0.
inline long long run_summed(const std::vector<std::string>& argv) {
  std::string text;
  if (run_jobs::run_counted(argv, input().path, &text) < 0) return -1;
  long long sum = 0;
  std::istringstream numbers(text);
  for (long long n = 0; numbers >> n;) sum += n;
  return sum;
}

/// Registers the contender `name` as run_pipe/<name>/wc_l_256mb: `argv` run once per iteration.
inline bool register_contender(const char* name, std::vector<std::string> argv) {
  benchmark::RegisterBenchmark(
      (std::string("run_pipe/") + name + "/wc_l_256mb").c_str(),
      [argv](benchmark::State& state) {
        const long long lines = input().lines;
        for (auto _ : state) {
          const long long sum = run_summed(argv);
          if (sum != lines) {
            state.SkipWithError(sum < 0 ? "could not run, or it failed"
                                        : "the counts do not add up to the lines");
            break;
          }
        }
        state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * k_input_bytes));
      })
      ->Iterations(1)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  return true;
}

}  // namespace mpp::bench::run_pipe
