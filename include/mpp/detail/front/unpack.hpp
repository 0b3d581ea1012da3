// starmap's function: unpacks a tuple-like element into the arguments of F.
#pragma once

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

namespace mpp::detail {

/// What std::apply can unpack: std::tuple, std::pair, std::array (anything with std::tuple_size).
template <class T>
concept TupleLike = requires {
  std::tuple_size<std::remove_cvref_t<T>>::value;
};

/// starmap's check of its items, with a message that says what starmap needs.
template <class Item>
constexpr bool check_starmap_item() {
  static_assert(TupleLike<Item>,
                "mpp starmap: each item must be tuple-like (std::tuple, std::pair or std::array), to be "
                "unpacked into f's arguments; for items such as std::vector (Python's list of lists), "
                "use map with an f that takes the whole item, or make each item a std::tuple");
  return TupleLike<Item>;
}

template <class F>
struct Unpack {
  using wraps = F;  // crosses to another process when F can (remote.hpp)
  F f;
  template <class Tuple>
  decltype(auto) operator()(Tuple&& t) const {
    return std::apply(f, std::forward<Tuple>(t));
  }
};

}  // namespace mpp::detail
