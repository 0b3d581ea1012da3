// imap / imap_unordered: lazy, with a bounded window of chunks in flight.
//
// The consumer's thread pulls input (never a worker), only when a slot of the window is free, so
// an input of any length, a generator included, uses bounded memory. Each slot holds one chunk:
// its inputs, copied out of the range, and its outcomes.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <ranges>
#include <utility>
#include <vector>

#include "mpp/detail/core/outcome.hpp"
#include "mpp/detail/core/result_state.hpp"
#include "mpp/detail/core/throw.hpp"
#include "mpp/detail/core/wait.hpp"
#include "mpp/detail/front/job.hpp"

namespace mpp::detail {

/// What ImapRange<R> sees of a job: the next result in order (or completion order).
template <class R>
class ImapJobBase : public InputDrain {
 public:
  /// The next result; empty at the end; rethrows the item's exception at its position; false
  /// `timed_out` when the deadline passed first.
  virtual std::optional<ItemValue<R>> next(Deadline deadline, bool& timed_out) = 0;
  /// The iterator is gone: cancel what has not started, wait for what runs.
  virtual void abandon() noexcept = 0;
};

/// Slots in blocks that never move once allocated: block 0 holds `base` slots, block k >= 1 holds
/// base * 2^(k-1). Workers index slots of tasks queued after the block existed, so growing (when
/// join() drains the input) never races with them.
template <class Slot>
class SlotTable {
 public:
  explicit SlotTable(std::size_t base) : base_(base) { blocks_[0] = std::make_unique<Slot[]>(base); }

  Slot& operator[](std::size_t i) noexcept {
    if (i < base_) return blocks_[0][i];
    const std::size_t k = static_cast<std::size_t>(std::bit_width(i / base_));
    return blocks_[k][i - (base_ << (k - 1))];
  }
  std::size_t capacity() const noexcept { return capacity_; }
  /// Adds a block; returns the first new index (the new ones run to capacity()).
  std::size_t grow() {
    const std::size_t k = static_cast<std::size_t>(std::bit_width(capacity_ / base_));
    const std::size_t first = capacity_;
    blocks_.at(k) = std::make_unique<Slot[]>(base_ << (k - 1));
    capacity_ += base_ << (k - 1);
    return first;
  }

 private:
  std::size_t base_;
  std::size_t capacity_ = base_;
  std::array<std::unique_ptr<Slot[]>, 48> blocks_;
};

template <class R, class F, class V, class Executor>
class ImapJob : public ImapJobBase<R> {
  using Item = std::ranges::range_value_t<V>;
  static constexpr std::size_t k_none = static_cast<std::size_t>(-1);

 protected:
  struct Slot {
    std::vector<Item> items;
    std::vector<Outcome<R>> outcomes;
    std::size_t first = 0;         // the input position of items[0]
    const Item* source = nullptr;  // contiguous input: where items[0] was read (a remote job may
                                   // send the range instead, when it lies in shared memory)
    std::size_t pending = 0;       // items without an outcome (under mutex_)
    bool skipped = false;          // some item never ran (under mutex_)
    bool done = false;             // every item has its outcome (under mutex_)
    Task task;
  };

 public:
  /// The caller opened a call on `executor`; the job closes it when its input ends.
  ImapJob(Ref<PoolShared> pool, Executor& executor, F f, V view, std::size_t chunksize, std::size_t window,
          bool ordered)
      : f_(std::move(f)),
        pool_(std::move(pool)),
        executor_(&executor),
        view_(std::move(view)),
        it_(std::ranges::begin(view_)),
        chunk_(chunksize),
        ordered_(ordered),
        slots_(window) {
    for (std::size_t s = window; s-- > 0;) free_.push_back(s);
    pool_->add_drain(this);
  }

  ~ImapJob() override = default;

  /// Pulls input into free slots and queues them (the initial fill, and after each consumed chunk).
  void refill() noexcept {
    std::lock_guard pull(pull_mutex_);
    fill(/*bounded=*/true);
  }

  void drain_input() noexcept override {
    std::lock_guard pull(pull_mutex_);
    fill(/*bounded=*/false);
  }

  std::optional<ItemValue<R>> next(Deadline deadline, bool& timed_out) override {
    timed_out = false;
    if (pool_->in_fork()) throw_result_of_parent(pool_->name().c_str());
    for (;;) {
      refill();
      std::unique_lock lock(mutex_);
      if (current_ == k_none) pick_current();
      if (current_ != k_none) return yield(lock);
      if (in_flight_ == 0 && input_done_) {
        if (input_error_) std::rethrow_exception(std::exchange(input_error_, nullptr));
        return std::nullopt;
      }
      const std::uint32_t seen = events_.load(std::memory_order_seq_cst);
      lock.unlock();
      if (!block_until([&] { return events_.load(std::memory_order_seq_cst) != seen; }, events_, waiters_,
                       pool_->wait_context(), deadline)) {
        timed_out = true;
        return std::nullopt;
      }
    }
  }

