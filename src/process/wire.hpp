// The records that travel on a worker's two rings, and the code that writes and reads them in
// pieces: a record larger than the ring streams through it while the other side reads.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "mpp/detail/codec.hpp"
#include "process/ring.hpp"

namespace mpp::detail::wire {

enum class Kind : std::uint32_t {
  chunk = 1,       // parent -> worker: ChunkHeader, then the job's request payload
  stop = 2,        // parent -> worker: exit now
  ready = 3,       // worker -> parent: the initializer ran
  init_error = 4,  // worker -> parent: the initializer threw (an encoded exception)
  value = 5,       // worker -> parent: ItemHeader, then the encoded result
  error = 6,       // worker -> parent: ItemHeader, then the encoded exception
  block = 7,       // worker -> parent: BlockHeader, then results of one size, filled in place
  chunk_end = 8,   // worker -> parent: every item of the chunk has reported
};

struct RecordHeader {
  std::uint64_t size;  // payload bytes, padding excluded
  Kind kind;
  std::uint32_t reserved;
};
static_assert(sizeof(RecordHeader) == 16);

struct ChunkHeader {
  std::uint64_t entry;  // the job's RemoteEntry
  std::uint64_t begin;
  std::uint64_t end;
  std::uint64_t sequence;  // per worker; WorkerShared::skip names chunks by it
};

struct ItemHeader {
  std::uint64_t index;
};

/// Reserved whole in the ring, then filled item by item: `count` is published after each item,
/// so if the worker dies the parent still has every result it finished.
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

/// Writes one record, possibly in pieces (advance() again when the ring has room).
class RecordWriter {
 public:
  /// Starts a record made of `parts` in order. The parts must stay valid until done.
  void start(Kind kind, std::span<const Part> parts);
  bool busy() const noexcept { return busy_; }
  /// Copies what fits and publishes it; true when the whole record is in the ring.
  bool advance(Ring& ring) noexcept;

 private:
  RecordHeader header_{};
  std::vector<Part> parts_;
  std::size_t part_ = 0;
  std::size_t offset_ = 0;
  bool busy_ = false;
};

struct RecordView {
  Kind kind;
  std::span<std::byte> payload;  // in the ring (records up to its size) or in the reader's buffer
};

/// Reads records; one larger than the ring is gathered into a buffer as it streams in.
class RecordReader {
 public:
  /// The next complete record, or nothing yet. Valid until consume().
  std::optional<RecordView> peek(Ring& ring);
  void consume(Ring& ring) noexcept;
  /// Bytes of a record still being gathered (a writer that died mid-record left it incomplete).
  bool gathering() const noexcept { return gathering_; }

 private:
  bool gathering_ = false;
  bool gathered_ = false;
  std::size_t in_place_span_ = 0;
  std::size_t padding_left_ = 0;
  RecordHeader header_{};
  ByteBuffer buffer_;
  std::size_t have_ = 0;
};

}  // namespace mpp::detail::wire
