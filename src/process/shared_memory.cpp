// mpp::SharedMemory (include/mpp/shared_memory.hpp): shm_open, ftruncate and mmap through the
// system-call seam; the name's owner is the creating process.
#include "mpp/shared_memory.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include "posix/syscall.hpp"
#include "process/shared_ranges.hpp"
#include "process/shm_names.hpp"
#include "process/shm_tracker.hpp"

namespace mpp {
namespace {

constexpr std::size_t k_longest_name = 250;

// "data" or "/data" -> "data"; refuses what shm_open would take as a path or reject.
std::string checked_name(std::string_view name) {
  if (!name.empty() && name.front() == '/') name.remove_prefix(1);
  if (name.empty() || name.size() > k_longest_name || name.find('/') != std::string_view::npos ||
      name == "." || name == "..") {
    throw std::invalid_argument("mpp::SharedMemory: '" + std::string(name) +
                                "' is not a segment name (one component without '/', 1 to " +
                                std::to_string(k_longest_name) + " characters)");
  }
  return std::string(name);
}

[[noreturn]] void fail(const std::string& what, int error) {
  throw std::system_error(error, std::generic_category(), "mpp::SharedMemory: " + what);
}

std::uint64_t inode_of(int fd) {
  struct stat status {};
  detail::posix::checked("fstat", [&] { return ::fstat(fd, &status); });
  return static_cast<std::uint64_t>(status.st_ino);
}

detail::Mapping map_whole(int fd, std::size_t size) {
  void* address =
      detail::posix::checked_mmap("mmap", nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  return detail::Mapping(address, size);
}

}  // namespace

SharedMemory::SharedMemory(std::string name, detail::Mapping mapping, pid_t owner_pid, std::uint64_t inode)
    : name_(std::move(name)), mapping_(std::move(mapping)), owner_pid_(owner_pid) {
  detail::shared_ranges::add(mapping_.get(), mapping_.size(), name_, inode);
}

SharedMemory::SharedMemory(std::size_t size) : SharedMemory(create(detail::shm_names::fresh(), size)) {}

SharedMemory SharedMemory::create(std::string_view name, std::size_t size, mode_t mode) {
  std::string checked = checked_name(name);
  if (size == 0) throw std::invalid_argument("mpp::SharedMemory: a segment needs a size of at least 1 byte");
  const int rc = detail::shm_names::create(checked, mode);
  if (rc < 0) {
    if (-rc == EEXIST) {
      fail("cannot create '" + checked +
               "': a segment of that name exists (attach to it, or choose another name)",
           EEXIST);
    }
    fail("cannot create '" + checked + "'", -rc);
  }
  detail::Fd fd(rc);
  try {
    detail::posix::checked("ftruncate", [&] { return ::ftruncate(fd.get(), static_cast<off_t>(size)); });
    const std::uint64_t inode = inode_of(fd.get());
    return SharedMemory(std::move(checked), map_whole(fd.get(), size), ::getpid(), inode);
  } catch (const std::system_error& e) {
    detail::shm_names::unlink(checked);  // made here and never handed out: nothing is left behind
    fail("cannot create '" + checked + "' (" + e.what() + ")", e.code().value());
  }
}

SharedMemory SharedMemory::attach(std::string_view name) {
  std::string checked = checked_name(name);
  const int rc = detail::shm_names::open(checked);
  if (rc < 0) {
    fail(-rc == ENOENT ? "no segment named '" + checked + "'" : "cannot attach to '" + checked + "'", -rc);
  }
  const detail::Fd fd(rc);
  struct stat status {};
  detail::posix::checked("fstat", [&] { return ::fstat(fd.get(), &status); });
  if (status.st_size <= 0) fail("'" + checked + "' is empty: its creator has not sized it yet", EINVAL);
  return SharedMemory(std::move(checked), map_whole(fd.get(), static_cast<std::size_t>(status.st_size)), 0,
                      static_cast<std::uint64_t>(status.st_ino));
}

SharedMemory::SharedMemory(SharedMemory&& other) noexcept
    : name_(std::move(other.name_)),
      mapping_(std::move(other.mapping_)),
      owner_pid_(std::exchange(other.owner_pid_, 0)) {}

SharedMemory& SharedMemory::operator=(SharedMemory&& other) noexcept {
  if (this != &other) {
    SharedMemory old(std::move(*this));
    name_ = std::move(other.name_);
    mapping_ = std::move(other.mapping_);
    owner_pid_ = std::exchange(other.owner_pid_, 0);
  }
  return *this;
}

SharedMemory::~SharedMemory() {
  if (mapping_) detail::shared_ranges::remove(mapping_.get());
  if (owner_pid_ != 0 && owner_pid_ == ::getpid()) detail::shm_names::unlink(name_);
}

void SharedMemory::keep_name() noexcept {
  if (owner_pid_ != 0 && owner_pid_ == ::getpid()) detail::shm_tracker::untrack(name_);
  owner_pid_ = 0;
}

void SharedMemory::unlink() {
  if (owner_pid_ != 0 && owner_pid_ == ::getpid()) detail::shm_tracker::untrack(name_);
  owner_pid_ = 0;
  if (mapping_) detail::shared_ranges::unlinked(mapping_.get());
  const int rc = detail::posix::retried("shm_unlink", [&] { return ::shm_unlink(("/" + name_).c_str()); });
  if (rc < 0 && -rc != ENOENT) fail("cannot unlink '" + name_ + "'", -rc);
}

}  // namespace mpp