  void run(std::size_t begin, std::size_t end) noexcept override {
    running_.fetch_add(1, std::memory_order_seq_cst);
    const std::size_t s = begin / chunk_;
    Slot& slot = slots_[s];
    // seq_cst pairs with abandon(): it either sees us running, or we see the cancellation.
    const bool skip = cancelled();
    if (!skip) {
      for (std::size_t i = begin; i < end; ++i) {
        const std::size_t k = i - s * chunk_;
        slot.outcomes[k].capture([&] { return std::invoke(std::as_const(f_), std::move(slot.items[k])); });
      }
    }
    finish_items(s, end - begin, skip);
    running_.fetch_sub(1, std::memory_order_seq_cst);
    notify_waiters(events_, waiters_);
  }

  void cancel() noexcept override {
    terminated_.store(true, std::memory_order_seq_cst);
    stop(/*report=*/true);
  }

  void abandon() noexcept override {
    stop(/*report=*/false);
    // Remote back ends whose workers learn of it only by message tell them now. Only while items
    // are out: once every item has its outcome, or after terminate() cancelled the job's items
    // (whose outcomes never come), the pool may be gone (results outlive it).
    if constexpr (requires { executor_->skip_unwanted(); }) {
      if (!terminated_.load(std::memory_order_seq_cst) && unfinished() != 0) executor_->skip_unwanted();
    }
    block_until([this] { return terminated_.load(std::memory_order_seq_cst) || settled(); }, events_,
                waiters_, pool_->wait_context(), k_no_deadline);
  }

 protected:
  /// After abandon(): nothing of this job runs any more. Threads: no run() in progress (queued
  /// tasks skip themselves). Other back ends override this.
  virtual bool settled() const noexcept { return running_.load(std::memory_order_seq_cst) == 0; }
  /// Items submitted that have no outcome yet (nor were skipped).
  std::size_t unfinished() const noexcept { return unfinished_.load(std::memory_order_seq_cst); }

  bool cancelled() const noexcept { return cancelled_flag_.load(std::memory_order_seq_cst); }
  std::size_t chunk() const noexcept { return chunk_; }
  Slot& slot(std::size_t s) noexcept { return slots_[s]; }
  /// The input position of item `i` of the executor's runs (slot * chunk + k), for messages.
  std::size_t input_position(std::size_t i) noexcept { return slots_[i / chunk_].first + i % chunk_; }

  /// `count` items of slot `s` have their outcome (or, `skipped`, never ran).
  void finish_items(std::size_t s, std::size_t count, bool skipped) noexcept {
    unfinished_.fetch_sub(count, std::memory_order_seq_cst);
    {
      std::lock_guard lock(mutex_);
      Slot& sl = slots_[s];
      sl.pending -= count;
      sl.skipped = sl.skipped || skipped;
      // A slot with a skipped item, or finishing after terminate(), stays "not done": the consumer
      // reports its items as cancelled (the result of an item running at terminate() is discarded).
      if (sl.pending == 0 && !sl.skipped && !cancelled_) {
        sl.done = true;
        if (!ordered_ && !cancelled_) completed_.push_back(s);
      }
    }
    notify_waiters(events_, waiters_);
  }

  F f_;

 private:
  // Cancellation (terminate) or abandonment: no more input, no new items start. With `report`, an
  // unread rest of the input is reported as TaskCancelled after the items in flight.
  void stop(bool report) noexcept {
    {
      std::lock_guard lock(mutex_);
      if (cancelled_) return;
      cancelled_ = true;
      cancelled_flag_.store(true, std::memory_order_seq_cst);
      if (!input_done_ && report) {
        try {
          throw_cancelled(pool_->name().c_str());
        } catch (...) {
          input_error_ = std::current_exception();
        }
      }
    }
    end_input();
    notify_waiters(events_, waiters_);
  }

  // Marks the input finished and closes the call on the executor, exactly once.
  void end_input() noexcept {
    bool close = false;
    {
      std::lock_guard lock(mutex_);
      input_done_ = true;
      close = std::exchange(call_open_, false);
    }
    if (close) {
      pool_->remove_drain(this);
      executor_->close_call();
    }
  }

