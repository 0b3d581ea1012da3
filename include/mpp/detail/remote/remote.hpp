// What crosses to a worker process or rank: a chunk request (which function, which items, their
// encoded arguments) and, item by item, the outcomes. The typed halves live in the jobs
// (remote_jobs.hpp); the transports (src/process/channel.cpp, MPI) only move bytes.
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "mpp/detail/core/large_value.hpp"
#include "mpp/detail/front/unpack.hpp"
#include "mpp/detail/process/shared_range.hpp"
#include "mpp/detail/remote/codec.hpp"
#include "mpp/detail/remote/decoded.hpp"
#include "mpp/errors.hpp"

namespace mpp::detail {

/// The worker's side of one chunk: where a chunk's entry function reports each item.
class WorkerContext {
 public:
  virtual ~WorkerContext() = default;
  /// The chunk's items, as indices of the job.
  virtual std::size_t begin() const noexcept = 0;
  virtual std::size_t end() const noexcept = 0;
  /// Item `i` starts now: if the worker dies before it reports, `i` alone fails with WorkerLost.
  virtual void start_item(std::size_t i) noexcept = 0;
  /// The parent no longer wants this chunk (an abandoned imap): report its items as cancelled.
  virtual bool skip() const noexcept = 0;
  /// Item `i`'s encoded result. `fixed_size`: every result of the job has this size (a raw type),
  /// so the transport may pack them into one record.
  virtual void item_value(std::size_t i, std::span<const std::byte> bytes, bool fixed_size) = 0;
  /// Never fails: a worker that cannot even report an error ends, and the item is lost.
  virtual void item_error(std::size_t i, const std::exception_ptr& error) noexcept = 0;
  /// A buffer to encode a result into, reused from item to item.
  virtual ByteBuffer& scratch() noexcept = 0;
  /// Bytes to leave at the start of scratch() before a result's encoding (item_value() gets the
  /// bytes after them): a transport that sends a large result from there writes its record's
  /// headers into them, instead of copying the result behind its headers (MPI: src/mpi/server.cpp).
  virtual std::size_t scratch_room() const noexcept { return 0; }

  /// Room for the results of items first, first + 1, ... when each is `size` raw bytes: written in
  /// place and published one by one through the counters, with no call per item (run_raw_items).
  struct RawResults {
    std::byte* data = nullptr;
    std::uint64_t capacity = 0;                     // results that fit; at least 1
    std::atomic<std::uint64_t>* count = nullptr;    // results published so far
    std::atomic<std::uint64_t>* running = nullptr;  // the item running now, + 1 (see start_item)
  };
  /// Empty (capacity 0) when items must go one by one (task_timeout stamps every item's start).
  virtual RawResults open_results(std::size_t first, std::size_t size) = 0;
  virtual void close_results() noexcept = 0;
};

/// The function a worker runs for a chunk: decodes the request, runs the items, reports them.
/// Inside one forked family its address is valid as is (the same binary, forked).
using RemoteEntry = void (*)(WorkerContext& context, ByteReader& request);

/// A request under construction: small parts are copied into a buffer, large raw arrays are
/// referenced and copied once, straight into the channel.
class RequestBuilder {
 public:
  struct Segment {
    const std::byte* external;  // nullptr: bytes [offset, offset + size) of the buffer
    std::size_t offset;
    std::size_t size;
  };

  ByteBuffer& bytes() noexcept { return bytes_; }
  void append_view(const void* data, std::size_t size) {
    close_owned();
    segments_.push_back({static_cast<const std::byte*>(data), 0, size});
    owned_from_ = bytes_.size();
  }
  /// The request, in order. Valid until the next change.
  const std::vector<Segment>& segments() {
    close_owned();
    return segments_;
  }
  std::size_t size() {
    std::size_t total = 0;
    for (const auto& s : segments()) total += s.size;
    return total;
  }
  void clear() noexcept {
    bytes_.clear();
    segments_.clear();
    owned_from_ = 0;
  }
  /// The receiver runs on this machine and can map shared memory segments by name (a process
  /// pool's worker; not an MPI rank, which may be on another host).
  void set_same_machine(bool yes) noexcept { same_machine_ = yes; }
  bool same_machine() const noexcept { return same_machine_; }
  /// The transport keeps a task's arguments alive until its request has gone (the MPI executor
  /// holds the job until its sends complete): their large arrays may then go as views
  /// (encode_argument). Off for the process rings, whose writer may still be copying a request
  /// when a cancelled call drops its arguments.
  void set_argument_views(bool yes) noexcept { argument_views_ = yes; }
  bool argument_views() const noexcept { return argument_views_; }

