// Running the real mpp-run binary from a test: its standard input, output and error through pipes,
// a deadline on everything, a scratch folder, and waits on files that jobs write (there is no
// other event to wait on for what a job does).
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "mpp/detail/posix/child.hpp"

#ifndef MPP_RUN_BINARY
#error "MPP_RUN_BINARY (the mpp-run executable) must be defined: tests/tool/CMakeLists.txt does it"
#endif

namespace mpp_run_test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

/// Longest any single mpp-run call of a test may take: reached only when something is broken, well
/// inside the CTest timeout (sanitizer builds are several times slower than the others).
inline constexpr auto k_limit = 20s;

/// A fresh folder under $TMPDIR (or /tmp), removed with its contents at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");  // NOLINT(concurrency-mt-unsafe): no setenv in tests
    std::string path = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/mpp-run-test-XXXXXX";
    if (::mkdtemp(path.data()) == nullptr) throw std::system_error(errno, std::generic_category(), "mkdtemp");
    path_ = path;
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  [[nodiscard]] std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  [[nodiscard]] std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

/// The lines `seq FROM TO` prints.
inline std::string seq(int from, int to) {
  std::string out;
  for (int i = from; i <= to; ++i) out += std::to_string(i) + "\n";
  return out;
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

/// Polls `done` every few milliseconds until it holds or `limit` passes; true when it held.
template <class Pred>
bool wait_until(Pred done, std::chrono::nanoseconds limit = k_limit) {
  const auto deadline = Clock::now() + limit;
  for (;;) {
    if (done()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
}

/// Waits until the file at `path` has at least `lines` complete lines.
inline bool wait_for_lines(const std::string& path, std::size_t lines) {
  return wait_until([&] {
    const std::string text = read_file(path);
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) >= lines;
  });
}

/// A shell loop for a job to wait (at most 20 s) for `path` to exist.
inline std::string wait_for(const std::string& path) {
  return "i=0; while [ ! -e " + path + " ] && [ $i -lt 2000 ]; do sleep 0.01; i=$((i+1)); done";
}

/// How a finished mpp-run ended, and what it wrote.
struct Result {
  int status = -1;  // wait status
  std::string out;
  std::string err;
  bool timed_out = false;

  /// The exit status, or 128+N when signal N killed it.
  [[nodiscard]] int code() const { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }
};

inline std::ostream& operator<<(std::ostream& os, const Result& r) {
  return os << "exit " << r.code() << (r.timed_out ? " (killed: it ran past the test's limit)" : "")
            << "\n--- stdout ---\n"
            << r.out.substr(0, 4000) << "\n--- stderr ---\n"
            << r.err.substr(0, 4000);
}

/// A running mpp-run with its three standard streams on pipes.
class Tool {
 public:
  /// Starts `mpp-run args...`; `input` is its whole standard input. In its own process group when
  /// `own_group` (as a shell starts a foreground job), so that a test can signal that group.
  /// `launcher`, when given, runs first with mpp-run's path and arguments after it (as `$0 "$@"`
  /// of a `sh -c` that sets something up and execs).
  explicit Tool(const std::vector<std::string>& args, std::string input = {}, bool own_group = false,
                const std::vector<std::string>& launcher = {})
      : input_(std::move(input)) {
    int in[2];
    int out[2];
    int err[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
      throw std::system_error(errno, std::generic_category(), "pipe2");
    }
    std::vector<std::string> argv = launcher;
    argv.emplace_back(MPP_RUN_BINARY);
    argv.insert(argv.end(), args.begin(), args.end());
    mpp::detail::Child::SpawnOptions options;
    options.new_process_group = own_group;
    options.stdin_fd = in[0];
    options.stdout_fd = out[1];
    options.stderr_fd = err[1];
    child_ = mpp::detail::Child::spawn(argv, options);
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    in_ = in[1];
    out_ = out[0];
    err_ = err[0];
    ::fcntl(in_, F_SETFL, O_NONBLOCK);
    if (input_.empty()) close_input();
  }
  Tool(const Tool&) = delete;
  Tool& operator=(const Tool&) = delete;
  ~Tool() {
    if (child_ && !child_.poll()) {
      child_.signal(SIGKILL);
      child_.wait();
    }
    for (int fd : {in_, out_, err_}) {
      if (fd >= 0) ::close(fd);
    }
  }

  [[nodiscard]] pid_t pid() const { return child_.pid(); }

  /// Closes our end of mpp-run's standard output, as `mpp-run ... | head -1` does once head is done.
  void close_output() {
    if (out_ >= 0) ::close(out_);
    out_ = -1;
  }

  /// From now on, nobody reads mpp-run's standard output, which stays open: a reader that does
  /// not read (`mpp-run ... | (sleep 1000)`). finish() then reads standard error only.
  void hold_output() { hold_output_ = true; }

  /// Feeds the input, reads the output until both pipes end (standard error only after
  /// hold_output()), and reaps mpp-run; kills it when `limit` passes first.
  Result finish(std::chrono::nanoseconds limit = k_limit) {
    Result result;
    const auto deadline = Clock::now() + limit;
    while ((out_ >= 0 && !hold_output_) || err_ >= 0) {
      std::vector<pollfd> fds;
      if (in_ >= 0) fds.push_back({in_, POLLOUT, 0});
      if (out_ >= 0 && !hold_output_) fds.push_back({out_, POLLIN, 0});
      if (err_ >= 0) fds.push_back({err_, POLLIN, 0});
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) {
        result.timed_out = true;
        break;
      }
      if (::poll(fds.data(), fds.size(), static_cast<int>(left)) < 0 && errno != EINTR) break;
      for (const pollfd& p : fds) {
        if (p.revents == 0) continue;
        if (p.fd == in_) {
          const ssize_t n = write_input();
          if (n > 0) written_ += static_cast<std::size_t>(n);
          if (n < 0 || written_ == input_.size()) close_input();
        } else {
          read_from(p.fd == out_ ? out_ : err_, p.fd == out_ ? result.out : result.err);
        }
      }
    }
    if (result.timed_out) {
      child_.signal_group(SIGKILL);
      child_.signal(SIGKILL);
    }
    const auto status = child_.wait_until(result.timed_out ? Clock::now() + k_limit : deadline);
    if (!status) {
      result.timed_out = true;
      child_.signal(SIGKILL);
      result.status = child_.wait();
    } else {
      result.status = *status;
    }
    return result;
  }

 private:
  void close_input() {
    if (in_ >= 0) ::close(in_);
    in_ = -1;
  }
  // Writes more input. mpp-run may end, or close its standard input, before it has read it all (a
  // refused command line): the write then fails with EPIPE, and the SIGPIPE it raises, blocked
  // around it in this thread and taken back before the mask is restored, does not end the test.
  // (Ignoring SIGPIPE instead would pass to the mpp-run processes started later.)
  ssize_t write_input() {
    sigset_t pipe_only;
    sigset_t old;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
    const ssize_t n = ::write(in_, input_.data() + written_, input_.size() - written_);
    if (n < 0 && errno == EPIPE) {
      const timespec now{};
      (void)::sigtimedwait(&pipe_only, nullptr, &now);
    }
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return n;
  }
  static void read_from(int& fd, std::string& text) {
    char buffer[65536];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      text.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      ::close(fd);
      fd = -1;
    }
  }

  mpp::detail::Child child_;
  std::string input_;
  std::size_t written_ = 0;
  bool hold_output_ = false;
  int in_ = -1;
  int out_ = -1;
  int err_ = -1;
};

