// The seed of every hash of Frame's key work (frame_keys.hpp).
#include "frame/frame_keys.hpp"

#include <cstdint>
#include <random>

namespace mpp::detail {

std::uint64_t hash_seed() noexcept {
  static const std::uint64_t seed = [] {
    try {
      std::random_device device;
      return (static_cast<std::uint64_t>(device()) << 32U) ^ device();
    } catch (...) {  // no entropy source: the address of a local still varies with ASLR
      int local = 0;
      return mix64(reinterpret_cast<std::uintptr_t>(&local));  // NOLINT(*-reinterpret-cast)
    }
  }();
  return seed;
}

}  // namespace mpp::detail
