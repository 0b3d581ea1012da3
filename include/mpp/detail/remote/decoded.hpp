// A decoded value held on the heap when it is large (core/large_value.hpp says why).
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <span>
#include <type_traits>

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
  static Decoded load(const std::byte* at) { return Decoded(Raw{}, at); }

  /// A value that must fill `bytes` exactly.
  static Decoded whole(std::span<const std::byte> bytes) {
    ByteReader in(bytes);
    Decoded value(in);
    if (!in.at_end()) throw_serialization("message has trailing bytes");
    return value;
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
  struct Raw {};
  Decoded(Raw /*tag*/, const std::byte* at) : held_(loaded(at)) {}

  static Held from(ByteReader& in) {
    if constexpr (k_heap) {
      return decode_to_heap<T>(in);
    } else {
      return decode<T>(in);
    }
  }

  static Held loaded(const std::byte* at) {
    if constexpr (k_heap) {
      std::unique_ptr<T> value = new_raw<T>();
      std::memcpy(static_cast<void*>(value.get()), at, sizeof(T));
      return value;
    } else {
      return load_raw<T>(at);
    }
  }

  Held held_;
};

}  // namespace mpp::detail
