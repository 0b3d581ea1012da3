#include "run/signals.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <stdexcept>

#include "posix/syscall.hpp"

namespace mpp::detail::run {
namespace {

// The handler's only state: the write end of the current SignalPipe. Lock-free, so the handler may
// read it.
std::atomic<int> g_write_fd{-1};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void on_signal(int sig) {
  const int saved = errno;  // a handler must not change the errno of the code it interrupted
  const int fd = g_write_fd.load(std::memory_order_relaxed);
  if (fd >= 0) {
    const auto byte = static_cast<unsigned char>(sig);
    // Non-blocking: with the pipe full, signals are already waiting to be handled. Raw, not
    // through the seam: a signal handler may call only async-signal-safe functions.
    [[maybe_unused]] const ssize_t rc = ::write(fd, &byte, 1);
  }
  errno = saved;
}

// SIGPIPE is caught, not ignored, so that jobs get its default back at execve (a write to a closed
// pipe still fails with EPIPE, which the runner handles).
extern "C" void on_sigpipe(int /*sig*/) {}

}  // namespace

SignalPipe::SignalPipe() {
  int fds[2];
  posix::checked("pipe2", [&] { return ::pipe2(fds, O_CLOEXEC | O_NONBLOCK); });
  read_fd_.reset(fds[0]);
  write_fd_.reset(fds[1]);
  int expected = -1;
  if (!g_write_fd.compare_exchange_strong(expected, write_fd_.get())) {
    throw std::logic_error("mpp-run: only one SignalPipe at a time");
  }
  for (std::size_t i = 0; i < std::size(k_signals); ++i) {
    (void)posix::retried("sigaction", [&] { return ::sigaction(k_signals[i], nullptr, &previous_[i]); });
    // Ignored when mpp-run started (nohup, a script's `cmd &`): stays ignored, for the jobs too.
    // SIGCHLD is always caught: ignoring it would reap the jobs behind mpp-run's back.
    if (k_signals[i] != SIGCHLD && previous_[i].sa_handler == SIG_IGN) continue;
    struct sigaction action = {};
    sigemptyset(&action.sa_mask);
    action.sa_handler = k_signals[i] == SIGPIPE ? on_sigpipe : on_signal;
    // SA_RESTART: a blocking write of job output resumes instead of failing with EINTR.
    action.sa_flags = SA_RESTART;
    if (k_signals[i] == SIGCHLD) action.sa_flags |= SA_NOCLDSTOP;  // ended children only
    (void)posix::retried("sigaction", [&] { return ::sigaction(k_signals[i], &action, nullptr); });
  }
}

SignalPipe::~SignalPipe() {
  for (std::size_t i = 0; i < std::size(k_signals); ++i) {
    (void)posix::retried("sigaction", [&] { return ::sigaction(k_signals[i], &previous_[i], nullptr); });
  }
  g_write_fd.store(-1);
}

int SignalPipe::take() noexcept {
  unsigned char byte = 0;
  const ssize_t got = posix::retried("read", [&] { return ::read(read_fd_.get(), &byte, 1); });
  return got == 1 ? byte : 0;
}

}  // namespace mpp::detail::run
