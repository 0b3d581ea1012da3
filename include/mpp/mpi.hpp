// mpp::MpiPool: the Pool interface across the ranks of an MPI job (Open MPI), for work that
// outgrows one machine. Link mpp::mpi.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "mpp/async_result.hpp"
#include "mpp/detail/front/pool_front.hpp"
#include "mpp/detail/mpi/mpi_executor.hpp"
#include "mpp/detail/remote/remote_backend.hpp"
#include "mpp/imap_range.hpp"

namespace mpp {

struct MpiPoolOptions {
  /// Serving ranks to use: the first `ranks` of those not given up on by an earlier pool (ranks
  /// 1..ranks while none was); 0 = every one of them. More than the job has left throws
  /// std::invalid_argument.
  std::size_t ranks = 0;
  /// Runs on each serving rank of this pool before its first task. If it throws, the constructor
  /// rethrows the first exception. Must be a function of the program (or of a library every rank
  /// loads).
  void (*initializer)() = nullptr;
  /// How long rank 0 waits without a word from a rank that holds chunks of the pool before it
  /// gives that rank up (a frozen node, a cut link): a rank holding a chunk says it lives four
  /// times a second, however long its task runs. The item the lost rank was running fails with
  /// mpp::WorkerLost (with those it was permitted to start next, at most about 100 ms of work, and
  /// those it finished in the last 50 ms); its
  /// unstarted items run on the other ranks, none twice; the pool goes on with the ranks left; the
  /// job ends with exit status 75 when
  /// the program does (see docs/mpi.md). 0 = wait for ever. At least 1 s otherwise
  /// (std::invalid_argument).
  std::chrono::milliseconds rank_timeout{std::chrono::seconds(10)};
  /// Worker processes each serving rank forks for this pool, which run its items as ProcessPool's
  /// workers do: an item that crashes its worker (SIGSEGV, abort) fails alone with mpp::WorkerLost
  /// and the worker is replaced, and a rank runs that many items at once. MpiPoolOptions::every_cpu
  /// (the default): one per CPU the rank may use (usable_cpu_count() there), shared with the other
  /// serving ranks of its host that may use those CPUs too: all of a node's with one rank per node,
  /// at least one. 0: the rank runs items itself, one at a time (a call's latency halves, a
  /// crashing item ends the job). A task that calls MPI must run in the rank (0): in a local
  /// worker, an MPI call that communicates throws mpp::Error. See docs/mpi.md (what each costs).
  static constexpr std::size_t every_cpu = SIZE_MAX;
  std::size_t workers_per_rank = every_cpu;
  /// As ProcessPoolOptions': an item running longer fails with mpp::TimeoutError and its worker is
  /// replaced; a worker exits after that many chunks. Both need local workers: with either set,
  /// workers_per_rank 0 is taken as every_cpu.
  std::chrono::nanoseconds task_timeout{0};
  std::size_t maxtasksperchild = 0;
};

namespace detail {

struct MpiBackend : RemoteBackend<MpiExecutor> {
  static constexpr const char* k_name = "mpp::MpiPool";
};

}  // namespace detail

/// A pool whose workers are the ranks of an MPI job, with exactly the interface of mpp::Pool (see
/// detail::PoolFront for every member). Run the program with `mpirun -np N ./app`: rank 0 runs
/// `main` and drives; every other rank serves tasks from the moment it constructs its first MpiPool
/// (or calls MpiPool::serve()) until rank 0's program ends, and then ends its process with exit
/// code 0, so what follows the construction runs on rank 0 alone. Rank 0 may make any number of
/// pools, one after the other or at once; they share the serving ranks. With a single rank
/// (`-np 1`, or no mpirun), rank 0 serves the tasks itself from a thread of its own (in its local
/// workers, or on that thread with workers_per_rank 0), and says so once.
///
/// Functions and arguments follow mpp::ProcessPool's rules (checked at compile time); a function
/// travels as its place in the program (or library), so every rank must run the same build, and a
/// function of a library that only rank 0 loaded fails its items with mpp::SerializationError.
/// Exceptions cross ranks as in ProcessPool. Chunks are handed to ranks as they free up, at most a
/// few in flight per rank, so a slow rank gets fewer. Each rank runs its items in worker processes
/// of its own (MpiPoolOptions::workers_per_rank, by default one per CPU), where an item that
/// crashes fails alone; a rank that dies ends the whole job (MPI's rule; mpirun names the rank),
/// and so does a crashing item on ranks that run items themselves (workers_per_rank 0). A rank that
/// falls silent (MpiPoolOptions::rank_timeout) is given up: the item it was running fails with
/// mpp::WorkerLost, its unstarted items run on the other ranks (start permits, docs/mpi.md), and
/// the job ends with exit status 75 when rank 0's program ends. terminate() stops the items local
/// workers run (their workers are killed and replaced); a chunk a rank runs itself finishes there
/// and its results are discarded, and join() waits for it (or for the rank to be given up).
///
/// MPI is initialised by the first MpiPool (MPI_THREAD_MULTIPLE asked, MPI_THREAD_SERIALIZED
/// needed) and finalised when rank 0's program exits, unless the program initialised it itself;
/// then it must call MPI_Finalize on rank 0, which releases the serving ranks. The first MpiPool
/// is collective: every rank must construct it.
///
/// Thread safety: as mpp::Pool. Callbacks run on the pool's dispatcher thread, one at a time.
class MpiPool : public detail::PoolFront<detail::MpiBackend> {
 public:
  /// Every serving rank. Initialises MPI with the program's arguments if needed (it may remove
  /// the ones it consumes). Does not return on ranks other than 0 (see above).
  MpiPool(int& argc, char**& argv);
  MpiPool(int& argc, char**& argv, const MpiPoolOptions& options);
  /// Every serving rank; initialises MPI without the program's arguments if needed.
  MpiPool();
  explicit MpiPool(const MpiPoolOptions& options);
  ~MpiPool() = default;

  /// Starts MPI and the session (collective: every rank calls it, or its first MpiPool). On rank 0
  /// it returns at once; on every other rank it serves tasks until rank 0's program ends and then
  /// ends the process with exit code 0. Call it first in `main` when rank 0 does work of its own
  /// before its first pool, or makes pools in several places.
  static void serve(int& argc, char**& argv);
  /// serve() without the program's arguments.
  static void serve();

  /// The serving ranks the job has (starting the session if needed): `-np` minus 1, or 1 with a
  /// single rank.
  [[nodiscard]] static std::size_t available_ranks();
};

}  // namespace mpp
