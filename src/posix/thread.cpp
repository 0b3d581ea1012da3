#include "posix/thread.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <exception>
#include <memory>
#include <system_error>

#include "posix/syscall.hpp"

namespace mpp::detail::posix {
namespace {

void* run(void* arg) noexcept {  // an escaping exception ends the program, as under std::thread
  const std::unique_ptr<std::function<void()>> body(static_cast<std::function<void()>*>(arg));
  (*body)();
  return nullptr;
}

/// pthread calls return the error instead of setting errno.
void check(const char* what, int error) {
  if (int injected = injected_fault(what)) error = injected;
  if (error != 0) throw_errno(what, error);
}

}  // namespace

std::size_t Thread::stack_size() noexcept {
  std::size_t size = 0;
  pthread_attr_t defaults{};
  if (pthread_getattr_default_np(&defaults) == 0) {
    (void)pthread_attr_getstacksize(&defaults, &size);
    pthread_attr_destroy(&defaults);
  }
  // What the main thread may grow to: its limit, or k_main_thread_stack where it has none.
  std::size_t main_stack = k_main_thread_stack;
  rlimit limit{};
  if (::getrlimit(RLIMIT_STACK, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    main_stack = static_cast<std::size_t>(limit.rlim_cur);
  }
  return std::max(size, main_stack);
}

Thread::Thread(std::function<void()> body) {
  pthread_attr_t attr{};
  check("pthread_attr_init", pthread_attr_init(&attr));
  auto owned = std::make_unique<std::function<void()>>(std::move(body));
  int error = pthread_attr_setstacksize(&attr, stack_size());
  if (error == 0) error = pthread_create(&handle_, &attr, &run, owned.get());
  pthread_attr_destroy(&attr);
  check("pthread_create", error);
  (void)owned.release();  // the thread owns it now
  joinable_ = true;
}

Thread& Thread::operator=(Thread&& other) noexcept {
  if (joinable_) std::terminate();  // as std::thread's
  handle_ = other.handle_;
  joinable_ = std::exchange(other.joinable_, false);
  return *this;
}

Thread::~Thread() {
  if (joinable_) std::terminate();
}

void Thread::join() {
  if (!joinable_) throw std::system_error(std::make_error_code(std::errc::invalid_argument), "pthread_join");
  check("pthread_join", pthread_join(handle_, nullptr));
  joinable_ = false;
}

void Thread::detach() {
  if (!joinable_)
    throw std::system_error(std::make_error_code(std::errc::invalid_argument), "pthread_detach");
  check("pthread_detach", pthread_detach(handle_));
  joinable_ = false;
}

}  // namespace mpp::detail::posix