 private:
  void close_owned() {
    if (bytes_.size() > owned_from_) segments_.push_back({nullptr, owned_from_, bytes_.size() - owned_from_});
    owned_from_ = bytes_.size();
  }
  ByteBuffer bytes_;
  std::vector<Segment> segments_;
  std::size_t owned_from_ = 0;
  bool same_machine_ = false;
  bool argument_views_ = false;
};

/// A range whose items cross to a worker a chunk at a time, as one object: a Frame's rows cross as
/// the frame's slice (Frame::rows()). `range.remote_chunk(begin, end)` is that object, which must
/// be codable, and `chunk.remote_item(k)` its item k in the worker.
template <class V>
concept ChunkedItems = requires(const V& v, std::size_t i) {
  v.remote_chunk(i, i).remote_item(i);
};

/// Raw items below this many bytes go as bytes even from shared memory: mapping a range costs
/// a few system calls, more than copying this much.
inline constexpr std::size_t k_shared_range_min_bytes = 64 * 1024;

/// Appends `size` bytes of raw items, read as RawItems reads them: a named range of a shared
/// memory segment when they lie in one and the receiver can map it, else the bytes themselves
/// (referenced, copied once into the channel).
inline void append_raw_items(RequestBuilder& out, const void* data, std::size_t size) {
  if (out.same_machine() && size >= k_shared_range_min_bytes) {
    if (std::optional<SharedRange> range = find_shared_range(data, size)) {
      out.bytes().push_back(std::byte{1});
      encode(out.bytes(), *range);
      return;
    }
  }
  out.bytes().push_back(std::byte{0});
  out.append_view(data, size);
}

/// From this size on, an array in a task's arguments is not copied into the request: the request
/// refers to it (RequestBuilder::append_view) and the transport sends it from there.
inline constexpr std::size_t k_argument_view_min_bytes = 64 * 1024;

/// Whose archive form is a size and one block of bytes: vectors of BlockElements, strings of numbers
/// (cereal writes a string so).
template <class T>
inline constexpr bool is_block_array_v = false;
template <class T, class A>
inline constexpr bool is_block_array_v<std::vector<T, A>> = BlockElement<T>;
template <class C, class Traits, class A>
inline constexpr bool is_block_array_v<std::basic_string<C, Traits, A>> = ArchiveNumber<C>;

/// Types whose archive form keeps no state in the archive (cereal's class versions and shared
/// pointer ids do): their parts may be written one by one, each as a fresh archive writes it.
template <class T>
struct stateless_parts : std::bool_constant<is_block_array_v<T> || BlockElement<T>> {};
template <class... E>
struct stateless_parts<std::tuple<E...>> : std::conjunction<stateless_parts<E>...> {};
template <class A, class B>
struct stateless_parts<std::pair<A, B>> : std::conjunction<stateless_parts<A>, stateless_parts<B>> {};

inline void append_block(RequestBuilder& out, const void* data, std::size_t size) {
  if (out.argument_views() && size >= k_argument_view_min_bytes) {
    out.append_view(data, size);
  } else {
    append_bytes(out.bytes(), data, size);
  }
}

/// As WireOutputArchive writes `value`: inside a tuple or a pair, the archive's rules apply, not
/// encode()'s (a raw pair inside a tuple goes member by member).
template <class T>
void encode_archived(RequestBuilder& out, const T& value) {
  if constexpr (is_block_array_v<T>) {
    const auto count = static_cast<cereal::size_type>(value.size());
    append_bytes(out.bytes(), &count, sizeof(count));
    append_block(out, value.data(), value.size() * sizeof(*value.data()));
  } else if constexpr (is_tuple_like_pair<T>::value && stateless_parts<T>::value) {
    std::apply([&](const auto&... part) { (encode_archived(out, part), ...); }, value);
  } else {
    WireOutputArchive archive(out.bytes());
    archive(value);
  }
}

/// Encodes a task's argument in encode()'s format, leaving its large arrays where they lie (a
/// vector or string of numbers or raw structs, alone or in tuples and pairs of such; a large raw
/// value) when the transport allows (RequestBuilder::argument_views): the request refers to them.
template <class T>
void encode_argument(RequestBuilder& out, const T& value) {
  if constexpr (RawCodable<T>) {
    append_block(out, &value, sizeof(T));
  } else if constexpr (is_block_array_v<T> || (is_tuple_like_pair<T>::value && stateless_parts<T>::value)) {
    encode_archived(out, value);
  } else {
    encode(out.bytes(), value);
  }
}

/// The parent's side of a job that runs in other processes. Called by one thread (the executor's
/// dispatcher) at a time.
class RemoteJob {
 public:
  virtual RemoteEntry entry() const noexcept = 0;
  /// Appends what the worker needs to run items [begin, end): the function's state, the items.
  virtual void encode_request(std::size_t begin, std::size_t end, RequestBuilder& out) = 0;
  /// What encode_request() would append, when it lies in an executor's arena, taken by this job
  /// for as long as it lives (a rank's relayed chunk: the buffer it received it into): a forked
  /// worker reads it there (process/shared_arena.hpp). Empty when it does not.
  virtual std::span<const std::byte> mapped_request() const noexcept { return {}; }
  /// False when the job no longer needs items run (failed or cancelled map, abandoned imap):
  /// drop() them.
  virtual bool wanted() const noexcept { return true; }
  /// Asked once before items [begin, end) are sent: wanted(), and for a job that
  /// AsyncResult::cancel() may stop until it starts (an apply), the point where it starts.
  virtual bool begin_send() noexcept { return wanted(); }
  /// AsyncResult::cancel(Cancel::even_running): stop this job's items where they run.
  virtual bool stop_requested() const noexcept { return false; }
  /// Start permits (an MPI rank's relayed chunk, whose items start only as rank 0 permits): the
  /// items below this may start; k_all_permitted for a job that sets no limit.
  static constexpr std::uint64_t k_all_permitted = ~std::uint64_t{0};
  virtual std::uint64_t permitted() const noexcept { return k_all_permitted; }
  /// A worker waits to start items below `target` (a job with start permits); `ahead`: how many
  /// items make about k_mpi_permit_ahead of work at its pace (its chunks' next permits).
  virtual void ask(std::uint64_t /*target*/, std::uint64_t /*ahead*/) noexcept {}
  virtual void drop(std::size_t begin, std::size_t end) noexcept = 0;
  /// Item `i` succeeded with this encoded result.
  virtual void accept_value(std::size_t i, std::span<const std::byte> bytes) noexcept = 0;
  /// The same, with the whole value record (remote/records.hpp) that holds it, valid during the
  /// call: a job that sends records on (an MPI rank's relay) may send it as it is.
  virtual void accept_value_record(std::size_t i, std::span<const std::byte> bytes,
                                   std::span<const std::byte> /*record*/) noexcept {
    accept_value(i, bytes);
  }
  /// Items [first, first + count), each `size` bytes (a raw type), in one array.
  virtual void accept_values(std::size_t first, std::size_t count, std::size_t size,
                             const std::byte* data) noexcept {
    for (std::size_t k = 0; k < count; ++k) accept_value(first + k, {data + k * size, size});
  }
  /// Item `i` failed: its exception, WorkerLost or TimeoutError.
  virtual void accept_error(std::size_t i, std::exception_ptr error) noexcept = 0;
  /// Where item `i` stands in the caller's input, for messages (an imap's runs are numbered by
  /// the slots of its window).
  virtual std::size_t input_position(std::size_t i) noexcept { return i; }
  /// A single task (apply_async): messages name "the task", not an item position.
  virtual bool single_task() const noexcept { return false; }

