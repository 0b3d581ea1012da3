// mpp::Queue<T> and mpp::JoinableQueue<T>: Python's multiprocessing.Queue and JoinableQueue,
// between processes, whatever started them.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "mpp/detail/core/decode_tag.hpp"
#include "mpp/detail/core/wait.hpp"
#include "mpp/detail/process/shared_queue.hpp"
#include "mpp/detail/process/task_counter.hpp"
#include "mpp/detail/remote/codec.hpp"

namespace mpp {

/// A first-in first-out queue shared by processes. A handle: copies share the queue. It reaches a
/// child as a captured copy or reference (fork), or as an argument of an mpp::Process or a
/// ProcessPool task under every start method (it crosses as the name of its shared memory, and the
/// child attaches; the name lives as long as the Queue that made it, in the process that made it).
/// Carries any T that ProcessPool can send. put() never blocks for lack of a reader: the queue
/// grows.
///
/// Thread safety: every member may be called from any thread of any process that shares it.
template <class T>
class Queue {
  static_assert(
      detail::Codable<T>,
      "mpp::Queue<T>: T must be serialisable: a trivially copyable type (not a pointer), a standard "
      "string, container, tuple, pair, optional or variant of those, or a type with a cereal "
      "serialize() function");

 public:
  /// A new, empty queue.
  Queue() : core_(std::make_shared<detail::SharedQueue>()) {}
  explicit Queue(detail::DecodeTag) noexcept {}

  /// Appends a copy of `value`. Never waits for a reader.
  void put(const T& value) {
    detail::ByteBuffer bytes;
    detail::encode(bytes, value);
    core_->put(bytes);
  }

  /// Takes the oldest value, waiting for one.
  T get() {
    detail::ByteBuffer bytes;
    core_->get(bytes, detail::k_no_deadline);
    return detail::decode_all<T>(bytes);
  }

  /// Takes the oldest value, waiting at most `timeout`; empty when nothing arrived in time.
  template <class Rep, class Period>
  std::optional<T> get(std::chrono::duration<Rep, Period> timeout) {
    detail::ByteBuffer bytes;
    if (!core_->get(bytes, detail::deadline_after(timeout))) return std::nullopt;
    return detail::decode_all_optional<T>(bytes);
  }

  /// The name of its shared memory: what crosses to another process.
  [[nodiscard]] const std::string& name() const noexcept { return core_->name(); }

  template <class Archive>
  void save(Archive& archive) const {
    archive(name());
  }
  template <class Archive>
  void load(Archive& archive) {
    std::string name;
    archive(name);
    core_ = std::make_shared<detail::SharedQueue>(name);
  }

 private:
  std::shared_ptr<detail::SharedQueue> core_;
};

/// A Queue whose consumers say when they have finished each item (Python's JoinableQueue):
/// task_done() once per item taken, and join() waits until every item put has been. A handle that
/// crosses as Queue does. A consumer that dies between get() and task_done() leaves its item
/// unfinished for ever: give join a timeout where that can happen.
///
/// Thread safety: every member may be called from any thread of any process that shares it.
template <class T>
class JoinableQueue {
 public:
  JoinableQueue() = default;
  explicit JoinableQueue(detail::DecodeTag tag) noexcept : queue_(tag), unfinished_(tag) {}

  /// Appends a copy of `value`, one more unfinished item.
  void put(const T& value) {
    unfinished_.add();  // before the item can be taken, so that its task_done never comes first
    try {
      queue_.put(value);
    } catch (...) {
      unfinished_.done();
      throw;
    }
  }
  T get() { return queue_.get(); }
  template <class Rep, class Period>
  std::optional<T> get(std::chrono::duration<Rep, Period> timeout) {
    return queue_.get(timeout);
  }
  /// One item taken earlier is finished. std::logic_error when called more times than items were
  /// put (Python's ValueError).
  void task_done() { unfinished_.done(); }
  /// Blocks until every item put has been marked done.
  void join() { (void)unfinished_.wait_for_none(detail::k_no_deadline); }
  /// As join(), for at most `timeout`; whether every item is done.
  template <class Rep, class Period>
  bool join(std::chrono::duration<Rep, Period> timeout) {
    return unfinished_.wait_for_none(detail::deadline_after(timeout));
  }
  /// Items put and not yet marked done (a snapshot).
  [[nodiscard]] std::uint32_t unfinished() const noexcept { return unfinished_.unfinished(); }

  template <class Archive>
  void serialize(Archive& archive) {
    archive(queue_, unfinished_);
  }

 private:
  Queue<T> queue_;
  detail::TaskCounter unfinished_;
};

}  // namespace mpp
