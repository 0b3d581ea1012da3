#include "mpp/detail/child.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <utility>

#include "posix/syscall.hpp"

extern char** environ;

namespace mpp::detail {
namespace {

int open_pidfd(pid_t pid) noexcept {
  // Kernels before 5.3 have no pidfd_open: then waiting polls waitpid instead.
  const long fd = posix::retried("pidfd_open", [&] { return ::syscall(SYS_pidfd_open, pid, 0); });
  return fd < 0 ? -1 : static_cast<int>(fd);
}

void check(int rc, const char* what) {
  if (rc != 0) posix::throw_errno(what, rc);
}

// The signals a spawned child gets back with their default dispositions.
constexpr int k_default_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD};

// Child::spawn with a parent-death signal, which posix_spawn cannot set: vfork, then in the child
// only system calls on its own state (no allocation, no locks, nothing returned to) until execve,
// as glibc's posix_spawn does. An exec failure's errno comes back through a close-on-exec pipe,
// which works the same when vfork is a plain fork (as under ThreadSanitizer).
pid_t spawn_with_parent_death_signal(char* const* argv, const Child::SpawnOptions& options) {
  int report[2];
  posix::checked("pipe2", [&] { return ::pipe2(report, O_CLOEXEC); });
  // All signals blocked across vfork: a handler of the parent's must not run in the child, which
  // shares its memory (and its descriptors, so mpp-run's signal pipe) until execve.
  sigset_t all;
  sigset_t previous;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &previous);
  const pid_t parent = ::getpid();
  const char* const path = options.program != nullptr ? options.program : argv[0];
  const pid_t pid = ::vfork();
  if (pid == 0) {
    struct sigaction fallback = {};
    fallback.sa_handler = SIG_DFL;
    for (int sig : k_default_signals) ::sigaction(sig, &fallback, nullptr);
    int error = 0;
    if (options.new_process_group && ::setpgid(0, 0) != 0) error = errno;
    if (error == 0 && ::prctl(PR_SET_PDEATHSIG, options.parent_death_signal) != 0) error = errno;
    // The parent may have died before prctl: then nobody is left to send the signal.
    if (error == 0 && ::getppid() != parent) ::_exit(127);
    const int fds[3] = {options.stdin_fd, options.stdout_fd, options.stderr_fd};
    for (int target = 0; target < 3 && error == 0; ++target) {
      if (fds[target] >= 0 && ::dup2(fds[target], target) < 0) error = errno;
    }
    if (error == 0) {
      sigset_t none;
      sigemptyset(&none);
      ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
      if (options.program != nullptr || std::strchr(path, '/') != nullptr) {
        ::execve(path, argv, environ);
      } else {
        ::execvpe(path, argv, environ);
      }
      error = errno;
    }
    [[maybe_unused]] const ssize_t written = ::write(report[1], &error, sizeof error);
    ::_exit(127);
  }
  const int fork_error = errno;
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  ::close(report[1]);
  if (pid < 0) {
    ::close(report[0]);
    posix::throw_errno("vfork", fork_error);
  }
  // Also from this side: a signal to the group must not race the child's own setpgid.
  if (options.new_process_group) ::setpgid(pid, pid);
  int error = 0;
  const ssize_t got = posix::retried("read", [&] { return ::read(report[0], &error, sizeof error); });
  ::close(report[0]);
  if (got == static_cast<ssize_t>(sizeof error)) {
    int status = 0;
    posix::retried("waitpid", [&] { return ::waitpid(pid, &status, 0); });
    posix::throw_errno((std::string("execve ") + argv[0]).c_str(), error);
  }
  return pid;
}

}  // namespace

Child::Child(Child&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::exchange(other.pidfd_, -1)),
      status_(std::exchange(other.status_, std::nullopt)) {}

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    close_pidfd();
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::exchange(other.pidfd_, -1);
    status_ = std::exchange(other.status_, std::nullopt);
  }
  return *this;
}

Child::~Child() { close_pidfd(); }

void Child::close_pidfd() noexcept {
  if (pidfd_ >= 0) ::close(pidfd_);
  pidfd_ = -1;
}

Child Child::fork(FunctionRef<void()> body) {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  const pid_t pid = posix::checked("fork", [] { return ::fork(); });
  if (pid == 0) {
    body();
    ::_exit(127);  // the body must not return; if it does, fail loudly rather than run on
  }
  return Child(pid, open_pidfd(pid));
}

