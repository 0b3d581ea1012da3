// What a local worker of a serving rank (MpiPoolOptions::workers_per_rank) is set up with first.
#pragma once

namespace mpp::detail::mpi {

/// Runs first in each local worker (ProcessExecutorOptions::prepare_worker): puts back the default
/// fault handlers (Open MPI's would print a backtrace of the worker as if the rank had crashed) and
/// makes every MPI call that communicates throw mpp::Error there. A worker is forked from its rank
/// and shares the rank's MPI state (shared-memory queues, sockets): a message sent from it would
/// corrupt the rank's, so a task that calls MPI must run in the rank (workers_per_rank 0).
void prepare_local_worker() noexcept;

}  // namespace mpp::detail::mpi
