#include "mpp/detail/child.hpp"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio_ext.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
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

// Flushes `stream` (and `cxx`, the C++ stream over it, when given) unless another thread holds
// its lock: a thread waiting in fgets(stdin) or std::getline(std::cin), or one that keeps
// flockfile(stdout), must never hold up a fork. False when it was held.
bool flush_if_free(std::FILE* stream, std::ostream* cxx) noexcept {
  if (::ftrylockfile(stream) != 0) return false;
  if (cxx != nullptr) {
    try {
      cxx->flush();  // synced with stdio it ends in fflush(stream), whose lock (recursive) we hold
    } catch (...) {  // a stream set to throw: its own error, not the fork's
    }
  }
  ::fflush_unlocked(stream);
  ::funlockfile(stream);
  return true;
}

}  // namespace

void flush_standard_streams() noexcept {
  try {
    std::cout.flush();
    std::cerr.flush();
  } catch (...) {  // a stream set to throw: nothing more can be reported from here
  }
  std::fflush(stdout);
  std::fflush(stderr);
}

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
  // Only the standard streams, and only those no other thread holds: fflush(nullptr) would wait
  // for every stream's lock. (fork() itself takes only glibc's list lock, never a stream's.)
  // (Not std::cerr.flush(): std::cerr is tied to std::cout, and unit-buffered, so holds nothing.)
  const bool out_flushed = flush_if_free(stdout, &std::cout);
  const bool err_flushed = flush_if_free(stderr, nullptr);
  const pid_t pid = posix::checked("fork", [] { return ::fork(); });
  if (pid == 0) {
    // What another thread was writing stays the parent's to write, not the child's too. (glibc
    // resets every stream's lock in the child of a threaded parent.)
    if (!out_flushed) ::__fpurge(stdout);
    if (!err_flushed) ::__fpurge(stderr);
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
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD}) sigaddset(&defaults, sig);
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
