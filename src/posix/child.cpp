#include "mpp/detail/posix/child.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio_ext.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string_view>
#include <utility>

#include "mpp/detail/core/config.hpp"
#include "mpp/detail/posix/fd.hpp"
#include "mpp/errors.hpp"
#include "posix/syscall.hpp"

extern char** environ;
// glibc's clone, exported under this name too (see spawn_with_parent_death_signal).
// NOLINTNEXTLINE(bugprone-reserved-identifier,readability-identifier-naming): glibc's name
extern "C" int __clone(int (*fn)(void*), void* stack, int flags, void* arg, ...);

namespace mpp::detail {
namespace {

int open_pidfd(pid_t pid) noexcept {
  // Kernels before 5.3 have no pidfd_open: then waiting polls waitpid instead.
  const long fd = posix::retried("pidfd_open", [&] { return ::syscall(SYS_pidfd_open, pid, 0); });
  return fd < 0 ? -1 : static_cast<int>(fd);
}

// Linux 6.15's PIDFD_GET_INFO with PIDFD_INFO_EXIT (<linux/pidfd.h>; Debian 12's headers predate
// it): a pidfd gives the wait status of its process even after the kernel reaped it.
struct PidfdInfo {
  std::uint64_t mask;
  std::uint64_t cgroupid;
  std::uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
  std::int32_t exit_code;  // the wait status, as waitpid's
  std::uint32_t coredump_mask;
  std::uint32_t spare;
};
constexpr unsigned long k_pidfd_get_info = _IOWR(0xFF, 11, PidfdInfo);
constexpr std::uint64_t k_pidfd_info_exit = std::uint64_t{1} << 3;

// The wait status of a child that the kernel reaped itself (SIGCHLD ignored), read from its pidfd;
// empty on kernels before 6.15. The child has ended: the kernel records the status as it releases
// the process, a moment after waitpid stops seeing it, hence the short wait.
std::optional<int> reaped_status(int pidfd) noexcept {
  if (pidfd < 0) return std::nullopt;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  for (;;) {
    PidfdInfo info = {};
    info.mask = k_pidfd_info_exit;
    // Tests inject a failure here to play a kernel before 6.13 (no PIDFD_GET_INFO).
    if (posix::retried("PIDFD_GET_INFO", [&] { return ::ioctl(pidfd, k_pidfd_get_info, &info); }) != 0)
      return std::nullopt;
    if ((info.mask & k_pidfd_info_exit) != 0) return info.exit_code;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;  // before Linux 6.15
    ::sched_yield();
  }
}

bool sigchld_ignored() noexcept {
  struct sigaction current = {};
  if (::sigaction(SIGCHLD, nullptr, &current) != 0) return false;
  return current.sa_handler == SIG_IGN || (current.sa_flags & SA_NOCLDWAIT) != 0;
}

[[noreturn]] void throw_status_lost(pid_t pid) {
  throw Error("mpp: the exit status of process " + std::to_string(pid) +
              " is lost: SIGCHLD is ignored (SIG_IGN or SA_NOCLDWAIT), so the kernel reaped it, and this "
              "kernel cannot report it afterwards (that needs Linux 6.15); restore SIGCHLD's default "
              "disposition while mpp's processes run");
}

// Whether this kernel keeps a reaped child's status for its pidfd: a child that ends at once,
// reaped by the kernel (only asked while SIGCHLD is ignored), its pidfd opened before it ends.
bool kernel_keeps_reaped_status() {
  static const bool keeps = [] {
    // Raw pipe2 and fork: the answer is kept for the process's life, so a test's injected failure
    // must not decide it.
    int gate[2];
    if (::pipe2(gate, O_CLOEXEC) != 0) return false;
    Fd gate_read(gate[0]);
    Fd gate_write(gate[1]);
    const pid_t pid = ::fork();
    if (pid == 0) {
      gate_write.reset();
      char byte = 0;
      while (::read(gate_read.get(), &byte, 1) < 0 && errno == EINTR) {
      }
      ::_exit(0);
    }
    gate_read.reset();
    const Fd pidfd(pid > 0 ? open_pidfd(pid) : -1);
    gate_write.reset();  // the child reads end-of-file and exits
    if (!pidfd) return false;
    pollfd ended{pidfd.get(), POLLIN, 0};
    posix::retried("poll", [&] { return ::poll(&ended, 1, 10000); });
    int status = 0;
    // ECHILD once the kernel has reaped it; reaps it otherwise.
    (void)posix::retried("waitpid", [&] { return ::waitpid(pid, &status, 0); });
    return reaped_status(pidfd.get()).has_value();
  }();
  return keeps;
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

// The signals a spawned child gets back with their default dispositions.
constexpr int k_default_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD};

// Those of k_default_signals to reset in a child: all, or with `keep_ignored` those the parent
// does not ignore (execve resets caught ones by itself; ignored ones it keeps).
sigset_t signals_to_reset(bool keep_ignored) {
  sigset_t reset;
  sigemptyset(&reset);
  for (int sig : k_default_signals) {
    struct sigaction current = {};
    if (keep_ignored && ::sigaction(sig, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) continue;
    sigaddset(&reset, sig);
  }
  return reset;
}

// The child's environment: the parent's, with `extra`'s entries ("NAME=value") replacing those of
// the same name. Empty when `extra` is: then the child gets `environ` as it is. The strings stay
// the parent's (environ's) or `extra`'s.
std::vector<char*> environment_with(const std::vector<std::string>& extra) {
  std::vector<char*> env;
  if (extra.empty()) return env;
  auto replaced = [&](std::string_view entry) {
    const std::string_view name = entry.substr(0, entry.find('=') + 1);
    return std::any_of(extra.begin(), extra.end(), [&](const std::string& e) {
      return std::string_view(e).substr(0, name.size()) == name;
    });
  };
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (!replaced(*e)) env.push_back(*e);
  }
  for (const std::string& e : extra) env.push_back(const_cast<char*>(e.c_str()));
  env.push_back(nullptr);
  return env;
}

// What the child of spawn_with_parent_death_signal() does, prepared by the parent: the child
// shares the parent's memory until execve, so it only reads this and writes `error`.
struct SpawnRequest {
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const char* const* paths = nullptr;  // the files to try, in order, null-terminated
  int fds[3] = {-1, -1, -1};
  int pass_fd = -1;  // placed at pass_fd_as
  int pass_fd_as = -1;
  bool new_process_group = false;
  sigset_t reset;  // the signals to give their default dispositions
  int death_signal = 0;
  pid_t parent = 0;
  int error = 0;  // errno of the failure, written by the child
};

// The child, on a stack of its own, in the parent's memory (clone with CLONE_VM | CLONE_VFORK, as
// glibc's posix_spawn does): only raw system calls, no libc state, no code a sanitizer instruments
// or intercepts, since their bookkeeping is the parent's. Signals are blocked throughout (the
// parent blocked them), so none of the parent's handlers runs here; those execve resets itself.
// NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): syscall(2)
__attribute__((no_sanitize("address", "thread", "undefined"))) int spawn_child(void* arg) {
  auto* request = static_cast<SpawnRequest*>(arg);
  // Zeroes are SIG_DFL with no flags and an empty mask, whatever the kernel's struct layout.
  const unsigned long defaults[8] = {};  // NOLINT(modernize-avoid-c-arrays)
  for (int sig : k_default_signals) {
    if (sigismember(&request->reset, sig) == 1)
      ::syscall(SYS_rt_sigaction, sig, defaults, nullptr, sizeof defaults[0]);
  }
  long rc = 0;
  if (request->new_process_group) rc = ::syscall(SYS_setpgid, 0, 0);
  if (rc == 0) rc = ::syscall(SYS_prctl, PR_SET_PDEATHSIG, request->death_signal, 0, 0, 0);
  // The parent may have died before prctl: then nobody is left to send the signal.
  if (rc == 0 && ::syscall(SYS_getppid) != request->parent) ::syscall(SYS_exit_group, 127);
  for (int target = 0; target < 3 && rc == 0; ++target) {
    const int fd = request->fds[target];
    if (fd < 0) continue;
    // dup3 returns the new descriptor: only -1 is a failure.
    rc = (fd == target ? ::syscall(SYS_fcntl, fd, F_SETFD, 0) : ::syscall(SYS_dup3, fd, target, 0)) < 0 ? -1
                                                                                                        : 0;
  }
  if (rc == 0 && request->pass_fd >= 0) {
    const int fd = request->pass_fd;
    const int target = request->pass_fd_as;
    rc = (fd == target ? ::syscall(SYS_fcntl, fd, F_SETFD, 0) : ::syscall(SYS_dup3, fd, target, 0)) < 0 ? -1
                                                                                                        : 0;
  }
  if (rc == 0) {
    rc = ::syscall(SYS_rt_sigprocmask, SIG_SETMASK, defaults, nullptr, sizeof defaults[0]);
    int error = ENOENT;
    // As execvp: the first file that runs; a file that exists but cannot run is the error to report.
    for (const char* const* path = request->paths; rc == 0 && *path != nullptr; ++path) {
      ::syscall(SYS_execve, *path, request->argv, request->envp);
      if (errno != ENOENT && errno != ENOTDIR) error = errno;
      if (errno == ENOEXEC) break;  // Child::spawn's caller decides what a file without #! means
    }
    request->error = error;
  } else {
    request->error = errno;
  }
  ::syscall(SYS_exit_group, 127);
  return 127;
}

// Child::spawn with a parent-death signal, which posix_spawn cannot set.
pid_t spawn_with_parent_death_signal(char* const* argv, const Child::SpawnOptions& options) {
  // The files to try: the one given, argv[0] when it has a slash, else argv[0] in each directory
  // of PATH, looked up here, where allocating is allowed.
  std::vector<std::string> files;
  if (options.program != nullptr) {
    files.emplace_back(options.program);
  } else if (std::strchr(argv[0], '/') != nullptr) {
    files.emplace_back(argv[0]);
  } else {
    const char* const env = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe): read only
    std::string_view dirs = env != nullptr ? env : "/bin:/usr/bin";
    for (;;) {
      const std::size_t colon = dirs.find(':');
      const std::string_view dir = dirs.substr(0, colon);
      files.push_back(std::string(dir.empty() ? "." : dir) + "/" + argv[0]);
      if (colon == std::string_view::npos) break;
      dirs.remove_prefix(colon + 1);
    }
  }
  std::vector<const char*> paths;
  paths.reserve(files.size() + 1);
  for (const std::string& file : files) paths.push_back(file.c_str());
  paths.push_back(nullptr);

