// mpp::progress: a progress bar over any range whose length is known, such as pool work:
//   for (auto r : mpp::progress(pool.imap(f, items), items.size())) use(r);
#pragma once

#include <concepts>
#include <cstddef>
#include <iterator>
#include <ranges>
#include <type_traits>
#include <utility>

#include "mpp/detail/core/progress_bar.hpp"

namespace mpp {

/// What mpp::progress returns: the elements of `R`, unchanged, with a bar on standard error that
/// counts the elements taken. The bar shows done/total, the rate and the time left, as mpp-run's
/// does; it is drawn only when standard error is a terminal, so output to a file or a pipe stays
/// clean. It is finished (drawn a last time, and its line ended) when iteration reaches the end or
/// the object is destroyed, whichever comes first.
///
/// An element counts as done once the loop moves past it (so `pool.imap` results count when they
/// have been used). `R` is held by reference when progress() was given an lvalue, moved in
/// otherwise (an ImapRange temporary lives as long as the loop).
///
/// Thread safety: one thread iterates, as for the range it wraps. Not copyable or movable (its
/// iterators point to it); begin() may be called once. Never throws by itself; iteration throws
/// what the wrapped range throws (an imap task's exception, at the element where it happened).
template <std::ranges::input_range R>
class ProgressRange {
  using Base = std::remove_reference_t<R>;
  using BaseIterator = std::ranges::iterator_t<Base>;
  using BaseSentinel = std::ranges::sentinel_t<Base>;

 public:
  template <class Range>
  ProgressRange(Range&& range, std::size_t total) : range_(std::forward<Range>(range)), bar_(total) {}
  ProgressRange(const ProgressRange&) = delete;
  ProgressRange& operator=(const ProgressRange&) = delete;
  ~ProgressRange() = default;

  class iterator;
  class sentinel {
   public:
    sentinel() = default;

   private:
    friend class ProgressRange;
    explicit sentinel(BaseSentinel end) : end_(std::move(end)) {}
    friend class iterator;
    BaseSentinel end_{};
  };

  class iterator {
   public:
    using value_type = std::ranges::range_value_t<Base>;
    using difference_type = std::ranges::range_difference_t<Base>;
    using iterator_concept = std::input_iterator_tag;

    iterator() requires std::default_initializable<BaseIterator>
    = default;
    decltype(auto) operator*() const { return *current_; }
    iterator& operator++() {
      ++current_;
      owner_->bar_.advance();
      return *this;
    }
    void operator++(int) { ++*this; }
    /// At the end, the bar is finished: its last drawing shows 100% and the time taken.
    friend bool operator==(const iterator& it, const sentinel& end) { return it.reached(end); }

   private:
    friend class ProgressRange;
    bool reached(const sentinel& end) const {
      const bool at_end = current_ == end.end_;
      if (at_end && owner_ != nullptr) owner_->bar_.finish();
      return at_end;
    }
    iterator(BaseIterator current, ProgressRange* owner) : current_(std::move(current)), owner_(owner) {}
    BaseIterator current_{};
    ProgressRange* owner_ = nullptr;
  };

  /// The wrapped range's begin() (which may block: imap's waits for the first result).
  iterator begin() { return iterator(std::ranges::begin(range_), this); }
  sentinel end() { return sentinel(std::ranges::end(range_)); }

  /// Elements taken so far.
  [[nodiscard]] std::size_t done() const noexcept { return bar_.done(); }
  /// Whether the bar is drawn (standard error is a terminal).
  [[nodiscard]] bool shown() const noexcept { return bar_.enabled(); }

 private:
  R range_;  // Base& for an lvalue, Base (moved in) for an rvalue
  detail::ProgressBar bar_;
};

/// `range` with a progress bar over `total` elements on standard error (when it is a terminal).
/// For ranges whose length is unknown to the range itself, such as `pool.imap(f, items)`.
template <std::ranges::input_range R>
[[nodiscard]] ProgressRange<R> progress(R&& range, std::size_t total) {
  return ProgressRange<R>(std::forward<R>(range), total);
}

/// `range` with a progress bar over its std::ranges::size() elements.
template <std::ranges::input_range R>
requires std::ranges::sized_range<R>
[[nodiscard]] ProgressRange<R> progress(R&& range) {
  const auto total = static_cast<std::size_t>(std::ranges::size(range));
  return ProgressRange<R>(std::forward<R>(range), total);
}

}  // namespace mpp
