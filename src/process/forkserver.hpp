// The forkserver start method: one server process per program, a fresh run of the program's binary
// started as a spawned worker is (so it inherits no lock and no thread), that forks each worker (or
// mpp::Process child) on request. It stays single-threaded.
//
// The channel is an AF_UNIX SOCK_SEQPACKET socketpair the server inherits across exec: it has no
// name (no path, no abstract address), so only processes that hold one of its two descriptors can
// talk to the server: the program and the server itself (CVE-2022-42919 was Python's forkserver
// listening on an abstract name any local user could connect to). The program's end is
// close-on-exec, and closed in every process forked from the program (pthread_atfork), so that it
// reaches end of file exactly when the program ends: then the server exits, and its children,
// which die with it (PR_SET_PDEATHSIG), too.
//
// Requests, one at a time under a lock (several dispatcher threads share the channel), each
// answered before the next is sent:
//   start  a setup message (process/spawn.hpp) with its descriptors: the server forks; the child
//          runs it as a spawned process would (run_setup). The reply: the child's pid, and a pidfd
//          the server opened before it could reap it (SCM_RIGHTS), or the errno of the failure.
//   reap   (pid): waitpid(WNOHANG) in the server, the parent; the reply: the wait status, or
//          "running". Asked once the child's pidfd is readable, so the status is exact.
//   forget (pid): no reply; the server reaps that child whenever it ends (its owner dropped it).
#pragma once

#include <sys/types.h>

#include "mpp/detail/posix/child.hpp"
#include "process/spawn.hpp"

namespace mpp::detail {

/// Starts a child through the program's fork server, which runs `message` in it (run_setup);
/// starts the server first when none runs, or when the one that ran has ended. The child is an
/// adopted Child (its status from the server). Thread-safe. Throws std::system_error when the server
/// cannot be started or cannot fork, mpp::Error when it ends while starting the child twice in a
/// row.
Child forkserver_start(const SetupMessage& message);

/// The pid of this process's fork server, -1 when it has none running (as far as it knows).
/// Thread-safe.
pid_t forkserver_pid() noexcept;

/// This process's end of the channel to its fork server, -1 when it has none. For tests.
int forkserver_channel_fd() noexcept;

/// In freeze_support() of the process spawned to be the server: serves the program on `fd` until
/// the program's end of the channel closes, then exits. Never returns.
[[noreturn]] void run_fork_server(int fd) noexcept;

}  // namespace mpp::detail
