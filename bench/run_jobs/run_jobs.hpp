// run_jobs: mpp-run against xargs -P and GNU parallel, two jobs at a time, on the two workloads of
// its issue: 2 000 trivial jobs (`true`), where the cost of starting a job is all there is, and 200
// jobs that each print 1 MiB, where grouping the output is; and issue 14's 100 000 trivial jobs. Every
// contender runs the same command with the same 200 or 2 000 arguments read from its standard input, and its
// standard output goes through a pipe that the benchmark drains and counts (a wrong count turns the row into
// an error).
#pragma once

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

extern char** environ;

namespace mpp::bench::run_jobs {

/// Two jobs at a time for every contender, as the targets are stated.
inline constexpr const char* k_jobs = "2";

struct Workload {
  const char* name;
  std::size_t jobs;
  std::vector<std::string> command;  // each job: these words and one argument, "/dev/zero"
  std::size_t bytes_per_job;         // what each job prints
};

inline const Workload k_trivial{"true_x2000", 2000, {"true"}, 0};
inline const Workload k_print_1mb{"print_1mb_x200", 200, {"head", "-c", "1048576"}, 1048576};
// Issue 14's row: 100 000 arguments from standard input to `true`; GNU parallel, two orders of
// magnitude slower per job, gets 10 000 of them (compare per job: the items/s column).
inline const Workload k_trivial_100k{"true_x100000", 100000, {"true"}, 0};
inline const Workload k_trivial_10k{"true_x10000", 10000, {"true"}, 0};

/// The contenders' input: one argument per line, written once per process.
inline std::string input_file(const Workload& w) {
  const char* tmp = std::getenv("TMPDIR");
  const std::string path = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
                           "/mpp-bench-run-jobs-" + w.name + "-" + std::to_string(::getpid());
  std::ofstream out(path);
  for (std::size_t i = 0; i < w.jobs; ++i) out << "/dev/zero\n";
  return path;
}

/// Runs `argv` with `input` as its standard input; returns the bytes it printed, or -1 when it
/// could not start or did not exit with 0. What it printed is kept in `output` when given.
inline long long run_counted(const std::vector<std::string>& argv, const std::string& input,
                             std::string* output = nullptr) {
  const int in = ::open(input.c_str(), O_RDONLY | O_CLOEXEC);
  int fds[2];
  if (in < 0 || ::pipe2(fds, O_CLOEXEC) != 0) return -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return -1;
  }
  long long bytes = 0;
  static char buffer[1 << 16];
  for (;;) {
    const ssize_t got = ::read(fds[0], buffer, sizeof buffer);
    if (got > 0) {
      bytes += got;
      if (output != nullptr) output->append(buffer, static_cast<std::size_t>(got));
    } else if (got == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? bytes : -1;
}

/// One contender on one workload: `prefix` (the tool and its options) followed by the workload's
/// command. Each iteration is one whole run.
inline void run(benchmark::State& state, const Workload& w, const std::vector<std::string>& prefix) {
  std::vector<std::string> argv = prefix;
  argv.insert(argv.end(), w.command.begin(), w.command.end());
  const std::string input = input_file(w);
  const auto expected = static_cast<long long>(w.jobs * w.bytes_per_job);
  for (auto _ : state) {
    const long long bytes = run_counted(argv, input);
    if (bytes != expected) {
      state.SkipWithError(bytes < 0 ? ("could not run " + argv.front() + ", or it failed").c_str()
                                    : "wrong number of output bytes");
      break;
    }
  }
  ::unlink(input.c_str());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * w.jobs));
}

/// Registers the contender `name` on `workloads` as run_jobs/<name>/<workload>.
template <class Prefix>
bool register_contender(const char* name, Prefix prefix,
                        const std::vector<const Workload*>& workloads = {&k_trivial, &k_print_1mb,
                                                                         &k_trivial_100k}) {
  for (const Workload* w : workloads) {
    benchmark::RegisterBenchmark((std::string("run_jobs/") + name + "/" + w->name).c_str(),
                                 [w, prefix](benchmark::State& state) { run(state, *w, prefix(*w)); })
        ->Iterations(1)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  return true;
}

}  // namespace mpp::bench::run_jobs
