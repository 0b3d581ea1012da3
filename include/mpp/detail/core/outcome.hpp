// Per-item results: the value or the exception of one call, and the containers map writes into.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "mpp/detail/core/memory_advice.hpp"

namespace mpp::detail {

/// What an element of imap yields: the result, or std::monostate for a void function.
template <class R>
using ItemValue = std::conditional_t<std::is_void_v<R>, std::monostate, R>;

/// Calls `fn`, returning ItemValue (so void results need no special case downstream).
template <class Fn>
auto call_for_value(Fn&& fn) {
  if constexpr (std::is_void_v<std::invoke_result_t<Fn>>) {
    std::forward<Fn>(fn)();
    return std::monostate{};
  } else {
    return std::forward<Fn>(fn)();
  }
}

/// The outcome of one item: its value or its exception.
template <class R>
struct Outcome {
  std::optional<ItemValue<R>> value;
  std::exception_ptr error;

  template <class Fn>
  void capture(Fn&& fn) noexcept {
    try {
      value.emplace(call_for_value(std::forward<Fn>(fn)));
    } catch (...) {
      error = std::current_exception();
    }
  }
};

/// The results of a map, written concurrently at distinct indices, then handed over as a vector.
template <class R>
class MapStorage {
  // vector<bool> packs bits, so neighbouring writes would race: store bytes, convert at the end.
  // Types that cannot be default-constructed and assigned are built in place in optionals.
  static constexpr bool k_bool = std::is_same_v<R, bool>;
  static constexpr bool k_direct =
      !k_bool && std::is_default_constructible_v<R> && std::is_move_assignable_v<R>;
  using Slot = std::conditional_t<k_bool, unsigned char, std::conditional_t<k_direct, R, std::optional<R>>>;

 public:
  explicit MapStorage(std::size_t n) {
    if constexpr (std::is_move_constructible_v<Slot>) {
      // Zero-filling a large result faults its pages in one by one, serially, before any worker
      // starts (a third of a 20 M-row map's time); reserved first, it can take huge pages.
      reserve_on_huge_pages(slots_, n);
      slots_.resize(n);
    } else {
      slots_ = std::vector<Slot>(n);
    }
  }

  template <class V>
  void set(std::size_t i, V&& value) {
    if constexpr (k_bool) {
      slots_[i] = static_cast<unsigned char>(static_cast<bool>(value));
    } else if constexpr (k_direct) {
      slots_[i] = std::forward<V>(value);
    } else {
      slots_[i].emplace(std::forward<V>(value));
    }
  }

  /// The array results are written to, when a raw copy can fill it (remote results); else null.
  R* raw_data() noexcept {
    if constexpr (k_direct && std::is_trivially_copyable_v<R>) {
      return slots_.data();
    } else {
      return nullptr;
    }
  }

  std::vector<R> finish() {
    if constexpr (k_direct) {
      return std::move(slots_);
    } else {
      std::vector<R> out;
      out.reserve(slots_.size());
      for (auto& s : slots_) {
        if constexpr (k_bool) {
          out.push_back(s != 0);
        } else {
          out.push_back(std::move(*s));
        }
      }
      return out;
    }
  }

 private:
  std::vector<Slot> slots_;
};

template <>
class MapStorage<void> {
 public:
  explicit MapStorage(std::size_t /*n*/) {}
};

}  // namespace mpp::detail
