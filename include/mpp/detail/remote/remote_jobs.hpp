// The jobs of the pool algorithms, given the cross-process side that ProcessPool and MpiPool need:
// encoding a chunk's request, the worker's entry function, and taking the outcomes back.
#pragma once

#include <bit>
#include <cstddef>
#include <cstring>
#include <exception>
#include <functional>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "mpp/detail/front/apply_job.hpp"
#include "mpp/detail/front/imap_job.hpp"
#include "mpp/detail/front/map_job.hpp"
#include "mpp/detail/remote/codec.hpp"
#include "mpp/detail/remote/decoded.hpp"
#include "mpp/detail/remote/remote.hpp"

namespace mpp::detail {

/// Checks the bytes of a void result.
inline std::monostate decode_void_result(std::span<const std::byte> bytes) {
  if (!bytes.empty()) throw_serialization("unexpected bytes for a void result");
  return std::monostate{};
}

/// F called with the caller's argument types `Args` from what crossed (remote_arg_t<Args>...).
template <class F, class... Args>
struct CStringCall {
  using wraps = F;  // crosses to another process when F can (remote.hpp)
  F f;
  explicit CStringCall(F g) noexcept(std::is_nothrow_move_constructible_v<F>) : f(std::move(g)) {}
  template <class... Crossed>
  decltype(auto) operator()(Crossed&&... crossed) const {
    return std::invoke(f, pass_crossed<Args>(std::forward<Crossed>(crossed))...);
  }
};

template <class F, class... Args>
using remote_function_t = std::conditional_t<(is_c_string_v<Args> || ...), CStringCall<F, Args...>, F>;

template <class R, class F, class... Args>
class RemoteApplyJob;

/// The apply job of a remote back end, for the caller's (decayed) F and Args.
template <class R, class F, class... Args>
using RemoteApply = RemoteApplyJob<R, remote_function_t<F, Args...>, remote_arg_t<Args>...>;

// RemoteJob first: a job may hold a value of several MiB, and UBSan's check of a call through a
// base takes a base more than 1 MiB into its object for a corrupt one.
template <class R, class F, class... Args>
class RemoteApplyJob final : public RemoteJob, public ApplyJob<R, F, Args...> {
 public:
  using ApplyJob<R, F, Args...>::ApplyJob;

  RemoteJob* remote() noexcept override { return this; }
  RemoteEntry entry() const noexcept override { return &worker_entry; }

  void encode_request(std::size_t /*begin*/, std::size_t /*end*/, RequestBuilder& out) override {
    encode_function(out.bytes(), this->function());
    // Large arrays go from the arguments themselves, which live until the call's outcome comes.
    std::apply([&](const auto&... args) { (encode_argument(out, args), ...); }, this->arguments());
  }

  // Cancelled before it was sent: AsyncResult::cancel() completed it already.
  bool wanted() const noexcept override { return !this->cancelled_before_start(); }
  bool begin_send() noexcept override { return this->start(); }
  bool stop_requested() const noexcept override { return this->stop_asked(); }
  void drop(std::size_t /*begin*/, std::size_t /*end*/) noexcept override {}
  bool single_task() const noexcept override { return true; }

  void accept_value(std::size_t /*i*/, std::span<const std::byte> bytes) noexcept override {
    this->release_call();  // the call has run: its function and arguments go now
    try {
      if constexpr (std::is_void_v<R>) {
        decode_void_result(bytes);
        this->complete([this] { this->set_value(); });
      } else {
        Decoded<R> value = Decoded<R>::whole(bytes);
        this->complete([&] { this->set_value(std::move(*value)); });
      }
    } catch (...) {
      this->fail(std::current_exception());
    }
  }

  void accept_error(std::size_t /*i*/, std::exception_ptr error) noexcept override {
    this->release_call();
    this->fail(std::move(error));
  }

