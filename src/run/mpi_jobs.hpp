// mpp-run under mpirun: jobs run on the serving ranks of an MPI job, through mpp::MpiPool (built only
// where MPI is; tools/mpp-run uses it when under_mpi()). Rank 0 is mpp-run as ever: it reads the
// input and the options, hands the jobs out and writes their output; docs/mpp-run.md, "Across machines".
#pragma once

#include <cstddef>
#include <memory>

#include "run/options.hpp"
#include "run/remote.hpp"

namespace mpp::detail::run {

/// Starts MPI and mpp's session on every rank: returns on rank 0 only; the other ranks serve jobs
/// until rank 0 ends, then exit.
void serve_ranks(int& argc, char**& argv);

/// Throws mpp::ParseError for the options that cannot work across ranks (--pipe, -u, --line-buffer,
/// --memfree, --load, -j 0), naming the option.
void check_options_across_ranks(const Options& options);

/// Rank 0, after serve_ranks(): `per_rank` jobs at once on each serving rank, each in a local worker
/// process of its rank (MpiPoolOptions::workers_per_rank), so a job that kills its worker fails alone.
/// A rank given up on (MpiPoolOptions::rank_timeout, 10 s) fails the jobs it was running as lost.
[[nodiscard]] std::unique_ptr<RemoteJobs> make_mpi_jobs(std::size_t per_rank);

}  // namespace mpp::detail::run
