// A child process: forked to run a function, or spawned to run a command; watched through a
// pidfd, signalled, reaped. The one implementation of process supervision, shared by Process,
// ProcessPool and mpp-run (compiled in src/posix/child.cpp).
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mpp/detail/core/wait.hpp"
#include "mpp/errors.hpp"

namespace mpp::detail {

/// In a forked child, before _exit: flushes stdout, stderr, std::cout and std::cerr (not other
/// streams, which may hold the parent's unwritten output).
void flush_standard_streams() noexcept;

/// Which of the standard streams flush_free_standard_streams() flushed.
struct StandardStreamsFlushed {
  bool out = false;  // stdout and std::cout
  bool err = false;  // stderr
};

/// Flushes stdout (with std::cout over it) and stderr, each only if no other thread holds its
/// lock: never waits for another thread (one blocked in fgets(stdin) or keeping flockfile(stdout)).
/// Other FILE streams are left alone (fflush(nullptr) would wait for each one's lock). Used before
/// a fork and where a process ends (an MPI rank).
StandardStreamsFlushed flush_free_standard_streams() noexcept;

/// Throws mpp::Error naming `who` when this process ignores SIGCHLD (SIG_IGN or SA_NOCLDWAIT) and
/// the kernel cannot give the exit status of a child it reaped itself (before Linux 6.15): a
/// crash would be lost. Otherwise (the usual case) returns at once.
void check_exit_status_available(const char* who);

/// A child has ended, but its wait status went with the fork server that forked it (and alone
/// could reap it): mpp::Process reports exit code 255 then, as Python's forkserver does.
class StatusLost : public Error {
 public:
  using Error::Error;
};

/// Where the wait status of a child that another process forked comes from: the fork server that
/// forked it (src/process/forkserver.cpp), which alone can reap it.
class StatusSource {
 public:
  /// The wait status of `pid`, reaping it; empty while it runs. Asked once its pidfd is readable.
  /// Throws StatusLost when the status cannot be had (the server is gone), std::system_error when
  /// asking failed otherwise.
  virtual std::optional<int> reap(pid_t pid) = 0;
  /// The owner drops `pid` without its status: reap it whenever it ends. Never throws.
  virtual void forget(pid_t pid) noexcept = 0;

 protected:
  StatusSource() = default;
  StatusSource(const StatusSource&) = default;
  StatusSource& operator=(const StatusSource&) = default;
  ~StatusSource() = default;
};

class Child {
 public:
  struct SpawnOptions {
    bool new_process_group = false;  // the child leads its own group (kill it whole)
    int stdin_fd = -1;               // -1: inherit; otherwise dup2'ed onto 0, 1, 2
    int stdout_fd = -1;
    int stderr_fd = -1;
    /// The file to run, when the caller has already found it (mpp-run looks each program up in
    /// PATH once, not once per job); null: argv[0], searched in PATH. argv[0] is passed on as is.
    const char* program = nullptr;
    /// Non-zero: the child gets this signal when the thread that spawned it ends, its parent's
    /// death included (PR_SET_PDEATHSIG; the kernel clears it when the child runs a set-user-ID
    /// program). Spawned as posix_spawn does (clone with CLONE_VM | CLONE_VFORK), plus prctl,
    /// since posix_spawn cannot set it.
    int parent_death_signal = 0;
    /// Signals the parent ignores stay ignored in the child, as a shell passes on nohup's SIGHUP;
    /// otherwise the child starts with SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE and SIGCHLD at
    /// their defaults.
    bool keep_ignored_signals = false;
    /// Non-negative: this descriptor is placed at number `pass_fd_as` in the child (itself's, or
    /// one that is not 0, 1 or 2), without its close-on-exec flag; every other descriptor is as the parent's
    /// (close-on-exec ones closed). A spawned ProcessPool worker gets its setup socket this way.
    int pass_fd = -1;
    int pass_fd_as = -1;
    /// "NAME=value" entries added to the child's environment (the parent's otherwise), replacing
    /// any of the same name. Prepared before the child starts: the child allocates nothing.
    std::vector<std::string> environment;
  };

  Child() = default;
  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  /// Closes the pidfd. Does not wait: an unreaped child is the owner's to wait for.
  ~Child();

  /// Forks; the child runs `body`, which must end the process (_exit), never return. Buffered
  /// standard output and error (stdout, stderr, std::cout, std::cerr) are flushed first unless
  /// another thread holds them, in which case the child drops its copy of what they held: the
  /// child never writes the parent's buffers a second time, and the fork never waits for another
  /// thread's lock. Other FILE streams are not flushed (that would wait for their locks).
  static Child fork(FunctionRef<void()> body);
  /// Runs argv[0] (searched in PATH, unless options.program names the file) with these arguments,
  /// no shell involved.
  static Child spawn(const std::vector<std::string>& argv, const SpawnOptions& options);

  /// A process that `source` forked (not this process): watched through `pidfd` (which it takes),
  /// signalled with pidfd_send_signal, its wait status from `source`. Never throws.
  static Child adopt(pid_t pid, int pidfd, std::shared_ptr<StatusSource> source) noexcept;

  explicit operator bool() const noexcept { return pid_ > 0; }
  pid_t pid() const noexcept { return pid_; }
  /// Readable once the child has ended (for poll()); -1 when the kernel has no pidfds.
  int pidfd() const noexcept { return pidfd_; }

  /// The wait status (as waitpid's) once the child has ended, reaping it; empty while it runs.
  /// Never blocks.
  std::optional<int> poll();
  /// The wait status once the child has ended, leaving it a zombie (waitid's WNOWAIT): its pid,
  /// and the process group it leads, stay reserved, so signal_group() still reaches that group
  /// and nobody else. poll() or wait() reap it later. Never blocks.
  std::optional<int> peek();
  /// Blocks until the child ends; its wait status.
  int wait();
  /// Waits until the deadline at most; the wait status, or empty if it still runs.
  std::optional<int> wait_until(Deadline deadline);
  /// Sends `sig` to the child (or its whole group) while it has not been reaped: afterwards its
  /// pid may belong to another process. An adopted child is signalled through its pidfd.
  void signal(int sig) noexcept;
  void signal_group(int sig) noexcept;

  /// "killed by signal SIGSEGV (11)", "exited with code 3".
  static std::string describe(int status);
  /// Python's exit code: the exit status, or -N for signal N.
  static int exit_code(int status) noexcept;

 private:
  Child(pid_t pid, int pidfd) noexcept : pid_(pid), pidfd_(pidfd) {}
  void close_pidfd() noexcept;
  /// Closes the pidfd and lets go of the child: an adopted child without a status is forgotten.
  void release() noexcept;
  /// Whether the pidfd is readable (the child ended) within `timeout_ms` (-1: no limit).
  bool pidfd_ready(int timeout_ms) const;
  /// After waitpid failed with `error`: ECHILD when the kernel reaped the child itself (SIGCHLD
  /// ignored), whose status the pidfd still gives (Linux 6.15); otherwise throws.
  int status_of_reaped(int error);

  pid_t pid_ = -1;
  int pidfd_ = -1;
  std::optional<int> status_;
  std::shared_ptr<StatusSource> source_;  // set for an adopted child
};

}  // namespace mpp::detail
