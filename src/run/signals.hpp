// How mpp-run hears Ctrl-C: SIGINT, SIGTERM and SIGHUP are written to a pipe that its poll loop
// watches (the self-pipe trick), so a signal never interrupts the loop half-way through a step.
#pragma once

#include <signal.h>

#include <iterator>

#include "mpp/detail/posix/fd.hpp"

namespace mpp::detail::run {

/// While it lives: SIGINT, SIGTERM and SIGHUP are caught and queued on fd(), and so is SIGCHLD (a
/// child of mpp-run ended: an orphan a job left behind may be there to reap); SIGPIPE is caught and
/// dropped (a closed standard output becomes EPIPE, which the runner handles by stopping its jobs).
/// A signal ignored when mpp-run started (nohup's SIGHUP) stays ignored, and jobs inherit that;
/// the caught ones are back at their defaults in jobs (execve resets them). The previous
/// dispositions come back on destruction.
///
/// One at a time per process (the handler has one pipe to write to). Not thread-safe.
class SignalPipe {
 public:
  SignalPipe();
  SignalPipe(const SignalPipe&) = delete;
  SignalPipe& operator=(const SignalPipe&) = delete;
  ~SignalPipe();

  /// Readable when a signal has arrived.
  [[nodiscard]] int fd() const noexcept { return read_fd_.get(); }
  /// The next signal that arrived, or 0 when none is queued. Never blocks.
  int take() noexcept;

 private:
  static constexpr int k_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGPIPE};
  Fd read_fd_;
  Fd write_fd_;  // the handler's (g_write_fd); closed after the handlers are restored
  struct sigaction previous_[std::size(k_signals)] = {};
};

}  // namespace mpp::detail::run
