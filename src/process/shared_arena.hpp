// Memory a process shares with the workers it forks afterwards: a few large slots in one
// MAP_SHARED mapping, taken and given back by either side. A large request or result then crosses
// by its address: the rank that received a chunk from rank 0 hands its worker the buffer it received
// into, and a worker hands back a large result where it wrote it, instead of streaming either
// through the 4 MiB rings, copied in on one side and gathered on the other (ProcessExecutorOptions::
// arena). Pages are allocated as they are first written and kept: the next large message lands in
// pages already there, not in fresh ones the kernel zeroes first.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>

#include "mpp/detail/posix/fd.hpp"

namespace mpp::detail {

class SharedArena {
 public:
  /// `slots` slots of `slot_bytes` each (a multiple of the page size). Throws when the mapping
  /// cannot be made.
  SharedArena(std::size_t slots, std::size_t slot_bytes);
  SharedArena(const SharedArena&) = delete;
  SharedArena& operator=(const SharedArena&) = delete;
  ~SharedArena() = default;

  std::size_t slot_bytes() const noexcept { return slot_bytes_; }
  /// A tag no holder had before (its slots are given back by it if it dies). Tags, not pids: a
  /// pid is free for another process as soon as its worker is reaped.
  std::uint32_t new_holder() noexcept { return next_holder_.fetch_add(1, std::memory_order_relaxed); }
  /// A free slot, now held by `holder`, or null when every slot is held.
  std::byte* take(std::uint32_t holder) noexcept;
  /// Gives the slot that `at` lies in back. Either process may, whoever took it.
  void give_back(const std::byte* at) noexcept;
  /// Whether `bytes` lie within one slot that `holder` holds.
  bool held_by(std::span<const std::byte> bytes, std::uint32_t holder) const noexcept;
  /// Gives back every slot that `holder` still holds (a worker that died holding them).
  void reclaim(std::uint32_t holder) noexcept;
  /// Slots nobody holds (tests).
  std::size_t free_slots() const noexcept;
  /// Before a fork: the child gets the slots even where a library asked that registered memory
  /// skip forks (MADV_DONTFORK, as RDMA transports do for the buffers they receive into).
  void before_fork() noexcept;

 private:
  std::ptrdiff_t slot_of(const std::byte* at) const noexcept;

  std::size_t slots_;
  std::size_t slot_bytes_;
  Mapping mapping_;
  std::atomic<std::uint32_t>* holders_;        // in the mapping's first page: 0 when free
  std::byte* base_;                            // the first slot
  std::atomic<std::uint32_t> next_holder_{1};  // the process that made the arena hands out tags
};

}  // namespace mpp::detail
