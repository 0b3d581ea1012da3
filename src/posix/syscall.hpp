// The one seam through which mpp makes system calls: every call retries on EINTR, failures throw
// std::system_error naming the call, and tests can inject failures by name.
#pragma once

#include <cerrno>
#include <cstddef>
#include <system_error>

namespace mpp::detail::posix {

/// Decides whether the call named `what` fails: returns 0 to let it run, or the errno to fail with.
using FaultHook = int (*)(const char* what) noexcept;

/// Installs a fault hook (nullptr removes it). Meant for tests; not thread-safe against calls in flight.
void set_fault_hook(FaultHook hook) noexcept;

/// The errno a test asked `what` to fail with, or 0.
int injected_fault(const char* what) noexcept;

[[noreturn]] void throw_errno(const char* what, int error);

/// Runs `call` (which returns -1 and sets errno on failure, like most system calls) until it does not
/// fail with EINTR. Failure throws std::system_error whose message starts with `what`.
template <class Call>
auto checked(const char* what, Call call) -> decltype(call()) {
  if (int error = injected_fault(what)) throw_errno(what, error);
  for (;;) {
    auto rc = call();
    if (rc != -1) return rc;
    if (errno != EINTR) throw_errno(what, errno);
  }
}

/// Like checked(), but returns -errno instead of throwing, for callers that handle some errors.
template <class Call>
auto retried(const char* what, Call call) -> decltype(call()) {
  if (int error = injected_fault(what)) return -error;
  for (;;) {
    auto rc = call();
    if (rc != -1) return rc;
    if (errno != EINTR) return -errno;
  }
}

/// For a call that returns its error number instead of setting errno (posix_spawn): 0 or that
/// number, or the one a test asked `what` to fail with (then the call is not made).
template <class Call>
int error_returned(const char* what, Call call) {
  if (int error = injected_fault(what)) return error;
  return call();
}

/// mmap through the seam (it fails with MAP_FAILED, not -1).
void* checked_mmap(const char* what, void* address, std::size_t length, int protection, int flags, int fd,
                   long offset);

}  // namespace mpp::detail::posix
