#include "mpp/process.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <iostream>
#include <stdexcept>

#include "mpp/detail/core/demangle.hpp"

namespace mpp {
namespace {

template <class Target>
[[noreturn]] void child_main(Target& target) noexcept {
  int code = 0;
  try {
    target.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mpp::Process %d: the target threw %s: %s\n", static_cast<int>(::getpid()),
                 detail::type_name(typeid(e)).c_str(), e.what());
    code = 1;
  } catch (...) {
    std::fprintf(stderr, "mpp::Process %d: the target threw a non-exception\n", static_cast<int>(::getpid()));
    code = 1;
  }
  // The child's own output, not the parent's: the parent flushed before forking.
  detail::flush_standard_streams();
  ::_exit(code);
}

}  // namespace

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    try {
      if (child_ && !child_.poll()) child_.wait();
    } catch (...) {  // as the destructor
    }
    target_ = std::move(other.target_);
    child_ = std::move(other.child_);
  }
  return *this;
}

Process::~Process() {
  try {
    if (child_ && !child_.poll()) child_.wait();
  } catch (...) {  // destructors never throw (a status lost to an ignored SIGCHLD, say)
  }
}

void Process::start() {
  if (child_) throw std::logic_error("mpp::Process::start: the process was already started");
  detail::check_exit_status_available("mpp::Process::start");
  const pid_t parent = ::getpid();
  // Linux sends the parent-death signal when the thread that forked ends, not the process: only
  // the main thread lives as long as the process, so only its children ask for it (a child
  // started from a short-lived thread must not die with that thread).
  const bool from_main_thread = ::gettid() == parent;
  child_ = detail::Child::fork([this, parent, from_main_thread] {
    if (from_main_thread) {
      // Die with the parent, even when it is SIGKILLed, and check it did not die first.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(1);
    }
    child_main(*target_);
  });
}

void Process::join() {
  if (!child_) throw std::logic_error("mpp::Process::join: the process was not started");
  child_.wait();
}

bool Process::join_until(detail::Deadline deadline) {
  if (!child_) throw std::logic_error("mpp::Process::join: the process was not started");
  return child_.wait_until(deadline).has_value();
}

bool Process::is_alive() const { return child_ && !child_.poll(); }

std::optional<int> Process::exitcode() const {
  const auto status = child_ ? child_.poll() : std::nullopt;
  if (!status) return std::nullopt;
  return detail::Child::exit_code(*status);
}

void Process::terminate() { child_.signal(SIGTERM); }

void Process::kill() { child_.signal(SIGKILL); }

}  // namespace mpp