Child Child::spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  if (argv.empty()) throw std::invalid_argument("mpp: cannot spawn an empty command");
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  if (options.parent_death_signal != 0) {
    const pid_t pid = spawn_with_parent_death_signal(args.data(), options);
    return Child(pid, open_pidfd(pid));
  }

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  check(posix_spawn_file_actions_init(&actions), "posix_spawn_file_actions_init");
  check(posix_spawnattr_init(&attributes), "posix_spawnattr_init");
  pid_t pid = -1;
  int rc = 0;
  try {
    const int fds[3] = {options.stdin_fd, options.stdout_fd, options.stderr_fd};
    for (int target = 0; target < 3; ++target) {
      if (fds[target] >= 0)
        check(posix_spawn_file_actions_adddup2(&actions, fds[target], target), "posix_spawn");
    }
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (options.new_process_group) {
      flags |= POSIX_SPAWN_SETPGROUP;
      check(posix_spawnattr_setpgroup(&attributes, 0), "posix_spawnattr_setpgroup");
    }
    // A clean slate: no blocked signals, default dispositions for those a parent may change.
    sigset_t none;
    sigset_t defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int sig : k_default_signals) sigaddset(&defaults, sig);
    check(posix_spawnattr_setsigmask(&attributes, &none), "posix_spawnattr_setsigmask");
    check(posix_spawnattr_setsigdefault(&attributes, &defaults), "posix_spawnattr_setsigdefault");
    check(posix_spawnattr_setflags(&attributes, flags), "posix_spawnattr_setflags");
    rc = options.program != nullptr
             ? posix_spawn(&pid, options.program, &actions, &attributes, args.data(), environ)
             : posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), environ);
  } catch (...) {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    throw;
  }
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (rc != 0) posix::throw_errno(("posix_spawnp " + argv[0]).c_str(), rc);
  return Child(pid, open_pidfd(pid));
}

std::optional<int> Child::poll() {
  if (status_ || pid_ <= 0) return status_;
  int status = 0;
  const pid_t rc = posix::checked("waitpid", [&] { return ::waitpid(pid_, &status, WNOHANG); });
  if (rc == 0) return std::nullopt;
  status_ = status;
  close_pidfd();
  return status_;
}

std::optional<int> Child::peek() {
  if (status_ || pid_ <= 0) return status_;
  siginfo_t info = {};
  posix::checked(
      "waitid", [&] { return ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT); });
  if (info.si_pid == 0) return std::nullopt;
  switch (info.si_code) {
    case CLD_EXITED:
      return W_EXITCODE(info.si_status, 0);
    case CLD_DUMPED:
      return info.si_status | 0x80;  // WCOREDUMP's bit
    default:
      return info.si_status;  // CLD_KILLED: the signal, as waitpid's status holds it
  }
}

int Child::wait() {
  if (status_) return *status_;
  int status = 0;
  posix::checked("waitpid", [&] { return ::waitpid(pid_, &status, 0); });
  status_ = status;
  close_pidfd();
  return status;
}

std::optional<int> Child::wait_until(Deadline deadline) {
  for (;;) {
    if (auto status = poll()) return status;
    const auto now = Clock::now();
    if (now >= deadline) return std::nullopt;
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    const int timeout = static_cast<int>(std::min<long long>(left, 1 << 30));
    if (pidfd_ >= 0) {
      pollfd fd{pidfd_, POLLIN, 0};
      posix::retried("poll", [&] { return ::poll(&fd, 1, timeout); });
    } else {
      ::usleep(static_cast<useconds_t>(std::min(timeout, 1) * 1000));
    }
  }
}

void Child::signal(int sig) noexcept {
  if (pid_ > 0 && !status_) ::kill(pid_, sig);
}

void Child::signal_group(int sig) noexcept {
  if (pid_ > 0 && !status_) ::kill(-pid_, sig);
}

std::string Child::describe(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* abbrev = ::sigabbrev_np(sig);
    return "killed by signal " + (abbrev != nullptr ? std::string("SIG") + abbrev : std::to_string(sig)) +
           " (" + std::to_string(sig) + ")";
  }
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  return "ended with status " + std::to_string(status);
}

int Child::exit_code(int status) noexcept {
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return status;
}

}  // namespace mpp::detail
