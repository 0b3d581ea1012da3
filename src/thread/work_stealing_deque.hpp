// A Chase-Lev work-stealing deque (Chase and Lev, SPAA 2005), with the operations on top and bottom
// sequentially consistent as in the original formulation. The owner pushes and pops at the bottom
// (LIFO, cache-warm); thieves take from the top (FIFO, the oldest and usually largest work).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "mpp/detail/core/config.hpp"

namespace mpp::detail {

/// T is a pointer: slots are atomics of it.
template <class T>
class WorkStealingDeque {
  static_assert(std::is_pointer_v<T>);

 public:
  explicit WorkStealingDeque(std::int64_t capacity = 256) {
    arrays_.push_back(std::make_unique<Array>(capacity));
    array_.store(arrays_.back().get(), std::memory_order_relaxed);
  }

  /// Owner only.
  void push(T item) {
    const std::int64_t b = bottom_.load(std::memory_order_relaxed);
    const std::int64_t t = top_.load(std::memory_order_acquire);
    Array* a = array_.load(std::memory_order_relaxed);
    if (b - t >= a->capacity) a = grow(a, b, t);
    a->put(b, item);
    // seq_cst rather than the paper's fences: ThreadSanitizer understands it, it costs the same on
    // x86 (one locked instruction), and it also orders this push before the executor's check for
    // sleeping workers that follows it.
    bottom_.store(b + 1, std::memory_order_seq_cst);
  }

  /// Owner only. nullptr when empty.
  T pop() {
    const std::int64_t b = bottom_.load(std::memory_order_relaxed) - 1;
    Array* a = array_.load(std::memory_order_relaxed);
    // The store to bottom must be ordered before we read top: this is the one place where the
    // owner and a thief can race for the last item.
    bottom_.store(b, std::memory_order_seq_cst);
    std::int64_t t = top_.load(std::memory_order_seq_cst);
    if (t > b) {
      bottom_.store(b + 1, std::memory_order_relaxed);
      return nullptr;
    }
    T item = a->get(b);
    if (t == b) {  // the last item: win it against thieves
      if (!top_.compare_exchange_strong(t, t + 1, std::memory_order_seq_cst, std::memory_order_relaxed)) {
        item = nullptr;
      }
      bottom_.store(b + 1, std::memory_order_relaxed);
    }
    return item;
  }

  /// Any thread. nullptr when empty or when another thief won the race.
  T steal() {
    std::int64_t t = top_.load(std::memory_order_seq_cst);
    const std::int64_t b = bottom_.load(std::memory_order_seq_cst);
    if (t >= b) return nullptr;
    Array* a = array_.load(std::memory_order_acquire);
    T item = a->get(t);
    if (!top_.compare_exchange_strong(t, t + 1, std::memory_order_seq_cst, std::memory_order_relaxed)) {
      return nullptr;
    }
    return item;
  }

  /// A hint, exact when the owner is not pushing or popping.
  bool empty() const noexcept {
    return bottom_.load(std::memory_order_seq_cst) <= top_.load(std::memory_order_seq_cst);
  }

 private:
  struct Array {
    explicit Array(std::int64_t cap)
        : capacity(cap), slots(new std::atomic<T>[static_cast<std::size_t>(cap)]) {}
    T get(std::int64_t i) const noexcept { return slots[index(i)].load(std::memory_order_relaxed); }
    void put(std::int64_t i, T item) noexcept { slots[index(i)].store(item, std::memory_order_relaxed); }
    std::size_t index(std::int64_t i) const noexcept { return static_cast<std::size_t>(i & (capacity - 1)); }
    std::int64_t capacity;  // a power of two
    std::unique_ptr<std::atomic<T>[]> slots;
  };

  Array* grow(Array* old, std::int64_t b, std::int64_t t) {
    auto bigger = std::make_unique<Array>(old->capacity * 2);
    for (std::int64_t i = t; i < b; ++i) bigger->put(i, old->get(i));
    Array* a = bigger.get();
    // Thieves may still read the old array: it stays alive until the deque dies.
    arrays_.push_back(std::move(bigger));
    array_.store(a, std::memory_order_release);
    return a;
  }

  // top_ is written by thieves and bottom_ by the owner: separate lines, no false sharing.
  alignas(k_cache_line) std::atomic<std::int64_t> top_{0};
  alignas(k_cache_line) std::atomic<std::int64_t> bottom_{0};
  alignas(k_cache_line) std::atomic<Array*> array_{nullptr};
  std::vector<std::unique_ptr<Array>> arrays_;  // owner only
};

}  // namespace mpp::detail
