// The serving side of an MPI session: a rank that runs the chunks rank 0 sends it.
#pragma once

#include "mpi/session.hpp"

namespace mpp::detail::mpi {

/// Serves `session`'s requests from rank 0 until it ends the session (a quit request); a serving
/// rank that cannot go on ends the whole job (MPI_Abort), as a rank that dies would.
void serve(Session& session) noexcept;

}  // namespace mpp::detail::mpi
