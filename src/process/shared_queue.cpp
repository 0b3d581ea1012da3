#include "mpp/detail/process/shared_queue.hpp"

#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <system_error>

#include "posix/syscall.hpp"
#include "process/shm_names.hpp"

namespace mpp::detail {

// The first page of the segment; the data follows, as a ring of `capacity` bytes.
struct SharedQueue::Header {
  std::uint32_t magic = 0;  // k_magic once the queue is whole
  pthread_mutex_t mutex;    // process-shared and robust: a process dying with it held does no harm
  // A futex word bumped by every put, and how many getters may sleep on it. A getter killed while
  // it slept only leaves `waiters` too high, which costs a spare wake-up (a process-shared
  // condition variable would keep counting the dead waiter and stop waking the living).
  std::atomic<std::uint32_t> puts{0};
  std::atomic<std::uint32_t> waiters{0};
  std::uint64_t capacity = 0;
  std::uint64_t head = 0;  // offset of the oldest byte
  std::uint64_t size = 0;  // bytes in the ring
};

namespace {

constexpr std::size_t k_initial_capacity = std::size_t{64} << 10;
constexpr std::uint32_t k_magic = 0x6d707071;  // "mppq"

std::size_t page_size() { return static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)); }

void check(int rc, const char* what) {
  if (rc != 0) posix::throw_errno(what, rc);
}

}  // namespace

SharedQueue::SharedQueue() : name_(shm_names::fresh()) {
  static_assert(sizeof(Header) <= 4096);
  const int fd = shm_names::create(name_, 0600);
  if (fd < 0) posix::throw_errno("shm_open", -fd);
  fd_ = Fd(fd);
  owner_pid_ = ::getpid();
  try {
    const std::size_t page = page_size();
    posix::checked("ftruncate",
                   [&] { return ::ftruncate(fd_.get(), static_cast<off_t>(page + k_initial_capacity)); });
    header_page_ = Mapping(
        posix::checked_mmap("mmap", nullptr, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), 0), page);
    header_ = new (header_page_.get()) Header{};
    pthread_mutexattr_t attributes;
    check(pthread_mutexattr_init(&attributes), "pthread_mutexattr_init");
    check(pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED), "pthread_mutexattr_setpshared");
    check(pthread_mutexattr_setrobust(&attributes, PTHREAD_MUTEX_ROBUST), "pthread_mutexattr_setrobust");
    check(pthread_mutex_init(&header_->mutex, &attributes), "pthread_mutex_init");
    pthread_mutexattr_destroy(&attributes);
    header_->capacity = k_initial_capacity;
    map_current();
    header_->magic = k_magic;  // last: an attacher sees a whole queue or none
  } catch (...) {
    shm_names::unlink(name_);
    throw;
  }
}

SharedQueue::SharedQueue(const std::string& name) : name_(name) {
  const int fd = shm_names::open(name_);
  if (fd < 0) {
    throw std::system_error(-fd, std::generic_category(),
                            "mpp::Queue: cannot attach to the queue '" + name_ + "'");
  }
  fd_ = Fd(fd);
  const std::size_t page = page_size();
  struct stat status {};
  posix::checked("fstat", [&] { return ::fstat(fd_.get(), &status); });
  if (static_cast<std::size_t>(status.st_size) < page)
    throw_serialization("'" + name_ + "' is not an mpp::Queue");
  header_page_ = Mapping(
      posix::checked_mmap("mmap", nullptr, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), 0), page);
  header_ = std::launder(reinterpret_cast<Header*>(header_page_.get()));
  if (header_->magic != k_magic) throw_serialization("'" + name_ + "' is not an mpp::Queue");
  lock();
  try {
    map_current();
  } catch (...) {
    unlock();
    throw;
  }
  unlock();
}

SharedQueue::~SharedQueue() {
  if (owner_pid_ != 0 && owner_pid_ == ::getpid()) shm_names::unlink(name_);
}

void SharedQueue::lock() {
  const int rc = pthread_mutex_lock(&header_->mutex);
  // A process died holding the lock. Every change under it leaves the ring consistent at each
  // step (the capacity of a growth is published last), so the state is usable as it is.
  if (rc == EOWNERDEAD) {
    pthread_mutex_consistent(&header_->mutex);
    return;
  }
  check(rc, "pthread_mutex_lock");
}

void SharedQueue::unlock() noexcept { pthread_mutex_unlock(&header_->mutex); }

