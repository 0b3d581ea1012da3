// Shared memory names (shm_names.hpp).
#include "shm_names.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <random>

#include "posix/syscall.hpp"
#include "process/shm_tracker.hpp"

namespace mpp::detail::shm_names {

std::string fresh() {
  static std::atomic<unsigned long> counter{0};
  thread_local std::mt19937_64 random{std::random_device{}()};
  char buffer[80];
  std::snprintf(buffer, sizeof(buffer), "mpp-%ld-%lu-%016llx", static_cast<long>(::getpid()),
                counter.fetch_add(1, std::memory_order_relaxed), static_cast<unsigned long long>(random()));
  return buffer;
}

int create(const std::string& name, unsigned mode) {
  const std::string path = "/" + name;
  const int fd = posix::retried("shm_open", [&] {
    return ::shm_open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, static_cast<mode_t>(mode & 0777));
  });
  if (fd < 0) return fd;
  // Exactly `mode`: shm_open applied the umask.
  const int rc = posix::retried("fchmod", [&] { return ::fchmod(fd, static_cast<mode_t>(mode & 0777)); });
  if (rc < 0) {
    ::shm_unlink(path.c_str());
    ::close(fd);
    return rc;
  }
  shm_tracker::track(name);
  return fd;
}

int open(const std::string& name, bool writable) {
  const std::string path = "/" + name;
  const int flags = (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC;
  return posix::retried("shm_open", [&] { return ::shm_open(path.c_str(), flags, 0); });
}

void unlink(const std::string& name) noexcept {
  ::shm_unlink(("/" + name).c_str());
  shm_tracker::untrack(name);
}

}  // namespace mpp::detail::shm_names
