// mpp::SharedVector<T>: a sequence like std::vector whose elements live in shared memory, so that
// a ProcessPool map over it sends its workers ranges, not items, and processes can read one copy.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <new>
#include <ranges>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "mpp/detail/core/memory_advice.hpp"
#include "mpp/shared_memory.hpp"

namespace mpp {

/// A std::vector-like sequence of trivially copyable T in a mpp::SharedMemory segment of its own.
///
/// A handle, as mpp::Array is: copies share the elements (and, in the process that made it, its
/// size and growth). The process that made it grows it (push_back, resize, reserve move the
/// elements to a larger segment, as std::vector reallocates, invalidating pointers); the segment
/// goes with the last copy there.
///
/// Crossing to another process (an argument of a Process or a pool task, under every start method;
/// a copy captured under fork) sends the segment's name, not the elements: the receiver's copy maps
/// the same elements (writes are seen both ways), with the size it had when sent, and cannot grow
/// (std::logic_error); a forked child's copy is the same. A later growth in the maker moves the elements to a
/// segment the receiver does not see.
///
/// A ProcessPool map, map_async, starmap, starmap_async or imap (with a chunksize of 64 KiB or more) over it
/// (or over any contiguous part of it, or of any other mpp::SharedMemory) sends each worker the range of its
/// chunk, which the worker maps: the items are never copied. Keep them unchanged until the map returns.
///
/// Thread safety: as std::vector's, for all copies together (concurrent reads are safe; any write
/// is the caller's to order).
template <class T>
class SharedVector {
  static_assert(std::is_trivially_copyable_v<T>,
                "mpp::SharedVector holds trivially copyable types: their bytes are what processes share");
  static_assert(alignof(T) <= 4096, "a segment starts on a page");

 public:
  using value_type = T;
  using size_type = std::size_t;
  using difference_type = std::ptrdiff_t;
  using reference = T&;
  using const_reference = const T&;
  using pointer = T*;
  using const_pointer = const T*;
  using iterator = T*;
  using const_iterator = const T*;

  /// Empty, with no segment until the first element.
  SharedVector() : state_(std::make_shared<State>()) {}
  /// `count` copies of `value`.
  explicit SharedVector(size_type count, const T& value = T{}) : SharedVector() { resize(count, value); }
  SharedVector(std::initializer_list<T> values) : SharedVector() { assign_range(values); }
  /// A copy of the elements of any input range (a std::vector, a span, a view).
  template <std::ranges::input_range Range>
  requires(std::convertible_to<std::ranges::range_reference_t<Range>, T> &&
           !std::same_as<std::remove_cvref_t<Range>, SharedVector>) explicit SharedVector(Range&& values)
      : SharedVector() {
    assign_range(values);
  }
  template <std::input_iterator It, std::sentinel_for<It> End>
  SharedVector(It first, End last) : SharedVector() {
    assign_range(std::ranges::subrange(std::move(first), std::move(last)));
  }

  // No move operations: a moved-from handle still shares the elements, never a null state.
  SharedVector(const SharedVector&) = default;
  SharedVector& operator=(const SharedVector&) = default;
  ~SharedVector() = default;

  [[nodiscard]] size_type size() const noexcept { return state_->size; }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  /// Elements that fit before the next growth moves them.
  [[nodiscard]] size_type capacity() const noexcept {
    return state_->memory ? state_->memory->size() / sizeof(T) : 0;
  }
  [[nodiscard]] T* data() noexcept { return state_->data(); }
  [[nodiscard]] const T* data() const noexcept { return state_->data(); }
  [[nodiscard]] iterator begin() noexcept { return data(); }
  [[nodiscard]] iterator end() noexcept { return data() + size(); }
  [[nodiscard]] const_iterator begin() const noexcept { return data(); }
  [[nodiscard]] const_iterator end() const noexcept { return data() + size(); }
  [[nodiscard]] T& operator[](size_type i) noexcept { return data()[i]; }
  [[nodiscard]] const T& operator[](size_type i) const noexcept { return data()[i]; }
  /// Element i; std::out_of_range past the end.
  [[nodiscard]] T& at(size_type i) { return data()[checked(i)]; }
  [[nodiscard]] const T& at(size_type i) const { return data()[checked(i)]; }
  [[nodiscard]] T& front() noexcept { return data()[0]; }
  [[nodiscard]] T& back() noexcept { return data()[size() - 1]; }
  [[nodiscard]] const T& front() const noexcept { return data()[0]; }
  [[nodiscard]] const T& back() const noexcept { return data()[size() - 1]; }
  [[nodiscard]] std::span<T> span() noexcept { return {data(), size()}; }
  [[nodiscard]] std::span<const T> span() const noexcept { return {data(), size()}; }
  /// The segment's name (empty before the first element).
  [[nodiscard]] std::string name() const { return state_->memory ? state_->memory->name() : std::string(); }
  /// Whether this process made it: false in one that received it or was forked with it (it cannot
  /// grow there).
  [[nodiscard]] bool owns() const noexcept { return state_->maker == ::getpid(); }

