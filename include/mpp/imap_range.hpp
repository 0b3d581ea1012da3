// mpp::ImapRange<R>: what imap and imap_unordered return, as Python's IMapIterator.
#pragma once

#include <chrono>
#include <cstddef>
#include <iterator>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "mpp/detail/core/large_value.hpp"
#include "mpp/detail/core/outcome.hpp"
#include "mpp/detail/core/ref.hpp"
#include "mpp/detail/core/throw.hpp"
#include "mpp/detail/core/wait.hpp"
#include "mpp/detail/front/imap_job.hpp"

namespace mpp {

/// The lazy results of `imap` (in input order) or `imap_unordered` (in completion order).
/// An input range: `for (auto r : pool.imap(f, items))`. Elements are `R`, or `std::monostate`
/// for a void function. An element whose task threw rethrows when iteration reaches it; iteration
/// can go on after it. Input is read only as results are taken, with at most a small multiple of
/// `pool.size() × chunksize` items in flight.
///
/// Thread safety: one consumer at a time. Movable, not copyable. Destroying it early cancels the
/// items not yet started and waits for those running. It may outlive its pool: the pool's
/// join() first reads the rest of the input and runs it, so the results stay available.
template <class R>
class ImapRange {
 public:
  using value_type = detail::ItemValue<R>;

  explicit ImapRange(detail::Ref<detail::ImapJobBase<R>> job) noexcept : job_(std::move(job)) {}
  ImapRange(ImapRange&&) noexcept = default;
  ImapRange& operator=(ImapRange&& other) noexcept {
    if (this != &other) {
      reset();
      job_ = std::move(other.job_);
      current_ = std::move(other.current_);
    }
    return *this;
  }
  ImapRange(const ImapRange&) = delete;
  ImapRange& operator=(const ImapRange&) = delete;
  ~ImapRange() { reset(); }

  /// The next result; empty at the end. Blocks until it is ready; rethrows the item's exception.
  /// From a task of the same pool, runs other tasks while it waits.
  std::optional<value_type> next() {
    bool timed_out = false;
    return job("mpp::ImapRange::next").next(detail::k_no_deadline, timed_out);
  }

  /// As next(), but throws mpp::TimeoutError when no result arrives within `timeout`; a later
  /// call picks up where this one left off.
  template <class Rep, class Period>
  std::optional<value_type> next(std::chrono::duration<Rep, Period> timeout) {
    bool timed_out = false;
    auto value = job("mpp::ImapRange::next").next(detail::deadline_after(timeout), timed_out);
    if (timed_out) detail::throw_timeout("mpp::ImapRange", "next");
    return value;
  }

  class iterator;
  friend class iterator;

  class iterator {
   public:
    using value_type = ImapRange::value_type;
    using difference_type = std::ptrdiff_t;
    using iterator_concept = std::input_iterator_tag;

    iterator() = default;
    value_type& operator*() const { return *range_->current_; }
    value_type* operator->() const { return &*range_->current_; }
    iterator& operator++() {
      range_->advance();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept { return it.at_end(); }

   private:
    friend class ImapRange;
    explicit iterator(ImapRange* range) : range_(range) {}
    bool at_end() const noexcept { return range_ == nullptr || !range_->current_; }
    ImapRange* range_ = nullptr;
  };

  /// Fetches the first result (blocking; may throw as next() does).
  iterator begin() {
    advance();
    return iterator(this);
  }
  std::default_sentinel_t end() const noexcept { return {}; }

 private:
  void advance() {
    current_.reset();
    if constexpr (detail::is_large_value_v<value_type>) {
      if (auto value = next()) current_ = std::make_unique<value_type>(std::move(*value));
    } else {
      current_ = next();
    }
  }
  detail::ImapJobBase<R>& job(const char* what) {
    if (!job_) detail::throw_no_state(what);
    return *job_;
  }
  void reset() noexcept {
    if (job_) {
      job_->abandon();
      job_ = {};
    }
  }

  detail::Ref<detail::ImapJobBase<R>> job_;
  // A large value on the heap: the range itself is often a local (core/large_value.hpp).
  std::conditional_t<detail::is_large_value_v<value_type>, std::unique_ptr<value_type>,
                     std::optional<value_type>>
      current_;
};

}  // namespace mpp