 protected:
  ~RemoteJob() = default;
};

// -- functions --------------------------------------------------------------------------------

/// mpp's own function wrappers (starmap's Unpack, a Frame's row and partition runners) declare
/// `using wraps = F;`: they cross as their bytes exactly when what they wrap can.
/// The wrapped function is the member `f`: encode_function() sends it alone, so function pointers
/// inside wrappers are relocated across MPI ranks as plain ones are.
template <class W>
concept FunctionWrapper = requires(const W& w) {
  typename W::wraps;
  requires std::is_same_v < std::remove_cvref_t<decltype(w.f)>,
  typename W::wraps > ;
}
&&std::is_trivially_copyable_v<W>;

template <class F>
struct is_remote_callable
    : std::bool_constant<(std::is_empty_v<F> && std::is_default_constructible_v<F>) ||
                         (std::is_pointer_v<F> && std::is_function_v<std::remove_pointer_t<F>>)> {};
template <FunctionWrapper W>
struct is_remote_callable<W> : is_remote_callable<typename W::wraps> {};

/// A function that can run in another process: a function pointer, a captureless lambda, or a
/// stateless, default-constructible function object.
template <class F>
concept RemoteCallable = is_remote_callable<F>::value;

/// How function addresses cross to another process. A forked worker shares the parent's addresses,
/// so by default they travel as they are; across MPI ranks the same binary may be loaded at other
/// addresses, so the MPI transport installs a relocation on the threads that encode and decode.
class FunctionRelocation {
 public:
  virtual void encode(ByteBuffer& out, std::uintptr_t address) const = 0;
  /// Throws mpp::SerializationError when this process cannot resolve the function.
  virtual std::uintptr_t decode(ByteReader& in) const = 0;

