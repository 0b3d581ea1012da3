// mpp-run: runs commands in parallel, in the manner of GNU parallel and xargs -P (docs/mpp-run.md).
// The work is done by src/run/ (the mpp_run library); this is the order of the steps.
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mpp/cpu.hpp"
#include "mpp/detail/core/progress_bar.hpp"
#include "mpp/errors.hpp"
#include "run/input.hpp"
#include "run/options.hpp"
#include "run/remote.hpp"
#include "run/resume.hpp"
#include "run/runner.hpp"
#include "run/signals.hpp"
#ifdef MPP_RUN_WITH_MPI
#include "run/mpi_jobs.hpp"
#endif

namespace run = mpp::detail::run;

int main(int argc, char** argv) {
  const bool across_ranks = run::under_mpi();
#ifdef MPP_RUN_WITH_MPI
  // Under mpirun, the ranks other than 0 run jobs from here until rank 0 ends (and then exit).
  if (across_ranks) run::serve_ranks(argc, argv);
#else
  // Every rank would run every job.
  if (across_ranks) {
    std::fprintf(stderr,
                 "mpp-run: started as several MPI ranks, but built without MPI: run it without "
                 "mpirun, or build mpp with Open MPI (docs/mpp-run.md, Across machines)\n");
    return run::k_usage_status;
  }
#endif
  try {
    run::Options options = run::parse_command_line(argc, argv);
    if (options.help) {
      std::fwrite(run::k_usage.data(), 1, run::k_usage.size(), stdout);
      return 0;
    }
    if (options.version) {
      std::printf("mpp-run (mpp) %s\n", MPP_VERSION);
      return 0;
    }
    options.jobs = run::resolve_jobs(options.jobs_spec, mpp::usable_cpu_count());
    std::unique_ptr<run::RemoteJobs> remote;
#ifdef MPP_RUN_WITH_MPI
    if (across_ranks && !options.dry_run) {
      // -j is per serving rank, on rank 0's CPUs; the job slots ({%}) are all the ranks' together.
      run::check_options_across_ranks(options);
      remote = run::make_mpi_jobs(options.jobs);
      options.jobs = remote->slots();
    }
#endif
    // --resume and the like: what the joblog of the earlier run says was done (nothing when it
    // does not exist: the run starts afresh, as GNU parallel's).
    std::optional<run::EarlierRun> earlier;
    if (options.resume || options.resume_failed || options.retry_failed) {
      earlier = run::read_earlier_run(options.joblog, options.resume_failed || options.retry_failed);
    }
    if (earlier && options.retry_failed) {
      // The joblog's commands are the jobs, by their seq; a seq it has no row of is nothing to run.
      for (std::size_t i = 0; i < earlier->commands.size(); ++i) {
        if (earlier->commands[i].empty()) earlier->done[i] = true;
      }
    }
    run::CommandSource commands = earlier && options.retry_failed ? run::CommandSource(earlier->commands)
                                                                  : run::make_source(options, STDIN_FILENO);
    const std::vector<bool>* already_run = earlier ? &earlier->done : nullptr;
    if (options.dry_run) return run::print_commands(commands, STDOUT_FILENO, already_run, options.tagstring);

    run::RunIo io;
    // On a terminal by default; anywhere (a log, zenity) when --bar asks for it, as in GNU parallel.
    io.bar = options.bar && (options.bar_requested || mpp::detail::ProgressBar::is_terminal(io.err));
    // The bar needs the total: its input is read to the end first (Ctrl-C still ends mpp-run
    // then: no job runs yet). Without a bar, lines are read as jobs need them.
    // --halt P% needs it too: it counts a share of all the jobs.
    if (io.bar || options.halt.percent != 0) commands.read_all();

    run::SignalPipe signals;  // from here on, Ctrl-C stops the jobs instead of mpp-run alone
    io.signals = &signals;
    io.already_run = already_run;
    io.joblog_append = earlier && earlier->append;
    io.remote = remote.get();
    return run::run_jobs(options, commands, io);
  } catch (const mpp::ParseError& e) {
    std::fprintf(stderr, "mpp-run: %s\nTry 'mpp-run --help'.\n", e.what());
    return run::k_usage_status;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mpp-run: %s\n", e.what());
    return run::k_usage_status;
  }
}
