// The one chunk request format between a remote pool and its workers, whatever carries it (a ring
// record of kind wire::Kind::chunk, an MPI message after its envelope): a wire::ChunkHeader; the
// job's entry after it when the worker runs another load of the program (relocated: the header's
// entry is then 0); then the job's request (RemoteJob::encode_request). Written by
// write_chunk_request, read by read_chunk_header (ChunkReporter::run_request runs it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "mpp/detail/remote/codec.hpp"
#include "mpp/detail/remote/remote.hpp"
#include "remote/records.hpp"

namespace mpp::detail {

/// Appends the request for items [begin, end) of `job` to `out`. With a `relocation`, the entry
/// and the functions in the job's request are encoded with it (the thread's own is restored
/// after); without, they travel as addresses (a forked worker). Throws when an argument cannot
/// be encoded. Without `with_request`, the header and entry only (the request follows elsewhere:
/// RemoteJob::mapped_request()).
void write_chunk_request(RequestBuilder& out, RemoteJob& job, std::size_t begin, std::size_t end,
                         std::uint64_t sequence, const FunctionRelocation* relocation,
                         bool with_request = true);

/// The header of the chunk request at `in`, and `in` advanced past it; nothing when it is short.
std::optional<wire::ChunkHeader> read_chunk_header(ByteReader& in) noexcept;

}  // namespace mpp::detail