  static void worker_entry(WorkerContext& context, ByteReader& request) {
    run_item<R>(context, context.begin(), [&]() -> R {
      F f = decode_function<F>(request);
      // Braced initialisation decodes the arguments left to right, in the order they were sent.
      std::tuple<Decoded<Args>...> args{Decoded<Args>(request)...};
      return std::apply(
          [&](Decoded<Args>&... arg) -> R { return std::invoke(std::move(f), std::move(*arg)...); }, args);
    });
  }
};

template <class R, class F, class V>
class RemoteMapJob final : public RemoteJob, public MapJob<R, F, V> {
  using Item = std::ranges::range_value_t<V>;
  // Items that can be sent as one block of raw bytes, straight from the caller's array, or as a
  // range of it when it lies in shared memory (append_raw_items).
  static constexpr bool k_raw_block = std::ranges::contiguous_range<V> && RawCodable<Item>;

 public:
  using MapJob<R, F, V>::MapJob;

  RemoteJob* remote() noexcept override { return this; }
  RemoteEntry entry() const noexcept override { return &worker_entry; }

  void encode_request(std::size_t begin, std::size_t end, RequestBuilder& out) override {
    encode_function(out.bytes(), this->f_);
    if constexpr (ChunkedItems<V>) {
      encode(out.bytes(), this->view_.remote_chunk(begin, end));
    } else if constexpr (k_raw_block) {
      append_raw_items(out, std::ranges::data(this->view_) + begin, (end - begin) * sizeof(Item));
    } else {
      auto first = std::ranges::begin(this->view_);
      for (std::size_t i = begin; i < end; ++i) {
        encode<Item>(out.bytes(), first[static_cast<std::ranges::range_difference_t<V>>(i)]);
      }
    }
  }

  bool wanted() const noexcept override { return !this->any_item_failed(); }
  void drop(std::size_t begin, std::size_t end) noexcept override { this->items_done(end - begin); }

  void accept_value(std::size_t i, std::span<const std::byte> bytes) noexcept override {
    if (!this->any_item_failed()) {
      try {
        if constexpr (std::is_void_v<R>) {
          decode_void_result(bytes);
        } else {
          this->out_.set(i, std::move(*Decoded<R>::whole(bytes)));
        }
      } catch (...) {
        this->record_failure(std::current_exception());
      }
    }
    this->items_done(1);
  }

  void accept_values(std::size_t first, std::size_t count, std::size_t size,
                     const std::byte* data) noexcept override {
    if constexpr (RawCodable<R>) {
      if (R* out = this->out_.raw_data(); out != nullptr && size == sizeof(R) && !this->any_item_failed()) {
        std::memcpy(out + first, data, count * sizeof(R));
        this->items_done(count);
        return;
      }
    }
    RemoteJob::accept_values(first, count, size, data);
  }

  void accept_error(std::size_t /*i*/, std::exception_ptr error) noexcept override {
    this->record_failure(std::move(error));
    this->items_done(1);
  }

  static void worker_entry(WorkerContext& context, ByteReader& request) {
    const F f = decode_function<F>(request);
    if constexpr (ChunkedItems<V>) {
      run_chunked(context, request, f);
    } else if constexpr (RawCodable<Item>) {
      const std::optional<RawItems> items = RawItems::open(context, request, sizeof(Item), k_raw_block);
      if (!items) return;
      if constexpr (RawCodable<R>) {
        run_raw_items<R>(
            context, [&](std::size_t i) { return items->at<Item>(i); },
            [&f](const Decoded<Item>& item) -> R { return std::invoke(f, *item); });
      } else {
        for (std::size_t i = context.begin(); i < context.end(); ++i) {
          run_item<R>(context, i, [&]() -> R { return std::invoke(f, std::move(*items->at<Item>(i))); });
        }
      }
    } else {
      for (std::size_t i = context.begin(); i < context.end(); ++i) {
        run_item<R>(context, i, [&]() -> R {
          const Decoded<Item> item(request);
          return std::invoke(f, *item);
        });
      }
    }
  }

