// The glue that makes a Python multiprocessing peer (a script in bench/python/) one contender of a
// suite: each repetition runs the script in a fresh interpreter, which builds its data and starts
// its Pool untimed, times the workload itself and prints "<seconds> <items>"; the benchmark
// reports those seconds as its manual time. So the Python rows are repeated and randomly
// interleaved with the C++ contenders of the same run, like any other contender.
#pragma once

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>
#include <string>
#include <vector>

#ifndef MPP_BENCH_PYTHON
#error "MPP_BENCH_PYTHON (the interpreter) must be defined: bench/CMakeLists.txt does it"
#endif
#ifndef MPP_BENCH_PYTHON_DIR
#error "MPP_BENCH_PYTHON_DIR (bench/python/) must be defined: bench/CMakeLists.txt does it"
#endif

extern char** environ;

namespace mpp::bench {

/// The interpreter of the Python peers (Debian's /usr/bin/python3 where it exists).
inline constexpr const char* k_python = MPP_BENCH_PYTHON;

namespace detail {

/// Runs `argv` with its stdout captured; stderr (a Python traceback) goes to the suite's stderr.
/// Returns the exit status (-1 when it could not start) and fills `out`.
inline int run_captured(const std::vector<std::string>& argv, std::string& out) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return -1;
  }
  char buffer[4096];
  for (;;) {
    const ssize_t got = ::read(fds[0], buffer, sizeof(buffer));
    if (got > 0) {
      out.append(buffer, static_cast<std::size_t>(got));
    } else if (got == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

inline bool register_python_context() {
  benchmark::AddCustomContext("mpp_python", k_python);
  return true;
}
inline const bool k_python_context_registered = register_python_context();

}  // namespace detail

/// One repetition of a Python peer: `<k_python> bench/python/<script> <args...>`. Register with
/// Iterations(1) and UseManualTime(). The script's items become the `items_per_second` counter
/// (computed here from the script's own time, as SetItemsProcessed would from a timed loop); a
/// script that fails or checks a wrong result turns the row into an error.
inline void run_python_peer(benchmark::State& state, const std::string& script,
                            const std::vector<std::string>& args) {
  std::vector<std::string> argv{k_python, std::string(MPP_BENCH_PYTHON_DIR) + "/" + script};
  argv.insert(argv.end(), args.begin(), args.end());
  double seconds = 0;
  double items = 0;
  bool ok = true;
  for (auto _ : state) {
    std::string out;
    const int status = detail::run_captured(argv, out);
    std::istringstream in(out);
    if (status != 0 || !(in >> seconds >> items) || seconds <= 0) {
      state.SkipWithError(status == -1 ? "could not start the Python interpreter"
                                       : "the Python peer failed (its message is on stderr)");
      ok = false;
      break;
    }
    state.SetIterationTime(seconds);
  }
  if (ok && items > 0) state.counters["items_per_second"] = benchmark::Counter(items / seconds);
}

}  // namespace mpp::bench
