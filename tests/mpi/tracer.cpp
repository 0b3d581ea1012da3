// A tracing tool as MPI's profiling interface has them, loaded with LD_PRELOAD: it counts the
// program's MPI_Barrier calls and goes on to PMPI_Barrier (CTest: MpiPool.ATracingToolSeesTheCalls).
#include <mpi.h>

extern "C" {

int mpp_test_traced_barriers = 0;  // read by traced.cpp through dlsym

int MPI_Barrier(MPI_Comm comm) {
  ++mpp_test_traced_barriers;
  return PMPI_Barrier(comm);
}
}