  void reserve(size_type count) {
    check_owner();
    if (count > capacity()) move_to(count);
  }
  void push_back(const T& value) { emplace_back(value); }
  template <class... Args>
  T& emplace_back(Args&&... args) {
    check_owner();                              // even within the capacity: the maker's size would not follow
    const T made(std::forward<Args>(args)...);  // before growing: args may refer to an element
    if (size() == capacity()) move_to(grown(size() + 1));
    T* slot = new (data() + size()) T(made);
    ++state_->size;
    return *slot;
  }
  void pop_back() noexcept { --state_->size; }
  /// New elements are copies of `value`.
  void resize(size_type count, const T& value = T{}) {
    if (count > size()) check_owner();
    if (count > capacity()) move_to(count > size() + 1 ? count : grown(count));
    if (count > size()) detail::populate_for_writing(data() + size(), (count - size()) * sizeof(T));
    for (size_type i = size(); i < count; ++i) new (data() + i) T(value);
    state_->size = count;
  }
  /// No elements; the segment stays (capacity() is kept).
  void clear() noexcept { state_->size = 0; }

  template <class Archive>
  void save(Archive& archive) const {
    archive(name(), static_cast<std::uint64_t>(size()));
  }
  template <class Archive>
  void load(Archive& archive) {
    std::string name;
    std::uint64_t size = 0;
    archive(name, size);
    auto state = std::make_shared<State>();
    state->maker = 0;
    if (!name.empty()) {
      state->memory = std::make_unique<SharedMemory>(SharedMemory::attach(name));
      if (size > state->memory->size() / sizeof(T)) {
        throw std::invalid_argument("mpp::SharedVector: the shared memory segment '" + name +
                                    "' is smaller than sent");
      }
    }
    state->size = static_cast<size_type>(size);
    state_ = std::move(state);
  }

 private:
  struct State {
    std::unique_ptr<SharedMemory> memory;
    size_type size = 0;
    pid_t maker = ::getpid();
    T* data() const noexcept { return memory ? std::launder(reinterpret_cast<T*>(memory->data())) : nullptr; }
  };

  size_type checked(size_type i) const {
    if (i >= size()) {
      throw std::out_of_range("mpp::SharedVector: index " + std::to_string(i) + " is past the end (size " +
                              std::to_string(size()) + ")");
    }
    return i;
  }
  size_type grown(size_type needed) const noexcept {
    const size_type first = std::max<size_type>(1, 4096 / sizeof(T));  // a page
    return std::max({needed, capacity() * 2, first});
  }
  void check_owner() const {
    if (!owns()) {
      throw std::logic_error("mpp::SharedVector: '" + name() +
                             "' was received from another process (or forked with it) and cannot grow there");
    }
  }
  // A segment for `count` elements, holding the current ones.
  void move_to(size_type count) {
    check_owner();
    if (count > SIZE_MAX / sizeof(T)) throw std::length_error("mpp::SharedVector: too many elements");
    auto bigger = std::make_unique<SharedMemory>(count * sizeof(T));
    if (size() != 0) {
      detail::populate_for_writing(bigger->data(), size() * sizeof(T));
      std::memcpy(bigger->data(), state_->memory->data(), size() * sizeof(T));
    }
    state_->memory = std::move(bigger);
  }
  template <class Range>
  void assign_range(Range&& values) {
    if constexpr (std::ranges::contiguous_range<Range> &&
                  std::same_as<std::remove_cv_t<std::ranges::range_value_t<Range>>, T>) {
      const auto count = static_cast<size_type>(std::ranges::size(values));
      if (count != 0) {
        move_to(count);
        detail::populate_for_writing(data(), count * sizeof(T));
        std::memcpy(data(), std::ranges::data(values), count * sizeof(T));
      }
      state_->size = count;
    } else {
      if constexpr (std::ranges::sized_range<Range>)
        reserve(static_cast<size_type>(std::ranges::size(values)));
      for (auto&& value : values) emplace_back(std::forward<decltype(value)>(value));
    }
  }

  std::shared_ptr<State> state_;
};

}  // namespace mpp
