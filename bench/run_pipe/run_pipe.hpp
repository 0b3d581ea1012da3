// run_pipe: mpp-run --pipe against GNU parallel --pipe and plain `wc -l`: one input file of lines
// (k_input_bytes, written once per process) on standard input, cut into 1 MiB blocks, each counted
// by `wc -l`, two jobs at a time; and --pipepart of both on a larger file (k_part_bytes) named on
// the command line (k_input_arg). Every contender's output is summed (the counts of its blocks): a
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
/// --pipepart's: 1 GiB (it reads no byte through mpp-run, nor through GNU parallel).
inline constexpr std::size_t k_part_bytes = std::size_t{1} << 30;
/// In a contender's words: the input file's path.
inline constexpr const char* k_input_arg = "{input}";
inline constexpr const char* k_jobs = "2";
inline constexpr const char* k_block = "1M";

struct Input {
  std::string path;
  long long lines = 0;
};

/// An input of `bytes`, written once per process (removed at its end): numbered lines of 60-odd
/// bytes, as a log's.
inline Input make_input(std::size_t bytes) {
  const char* tmp = std::getenv("TMPDIR");
  Input in{std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/mpp-bench-run-pipe-" +
           std::to_string(::getpid()) + "-" + std::to_string(bytes)};
  std::ofstream out(in.path, std::ios::binary);
  std::string line;
  for (std::size_t written = 0; written < bytes; written += line.size(), ++in.lines) {
    line = std::to_string(in.lines) + " the quick brown fox jumps over the lazy dog, again and again\n";
    out << line;
  }
  return in;
}

struct Removed {
  Input input;
  ~Removed() { ::unlink(input.path.c_str()); }
};

inline const Input& input(std::size_t bytes = k_input_bytes) {
  if (bytes == k_part_bytes) {
    static const Removed part{make_input(k_part_bytes)};
    return part.input;
  }
  static const Removed pipe{make_input(k_input_bytes)};
  return pipe.input;
}

/// Runs `argv` (k_input_arg replaced by the path) with the input file of `bytes` on its standard
/// input; returns the sum of the numbers it printed (one per line), or -1 when it could not start
/// or did not exit with 0.
inline long long run_summed(std::vector<std::string> argv, std::size_t bytes) {
  for (std::string& word : argv) {
    if (word == k_input_arg) word = input(bytes).path;
  }
  std::string text;
  if (run_jobs::run_counted(argv, input(bytes).path, &text) < 0) return -1;
  long long sum = 0;
  std::istringstream numbers(text);
  for (long long n = 0; numbers >> n;) sum += n;
  return sum;
}

/// Registers the contender `name` as run_pipe/<name>/wc_l_256mb (wc_l_1gb with k_part_bytes):
/// `argv` run once per iteration on the input of `bytes`.
inline bool register_contender(const char* name, std::vector<std::string> argv,
                               std::size_t bytes = k_input_bytes) {
  const char* problem = bytes == k_part_bytes ? "/wc_l_1gb" : "/wc_l_256mb";
  benchmark::RegisterBenchmark(
      (std::string("run_pipe/") + name + problem).c_str(),
      [argv, bytes](benchmark::State& state) {
        const long long lines = input(bytes).lines;
        for (auto _ : state) {
          const long long sum = run_summed(argv, bytes);
          if (sum != lines) {
            state.SkipWithError(sum < 0 ? "could not run, or it failed"
                                        : "the counts do not add up to the lines");
            break;
          }
        }
        state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
      })
      ->Iterations(1)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  return true;
}

}  // namespace mpp::bench::run_pipe
