#include "mpp/detail/shared_queue.hpp"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <new>
#include <system_error>

#include "posix/syscall.hpp"

namespace mpp::detail {

// The first page of the memfd; the data follows, as a ring of `capacity` bytes.
struct SharedQueue::Header {
  pthread_mutex_t mutex;  // process-shared and robust: a process dying with it held does no harm
  pthread_cond_t nonempty;
  std::uint64_t capacity;
  std::uint64_t head;  // offset of the oldest byte
  std::uint64_t size;  // bytes in the ring
};

namespace {

constexpr std::size_t k_initial_capacity = std::size_t{64} << 10;

std::size_t page_size() { return static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)); }

void check(int rc, const char* what) {
  if (rc != 0) posix::throw_errno(what, rc);
}

}  // namespace

SharedQueue::SharedQueue() {
  static_assert(sizeof(Header) <= 4096);
  fd_ = static_cast<int>(
      posix::checked("memfd_create", [] { return ::memfd_create("mpp-queue", MFD_CLOEXEC); }));
  try {
    const std::size_t page = page_size();
    posix::checked("ftruncate",
                   [&] { return ::ftruncate(fd_, static_cast<off_t>(page + k_initial_capacity)); });
    header_ = static_cast<Header*>(
        posix::checked_mmap("mmap", nullptr, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0));
    new (header_) Header{};
    pthread_mutexattr_t mattr;
    check(pthread_mutexattr_init(&mattr), "pthread_mutexattr_init");
    check(pthread_mutexattr_setpshared(&mattr, PTHREAD_PROCESS_SHARED), "pthread_mutexattr_setpshared");
    check(pthread_mutexattr_setrobust(&mattr, PTHREAD_MUTEX_ROBUST), "pthread_mutexattr_setrobust");
    check(pthread_mutex_init(&header_->mutex, &mattr), "pthread_mutex_init");
    pthread_mutexattr_destroy(&mattr);
    pthread_condattr_t cattr;
    check(pthread_condattr_init(&cattr), "pthread_condattr_init");
    check(pthread_condattr_setpshared(&cattr, PTHREAD_PROCESS_SHARED), "pthread_condattr_setpshared");
    check(pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC), "pthread_condattr_setclock");
    check(pthread_cond_init(&header_->nonempty, &cattr), "pthread_cond_init");
    pthread_condattr_destroy(&cattr);
    header_->capacity = k_initial_capacity;
    map_current();
  } catch (...) {
    if (header_ != nullptr) ::munmap(header_, page_size());
    ::close(fd_);
    throw;
  }
}

SharedQueue::~SharedQueue() {
  if (data_ != nullptr) ::munmap(data_, mapped_);
  if (header_ != nullptr) ::munmap(header_, page_size());
  if (fd_ >= 0) ::close(fd_);
}

void SharedQueue::lock() {
  const int rc = pthread_mutex_lock(&header_->mutex);
  // A process died holding the lock. Every change under it is a few stores that leave the ring
  // consistent at each step, so the state is usable as it is.
  if (rc == EOWNERDEAD) {
    pthread_mutex_consistent(&header_->mutex);
    return;
  }
  check(rc, "pthread_mutex_lock");
}

void SharedQueue::unlock() noexcept { pthread_mutex_unlock(&header_->mutex); }

void SharedQueue::map_current() {
  if (mapped_ == header_->capacity) return;
  void* p = posix::checked_mmap("mmap", nullptr, header_->capacity, PROT_READ | PROT_WRITE, MAP_SHARED, fd_,
                                static_cast<long>(page_size()));
  if (data_ != nullptr) ::munmap(data_, mapped_);
  data_ = static_cast<std::byte*>(p);
  mapped_ = header_->capacity;
}

void SharedQueue::put(std::span<const std::byte> message) {
  const std::uint64_t length = message.size();
  const std::size_t need = sizeof(length) + message.size();
  lock();
  try {
    map_current();
    Header& h = *header_;
    if (h.capacity - h.size < need) {
      // Grow: a larger file, mapped anew; the wrapped part of the ring moves past the old end.
      std::uint64_t capacity = h.capacity;
      while (capacity - h.size < need) capacity *= 2;
      posix::checked("ftruncate",
                     [&] { return ::ftruncate(fd_, static_cast<off_t>(page_size() + capacity)); });
      const std::uint64_t old = h.capacity;
      h.capacity = capacity;
      map_current();
      if (h.head + h.size > old) std::memcpy(data_ + old, data_, h.head + h.size - old);
    }
    auto write = [&](const void* from, std::size_t n, std::uint64_t at) {
      const std::size_t first = std::min<std::size_t>(n, h.capacity - at);
      std::memcpy(data_ + at, from, first);
      std::memcpy(data_, static_cast<const std::byte*>(from) + first, n - first);
    };
    const std::uint64_t tail = (h.head + h.size) % h.capacity;
    write(&length, sizeof(length), tail);
    write(message.data(), message.size(), (tail + sizeof(length)) % h.capacity);
    h.size += need;
  } catch (...) {
    unlock();
    throw;
  }
  pthread_cond_signal(&header_->nonempty);
  unlock();
}

bool SharedQueue::get(ByteBuffer& out, Deadline deadline) {
  timespec until{};
  if (deadline != k_no_deadline) {
    // pthread's monotonic clock and steady_clock are the same clock on Linux; go through "now" anyway.
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const auto left = std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - Clock::now()).count());
    const std::int64_t total = now.tv_nsec + left % 1'000'000'000;
    until.tv_sec = now.tv_sec + static_cast<time_t>(left / 1'000'000'000 + total / 1'000'000'000);
    until.tv_nsec = static_cast<long>(total % 1'000'000'000);
  }
  lock();
  try {
    while (header_->size == 0) {
      const int rc = deadline == k_no_deadline
                         ? pthread_cond_wait(&header_->nonempty, &header_->mutex)
                         : pthread_cond_timedwait(&header_->nonempty, &header_->mutex, &until);
      if (rc == EOWNERDEAD) pthread_mutex_consistent(&header_->mutex);
      if (rc == ETIMEDOUT && header_->size == 0) {
        unlock();
        return false;
      }
    }
    map_current();
    Header& h = *header_;
    auto read = [&](void* to, std::size_t n, std::uint64_t at) {
      const std::size_t first = std::min<std::size_t>(n, h.capacity - at);
      std::memcpy(to, data_ + at, first);
      std::memcpy(static_cast<std::byte*>(to) + first, data_, n - first);
    };
    std::uint64_t length = 0;
    read(&length, sizeof(length), h.head);
    if (length > h.size - sizeof(length)) throw_serialization("corrupt queue");
    out.resize(length);
    read(out.data(), length, (h.head + sizeof(length)) % h.capacity);
    h.head = (h.head + sizeof(length) + length) % h.capacity;
    h.size -= sizeof(length) + length;
  } catch (...) {
    unlock();
    throw;
  }
  unlock();
  return true;
}

}  // namespace mpp::detail
