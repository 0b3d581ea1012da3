// Process-level observations for ProcessPool tests, read from /proc: this process's children
// (zombies included), its open descriptors and shared mappings, another process's run state; and
// a scope that makes this process the subreaper of its orphaned descendants, so a test can reap
// them and see how they died.
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace mpp_test {

struct ProcessInfo {
  pid_t pid = 0;
  pid_t ppid = 0;
  char state = '?';  // as /proc/<pid>/stat: 'R', 'S', 'D', 'T' (stopped), 'Z' (zombie), ...
};

/// What /proc/<pid>/stat says of `pid`; empty when there is no such process.
inline std::optional<ProcessInfo> process_info(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(in, text)) return std::nullopt;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(text.substr(close + 1));
  ProcessInfo info;
  info.pid = pid;
  if (!(rest >> info.state >> info.ppid)) return std::nullopt;
  return info;
}

/// Every process whose parent is `parent`, zombies included.
inline std::vector<ProcessInfo> children_of(pid_t parent) {
  std::vector<ProcessInfo> out;
  const pid_t self = parent;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    pid_t pid = 0;
    const auto [end, err] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (err != std::errc() || end != name.data() + name.size()) continue;
    if (auto info = process_info(pid); info && info->ppid == self) out.push_back(*info);
  }
  return out;
}

/// Every process whose parent is this process, zombies included.
inline std::vector<ProcessInfo> child_processes() { return children_of(::getpid()); }

/// Number of open file descriptors of this process (the directory listing's own descriptor is
/// counted every time, so counts compare).
inline std::size_t open_fd_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

/// Number of MAP_SHARED mappings of this process (rings, memfds, shared anonymous memory).
inline std::size_t shared_mapping_count() {
  std::ifstream in("/proc/self/maps");
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) {
    // "start-end perms ...": perms is "rwxs" or "rwxp"; 's' is shared.
    const auto space = line.find(' ');
    if (space != std::string::npos && space + 4 < line.size() && line[space + 4] == 's') ++n;
  }
  return n;
}

/// True once `pid` does not exist (kill(pid, 0) fails with ESRCH). A zombie still exists.
inline bool process_gone(pid_t pid) { return ::kill(pid, 0) == -1 && errno == ESRCH; }

/// Polls `done` until it holds or `limit` passes; true when it held. For states the kernel
/// reaches asynchronously (a signal delivered, a process gone), which have no event to wait on.
template <class Pred>
bool poll_until(Pred done, std::chrono::nanoseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

/// Waits until `pid` is stopped (SIGSTOP delivered); false when it ended or `limit` passed.
inline bool wait_until_stopped(pid_t pid, std::chrono::nanoseconds limit) {
  bool stopped = false;
  poll_until(
      [&] {
        const auto info = process_info(pid);
        if (!info || info->state == 'Z' || info->state == 'X') return true;
        stopped = info->state == 'T' || info->state == 't';
        return stopped;
      },
      limit);
  return stopped;
}

/// Waits up to `limit` for the child `pid` (of this process, or of any other when `pid` is
/// -pgid) to end, and reaps it. Its pid and wait status; empty on timeout or when there is no
/// such child.
struct Reaped {
  pid_t pid = 0;
  int status = 0;
};
inline std::optional<Reaped> reap(pid_t pid, std::chrono::nanoseconds limit) {
  std::optional<Reaped> out;
  poll_until(
      [&] {
        int status = 0;
        const pid_t rc = ::waitpid(pid, &status, WNOHANG);
        if (rc > 0) out = Reaped{rc, status};
        return rc != 0;  // reaped, or an error (ECHILD): nothing more to wait for
      },
      limit);
  return out;
}

/// While it lives, orphaned descendants of this process are reparented to it instead of to init
/// (PR_SET_CHILD_SUBREAPER), so the test can reap them and read how they ended.
class SubreaperScope {
 public:
  SubreaperScope() { ok_ = ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0; }
  SubreaperScope(const SubreaperScope&) = delete;
  SubreaperScope& operator=(const SubreaperScope&) = delete;
  ~SubreaperScope() {
    if (ok_) ::prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
  }
  [[nodiscard]] bool ok() const noexcept { return ok_; }

 private:
  bool ok_ = false;
};

/// "killed by SIGKILL", "exited with 3": a wait status for assertion messages.
inline std::string describe_status(int status) {
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  if (WIFEXITED(status)) return "exited with " + std::to_string(WEXITSTATUS(status));
  return "status " + std::to_string(status);
}

/// How a program can make the kernel reap its children itself.
enum class SigchldIgnored { sig_ign, sa_nocldwait };

inline const char* sigchld_ignored_name(SigchldIgnored how) {
  return how == SigchldIgnored::sig_ign ? "SigIgn" : "SaNocldwait";
}

/// The test-name suffix of a SigchldIgnored parameter.
struct SigchldIgnoredName {
  template <class ParamInfo>
  std::string operator()(const ParamInfo& param) const {
    return sigchld_ignored_name(param.param);
  }
};

/// While it lives, SIGCHLD is ignored as a server does: signal(SIGCHLD, SIG_IGN), or a handler with
/// SA_NOCLDWAIT. The kernel then reaps this process's children itself.
class SigchldIgnoredScope {
 public:
  explicit SigchldIgnoredScope(SigchldIgnored how) {
    struct sigaction action = {};
    sigemptyset(&action.sa_mask);
    if (how == SigchldIgnored::sig_ign) {
      action.sa_handler = SIG_IGN;
    } else {
      action.sa_handler = &on_sigchld;
      action.sa_flags = SA_NOCLDWAIT | SA_RESTART;
    }
    ::sigaction(SIGCHLD, &action, &previous_);
  }
  SigchldIgnoredScope(const SigchldIgnoredScope&) = delete;
  SigchldIgnoredScope& operator=(const SigchldIgnoredScope&) = delete;
  ~SigchldIgnoredScope() { ::sigaction(SIGCHLD, &previous_, nullptr); }

 private:
  static void on_sigchld(int /*sig*/) {}
  struct sigaction previous_ = {};
};

}  // namespace mpp_test
