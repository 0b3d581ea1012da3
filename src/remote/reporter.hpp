// A worker's side of a chunk, written once for every transport: running the chunk's entry,
// reporting each item's outcome as a record (remote/records.hpp), packing results of one size
// into blocks written in place, and failing what the entry could not run. A transport supplies
// where records go (a ring, a message) and what to do when nothing can be reported any more.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <span>

#include "mpp/detail/remote/codec.hpp"
#include "mpp/detail/remote/remote.hpp"
#include "remote/records.hpp"

namespace mpp::detail {

class ChunkReporter : public WorkerContext {
 public:
  std::size_t begin() const noexcept final { return begin_; }
  std::size_t end() const noexcept final { return end_; }
  ByteBuffer& scratch() noexcept final { return scratch_; }
  void item_value(std::size_t i, std::span<const std::byte> bytes, bool fixed_size) final;
  void item_error(std::size_t i, const std::exception_ptr& error) noexcept final;
  RawResults open_results(std::size_t first, std::size_t size) final;
  void close_results() noexcept final;

 protected:
  ChunkReporter() = default;
  ChunkReporter(const ChunkReporter&) = delete;
  ChunkReporter& operator=(const ChunkReporter&) = delete;
  ~ChunkReporter() = default;

  /// Runs a chunk request (remote/chunk_request.hpp), its entry relocated with `relocation`
  /// (null in a forked worker: addresses as they are). chunk_starts() first, then every item gets
  /// an outcome: those the entry could not run (it cannot be found here, the request is short)
  /// fail with the reason. The last block is handed over; the transport then ends the chunk its
  /// own way. A request without a whole header, or relocated where nothing relocates (or the
  /// other way round), is corrupt_request(). `mapped`: after the header and the entry, a
  /// wire::MappedBytes names where the rest of the request lies (wire::Kind::chunk_mapped).
  void run_request(ByteReader& in, const FunctionRelocation* relocation, bool mapped = false) noexcept;

  // --- the transport ----------------------------------------------------------------------------

  /// A chunk's header, read before any of its items runs.
  virtual void chunk_starts(const wire::ChunkHeader& header) noexcept = 0;
  /// The request cannot be read (the host broke the protocol). Never returns.
  [[noreturn]] virtual void corrupt_request() noexcept = 0;

  /// Writes one whole record, waiting for room as needed. Throws when it cannot.
  virtual void write_record(wire::Kind kind, std::initializer_list<wire::Part> parts) = 0;
  /// Places a block record for results of `size` bytes from item `first`, with room for `wanted`
  /// of them at most (at least one), to be filled in place. Null when not even one fits.
  virtual wire::BlockHeader* reserve_block(std::size_t first, std::size_t size, std::size_t wanted) = 0;
  /// No more results go into `block`: its count is final. Hand it over.
  virtual void publish_block(wire::BlockHeader& block) noexcept = 0;
  /// Where the raw loop (run_raw_items) says which item runs; null when every item must go one
  /// by one (each item's start is stamped for task_timeout).
  virtual std::atomic<std::uint64_t>* raw_running() noexcept = 0;
  /// How many of items first, first + 1, ... (`wanted` at most) the raw loop may start now, without
  /// a start_item() each; 0 when the chunk is skipped. A transport whose host must know which
  /// items may have started (MPI's start permits) may wait here.
  virtual std::size_t may_start(std::size_t /*first*/, std::size_t wanted) noexcept { return wanted; }
  /// After each outcome: a value, an error, or the end of a run of raw results.
  virtual void item_reported() noexcept {}
  /// Nothing can be reported any more (no memory to describe an error, the channel broke):
  /// the item is lost with the worker. Never returns.
  [[noreturn]] virtual void cannot_report() noexcept = 0;
  /// Hands over the block being filled, if any (a transport that sends what is reported so far).
  void close_block() noexcept;

  /// Stands for an exception's message that cannot be encoded: "(its message could not be sent to
  /// the parent process)". A constant: this runs where nothing may allocate.
  virtual const char* unsent_note() const noexcept = 0;

 private:
  void run_chunk(std::size_t begin, std::size_t end, ByteReader& in, std::uint64_t entry,
                 const FunctionRelocation* relocation, bool mapped) noexcept;
  bool append_to_block(std::size_t i, std::span<const std::byte> bytes) noexcept;
  bool open_block(std::size_t i, std::size_t size, std::size_t wanted);

  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t next_ = 0;  // the first item without an outcome
  wire::BlockHeader* block_ = nullptr;
  std::byte* block_data_ = nullptr;
  ByteBuffer scratch_;
  ByteBuffer error_;
};

}  // namespace mpp::detail
