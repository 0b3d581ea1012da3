// mpp::Mask: one true/false per row, pandas' boolean Series as a row selector (Frame::filter). Made
// by comparing a column with a value (`frame.column("price") > 10.0`), by Column::isna()/notna(), by
// a predicate over rows (map_rows' std::vector<bool>), and combined with &, |, ^ and ~ as in pandas.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

#include "mpp/detail/core/memory_advice.hpp"
#include "mpp/detail/frame/frame_throw.hpp"

namespace mpp {

namespace detail {
struct MaskAccess;

enum class MaskOp : std::uint8_t { both, either, one_of, negate };
/// `a op b` flag by flag (`b` unread for negate), in ranges on mpp's frame pool for a large mask
/// (src/frame/mask.cpp).
std::vector<std::uint8_t> combine_flags(const std::vector<std::uint8_t>& a,
                                        const std::vector<std::uint8_t>& b, MaskOp op);
}  // namespace detail

/// One flag per row. Bytes rather than std::vector<bool>'s bits: pool workers may set neighbouring
/// flags at once.
///
/// Thread safety: as a std::vector; const members may be called from any number of threads.
class Mask {
 public:
  Mask() = default;
  /// `size` flags, each `value`.
  explicit Mask(std::size_t size, bool value = false) {
    detail::reserve_on_huge_pages(flags_, size);
    flags_.resize(size, value ? 1 : 0);
  }
  /// From map_rows' results for a predicate: `frame.filter(mpp::map_rows(pool, frame, pred))`.
  Mask(const std::vector<bool>& flags) : flags_(flags.begin(), flags.end()) {}  // NOLINT: implicit on purpose
  Mask(std::initializer_list<bool> flags) : flags_(flags.begin(), flags.end()) {}
  /// From bytes, one per row: 0 is false, any other value true.
  explicit Mask(std::vector<std::uint8_t> flags) : flags_(std::move(flags)) {
    for (std::uint8_t& f : flags_) f = f != 0 ? 1 : 0;
  }

  [[nodiscard]] std::size_t size() const noexcept { return flags_.size(); }
  [[nodiscard]] bool empty() const noexcept { return flags_.empty(); }
  /// Flag `i`, unchecked.
  [[nodiscard]] bool operator[](std::size_t i) const noexcept { return flags_[i] != 0; }
  /// Sets flag `i`. Throws std::out_of_range past the end.
  void set(std::size_t i, bool value) {
    if (i >= flags_.size()) detail::throw_frame_index("mpp::Mask::set", i, flags_.size());
    flags_[i] = value ? 1 : 0;
  }
  /// How many flags are true (pandas' mask.sum()).
  [[nodiscard]] std::size_t count() const noexcept {
    return static_cast<std::size_t>(std::count(flags_.begin(), flags_.end(), std::uint8_t{1}));
  }
  [[nodiscard]] bool any() const noexcept { return count() != 0; }
  [[nodiscard]] bool all() const noexcept { return count() == flags_.size(); }
  /// The flags, one byte each (0 or 1).
  [[nodiscard]] const std::vector<std::uint8_t>& flags() const noexcept { return flags_; }

  /// Element-wise; both masks must have the same size, else std::invalid_argument.
  friend Mask operator&(const Mask& a, const Mask& b) { return combine(a, b, "&", detail::MaskOp::both); }
  friend Mask operator|(const Mask& a, const Mask& b) { return combine(a, b, "|", detail::MaskOp::either); }
  friend Mask operator^(const Mask& a, const Mask& b) { return combine(a, b, "^", detail::MaskOp::one_of); }
  friend Mask operator~(const Mask& a) {
    return {Normalised{}, detail::combine_flags(a.flags_, a.flags_, detail::MaskOp::negate)};
  }
  friend bool operator==(const Mask& a, const Mask& b) noexcept = default;

 private:
  friend struct detail::MaskAccess;
  struct Normalised {};
  // Bytes known to be 0 or 1 already (mpp's comparisons write them so): no second pass.
  Mask(Normalised /*unused*/, std::vector<std::uint8_t> flags) : flags_(std::move(flags)) {}

  static Mask combine(const Mask& a, const Mask& b, const char* op, detail::MaskOp how) {
    if (a.size() != b.size()) {
      detail::throw_frame_invalid(
          "mpp::Mask", std::string("operator") + op + " of masks of " + std::to_string(a.size()) + " and " +
                           std::to_string(b.size()) + " rows: they must have as many");
    }
    return {Normalised{}, detail::combine_flags(a.flags_, b.flags_, how)};
  }

  std::vector<std::uint8_t> flags_;
};

namespace detail {
/// For mpp's own operations that write masks.
struct MaskAccess {
  /// `flags` must hold only 0 and 1.
  static Mask from_normalised(std::vector<std::uint8_t> flags) {
    return {Mask::Normalised{}, std::move(flags)};
  }
};
}  // namespace detail

}  // namespace mpp