  const std::vector<char*> env = environment_with(options.environment);
  SpawnRequest request;
  request.argv = argv;
  request.envp = env.empty() ? environ : env.data();
  request.paths = paths.data();
  request.fds[0] = options.stdin_fd;
  request.fds[1] = options.stdout_fd;
  request.fds[2] = options.stderr_fd;
  request.pass_fd = options.pass_fd;
  request.pass_fd_as = options.pass_fd_as;
  request.new_process_group = options.new_process_group;
  request.reset = signals_to_reset(options.keep_ignored_signals);
  request.death_signal = options.parent_death_signal;
  request.parent = ::getpid();
  // The child's stack: it calls syscall() and little else.
  constexpr std::size_t k_stack_size = std::size_t{64} * 1024;
  const auto stack = std::make_unique<std::max_align_t[]>(k_stack_size / sizeof(std::max_align_t));

  sigset_t all;
  sigset_t previous;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &previous);
  // glibc's clone under its other exported name: ThreadSanitizer intercepts `clone` to treat the
  // child as a fork of its own, which this child, running none of its code, does not need.
  const int pid = posix::retried("clone", [&] {
    return ::__clone(spawn_child, stack.get() + k_stack_size / sizeof(std::max_align_t),
                     CLONE_VM | CLONE_VFORK | SIGCHLD, &request);
  });
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (pid < 0) posix::throw_errno("clone", -pid);
  if (request.error != 0) {
    int status = 0;
    posix::retried("waitpid", [&] { return ::waitpid(pid, &status, 0); });
    posix::throw_errno((std::string("execve ") + argv[0]).c_str(), request.error);
  }
  return pid;
}

}  // namespace

