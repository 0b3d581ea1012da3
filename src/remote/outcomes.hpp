// The host's one parser of outcome records (remote/records.hpp): a chunk's values, errors and
// blocks of raw results, taken into its job in order, whichever transport brought them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <span>

#include "mpp/detail/core/wait.hpp"
#include "mpp/detail/remote/remote.hpp"
#include "remote/records.hpp"

namespace mpp::detail {

/// A chunk's items that have no outcome yet: [next, end) of `job`. A worker reports them in order.
struct ChunkProgress {
  RemoteJob* job;
  std::size_t next;
  std::size_t end;
  /// The host gave the chunk's items their outcomes itself (a call cancelled before its worker
  /// started it): what the worker still reports for them is checked and dropped.
  bool settled = false;
};

enum class Taken {
  yes,         // the record's outcomes are in the job
  open_block,  // a block its writer has not closed yet: look again later
  malformed,   // not a valid outcome of this chunk: the worker breaks the protocol
};

/// Takes one outcome record (value, error or block) of `chunk` into its job. `writer_gone`: take a
/// block as far as it is filled even if it was never closed (its worker died). `claimed`: index + 1
/// of an item claimed for a kill (0: none): whatever came for it is replaced by `claimed_error(i)`,
/// and nothing after it is taken (its worker starts nothing after it).
/// `whole`: the whole record of a value record, when the transport has it in one piece that may be
/// sent on (RemoteJob::accept_value_record).
Taken take_outcome(ChunkProgress& chunk, const wire::RecordView& record, bool writer_gone,
                   std::uint64_t claimed, FunctionRef<std::exception_ptr(std::size_t)> claimed_error,
                   std::span<const std::byte> whole = {}) noexcept;
/// The same with no item claimed.
Taken take_outcome(ChunkProgress& chunk, const wire::RecordView& record, bool writer_gone) noexcept;

/// Takes every record of `records` (laid out one after another, as in an MPI results message),
/// until `stop()` says so. False when they are malformed.
bool take_outcomes(ChunkProgress& chunk, std::span<std::byte> records, FunctionRef<bool()> stop) noexcept;

}  // namespace mpp::detail
