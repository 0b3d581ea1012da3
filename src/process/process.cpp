#include "mpp/process.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <exception>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "mpp/detail/core/demangle.hpp"
#include "mpp/detail/posix/fd.hpp"
#include "mpp/detail/process/connection_core.hpp"
#include "posix/syscall.hpp"
#include "process/forkserver.hpp"
#include "process/spawn.hpp"

namespace mpp {
namespace {

// Runs the target (`run`) in the child and ends it with Python's exit code.
template <class Run>
[[noreturn]] void child_main(const Run& run) noexcept {
  int code = 0;
  try {
    run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mpp::Process %d: the target threw %s: %s\n", static_cast<int>(::getpid()),
                 detail::type_name(typeid(e)).c_str(), e.what());
    code = 1;
  } catch (...) {
    std::fprintf(stderr, "mpp::Process %d: the target threw %s\n", static_cast<int>(::getpid()),
                 detail::describe_non_exception(std::current_exception()).c_str());
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
    start_method_ = other.start_method_;
    name_ = std::move(other.name_);
    child_ = std::move(other.child_);
    status_lost_ = other.status_lost_;
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
  const StartMethod method = start_method_.value_or(get_start_method());
  if (method != StartMethod::fork) {
    start_fresh(method);
    return;
  }
  const pid_t parent = ::getpid();
  // Linux sends the parent-death signal when the thread that forked ends, not the process: only
  // the main thread lives as long as the process, so only its children ask for it (a child
  // started from a short-lived thread must not die with that thread).
  const bool from_main_thread = ::gettid() == parent;
  detail::HandOff hand_off;  // the child holds every Pipe end this process holds, as it forks
  hand_off.add_all_of_this_process();
  child_ = detail::Child::fork([this, parent, from_main_thread, &hand_off] {
    if (from_main_thread) {
      // Die with the parent, even when it is SIGKILLed, and check it did not die first.
      // The seam is safe after fork (it reads one atomic pointer). A failure only loses the signal.
      (void)detail::posix::retried("prctl", [] { return ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
      if (::getppid() != parent) ::_exit(1);
    }
    child_main([this, &hand_off] {
      hand_off.adopt_in_forked_child();
      detail::set_current_process(name_, std::nullopt);
      target_->run();
    });
  });
  hand_off.give_to(child_.pid());
}

void Process::start_fresh(StartMethod method) {
  const char* const name = method == StartMethod::spawn ? "spawn" : "forkserver";
  if (!detail::freeze_support_called()) detail::throw_needs_freeze_support("mpp::Process::start", name);
  detail::HandOff hand_off;  // the Pipe ends among the arguments are the child's from the start
  detail::ByteBuffer payload;
  detail::encode(payload, name_);  // the child's name first (process_payload_main)
  {
    const detail::FunctionRelocation* const saved = detail::t_function_relocation;
    detail::t_function_relocation = &detail::process_relocation();
    try {
      target_->encode(payload, name);
    } catch (...) {
      detail::t_function_relocation = saved;
      throw;
    }
    detail::t_function_relocation = saved;
  }
  // The payload travels in a memfd: any size, one descriptor.
  const detail::Fd fd(static_cast<int>(
      detail::posix::checked("memfd_create", [] { return ::memfd_create("mpp-process", MFD_CLOEXEC); })));
  std::size_t done = 0;
  while (done < payload.size()) {
    done += static_cast<std::size_t>(detail::posix::checked(
        "write", [&] { return ::write(fd.get(), payload.data() + done, payload.size() - done); }));
  }
  const detail::SetupMessage message = detail::process_setup_message(fd.get());
  if (method == StartMethod::spawn) {
    // As under fork: only a child of the main thread dies with the program (see start()).
    const bool from_main_thread = ::gettid() == ::getpid();
    child_ = detail::spawn_with_setup(message, from_main_thread ? SIGKILL : 0);
  } else {
    child_ = detail::forkserver_start(message);
  }
  hand_off.give_to(child_.pid());
}

std::optional<int> Process::status_within(detail::Deadline deadline) const {
  if (!child_) return std::nullopt;
  if (status_lost_) return W_EXITCODE(255, 0);
  try {
    return child_.wait_until(deadline);  // one look when the deadline has passed
  } catch (const detail::StatusLost&) {  // it has ended: only its status is gone
    status_lost_ = true;
    return W_EXITCODE(255, 0);
  }
}

void Process::join() {
  if (!child_) throw std::logic_error("mpp::Process::join: the process was not started");
  status_within(detail::k_no_deadline);
}

bool Process::join_until(detail::Deadline deadline) {
  if (!child_) throw std::logic_error("mpp::Process::join: the process was not started");
  return status_within(deadline).has_value();
}

bool Process::is_alive() const { return child_ && !status_within(detail::Deadline::min()); }

std::optional<int> Process::exitcode() const {
  const auto status = status_within(detail::Deadline::min());
  if (!status) return std::nullopt;
  return detail::Child::exit_code(*status);
}

void Process::terminate() { child_.signal(SIGTERM); }

void Process::kill() { child_.signal(SIGKILL); }

}  // namespace mpp

namespace mpp::detail {

void process_payload_main(int payload_fd) noexcept {
  child_main([payload_fd] {
    Fd owned(payload_fd);
    struct stat st = {};
    posix::checked("fstat", [&] { return ::fstat(owned.get(), &st); });
    ByteBuffer payload(static_cast<std::size_t>(st.st_size));
    std::size_t done = 0;
    while (done < payload.size()) {
      const auto got = posix::checked("pread", [&] {
        return ::pread(owned.get(), payload.data() + done, payload.size() - done, static_cast<off_t>(done));
      });
      if (got == 0) throw SerializationError("mpp::Process: the child's setup is truncated");
      done += static_cast<std::size_t>(got);
    }
    owned.reset();  // read: the target's own children must not inherit it
    t_function_relocation = &process_relocation();
    ByteReader in(payload);
    set_current_process(decode<std::string>(in), std::nullopt);
    using Entry = void (*)(ByteReader&);
    const auto entry = decode_function<Entry>(in);
    entry(in);
  });
}

namespace {
struct Identity {
  std::string name = "MainProcess";
  std::optional<std::size_t> index;
};
Identity& identity() {
  static Identity current;
  return current;
}
}  // namespace

std::string next_process_name() {
  static std::atomic<unsigned long> made{0};
  return "Process-" + std::to_string(made.fetch_add(1, std::memory_order_relaxed) + 1);
}

void set_current_process(std::string name, std::optional<std::size_t> index) {
  identity() = Identity{std::move(name), index};
}

}  // namespace mpp::detail

namespace mpp {

ProcessIdentity current_process() {
  const detail::Identity& id = detail::identity();
  return ProcessIdentity{id.name, static_cast<int>(::getpid()), id.index};
}

}  // namespace mpp