/// The pid a job wrote to `path` (written to path.tmp and renamed, so never read half-written);
/// 0 when none came within k_limit.
inline pid_t read_pid(const std::string& path) {
  if (!wait_until([&] { return std::filesystem::exists(path); })) return 0;
  return static_cast<pid_t>(std::stol(read_file(path)));
}

/// A shell command that writes the pid of the shell running it to `path`, whole (see read_pid).
inline std::string write_pid(const std::string& path) {
  return "echo $$ > " + path + ".tmp && mv " + path + ".tmp " + path;
}

/// True when `pid` has ended (no such process, or a zombie nobody has reaped yet) within `limit`.
inline bool ended_within(pid_t pid, std::chrono::nanoseconds limit) {
  return wait_until(
      [&] {
        const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
        return stat.empty() || stat.find(") Z ") != std::string::npos;
      },
      limit);
}

/// Processes a test started and must not leave behind, whatever it found: each one still there
/// when the test ends gets SIGKILL, and is reaped when it is this process's child (an orphan
/// that came to it as a subreaper).
class KillAtEnd {
 public:
  KillAtEnd() = default;
  KillAtEnd(const KillAtEnd&) = delete;
  KillAtEnd& operator=(const KillAtEnd&) = delete;
  ~KillAtEnd() {
    for (pid_t pid : pids_) {
      if (pid <= 0) continue;
      if (!ended_within(pid, std::chrono::nanoseconds(0))) ::kill(pid, SIGKILL);
      ended_within(pid, k_limit);
      ::waitpid(pid, nullptr, WNOHANG);
    }
  }
  pid_t add(pid_t pid) {
    pids_.push_back(pid);
    return pid;
  }

 private:
  std::vector<pid_t> pids_;
};

/// Runs `mpp-run args...` to its end.
inline Result run(const std::vector<std::string>& args, std::string input = {}) {
  Tool tool(args, std::move(input));
  return tool.finish();
}

}  // namespace mpp_run_test
