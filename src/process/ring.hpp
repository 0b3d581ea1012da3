// A single-producer, single-consumer byte ring in shared memory between the parent and one worker
// process. The data pages are mapped twice, back to back, so any span of up to capacity() bytes
// starting anywhere in the ring is contiguous: records are read and written in place, and a
// decoder never sees a wrap-around.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "mpp/detail/core/config.hpp"
#include "mpp/detail/posix/fd.hpp"

namespace mpp::detail {

/// The ring's shared state. Lives in a MAP_SHARED page both processes see.
struct RingState {
  alignas(k_cache_line) std::atomic<std::uint64_t> head{0};  // bytes ever written (producer)
  alignas(k_cache_line) std::atomic<std::uint64_t> tail{0};  // bytes ever read (consumer)
  // Futex words and "someone sleeps" flags, for the side that sleeps on a futex (the worker).
  alignas(k_cache_line) std::atomic<std::uint32_t> data_word{0};
  std::atomic<std::uint32_t> consumer_waiting{0};
  alignas(k_cache_line) std::atomic<std::uint32_t> space_word{0};
  std::atomic<std::uint32_t> producer_waiting{0};
};

class Ring {
 public:
  Ring() = default;
  /// Maps `capacity` bytes (a power of two, at least a page) of a new memfd twice; `state` is
  /// shared memory. With `keep_fd`, the memfd stays open (close-on-exec) for fd(), to be passed to
  /// a spawned worker; otherwise it is closed at once (the mappings keep the memory).
  Ring(std::size_t capacity, RingState* state, bool keep_fd = false);
  /// Maps the ring in `fd` (another process's ring: a spawned worker's side) twice. Does not take
  /// `fd`: the caller closes it.
  static Ring attach(int fd, std::size_t capacity, RingState* state);
  Ring(Ring&& other) noexcept = default;
  Ring& operator=(Ring&& other) noexcept = default;
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  ~Ring() = default;

  std::size_t capacity() const noexcept { return capacity_; }
  /// The kept memfd (see the constructor), -1 when none.
  int fd() const noexcept { return fd_.get(); }
  void close_fd() noexcept { fd_.reset(); }
  RingState& state() const noexcept { return *state_; }

  // Producer side.
  std::size_t writable() const noexcept {
    return capacity_ - static_cast<std::size_t>(state_->head.load(std::memory_order_relaxed) -
                                                state_->tail.load(std::memory_order_acquire));
  }
  std::byte* write_pointer() const noexcept {
    return mapping_.bytes() + (state_->head.load(std::memory_order_relaxed) & mask_);
  }
  /// Publishes `size` written bytes (seq_cst: ordered before the producer's check of sleepers).
  void commit_write(std::size_t size) noexcept {
    state_->head.store(state_->head.load(std::memory_order_relaxed) + size, std::memory_order_seq_cst);
  }

  // Consumer side.
  std::size_t readable() const noexcept {
    return static_cast<std::size_t>(state_->head.load(std::memory_order_acquire) -
                                    state_->tail.load(std::memory_order_relaxed));
  }
  const std::byte* read_pointer() const noexcept {
    return mapping_.bytes() + (state_->tail.load(std::memory_order_relaxed) & mask_);
  }
  void commit_read(std::size_t size) noexcept {
    state_->tail.store(state_->tail.load(std::memory_order_relaxed) + size, std::memory_order_seq_cst);
  }

 private:
  void map(int fd);

  RingState* state_ = nullptr;
  Mapping mapping_;  // twice the capacity: the same pages, back to back
  std::size_t capacity_ = 0;
  std::uint64_t mask_ = 0;
  Fd fd_;
};

}  // namespace mpp::detail