 private:
  // The chunk arrives as one object (a frame's slice) whose items run in place.
  static void run_chunked(WorkerContext& context, ByteReader& request, const F& f) {
    using Chunk = std::decay_t<decltype(std::declval<const V&>().remote_chunk(0, 0))>;
    std::optional<Chunk> chunk;
    try {
      chunk.emplace(decode<Chunk>(request));
    } catch (...) {
      const auto error = std::current_exception();
      for (std::size_t i = context.begin(); i < context.end(); ++i) context.item_error(i, error);
      return;
    }
    const std::size_t first = context.begin();
    auto item_at = [&](std::size_t i) { return chunk->remote_item(i - first); };
    if constexpr (RawCodable<R>) {
      run_raw_items<R>(context, item_at, [&f](const auto& item) -> R { return std::invoke(f, item); });
    } else {
      for (std::size_t i = first; i < context.end(); ++i) {
        run_item<R>(context, i, [&]() -> R { return std::invoke(f, item_at(i)); });
      }
    }
  }
};

template <class R, class F, class V, class Executor>
class RemoteImapJob final : public RemoteJob, public ImapJob<R, F, V, Executor> {
  using Base = ImapJob<R, F, V, Executor>;
  using Item = std::ranges::range_value_t<V>;
  static constexpr bool k_raw_block = std::ranges::contiguous_range<V> && RawCodable<Item>;

 public:
  using Base::Base;

  RemoteJob* remote() noexcept override { return this; }
  RemoteEntry entry() const noexcept override { return &worker_entry; }

  void encode_request(std::size_t begin, std::size_t end, RequestBuilder& out) override {
    encode_function(out.bytes(), this->f_);
    auto& slot = this->slot(begin / this->chunk());
    if constexpr (k_raw_block) {
      // As a map's: the range of the caller's array when it lies in shared memory.
      append_raw_items(out, slot.source + begin % this->chunk(), (end - begin) * sizeof(Item));
    } else {
      for (std::size_t i = begin; i < end; ++i) encode<Item>(out.bytes(), slot.items[i % this->chunk()]);
    }
  }

  bool wanted() const noexcept override { return !this->cancelled(); }
  void drop(std::size_t begin, std::size_t end) noexcept override {
    this->finish_items(begin / this->chunk(), end - begin, true);
  }

 protected:
  // Abandoned: the executor drops what it has not sent and tells workers to skip what they have
  // not started; done when every submitted item is accounted for.
  bool settled() const noexcept override { return this->unfinished() == 0; }

 public:
  void accept_value(std::size_t i, std::span<const std::byte> bytes) noexcept override {
    auto& outcome = this->slot(i / this->chunk()).outcomes[i % this->chunk()];
    if constexpr (std::is_void_v<R>) {
      outcome.capture([&] { return decode_void_result(bytes); });
    } else {
      try {  // emplaced from where it was decoded: no copy on the stack
        outcome.value.emplace(std::move(*Decoded<R>::whole(bytes)));
      } catch (...) {
        outcome.error = std::current_exception();
      }
    }
    this->finish_items(i / this->chunk(), 1, false);
  }

  void accept_error(std::size_t i, std::exception_ptr error) noexcept override {
    this->slot(i / this->chunk()).outcomes[i % this->chunk()].error = std::move(error);
    this->finish_items(i / this->chunk(), 1, false);
  }

  std::size_t input_position(std::size_t i) noexcept override { return Base::input_position(i); }

  static void worker_entry(WorkerContext& context, ByteReader& request) {
    const F f = decode_function<F>(request);
    if constexpr (RawCodable<Item>) {
      const std::optional<RawItems> items = RawItems::open(context, request, sizeof(Item), k_raw_block);
      if (!items) return;
      if constexpr (RawCodable<R>) {
        run_raw_items<R>(
            context, [&](std::size_t i) { return items->at<Item>(i); },
            [&f](Decoded<Item>&& item) -> R { return std::invoke(f, std::move(*item)); });
      } else {
        for (std::size_t i = context.begin(); i < context.end(); ++i) {
          run_item<R>(context, i, [&]() -> R { return std::invoke(f, std::move(*items->at<Item>(i))); });
        }
      }
    } else {
      for (std::size_t i = context.begin(); i < context.end(); ++i) {
        run_item<R>(context, i, [&]() -> R { return std::invoke(f, std::move(*Decoded<Item>(request))); });
      }
    }
  }
};

}  // namespace mpp::detail
