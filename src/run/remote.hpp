// Jobs that run somewhere else than in mpp-run's own process tree: on the ranks of an MPI job
// (mpi_jobs.hpp). The Runner keeps its job model (the queue, job slots, retries, --halt, -k, the
// joblog, the output grouped per job) and hands each try of a job to a RemoteJobs instead of
// starting it; the outcome comes back whole, as a local job's output is written whole at its end.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace mpp::detail::run {

/// One try of a job, as it travels.
struct RemoteJob {
  std::size_t id = 0;  // the caller's, given back in its RemoteOutcome
  std::string command;
  double timeout = 0;  // --timeout, seconds (0: none): SIGTERM to its group, SIGKILL 1 s later

  template <class Archive>
  void serialize(Archive& archive) {
    archive(id, command, timeout);
  }
};

/// How a try ended.
struct RemoteOutcome {
  std::size_t id = 0;
  int status = 0;  // a wait status
  std::string out{};
  std::string err{};
  std::string host{};      // where it ran (the joblog's Host); may be empty when it was lost
  bool timed_out = false;  // killed for --timeout
  bool lost = false;       // where it ran was lost (a rank given up on): `message` says why
  bool stopped = false;    // ended by RemoteJobs::stop() (or never started)
  std::string message{};

  template <class Archive>
  void serialize(Archive& archive) {
    archive(id, status, out, err, host, timed_out, lost, stopped, message);
  }
};

/// Where remote jobs go. Used from one thread (the Runner's).
class RemoteJobs {
 public:
  RemoteJobs() = default;
  RemoteJobs(const RemoteJobs&) = delete;
  RemoteJobs& operator=(const RemoteJobs&) = delete;
  virtual ~RemoteJobs() = default;

  /// How many jobs may run at once in all (the Runner's job slots).
  [[nodiscard]] virtual std::size_t slots() const = 0;
  /// Readable when outcomes wait to be taken (for poll()).
  [[nodiscard]] virtual int poll_fd() const = 0;
  /// Starts `job`, never blocking; its outcome comes through take().
  virtual void start(RemoteJob job) = 0;
  /// The outcomes that came since the last call, in no particular order.
  [[nodiscard]] virtual std::vector<RemoteOutcome> take() = 0;
  /// Stops every job started (--halt now, a signal, a failed write): their outcomes come with
  /// `stopped`, and no job can start afterwards.
  virtual void stop() = 0;
};

/// Whether this process is one rank of several of an MPI job: Open MPI's OMPI_COMM_WORLD_SIZE, or the
/// PMI_SIZE of a PMI launcher (srun --mpi=pmi2), says more than 1. Never starts MPI; answers in
/// builds without MPI too, which must then refuse to run (each rank would run every job).
[[nodiscard]] bool under_mpi();

/// Runs `job` in this process's machine as mpp-run runs a local job (directly, or through /bin/sh when
/// it has shell syntax; in its own process group; standard input /dev/null) and returns its output and
/// status, `host` this machine's name. Blocks until it has ended.
[[nodiscard]] RemoteOutcome run_job_here(const RemoteJob& job);

}  // namespace mpp::detail::run
