// A serving rank's own worker processes for one pool (MpiPoolOptions::workers_per_rank): the rank
// relays each chunk request of the pool, as it came from rank 0, to a ProcessExecutor forked from
// the rank, and sends each chunk's outcomes back to rank 0 as one Results message (protocol.hpp) as
// soon as that chunk is done, whatever the order. So rank 0's items get what ProcessPool gives its
// callers: an item that crashes its worker fails alone with WorkerLost, one that overruns
// task_timeout fails with TimeoutError, maxtasksperchild replaces workers. The items of a chunk
// after such an item go back to rank 0 unrun (Results' `size`), which runs them on any rank: a
// chunk request covers its items from its first, so the rank cannot send a part of it again.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "mpi/protocol.hpp"
#include "mpi/session.hpp"
#include "mpp/detail/core/wait.hpp"
#include "mpp/detail/process/process_executor.hpp"
#include "remote/records.hpp"

namespace mpp::detail::mpi {

class RelayJob;

class LocalWorkers {
 public:
  /// Starts the workers (OpenSetup says how many and their limits); each runs `initializer` first,
  /// and the first exception one of them threw is rethrown here.
  LocalWorkers(Session& session, const OpenSetup& setup, void (*initializer)());
  /// Stops the workers. Rank 0 closes a pool only when it waits for none of its chunks here.
  ~LocalWorkers();
  LocalWorkers(const LocalWorkers&) = delete;
  LocalWorkers& operator=(const LocalWorkers&) = delete;

  std::size_t size() const noexcept;
  /// Chunk `envelope.sequence`, its request after the Envelope in `request`: queued for the workers.
  /// A large request moves into the chunk, and `request` gets a spare buffer in exchange.
  /// A request that cannot be read ends the job (abort_job). True: it is a call (apply) and the one
  /// chunk held, and the caller is to drive() it; else the workers' dispatcher thread was woken.
  bool relay(const Envelope& envelope, Bytes& request);
  /// Moves the workers' messages from the calling thread (the rank's serving thread, right after
  /// relay()), as a ProcessPool caller waiting on its result does: the chunk goes to a worker and
  /// its Results to rank 0 with no hand-off to the workers' dispatcher thread and back, which costs
  /// wake-ups on CPUs the workers share. Returns when every chunk relayed has been answered,
  /// `interrupt()` holds (rank 0 sent something), or nothing happened for a moment: the
  /// dispatcher thread then goes on alone. Only for a call held alone, whose latency is this hop's:
  /// a map's chunks queue behind each other and keep the workers busy anyway, and a second thread
  /// spinning for them cost them CPU where ranks share cores (mpi_chunk, docs/benchmarks.md).
  void drive(FunctionRef<bool()> interrupt) noexcept;
  /// Rank 0 no longer wants chunk `sequence`: its items not started yet are skipped; with `stop`
  /// (terminate, the rank given up on), the one running is stopped too, its worker killed and
  /// replaced, as ProcessPool's terminate() does. Nothing when the chunk is done or never came.
  void skip(std::uint64_t sequence, bool stop) noexcept;
  /// Rank 0 permits chunk `sequence`'s items below `below` to start (protocol.hpp).
  void permit(std::uint64_t sequence, std::uint64_t below) noexcept;
  /// Chunks relayed whose Results have not gone yet: the rank owes the pool a Heartbeat.
  bool holds_chunks() const noexcept { return held_count_.load(std::memory_order_relaxed) != 0; }

 private:
  friend class RelayJob;
  /// `job`'s Results have gone (or the workers stop): forget it, and keep its large buffers.
  void done(RelayJob& job) noexcept;
  /// A kept buffer (empty when none), under mutex_; and one given back.
  Bytes take_spare() noexcept;
  void keep_spare(Bytes& buffer) noexcept;

  Session& session_;
  std::string name_;  // "mpp::MpiPool rank 3 (node7)": the workers' messages name it
  std::mutex mutex_;
  std::vector<RelayJob*> held_;  // under mutex_; each holds a reference
  std::atomic<std::size_t> held_count_{0};
  // Buffers of finished chunks (requests, results), under mutex_: a large argument or result then
  // lands in pages already touched, where a fresh buffer's pages are zeroed by the kernel first.
  std::vector<Bytes> spares_;
  std::unique_ptr<ProcessExecutor> executor_;  // declared last: stopped before the rest goes
};

/// Appends one record (remote/records.hpp) to a results message: its header, its parts, padding.
void append_record(Bytes& out, wire::Kind kind, std::initializer_list<wire::Part> parts);

/// Ends the job: a serving rank that cannot go on (MPI_Abort), as a rank that dies would.
[[noreturn]] void abort_job(const char* why) noexcept;

/// Sends `message` (a Results, an Ask, a reply to Open) to rank 0, tagged for `pool`, and waits
/// until it has gone; `under_lock` runs under the MPI lock just before the send. A send MPI
/// refuses ends the job.
void send_to_root(Session& session, std::span<const std::byte> message, std::uint64_t pool,
                  FunctionRef<void()> under_lock) noexcept;
/// The same for a message in `parts` (its Envelope at the start of the first says how many,
/// protocol.hpp), posted in one hold of the MPI lock: nothing else this rank sends comes between.
void send_to_root(Session& session, std::span<const std::span<const std::byte>> parts, std::uint64_t pool,
                  FunctionRef<void()> under_lock) noexcept;

}  // namespace mpp::detail::mpi