 protected:
  ~FunctionRelocation() = default;
};

/// The calling thread's relocation; nullptr: addresses travel as they are.
inline thread_local const FunctionRelocation* t_function_relocation = nullptr;

template <class F>
void encode_function(ByteBuffer& out, const F& f) {
  static_assert(RemoteCallable<F>);
  if constexpr (FunctionWrapper<F>) {
    encode_function(out, f.f);
  } else if constexpr (!std::is_empty_v<F>) {  // stateless: nothing to send
    const auto address = reinterpret_cast<std::uintptr_t>(f);
    if (const FunctionRelocation* relocation = t_function_relocation) {
      relocation->encode(out, address);
    } else {
      append_bytes(out, &address, sizeof(address));
    }
  }
}

template <class F>
F decode_function(ByteReader& in) {
  if constexpr (FunctionWrapper<F>) {
    return F{decode_function<typename F::wraps>(in)};
  } else if constexpr (std::is_empty_v<F>) {
    return F{};
  } else {
    const FunctionRelocation* relocation = t_function_relocation;
    const std::uintptr_t address =
        relocation != nullptr ? relocation->decode(in) : in.read_raw<std::uintptr_t>();
    return reinterpret_cast<F>(address);
  }
}

/// Runs item i, marked as started, and reports its outcome.
template <class R, class Compute>
void run_started_item(WorkerContext& context, std::size_t i, Compute&& compute) noexcept {
  try {
    if (context.skip()) throw TaskCancelled("mpp: the item was cancelled before it started");
    if constexpr (std::is_void_v<R>) {
      std::forward<Compute>(compute)();
      context.item_value(i, {}, true);
    } else {
      R result = std::forward<Compute>(compute)();
      if constexpr (RawCodable<R>) {
        context.item_value(i, std::as_bytes(std::span(&result, 1)), true);
      } else {
        ByteBuffer& buffer = context.scratch();
        const std::size_t room = context.scratch_room();
        buffer.clear();
        buffer.resize(room);
        encode(buffer, result);
        context.item_value(i, std::span<const std::byte>(buffer).subspan(room), false);
      }
    }
  } catch (...) {
    context.item_error(i, std::current_exception());
  }
}

/// A large result's frame of its own, entered once the item is marked as started: a result too
/// large for the stack then kills the worker while the item runs, as its outcome, and not before
/// it starts, which would send the item to the next worker.
template <class R, class Compute>
[[gnu::noinline]] void run_started_item_apart(WorkerContext& context, std::size_t i,
                                              Compute&& compute) noexcept {
  run_started_item<R>(context, i, std::forward<Compute>(compute));
}

/// Runs one item in a worker and reports its outcome.
template <class R, class Compute>
void run_item(WorkerContext& context, std::size_t i, Compute&& compute) noexcept {
  context.start_item(i);
  if constexpr (is_large_value_v<R>) {
    run_started_item_apart<R>(context, i, std::forward<Compute>(compute));
  } else {
    run_started_item<R>(context, i, std::forward<Compute>(compute));
  }
}

/// A chunk's raw items, `item_size` bytes each: in the request, or (after append_raw_items'
/// marker, when `marked`) mapped from the shared memory segment the request names.
class RawItems {
 public:
  /// Empty after reporting every item of the chunk failed (a truncated request, a segment gone).
  static std::optional<RawItems> open(WorkerContext& context, ByteReader& request, std::size_t item_size,
                                      bool marked) noexcept {
    const std::size_t size = (context.end() - context.begin()) * item_size;
    try {
      std::optional<RawItems> items(std::in_place);
      items->first_ = context.begin();
      if (marked && request.read_raw<std::uint8_t>() == 1) {
        const auto& mapped = items->mapped_.emplace(decode<SharedRange>(request));
        if (mapped.bytes().size() != size) throw_serialization("shared range of the wrong size");
        items->bytes_ = mapped.bytes();
      } else {
        items->bytes_ = request.take(size);
      }
      return items;
    } catch (...) {
      const auto error = std::current_exception();
      for (std::size_t i = context.begin(); i < context.end(); ++i) context.item_error(i, error);
      return std::nullopt;
    }
  }
  RawItems() = default;

