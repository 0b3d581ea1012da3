// The byte side of mpp::Queue: an unbounded FIFO of messages in shared memory that grows, so a put
// never waits for a reader (compiled in src/process/shared_queue.cpp).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <span>
#include <string>

#include "mpp/detail/core/wait.hpp"
#include "mpp/detail/posix/fd.hpp"
#include "mpp/detail/remote/codec.hpp"

namespace mpp::detail {

/// In a named shared memory segment, so that any process can attach to it by name; the process
/// that made it unlinks the name when it destroys it.
class SharedQueue {
 public:
  SharedQueue();
  /// Attaches to the queue `name`: std::system_error when there is none, mpp::SerializationError
  /// when the segment is no queue.
  explicit SharedQueue(const std::string& name);
  SharedQueue(const SharedQueue&) = delete;
  SharedQueue& operator=(const SharedQueue&) = delete;
  ~SharedQueue();

  [[nodiscard]] const std::string& name() const noexcept { return name_; }

  /// Appends a message; grows the buffer when full. Blocks only for the queue's lock.
  void put(std::span<const std::byte> message);
  /// One message of `head` then `body`, without joining them first.
  void put(std::span<const std::byte> head, std::span<const std::byte> body);
  /// Takes the oldest message into `out`; false when none arrived before the deadline.
  bool get(ByteBuffer& out, Deadline deadline);
  /// Waits until a message is there, without taking it; false when none arrived before the deadline.
  bool wait_nonempty(Deadline deadline);

 private:
  struct Header;
  void lock();
  void unlock() noexcept;
  bool wait_locked(Deadline deadline);  // under the lock: until a message is there
  void map_current();                   // under the lock: follow a growth made by another process
  Mapping map_data(std::size_t capacity) const;

  std::string name_;
  pid_t owner_pid_ = 0;  // the process that made it, which unlinks the name
  Fd fd_;                // the segment: a page of Header, then the ring
  Mapping header_page_;
  Header* header_ = nullptr;  // in header_page_
  Mapping data_;              // the ring, as large as it was when last looked at
};

}  // namespace mpp::detail
