// The byte side of mpp::Queue: an unbounded FIFO of messages in shared memory that grows, so a put
// never waits for a reader (compiled in src/shared_queue.cpp).
#pragma once

#include <cstddef>
#include <span>

#include "mpp/detail/core/wait.hpp"
#include "mpp/detail/posix/fd.hpp"
#include "mpp/detail/remote/codec.hpp"

namespace mpp::detail {

class SharedQueue {
 public:
  SharedQueue();
  SharedQueue(const SharedQueue&) = delete;
  SharedQueue& operator=(const SharedQueue&) = delete;
  ~SharedQueue() = default;

  /// Appends a message; grows the buffer when full. Blocks only for the queue's lock.
  void put(std::span<const std::byte> message);
  /// Takes the oldest message into `out`; false when none arrived before the deadline.
  bool get(ByteBuffer& out, Deadline deadline);

 private:
  struct Header;
  void lock();
  void unlock() noexcept;
  void map_current();  // under the lock: follow a growth made by another process
  Mapping map_data(std::size_t capacity) const;

  Fd fd_;  // the memfd: a page of Header, then the ring
  Mapping header_page_;
  Header* header_ = nullptr;  // in header_page_
  Mapping data_;              // the ring, as large as it was when last looked at
};

}  // namespace mpp::detail