  /// Item `i` of the job (begin() <= i < end() of the chunk).
  template <class Item>
  Decoded<Item> at(std::size_t i) const {
    return Decoded<Item>::load(bytes_.data() + (i - first_) * sizeof(Item));
  }

 private:
  std::optional<MappedRange> mapped_;
  std::span<const std::byte> bytes_;
  std::size_t first_ = 0;  // the chunk's first item
};

/// The fast path of a chunk whose results are raw bytes (item_at(i) gives item i): a tight loop that writes
/// each result in place and publishes it, with the same crash guarantees as run_item (the marker
/// names the running item; every finished result is published before the next item starts).
template <class R, class ItemAt, class Call>
void run_raw_items(WorkerContext& context, const ItemAt& item_at, const Call& call) {
  static_assert(RawCodable<R>);
  const std::size_t end = context.end();
  if constexpr (is_large_value_v<R>) {
    // One by one: the batch loop's frame would hold a result besides run_item's.
    for (std::size_t i = context.begin(); i < end; ++i)
      run_item<R>(context, i, [&]() -> R { return call(item_at(i)); });
  } else {
    for (std::size_t i = context.begin(); i < end;) {
      const WorkerContext::RawResults out =
          context.skip() ? WorkerContext::RawResults{} : context.open_results(i, sizeof(R));
      if (out.capacity == 0) {  // skipped, or timed: one by one
        run_item<R>(context, i, [&]() -> R { return call(item_at(i)); });
        ++i;
        continue;
      }
      for (std::uint64_t k = 0; k < out.capacity && i < end; ++k, ++i) {
        out.running->store(i + 1, std::memory_order_release);
        try {
          const R result = call(item_at(i));
          std::memcpy(out.data + k * sizeof(R), &result, sizeof(R));
        } catch (...) {
          context.close_results();
          context.item_error(i, std::current_exception());
          ++i;
          break;
        }
        out.count->store(k + 1, std::memory_order_release);
      }
      context.close_results();
    }
  }
}

}  // namespace mpp::detail