Mapping SharedQueue::map_data(std::size_t capacity) const {
  return Mapping(posix::checked_mmap("mmap", nullptr, capacity, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(),
                                     static_cast<long>(page_size())),
                 capacity);
}

void SharedQueue::map_current() {
  if (data_.size() != header_->capacity) data_ = map_data(header_->capacity);
}

void SharedQueue::put(std::span<const std::byte> message) { put(message, {}); }

void SharedQueue::put(std::span<const std::byte> head, std::span<const std::byte> body) {
  const std::uint64_t length = head.size() + body.size();
  const std::size_t need = sizeof(length) + length;
  lock();
  try {
    map_current();
    Header& h = *header_;
    if (h.capacity - h.size < need) {
      // Grow: a larger file, mapped anew; the wrapped part of the ring moves past the old end.
      // The new capacity is published last, so a failure on the way leaves the queue as it was.
      std::uint64_t capacity = h.capacity;
      while (capacity - h.size < need) capacity *= 2;
      posix::checked("ftruncate",
                     [&] { return ::ftruncate(fd_.get(), static_cast<off_t>(page_size() + capacity)); });
      Mapping grown = map_data(capacity);
      const std::uint64_t old = h.capacity;
      if (h.head + h.size > old) std::memcpy(grown.bytes() + old, grown.bytes(), h.head + h.size - old);
      h.capacity = capacity;
      data_ = std::move(grown);
    }
    auto write = [&](const void* from, std::size_t n, std::uint64_t at) {
      if (n == 0) return;  // an empty part may have no address at all
      const std::size_t first = std::min<std::size_t>(n, h.capacity - at);
      std::memcpy(data_.bytes() + at, from, first);
      std::memcpy(data_.bytes(), static_cast<const std::byte*>(from) + first, n - first);
    };
    const std::uint64_t tail = (h.head + h.size) % h.capacity;
    write(&length, sizeof(length), tail);
    write(head.data(), head.size(), (tail + sizeof(length)) % h.capacity);
    write(body.data(), body.size(), (tail + sizeof(length) + head.size()) % h.capacity);
    h.size += need;
    h.puts.fetch_add(1, std::memory_order_seq_cst);
  } catch (...) {
    unlock();
    throw;
  }
  const bool sleepers = header_->waiters.load(std::memory_order_seq_cst) != 0;
  unlock();
  if (sleepers) futex_wake_all(header_->puts, FutexScope::shared);
}

bool SharedQueue::wait_locked(Deadline deadline) {
  while (header_->size == 0) {
    // Sleep outside the lock on the put counter; a put after we read it changes it, so the
    // futex returns at once instead of sleeping through it.
    const std::uint32_t seen = header_->puts.load(std::memory_order_seq_cst);
    header_->waiters.fetch_add(1, std::memory_order_seq_cst);
    unlock();
    const bool in_time = futex_wait(header_->puts, seen, deadline, FutexScope::shared);
    lock();
    header_->waiters.fetch_sub(1, std::memory_order_seq_cst);
    if (!in_time && header_->size == 0) return false;
  }
  return true;
}

bool SharedQueue::wait_nonempty(Deadline deadline) {
  lock();
  const bool nonempty = wait_locked(deadline);
  unlock();
  return nonempty;
}

bool SharedQueue::get(ByteBuffer& out, Deadline deadline) {
  lock();
  try {
    if (!wait_locked(deadline)) {
      unlock();
      return false;
    }
    map_current();
    Header& h = *header_;
    auto read = [&](void* to, std::size_t n, std::uint64_t at) {
      const std::size_t first = std::min<std::size_t>(n, h.capacity - at);
      std::memcpy(to, data_.bytes() + at, first);
      std::memcpy(static_cast<std::byte*>(to) + first, data_.bytes(), n - first);
    };
    std::uint64_t length = 0;
    read(&length, sizeof(length), h.head);
    if (length > h.size - sizeof(length)) throw_serialization("corrupt queue");
    // Appended from the ring, not resized and then copied: no zero-filling of a large message.
    const std::uint64_t at = (h.head + sizeof(length)) % h.capacity;
    const std::size_t first = std::min<std::size_t>(length, h.capacity - at);
    out.clear();
    out.reserve(length);
    out.insert(out.end(), data_.bytes() + at, data_.bytes() + at + first);
    out.insert(out.end(), data_.bytes(), data_.bytes() + (length - first));
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