  // Holds pull_mutex_. Bounded: only into free slots; unbounded (join): grows the table.
  void fill(bool bounded) noexcept {
    for (;;) {
      std::size_t s = k_none;
      {
        std::lock_guard lock(mutex_);
        if (input_done_ || cancelled_) return;
        if (free_.empty() && !bounded) {
          for (std::size_t i = slots_.grow(); i < slots_.capacity(); ++i) free_.push_back(i);
        }
        if (free_.empty()) return;
        s = free_.back();
        free_.pop_back();
      }
      Slot& slot = slots_[s];
      slot.items.clear();
      bool exhausted = false;
      std::exception_ptr input_error;
      try {
        if constexpr (std::ranges::contiguous_range<V>) {
          slot.source = it_ != std::ranges::end(view_) ? std::to_address(it_) : nullptr;
        }
        // The range's own exceptions (from ++ or *) are the caller's, reported at their position.
        while (slot.items.size() < chunk_ && it_ != std::ranges::end(view_)) {
          slot.items.push_back(*it_);
          ++it_;
        }
        exhausted = it_ == std::ranges::end(view_);
      } catch (...) {
        input_error = std::current_exception();
        exhausted = true;
      }
      const std::size_t count = slot.items.size();
      slot.first = read_;
      read_ += count;
      {
        std::lock_guard lock(mutex_);
        if (count == 0) {
          free_.push_back(s);
        } else {
          slot.outcomes.clear();  // then built in place: an Outcome may hold a large value
          slot.outcomes.resize(count);
          slot.pending = count;
          slot.skipped = false;
          slot.done = false;
          order_.push_back(s);
          ++in_flight_;
        }
        if (input_error) input_error_ = input_error;
      }
      if (count != 0) {
        // Only the range changes from one use of the slot to the next: the worker that ran its
        // previous chunk may still read `job` and `owned_by_executor` while releasing it.
        if (slot.task.job == nullptr) slot.task.job = this;
        slot.task.begin = s * chunk_;
        slot.task.end = s * chunk_ + count;
        unfinished_.fetch_add(count, std::memory_order_seq_cst);
        this->add_ref();
        executor_->submit(&slot.task);
      }
      if (exhausted) {
        end_input();
        notify_waiters(events_, waiters_);
        return;
      }
    }
  }

  // Under mutex_: chooses the slot whose items come next.
  void pick_current() {
    if (order_.empty()) return;
    if (ordered_) {
      const std::size_t s = order_.front();
      if (slots_[s].done || cancelled_) {
        current_ = s;
        order_.pop_front();
      }
    } else if (!completed_.empty()) {
      current_ = completed_.front();
      completed_.pop_front();
      std::erase(order_, current_);
    } else if (cancelled_) {
      current_ = order_.front();
      order_.pop_front();
    }
    position_ = 0;
  }

  // Under mutex_ (released here): the next item of the current slot.
  std::optional<ItemValue<R>> yield(std::unique_lock<std::mutex>& lock) {
    Slot& slot = slots_[current_];
    const bool usable = slot.done;
    const std::size_t k = position_++;
    std::optional<ItemValue<R>> value;
    std::exception_ptr error;
    if (usable) {
      value = std::move(slot.outcomes[k].value);
      error = std::move(slot.outcomes[k].error);
    }
    if (position_ == slot.outcomes.size()) {
      // A slot still running (cancelled) is never reused: its worker may yet write into it.
      if (usable) free_.push_back(current_);
      current_ = k_none;
      --in_flight_;
    }
    lock.unlock();
    if (!usable) throw_cancelled(pool_->name().c_str());
    if (error) std::rethrow_exception(error);
    return value;
  }

  Ref<PoolShared> pool_;
  Executor* executor_;  // used only while the call is open
  V view_;
  std::ranges::iterator_t<V> it_;  // pull side only
  std::size_t chunk_;
  bool ordered_;

  std::mutex pull_mutex_;  // one filler at a time: the consumer, or join() draining
  std::size_t read_ = 0;   // under pull_mutex_; items taken from the input so far
  std::mutex mutex_;
  SlotTable<Slot> slots_;
  std::vector<std::size_t> free_;      // under mutex_
  std::deque<std::size_t> order_;      // under mutex_; in flight, in submission order
  std::deque<std::size_t> completed_;  // under mutex_; unordered: done, in completion order
  std::size_t in_flight_ = 0;          // under mutex_
  bool input_done_ = false;            // under mutex_
  bool call_open_ = true;              // under mutex_
  bool cancelled_ = false;             // under mutex_
  std::exception_ptr input_error_;     // under mutex_
  std::size_t current_ = k_none;       // consumer only
  std::size_t position_ = 0;           // consumer only

  std::atomic<bool> cancelled_flag_{false};
  std::atomic<std::uint32_t> running_{0};
  std::atomic<std::size_t> unfinished_{0};
  std::atomic<bool> terminated_{false};  // cancelled by terminate(): nothing will run
  std::atomic<std::uint32_t> events_{0};
  std::atomic<std::uint32_t> waiters_{0};
};

}  // namespace mpp::detail
