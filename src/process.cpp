#include "mpp/process.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>

#include "mpp/detail/demangle.hpp"
#include "posix/syscall.hpp"

namespace mpp {
namespace {

[[noreturn]] void child_main(std::function<void()>& target) noexcept {
  int code = 0;
  try {
    target();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mpp::Process %d: the target threw %s: %s\n", static_cast<int>(::getpid()),
                 detail::type_name(typeid(e)).c_str(), e.what());
    code = 1;
  } catch (...) {
    std::fprintf(stderr, "mpp::Process %d: the target threw a non-exception\n", static_cast<int>(::getpid()));
    code = 1;
  }
  // The child's own output, not the parent's: the parent flushed before forking.
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  ::_exit(code);
}

int python_exitcode(int status) {
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return status;
}

}  // namespace

Process::Process(Process&& other) noexcept
    : target_(std::move(other.target_)),
      pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::exchange(other.pidfd_, -1)),
      exitcode_(std::exchange(other.exitcode_, std::nullopt)) {}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    this->~Process();
    new (this) Process(std::move(other));
  }
  return *this;
}

Process::~Process() {
  if (pid_ > 0 && !exitcode_) {
    try {
      join();
    } catch (...) {  // destructors never throw; the child is reaped by the kernel's init eventually
    }
  }
  if (pidfd_ >= 0) ::close(pidfd_);
}

void Process::start() {
  if (pid_ > 0) throw std::logic_error("mpp::Process::start: the process was already started");
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  const pid_t pid = detail::posix::checked("fork", [] { return ::fork(); });
  if (pid == 0) child_main(target_);
  pid_ = pid;
  pidfd_ = static_cast<int>(
      detail::posix::retried("pidfd_open", [&] { return ::syscall(SYS_pidfd_open, pid, 0); }));
  // Without a pidfd (old kernels) join(timeout) falls back to polling waitpid.
}

void Process::join() {
  if (pid_ <= 0) throw std::logic_error("mpp::Process::join: the process was not started");
  reap(true);
}

bool Process::join_until(detail::Deadline deadline) {
  if (pid_ <= 0) throw std::logic_error("mpp::Process::join: the process was not started");
  while (!reap(false)) {
    const auto now = detail::Clock::now();
    if (now >= deadline) return false;
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    if (pidfd_ >= 0) {
      pollfd fd{pidfd_, POLLIN, 0};
      detail::posix::retried(
          "poll", [&] { return ::poll(&fd, 1, static_cast<int>(std::min<long long>(left, 1 << 30))); });
    } else {
      ::usleep(1000);
    }
  }
  return true;
}

bool Process::reap(bool block) const {
  if (exitcode_) return true;
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t rc =
      detail::posix::checked("waitpid", [&] { return ::waitpid(pid_, &status, block ? 0 : WNOHANG); });
  if (rc == 0) return false;
  exitcode_ = python_exitcode(status);
  return true;
}

bool Process::is_alive() const { return pid_ > 0 && !reap(false); }

std::optional<int> Process::exitcode() const {
  reap(false);
  return exitcode_;
}

void Process::signal(int sig) {
  // Only while it has not been reaped: afterwards its pid may belong to another process.
  if (pid_ > 0 && !reap(false)) ::kill(pid_, sig);
}

void Process::terminate() { signal(SIGTERM); }

void Process::kill() { signal(SIGKILL); }

}  // namespace mpp
