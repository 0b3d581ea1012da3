// mpp::Queue<T>: Python's multiprocessing.Queue, between processes forked after it was made.
#pragma once

#include <chrono>
#include <optional>

#include "mpp/detail/core/wait.hpp"
#include "mpp/detail/process/shared_queue.hpp"
#include "mpp/detail/remote/codec.hpp"

namespace mpp {

/// A first-in first-out queue shared by the processes forked after it was made (an mpp::Process
/// with StartMethod::fork whose target captures it by reference; the workers of a fork ProcessPool
/// made after it). It does not cross to forkserver or spawn children. Carries any
/// T that ProcessPool can send. put() never blocks for lack of a reader: the queue grows.
///
/// Thread safety: every member may be called from any thread of any process that shares it.
/// Not copyable, not movable (its processes refer to it where it is).
template <class T>
class Queue {
  static_assert(
      detail::Codable<T>,
      "mpp::Queue<T>: T must be serialisable: a trivially copyable type (not a pointer), a standard "
      "string, container, tuple, pair, optional or variant of those, or a type with a cereal "
      "serialize() function");

 public:
  Queue() = default;

  /// Appends a copy of `value`. Never waits for a reader.
  void put(const T& value) {
    detail::ByteBuffer bytes;
    detail::encode(bytes, value);
    core_.put(bytes);
  }

  /// Takes the oldest value, waiting for one.
  T get() {
    detail::ByteBuffer bytes;
    core_.get(bytes, detail::k_no_deadline);
    return detail::decode_all<T>(bytes);
  }

  /// Takes the oldest value, waiting at most `timeout`; empty when nothing arrived in time.
  template <class Rep, class Period>
  std::optional<T> get(std::chrono::duration<Rep, Period> timeout) {
    detail::ByteBuffer bytes;
    if (!core_.get(bytes, detail::deadline_after(timeout))) return std::nullopt;
    return detail::decode_all<T>(bytes);
  }

 private:
  detail::SharedQueue core_;
};

}  // namespace mpp
