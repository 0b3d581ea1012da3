// Input ranges for pool tests: an input-only (single-pass, not forward) range of 0, 1, 2, ...,
// bounded or not, that counts the items pulled from it, notes pulls made on any thread but its
// owner's, and can throw at a chosen position.
#pragma once

#include <cstddef>
#include <iterator>
#include <limits>
#include <ranges>
#include <stdexcept>
#include <string>
#include <thread>

namespace mpp_test {

/// What CountingRange throws at its `throw_at` position.
class InputError : public std::runtime_error {
 public:
  explicit InputError(std::size_t position)
      : std::runtime_error("input failed at " + std::to_string(position)), position_(position) {}
  [[nodiscard]] std::size_t position() const noexcept { return position_; }

 private:
  std::size_t position_;
};

/// What a CountingRange records. Plain fields on purpose: pulls must happen on one thread (the
/// consumer's), and ThreadSanitizer reports it if they do not.
struct PullLog {
  std::size_t pulls = 0;
  std::size_t foreign_pulls = 0;  // pulls on a thread other than `owner`
  std::thread::id owner = std::this_thread::get_id();
};

class CountingRange : public std::ranges::view_interface<CountingRange> {
 public:
  static constexpr std::size_t k_unbounded = std::numeric_limits<std::size_t>::max();

  class iterator {
   public:
    using value_type = int;
    using difference_type = std::ptrdiff_t;
    using iterator_concept = std::input_iterator_tag;

    iterator() = default;

    int operator*() const {
      if (position_ == throw_at_) throw InputError(position_);
      ++log_->pulls;
      if (std::this_thread::get_id() != log_->owner) ++log_->foreign_pulls;
      return static_cast<int>(position_);
    }
    iterator& operator++() {
      ++position_;
      return *this;
    }
    void operator++(int) { ++position_; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept {
      return it.position_ >= it.size_;
    }

   private:
    friend class CountingRange;
    explicit iterator(const CountingRange& range)
        : log_(range.log_), size_(range.size_), throw_at_(range.throw_at_) {}
    PullLog* log_ = nullptr;
    std::size_t size_ = 0;
    std::size_t throw_at_ = k_unbounded;
    std::size_t position_ = 0;
  };

  CountingRange() = default;
  /// 0, 1, ..., size - 1 (forever when unbounded); dereferencing position `throw_at` throws InputError.
  explicit CountingRange(PullLog* log, std::size_t size = k_unbounded, std::size_t throw_at = k_unbounded)
      : log_(log), size_(size), throw_at_(throw_at) {}

  [[nodiscard]] iterator begin() const { return iterator(*this); }
  [[nodiscard]] std::default_sentinel_t end() const noexcept { return {}; }

 private:
  PullLog* log_ = nullptr;
  std::size_t size_ = k_unbounded;
  std::size_t throw_at_ = k_unbounded;
};

static_assert(std::ranges::input_range<CountingRange>);
static_assert(!std::ranges::forward_range<CountingRange>);
static_assert(std::ranges::view<CountingRange>);

}  // namespace mpp_test
