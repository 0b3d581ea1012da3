// MpiJobs: RemoteJobs on an MPI job's serving ranks. Each try of a job is one apply_async of
// run_job_here(); its callback, on the pool's dispatcher thread, queues the outcome and wakes the
// Runner's poll() through a pipe.
#include "run/mpi_jobs.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <exception>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mpp/detail/posix/fd.hpp"
#include "mpp/errors.hpp"
#include "mpp/mpi.hpp"
#include "posix/syscall.hpp"

namespace mpp::detail::run {
namespace {

class MpiJobs final : public RemoteJobs {
 public:
  explicit MpiJobs(std::size_t per_rank)
      : per_rank_(per_rank), pool_(MpiPoolOptions{.workers_per_rank = per_rank}) {
    int ends[2];
    posix::checked("pipe2", [&] { return ::pipe2(ends, O_CLOEXEC | O_NONBLOCK); });
    wake_read_.reset(ends[0]);
    wake_write_.reset(ends[1]);
  }
  MpiJobs(const MpiJobs&) = delete;
  MpiJobs& operator=(const MpiJobs&) = delete;
  ~MpiJobs() override {
    // Only with jobs out when something threw: they must not outlive mpp-run.
    pool_.terminate();
  }

  [[nodiscard]] std::size_t slots() const override { return pool_.size() * per_rank_; }
  [[nodiscard]] int poll_fd() const override { return wake_read_.get(); }

  void start(RemoteJob job) override {
    const std::size_t id = job.id;
    if (stopped_) {
      deliver(RemoteOutcome{.id = id, .status = SIGTERM, .stopped = true});
      return;
    }
    AsyncResult<RemoteOutcome> result = pool_.apply_async(run_job_here, std::move(job));
    result.then([this](const RemoteOutcome& outcome) { deliver(outcome); },
                [this, id](std::exception_ptr error) { deliver(failed(id, error)); });
    results_.insert_or_assign(id, std::move(result));
  }

  [[nodiscard]] std::vector<RemoteOutcome> take() override {
    char drain[256];
    while (posix::retried("read", [&] { return ::read(wake_read_.get(), drain, sizeof drain); }) > 0) {
    }
    std::vector<RemoteOutcome> outcomes;
    {
      const std::lock_guard lock(mutex_);
      outcomes.swap(done_);
    }
    for (const RemoteOutcome& o : outcomes) results_.erase(o.id);
    return outcomes;
  }

  void stop() override {
    if (stopped_) return;
    stopped_ = true;
    // Completes every job out with TaskCancelled at once; the ranks kill the local workers running
    // them, and with them their jobs (a job's parent-death signal).
    pool_.terminate();
  }

 private:
  static RemoteOutcome failed(std::size_t id, const std::exception_ptr& error) {
    RemoteOutcome outcome{.id = id, .status = W_EXITCODE(255, 0)};
    try {
      std::rethrow_exception(error);
    } catch (const TaskCancelled&) {
      outcome.status = SIGTERM;
      outcome.stopped = true;
    } catch (const WorkerLost& e) {
      // Exit status 255, as ssh's for a host lost under GNU parallel.
      outcome.lost = true;
      outcome.message = e.what();
      outcome.host = e.host();
    } catch (const std::exception& e) {
      outcome.message = e.what();
    }
    return outcome;
  }

  // On the pool's dispatcher thread (or at once on the Runner's).
  void deliver(RemoteOutcome outcome) {
    {
      const std::lock_guard lock(mutex_);
      done_.push_back(std::move(outcome));
    }
    const char byte = 0;
    // A full pipe already wakes the Runner.
    (void)posix::retried("write", [&] { return ::write(wake_write_.get(), &byte, 1); });
  }

  std::size_t per_rank_;
  Fd wake_read_;
  Fd wake_write_;
  std::mutex mutex_;
  std::vector<RemoteOutcome> done_;  // guarded by mutex_
  bool stopped_ = false;
  std::unordered_map<std::size_t, AsyncResult<RemoteOutcome>> results_;
  // Last: destroyed first, so that no callback outlives what it writes to.
  MpiPool pool_;
};

}  // namespace

void serve_ranks(int& argc, char**& argv) { MpiPool::serve(argc, argv); }

void check_options_across_ranks(const Options& options) {
  const auto refuse = [](const std::string& option, const std::string& why) {
    throw ParseError(option + " does not work across MPI ranks: " + why);
  };
  if (options.pipe && !options.pipe->files.empty()) {
    refuse("--pipepart", "each job's part would travel to its rank; run mpp-run --pipepart on one machine");
  }
  if (options.pipe)
    refuse("--pipe", "each job's block would travel to its rank; run mpp-run --pipe on one machine");
  if (options.ungroup) refuse("-u", "a job's output comes back from its rank whole, when the job ends");
  if (options.line_buffer)
    refuse("--line-buffer", "a job's output comes back from its rank whole, when the job ends");
  if (options.memfree != 0) refuse("--memfree", "it would measure rank 0's memory, not the ranks'");
  if (!options.load.empty()) refuse("--load", "it would measure rank 0's load, not the ranks'");
  if (options.jobs_spec.kind == JobsSpec::Kind::most) {
    refuse("-j 0", "each rank would start a worker process per job slot (4096); give -j N, jobs per rank");
  }
}

std::unique_ptr<RemoteJobs> make_mpi_jobs(std::size_t per_rank) {
  return std::make_unique<MpiJobs>(per_rank);
}

}  // namespace mpp::detail::run
