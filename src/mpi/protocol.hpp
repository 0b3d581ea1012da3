// The messages between rank 0 (the driver) and the serving ranks: each starts with an Envelope,
// which is MPI's transport alone; what a worker runs and reports is the format every remote
// transport shares (a chunk request, remote/chunk_request.hpp; outcome records, remote/records.hpp).
// Three communicators of their own (duplicates of MPI_COMM_WORLD), so that no message of the
// user's own MPI code can match ours:
//   requests: rank 0 -> server, in order: Open (a pool starts: an OpenSetup follows, then its
//             initializer, relocated, if it has one), Chunk (a chunk request follows, sent in `parts`
//             messages of `size` bytes in all, the Envelope at the start of the first), Close (a pool
//             with local workers has ended: the rank stops them), Quit
//   skips:    rank 0 -> server, read before and while a chunk runs: Skip (chunks whose results are
//             no longer wanted: their count in `parts`, then their sequence numbers; `size` 1: stop
//             their running items too where the rank can, in local workers: terminate, a rank given
//             up on; 0: let them finish, an abandoned imap), Permit (the
//             chunk `sequence` may start its items below `permit`)
//   results:  server -> rank 0: Ready (to Open; `size`: the rank's local workers, 0 when it runs
//             items itself) / InitError, Results (one per chunk, named by `sequence`: the chunk's
//             outcome records follow, in item order; `size`: how many items at the chunk's end it gives
//             back unrun, to run anywhere (a local worker died or overran before them); `permit`: how
//             many items the rank would like permitted with each of the pool's next chunks), Heartbeat (every
//             k_mpi_heartbeat while the rank holds a chunk of the pool, never after its Results: the rank
//             lives), Ask (chunk `sequence` would start its items below `permit`; `size`: how many items the
//             rank would like permitted ahead); the tag names the pool, so that each pool's dispatcher
//             receives its own. A Results or an Ask whose outcomes include results of
//             k_mpi_direct_result_bytes or more comes in `parts` messages (more than 1), posted
//             together: each such result's record is a message of its own, sent from where the
//             rank encoded it, and every part holds whole records
// Start permits: a rank starts an item only once rank 0 has permitted it (a Chunk permits its items
// below its `permit`, at least the first; an Ask is answered with a Permit). So when rank 0 gives up
// a rank, it knows which items may have started (they fail with WorkerLost) and which cannot have
// (they run on other ranks): no item runs twice. A rank asks ahead of need, for about
// k_mpi_permit_ahead of work, so that it rarely waits for an answer. A rank with local workers
// (relay.hpp) holds each to its chunk's permits the same way: a worker asks through the rank (one
// Ask per worker and chunk, no outcomes with it), and the rank passes each Permit on to it. A rank
// with local workers answers chunks as they finish, in any order.
#pragma once

#include <cstdint>

namespace mpp::detail::mpi {

enum class Kind : std::uint32_t {
  open = 1,
  chunk = 2,
  quit = 3,
  skip = 4,
  ready = 5,
  init_error = 6,  // then the encoded exception
  results = 7,     // then the chunk's outcome records
  heartbeat = 8,
  ask = 9,
  permit = 10,
  close = 11,
};

/// What an Open says after its Envelope: how the rank runs the pool's items.
struct OpenSetup {
  std::uint64_t workers;           // local worker processes; 0: the rank runs items itself
  std::int64_t task_timeout_ns;    // 0: none (local workers only)
  std::uint64_t maxtasksperchild;  // 0: never (local workers only)
  std::uint64_t initializer;       // 1: the initializer follows, relocated
};

/// OpenSetup::workers: one per CPU the rank may use.
inline constexpr std::uint64_t k_every_cpu = ~std::uint64_t{0};

/// Every message starts with this.
struct Envelope {
  Kind kind;
  std::uint32_t
      parts;  // chunk, results, ask: the messages it came in (0 or 1: one); skip: the sequences that follow
  std::uint64_t pool;      // the pool's id (unique in the session)
  std::uint64_t sequence;  // results: the chunk's (per pool and server, from 0)
  std::uint64_t size;      // chunk: the bytes of every part together, this Envelope included; ask: see above
  std::uint64_t permit;    // chunk, ask, permit: items below this may start; results: see above
};

/// The results communicator's tag for a pool: tags are at least 0..32767 (MPI guarantees no more).
inline int pool_tag(std::uint64_t pool) noexcept { return static_cast<int>(pool % 32768); }

}  // namespace mpp::detail::mpi