void check_exit_status_available(const char* who) {
  if (!sigchld_ignored()) return;
  if (posix::injected_fault("PIDFD_GET_INFO") == 0 && kernel_keeps_reaped_status()) return;
  throw Error(std::string(who) +
              ": SIGCHLD is ignored (SIG_IGN or SA_NOCLDWAIT), so the kernel would reap child processes "
              "itself and their exit status (a crash, its signal) would be lost; this kernel cannot report "
              "it afterwards (that needs Linux 6.15): restore SIGCHLD's default disposition "
              "(signal(SIGCHLD, SIG_DFL)) before starting processes");
}

StandardStreamsFlushed flush_free_standard_streams() noexcept {
  // (Not std::cerr.flush(): std::cerr is tied to std::cout, and unit-buffered, so holds nothing.)
  StandardStreamsFlushed flushed;
  flushed.out = flush_if_free(stdout, &std::cout);
  flushed.err = flush_if_free(stderr, nullptr);
  return flushed;
}

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
      status_(std::exchange(other.status_, std::nullopt)),
      source_(std::move(other.source_)) {}

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    release();
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::exchange(other.pidfd_, -1);
    status_ = std::exchange(other.status_, std::nullopt);
    source_ = std::move(other.source_);
  }
  return *this;
}

Child::~Child() { release(); }

