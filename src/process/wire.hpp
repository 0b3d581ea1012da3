// Records (remote/records.hpp) on a worker's two rings: the code that writes and reads them in
// pieces, so that a record larger than the ring streams through it while the other side reads.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "mpp/detail/remote/codec.hpp"
#include "process/ring.hpp"
#include "remote/records.hpp"

namespace mpp::detail::wire {

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
