// run_job_here(): one remote job on the machine that received it (an MPI rank's local worker), run
// as the Runner runs a local one, with --timeout enforced here, where the job's group is; and
// under_mpi(), which tells that mpp-run was started as ranks.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <optional>
#include <string>
#include <system_error>

#include "mpp/detail/core/wait.hpp"
#include "mpp/detail/posix/child.hpp"
#include "mpp/detail/posix/fd.hpp"
#include "posix/syscall.hpp"
#include "run/remote.hpp"
#include "run/runner.hpp"
#include "run/spawn.hpp"

namespace mpp::detail::run {
namespace {

void open_pipe(Fd& read, Fd& write) {
  int ends[2];
  posix::checked("pipe2", [&] { return ::pipe2(ends, O_CLOEXEC); });
  read.reset(ends[0]);
  write.reset(ends[1]);
}

std::string host_name() {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "?";
  return name;
}

// Appends what `fd` has to `buffer`; closes it at its end.
void read_into(Fd& fd, std::string& buffer) {
  char block[65536];
  const ssize_t n = posix::retried("read", [&] { return ::read(fd.get(), block, sizeof block); });
  if (n > 0) {
    buffer.append(block, static_cast<std::size_t>(n));
  } else {
    fd.reset();  // the end, or an error: nothing more comes either way
  }
}

// The write end of the pipe to this process's guardian: a shell that reads the process group of the
// job running here ("0" when none), and when the pipe ends (this process died: MpiPool::terminate()
// kills a rank's local workers for --halt now and Ctrl-C) sends that group SIGTERM, and SIGKILL a
// second later, as the Runner does to a job it stops. The job's leader alone would go with this
// process (its parent-death signal); what it started would run on. One per process, made at its
// first job: one more process per worker, not per job.
int guardian() {
  static Fd pipe_to = [] {
    Fd read;
    Fd write;
    open_pipe(read, write);
    Child::SpawnOptions spawn;
    spawn.new_process_group = true;  // out of reach of a signal to this process's group
    spawn.stdin_fd = read.get();
    // Never waited for (the Child forgets it): it ends after this process, as it must.
    const Child watcher =
        Child::spawn({k_shell, "-c",
                      "p=0; while read -r q; do p=$q; done; if [ \"$p\" != 0 ]; then "
                      "kill -TERM -\"$p\" 2>/dev/null; sleep 1; kill -KILL -\"$p\" 2>/dev/null; fi"},
                     spawn);
    return write;
  }();
  return pipe_to.get();
}

void tell_guardian(pid_t group) {
  const std::string line = std::to_string(group) + "\n";
  (void)posix::retried("write", [&] { return ::write(guardian(), line.data(), line.size()); });
}

bool size_above_one(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && std::atol(value) > 1;
}

}  // namespace

bool under_mpi() { return size_above_one("OMPI_COMM_WORLD_SIZE") || size_above_one("PMI_SIZE"); }

RemoteOutcome run_job_here(const RemoteJob& job) {
  RemoteOutcome outcome;
  outcome.id = job.id;
  outcome.host = host_name();
  Fd out[2];
  Fd err[2];
  open_pipe(out[0], out[1]);
  open_pipe(err[0], err[1]);
  Fd devnull(posix::checked("open /dev/null", [] { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }));
  Child::SpawnOptions spawn;
  spawn.new_process_group = true;  // a timeout kills the job's whole group
  spawn.stdin_fd = devnull.get();
  spawn.stdout_fd = out[1].get();
  spawn.stderr_fd = err[1].get();
  // A worker killed (MpiPool::terminate(): --halt now, Ctrl-C) takes its job along.
  spawn.parent_death_signal = SIGKILL;
  Child child;
  try {
    child = spawn_job(plan_command(job.command), job.command, spawn);
  } catch (const std::system_error& e) {
    outcome.err = start_failure_text(job.command, e.code().value());
    outcome.status = start_failure_status(e.code().value());
    return outcome;
  }
  tell_guardian(child.pid());
  out[1].reset();  // the job has its own copies: the ends come when it (and its group) close them
  err[1].reset();
  Deadline timeout_at =
      job.timeout > 0 ? deadline_after(std::chrono::duration<double>(job.timeout)) : k_no_deadline;
  Deadline kill_at = k_no_deadline;
  // The job ends when its own process ends, as on one machine; what it left in its group (a
  // background process) must then neither hold the pipes open, which would keep this rank, and so
  // the whole run, waiting for it, nor outlive the job: a rank, unlike mpp-run on one machine, has
  // no later moment to end it at. The leader stays unreaped until the group has been signalled, so
  // that the group's id cannot pass to another process meanwhile.
  const int ended_fd = child.pidfd();  // -1 without pidfds: the pipes alone say when the job ended
  bool ended = false;
  const auto end_the_rest = [&](Clock::time_point now) {
    ended = true;
    child.signal_group(SIGTERM);
    kill_at = std::min(kill_at, now + k_kill_grace);
  };
  const auto time_out = [&](Clock::time_point now) {
    outcome.timed_out = true;
    child.signal_group(SIGTERM);
    timeout_at = k_no_deadline;
    kill_at = now + k_kill_grace;
  };
  while (out[0] || err[0]) {
    const auto now = Clock::now();
    if (now >= timeout_at) time_out(now);
    if (now >= kill_at) {
      child.signal_group(SIGKILL);
      kill_at = k_no_deadline;
    }
    const int wait_ms = poll_timeout_ms(std::min(timeout_at, kill_at), now);
    pollfd fds[3] = {{out[0] ? out[0].get() : -1, POLLIN, 0},
                     {err[0] ? err[0].get() : -1, POLLIN, 0},
                     {ended ? -1 : ended_fd, POLLIN, 0}};
    posix::checked("poll", [&] { return ::poll(fds, 3, wait_ms); });
    if (fds[0].revents != 0) read_into(out[0], outcome.out);
    if (fds[1].revents != 0) read_into(err[0], outcome.err);
    if (fds[2].revents != 0) end_the_rest(Clock::now());
  }
  // Both pipes have ended: the leader has ended too, or ends soon (its grace period, when it was
  // told to), unless it closed them itself; then its timeout still holds, as while they were open
  // (it once waited here for the job's own end, however long after its timeout).
  while (!ended && ended_fd >= 0) {
    const auto now = Clock::now();
    if (now >= timeout_at) time_out(now);
    if (now >= kill_at) break;  // the grace period is over: SIGKILL below
    const int wait_ms = poll_timeout_ms(std::min(timeout_at, kill_at), now);
    pollfd leader{ended_fd, POLLIN, 0};
    if (posix::checked("poll", [&] { return ::poll(&leader, 1, wait_ms); }) > 0) end_the_rest(Clock::now());
  }
  // What is left of the group closed its pipes (or the grace period is over): no more waiting.
  if (ended) child.signal_group(SIGKILL);
  // Without a pidfd: the leader is waited for here, within its timeout too.
  std::optional<int> status = child.wait_until(std::min(timeout_at, kill_at));
  if (const auto now = Clock::now(); !status && now >= timeout_at) {
    time_out(now);
    status = child.wait_until(kill_at);
  }
  if (!status) {
    child.signal_group(SIGKILL);
    status = child.wait();
  }
  outcome.status = *status;
  tell_guardian(0);
  return outcome;
}

}  // namespace mpp::detail::run