void Child::close_pidfd() noexcept { Fd(std::exchange(pidfd_, -1)).reset(); }

void Child::release() noexcept {
  close_pidfd();
  // An adopted child whose status nobody read: its server reaps it when it ends.
  if (source_ && pid_ > 0 && !status_) source_->forget(pid_);
  source_.reset();
}

Child Child::adopt(pid_t pid, int pidfd, std::shared_ptr<StatusSource> source) noexcept {
  Child child(pid, pidfd);
  child.source_ = std::move(source);
  return child;
}

bool Child::pidfd_ready(int timeout_ms) const {
  pollfd fd{pidfd_, POLLIN, 0};
  const int rc = posix::retried("poll", [&] { return ::poll(&fd, 1, timeout_ms); });
  if (rc < 0) posix::throw_errno("poll", -rc);
  return rc > 0 && (fd.revents & (POLLIN | POLLHUP | POLLERR)) != 0;
}

Child Child::fork(FunctionRef<void()> body) {
  // Only the standard streams, and only those no other thread holds: fflush(nullptr) would wait
  // for every stream's lock. (fork() itself takes only glibc's list lock, never a stream's.)
  const StandardStreamsFlushed flushed = flush_free_standard_streams();
  // While SIGCHLD is ignored the kernel reaps the child itself: its status then lives only in a
  // pidfd opened before it ended, so the child waits for the parent to open it.
  Fd gate_read;
  Fd gate_write;
  if (sigchld_ignored()) {
    int gate[2] = {-1, -1};
    posix::checked("pipe2", [&] { return ::pipe2(gate, O_CLOEXEC); });
    gate_read.reset(gate[0]);
    gate_write.reset(gate[1]);
  }
  const pid_t pid = posix::retried("fork", [] { return ::fork(); });
  if (pid < 0) posix::throw_errno("fork", static_cast<int>(-pid));
  if (pid == 0) {
    if (gate_read) {
      gate_write.reset();
      char byte = 0;
      // Raw: a test's fault hook, copied from the parent, must not fail the child's wait.
      while (::read(gate_read.get(), &byte, 1) < 0 && errno == EINTR) {
      }
      gate_read.reset();
    }
    // What another thread was writing stays the parent's to write, not the child's too. (glibc
    // resets every stream's lock in the child of a threaded parent.)
    if (!flushed.out) ::__fpurge(stdout);
    if (!flushed.err) ::__fpurge(stderr);
    body();
    ::_exit(127);  // the body must not return; if it does, fail loudly rather than run on
  }
  Child child(pid, open_pidfd(pid));
  gate_read.reset();
  gate_write.reset();  // the child reads end-of-file and goes on
  return child;
}

