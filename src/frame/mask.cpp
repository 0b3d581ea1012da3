// Mask's &, |, ^ and ~: one pass over the flags, in ranges on the frame pool for a large mask (a
// filter's masks are as long as the frame; the serial pass and its fresh pages were a tenth of a
// 10 000 000-row filter).
#include "mpp/mask.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

#include "frame/frame_ranges.hpp"
#include "frame/fresh_array.hpp"

namespace mpp::detail {

std::vector<std::uint8_t> combine_flags(const std::vector<std::uint8_t>& a,
                                        const std::vector<std::uint8_t>& b, MaskOp op) {
  std::vector<std::uint8_t> out;
  size_in_ranges(out, a.size());
  const std::uint8_t* x = a.data();
  const std::uint8_t* y = b.data();
  std::uint8_t* to = out.data();
  for_ranges(a.size(), [=](std::size_t, std::size_t begin, std::size_t end) {
    // The flags are 0 or 1, so the bitwise operations give 0 or 1.
    switch (op) {
      case MaskOp::both:
        for (std::size_t i = begin; i < end; ++i) to[i] = x[i] & y[i];
        break;
      case MaskOp::either:
        for (std::size_t i = begin; i < end; ++i) to[i] = x[i] | y[i];
        break;
      case MaskOp::one_of:
        for (std::size_t i = begin; i < end; ++i) to[i] = x[i] ^ y[i];
        break;
      case MaskOp::negate:
        for (std::size_t i = begin; i < end; ++i) to[i] = x[i] ^ 1U;
        break;
    }
  });
  return out;
}

}  // namespace mpp::detail
