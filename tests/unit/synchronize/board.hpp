// What the processes of a synchronize test share besides the primitive under test: a Board in a
// SharedMemory segment, which children attach to by name, and a bounded wait for its flags.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <new>
#include <string>
#include <thread>

#include "mpp/shared_memory.hpp"
#include "mpp_test/sync.hpp"

namespace mpp_test {

struct Board {
  std::atomic<std::uint32_t> held{0};         // a child holds the primitive (or waits on it)
  std::atomic<std::uint32_t> go_on{0};        // the parent lets it go on
  std::atomic<std::uint32_t> inside{0};       // parties inside a guarded section now
  std::atomic<std::uint32_t> most_inside{0};  // the most there ever were
  std::atomic<std::uint32_t> arrivals[8]{};   // per round of a barrier
  std::uint64_t counter = 0;                  // plain: the primitive guards it
};

inline Board& board_of(mpp::SharedMemory& memory) {
  return *std::launder(reinterpret_cast<Board*>(memory.data()));
}

inline mpp::SharedMemory make_board() {
  mpp::SharedMemory memory(sizeof(Board));
  new (memory.data()) Board;
  return memory;
}

/// A child's view of the board: attached by name.
struct BoardView {
  explicit BoardView(const std::string& name) : memory(mpp::SharedMemory::attach(name)) {}
  Board* operator->() { return &board_of(memory); }
  mpp::SharedMemory memory;
};

/// Waits (bounded) until `flag` reaches `value`; false after k_deadlock_limit.
inline bool wait_for(const std::atomic<std::uint32_t>& flag, std::uint32_t value = 1) {
  const auto limit = std::chrono::steady_clock::now() + k_deadlock_limit;
  while (flag.load() < value) {
    if (std::chrono::steady_clock::now() > limit) return false;
    std::this_thread::yield();
  }
  return true;
}

}  // namespace mpp_test
