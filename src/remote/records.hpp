// The one record format between a remote pool and its workers, whatever carries it: a worker
// process's rings (process/wire.hpp streams records through them) or an MPI rank's messages (a
// chunk's records follow the message's envelope, mpi/protocol.hpp). Every record is a RecordHeader
// and a payload padded to 8 bytes; outcome records (value, error, block) are read by one parser
// (remote/outcomes.hpp) and written by one reporter (remote/reporter.hpp). A chunk request, a
// ChunkHeader first, is written and read once too (remote/chunk_request.hpp): in a `chunk` record
// on the rings, after the envelope of an MPI message.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

namespace mpp::detail::wire {

enum class Kind : std::uint32_t {
  chunk = 1,       // parent -> worker: a chunk request, remote/chunk_request.hpp (rings)
  stop = 2,        // parent -> worker: exit now (rings)
  ready = 3,       // worker -> parent: the initializer ran (rings)
  init_error = 4,  // worker -> parent: the initializer threw (an encoded exception) (rings)
  value = 5,       // worker -> parent: ItemHeader, then the encoded result
  error = 6,       // worker -> parent: ItemHeader, then the encoded exception
  block = 7,       // worker -> parent: BlockHeader, then results of one size, filled in place
  chunk_end = 8,   // worker -> parent: every item of the chunk has reported (rings; a message ends a chunk)
  // The same as `chunk` and `value`, lying in memory both processes share (rings of a forked worker
  // with an arena, process/shared_arena.hpp): after the chunk's header and entry, a MappedBytes names
  // the rest of the request; a MappedBytes names a whole value record (its header, item header,
  // result and padding), which a rank's relay can send on as it is.
  chunk_mapped = 9,
  value_mapped = 10,
};

struct RecordHeader {
  std::uint64_t size;  // payload bytes, padding excluded
  Kind kind;
  std::uint32_t reserved;
};
static_assert(sizeof(RecordHeader) == 16);

/// The start of every chunk request (remote/chunk_request.hpp).
struct ChunkHeader {
  std::uint64_t entry;  // the job's RemoteEntry, as is (a forked worker); 0: relocated after it
  std::uint64_t begin;
  std::uint64_t end;
  std::uint64_t sequence;  // per worker (and pool); skip notices and MPI's results name chunks by it
  // For messages that name an item: item `begin`'s place in the caller's input (an imap numbers
  // its items by window slots), or k_single_task (an apply_async: "the task").
  std::uint64_t position;
};
inline constexpr std::uint64_t k_single_task = ~std::uint64_t{0};

/// Bytes in memory the worker shares with its parent, mapped at the same address in both.
struct MappedBytes {
  std::uint64_t address;
  std::uint64_t size;
};

struct ItemHeader {
  std::uint64_t index;
};

/// Reserved whole, then filled item by item: `count` is published after each item, so if a worker
/// process dies the parent still has every result it finished. `closed` once no more come.
struct BlockHeader {
  std::uint64_t first;
  std::uint64_t size;
  std::uint64_t capacity;
  std::atomic<std::uint64_t> count;
  std::atomic<std::uint32_t> closed;
  std::uint32_t reserved;
};

constexpr std::size_t padded(std::size_t n) noexcept { return (n + 7) & ~std::size_t{7}; }
constexpr std::size_t record_span(std::size_t payload) noexcept {
  return sizeof(RecordHeader) + padded(payload);
}

struct Part {
  const std::byte* data;
  std::size_t size;
};

struct RecordView {
  Kind kind;
  std::span<std::byte> payload;
};

/// The record at the start of `records` (records laid out one after another in a buffer), and
/// `records` advanced past it; nothing when the rest is too short for a whole record.
inline std::optional<RecordView> next_record(std::span<std::byte>& records) noexcept {
  if (records.size() < sizeof(RecordHeader)) return std::nullopt;
  RecordHeader header{};
  std::memcpy(&header, records.data(), sizeof(header));
  if (header.size > records.size() - sizeof(RecordHeader) ||
      padded(header.size) > records.size() - sizeof(RecordHeader)) {
    return std::nullopt;
  }
  const RecordView view{header.kind, records.subspan(sizeof(RecordHeader), header.size)};
  records = records.subspan(record_span(header.size));
  return view;
}

}  // namespace mpp::detail::wire
