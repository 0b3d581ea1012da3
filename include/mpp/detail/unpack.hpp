// starmap's function: unpacks a tuple-like element into the arguments of F.
#pragma once

#include <tuple>
#include <utility>

namespace mpp::detail {

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
