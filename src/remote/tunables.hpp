// The numbers that tune the remote pools, per transport, side by side: each is named by what it
// means; where the transports differ, the comment says why.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace mpp::detail {

using namespace std::chrono_literals;

/// How many chunks queue at one worker. `depth`: normally; the next chunk waits there while the
/// worker runs one, so it never idles between chunks, yet a slow worker holds back little
/// (dynamic balancing). `short_depth`: when the worker's chunks take less than `short_chunk` on
/// average and plenty are pending, so that it does not wait for the host between them.
struct Pipeline {
  std::size_t depth;
  std::size_t short_depth;
  std::chrono::microseconds short_chunk;
};

// --- worker processes on shared-memory rings (ProcessPool) ---------------------------------------

/// A chunk reaches a worker in about a microsecond and the host looks at the rings continuously
/// while busy: only chunks of a few microseconds need a deep queue.
inline constexpr Pipeline k_ring_pipeline{2, 16, 20us};
/// Each direction of each worker's channel. Large enough that a chunk of a big map streams with
/// few wake-ups; pages are only allocated as they are touched.
inline constexpr std::size_t k_ring_bytes = std::size_t{4} << 20;
/// Most results of one block before the worker hands it over: bounds what a crash can hold back
/// and lets the host start copying a long chunk's results before the chunk ends.
inline constexpr std::uint64_t k_ring_block_items = 64 * 1024;
/// How long the dispatcher thread looks for work before it sleeps. Short: a waiting caller drives
/// the pool itself, so the thread only needs to bridge bursts.
inline constexpr auto k_ring_dispatcher_spin = 20us;
/// While busy, the dispatcher looks for dead workers this often (idle, poll() tells it at once).
inline constexpr auto k_death_check = 1ms;
/// A replacement worker whose initializer fails this many times in a row is not started again.
inline constexpr int k_init_attempts = 3;
/// A chunk whose workers die this many times in a row before its first item starts (a request too
/// large for the worker's memory, a worker killed from outside) fails that item with WorkerLost
/// instead of being sent round again forever.
inline constexpr std::uint32_t k_unattributed_losses = 3;

// --- MPI ranks (MpiPool) -------------------------------------------------------------------------

/// A message costs tens of microseconds and the dispatcher sleeps between looks while chunks are
/// out (k_mpi_longest_sleep), so chunks count as short up to 200 µs; at most 4 deep, since chunks
/// queued at one rank cannot move to another that idles.
inline constexpr Pipeline k_mpi_pipeline{2, 4, 200us};
/// How long the dispatcher looks for work (and for results, which often come microseconds later)
/// before it sleeps.
inline constexpr auto k_mpi_dispatcher_spin = 100us;
/// The dispatcher's first sleep while chunks are out, after something happened; each sleep that
/// finds nothing doubles it, up to k_mpi_longest_sleep.
inline constexpr auto k_mpi_first_nap = 10us;
/// The dispatcher's longest sleep while chunks are out: how late, at worst, it sees a result that
/// nothing queued behind it hides (the last ones of a map, an apply).
inline constexpr auto k_mpi_longest_sleep = 500us;
/// How long an idle serving rank sleeps at most between looks for a request: the first chunk after
/// a pause waits this long at worst; later ones are queued before they are needed (pipelining).
inline constexpr auto k_mpi_server_idle_poll = 1000us;
/// How often a serving rank running a chunk looks for skip notices (short items run in runs this
/// long between looks).
inline constexpr auto k_mpi_skip_look = 1ms;
/// How often a serving rank holding a chunk tells rank 0 it lives (MpiPoolOptions::rank_timeout
/// must be several times this).
inline constexpr auto k_mpi_heartbeat = 250ms;
/// A rank sends no heartbeat while its results message is on its way (one would follow it), so
/// rank 0 grants a message still arriving one more millisecond of silence for every this many
/// bytes of it (10 MB/s: a link ten times slower than gigabit Ethernet) before giving its rank up.
inline constexpr std::size_t k_mpi_slowest_link_bytes_per_ms = 10'000;
/// How much work (at the chunk's pace so far) a serving rank asks rank 0 to permit ahead of the
/// item it starts (mpi/protocol.hpp): when rank 0 gives up a rank, what was permitted fails and the
/// rest runs elsewhere. Long enough that an answer comes before it is needed (a round trip costs
/// tens of microseconds, the dispatcher may sleep k_mpi_longest_sleep); items longer than this wait
/// for a round trip each, under 1% of their time.
inline constexpr auto k_mpi_permit_ahead = 100ms;
/// How often, at most, a serving rank sends rank 0 the outcomes its chunk has reported so far (with
/// an Ask), and so how much finished work a rank given up on may take with it.
inline constexpr auto k_mpi_outcome_flush = 50ms;
/// A result at least this large goes from a serving rank to rank 0 as a message of its own, sent
/// from where it was encoded, rather than copied into its chunk's results message (mpi/protocol.hpp).
inline constexpr std::size_t k_mpi_direct_result_bytes = std::size_t{256} << 10U;
/// A request at least this large moves from a serving rank to its local workers' chunk without
/// being copied (mpi/relay.hpp), and the buffers of finished chunks at least this large are kept
/// for the next ones, so large data lands in pages already touched: up to k_mpi_spare_buffers of
/// at most k_mpi_spare_buffer_bytes each (a larger one is freed: a pool does not hold on to it).
inline constexpr std::size_t k_mpi_large_request_bytes = std::size_t{256} << 10U;
inline constexpr std::size_t k_mpi_spare_buffers = 4;
inline constexpr std::size_t k_mpi_spare_buffer_bytes = std::size_t{64} << 20U;
/// A serving rank's arena for its local workers (process/shared_arena.hpp): a request it receives
/// into a slot goes to its worker by address, and a result from k_arena_min_bytes up that fits a
/// slot comes back so, past the rings. Slots are kept with their pages, like the spare buffers:
/// the two together hold at most 2 x 4 x 64 MiB that a rank is not using.
inline constexpr std::size_t k_mpi_arena_slots = 4;
inline constexpr std::size_t k_mpi_arena_slot_bytes = std::size_t{64} << 20U;
inline constexpr std::size_t k_arena_min_bytes = std::size_t{256} << 10U;
/// How long a serving rank waiting for a permit sleeps at most between looks.
inline constexpr auto k_mpi_permit_poll = 100us;

}  // namespace mpp::detail
