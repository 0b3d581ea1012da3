// A decoded value held on the heap when it is large (core/large_value.hpp says why).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <type_traits>
#include <utility>

#include "mpp/detail/core/large_value.hpp"
#include "mpp/detail/remote/codec.hpp"

namespace mpp::detail {

template <class T>
class Decoded {
  static constexpr bool k_heap = is_large_value_v<T>;
  using Held = std::conditional_t<k_heap, std::unique_ptr<T>, T>;

 public:
  /// The next value of `in`.
  explicit Decoded(ByteReader& in) : held_(from(in)) {}

  /// A raw value at `at` (trivially copyable T; the bytes need not be aligned).
  static Decoded load(const std::byte* at) {
    if constexpr (k_heap) {
      ByteReader in(std::span<const std::byte>(at, sizeof(T)));
      return Decoded(in);
    } else {
      return Decoded(load_raw<T>(at));
    }
  }

  /// A value that must fill `bytes` exactly.
  static Decoded whole(std::span<const std::byte> bytes) {
    if constexpr (k_heap) {
      return Decoded(decode_all_to_heap<T>(bytes));
    } else {
      return Decoded(decode_all<T>(bytes));
    }
  }

  T& operator*() noexcept {
    if constexpr (k_heap) {
      return *held_;
    } else {
      return held_;
    }
  }
  const T& operator*() const noexcept {
    if constexpr (k_heap) {
      return *held_;
    } else {
      return held_;
    }
  }

 private:
  explicit Decoded(Held held) noexcept(std::is_nothrow_move_constructible_v<Held>) : held_(std::move(held)) {}

  static Held from(ByteReader& in) {
    if constexpr (k_heap) {
      return decode_to_heap<T>(in);
    } else {
      return decode<T>(in);
    }
  }

  Held held_;
};

}  // namespace mpp::detail