Child Child::spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  if (argv.empty()) throw std::invalid_argument("mpp: cannot spawn an empty command");
  MPP_ASSERT(options.pass_fd < 0 || options.pass_fd_as == options.pass_fd || options.pass_fd_as > 2);
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
    // (glibc clears the close-on-exec flag when a descriptor is dup2'ed onto itself.)
    if (options.pass_fd >= 0)
      check(posix_spawn_file_actions_adddup2(&actions, options.pass_fd, options.pass_fd_as), "posix_spawn");
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (options.new_process_group) {
      flags |= POSIX_SPAWN_SETPGROUP;
      check(posix_spawnattr_setpgroup(&attributes, 0), "posix_spawnattr_setpgroup");
    }
    // A clean slate: no blocked signals, default dispositions for those a parent may change.
    sigset_t none;
    const sigset_t defaults = signals_to_reset(options.keep_ignored_signals);
    sigemptyset(&none);
    check(posix_spawnattr_setsigmask(&attributes, &none), "posix_spawnattr_setsigmask");
    check(posix_spawnattr_setsigdefault(&attributes, &defaults), "posix_spawnattr_setsigdefault");
    check(posix_spawnattr_setflags(&attributes, flags), "posix_spawnattr_setflags");
    const std::vector<char*> env = environment_with(options.environment);
    char* const* envp = env.empty() ? environ : env.data();
    rc = posix::error_returned("posix_spawn", [&] {
      return options.program != nullptr
                 ? posix_spawn(&pid, options.program, &actions, &attributes, args.data(), envp)
                 : posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), envp);
    });
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
  if (source_) {
    // Not our child: its pidfd says when it ended, its server reaps it.
    if (!pidfd_ready(0)) return std::nullopt;
    std::optional<int> status = source_->reap(pid_);
    if (!status) return std::nullopt;
    status_ = status;
    close_pidfd();
    return status_;
  }
  int status = 0;
  const pid_t rc = posix::retried("waitpid", [&] { return ::waitpid(pid_, &status, WNOHANG); });
  if (rc == 0) return std::nullopt;
  if (rc < 0) status = status_of_reaped(static_cast<int>(-rc));
  status_ = status;
  close_pidfd();
  return status_;
}

std::optional<int> Child::peek() {
  if (status_ || pid_ <= 0) return status_;
  if (source_) return poll();  // signalled through its pidfd: no pid to keep reserved
  siginfo_t info = {};
  const int rc = posix::retried(
      "waitid", [&] { return ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT); });
  if (rc < 0) return poll();  // reaped by the kernel (SIGCHLD ignored): no zombie to keep
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
  if (source_) {
    for (;;) {
      if (auto status = wait_until(k_no_deadline)) return *status;
    }
  }
  int status = 0;
  // Where the kernel reaps the child itself, waitpid returns ECHILD once it has ended.
  const pid_t rc = posix::retried("waitpid", [&] { return ::waitpid(pid_, &status, 0); });
  if (rc < 0) status = status_of_reaped(static_cast<int>(-rc));
  status_ = status;
  close_pidfd();
  return status;
}

std::optional<int> Child::wait_until(Deadline deadline) {
  for (;;) {
    if (auto status = poll()) return status;
    const auto now = Clock::now();
    if (now >= deadline) return std::nullopt;
    const int timeout = poll_timeout_ms(deadline, now);
    if (pidfd_ >= 0) {
      pollfd fd{pidfd_, POLLIN, 0};
      posix::retried("poll", [&] { return ::poll(&fd, 1, timeout); });
    } else {
      ::usleep(1000);  // no pidfd: look again in a millisecond (the deadline is at least that far)
    }
  }
}

int Child::status_of_reaped(int error) {
  if (error != ECHILD) posix::throw_errno("waitpid", error);
  if (auto status = reaped_status(pidfd_)) return *status;
  throw_status_lost(pid_);
}

void Child::signal(int sig) noexcept {
  if (pid_ <= 0 || status_) return;
  if (source_) {
    if (pidfd_ >= 0) {
      (void)posix::retried("pidfd_send_signal",
                           [&] { return ::syscall(SYS_pidfd_send_signal, pidfd_, sig, nullptr, 0); });
    }
    return;
  }
  (void)posix::retried("kill", [&] { return ::kill(pid_, sig); });
}

void Child::signal_group(int sig) noexcept {
  if (pid_ > 0 && !status_) (void)posix::retried("kill", [&] { return ::kill(-pid_, sig); });
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
