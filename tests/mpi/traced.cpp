// mpp defines the MPI calls that communicate in front of libmpi's (src/mpi/worker_guard.cpp); each
// goes on to the next definition, so a tracing tool loaded with LD_PRELOAD (tracer.cpp) still sees
// the program's calls. Prints "traced N" for the N barriers the tool counted.
#include <dlfcn.h>
#include <mpi.h>

#include <cstdio>

#include "mpp/mpi.hpp"

int main(int argc, char** argv) {
  mpp::MpiPool pool(argc, argv);  // initialises MPI; a job of one rank
  MPI_Barrier(MPI_COMM_WORLD);
  MPI_Barrier(MPI_COMM_WORLD);
  const auto* count = static_cast<const int*>(::dlsym(RTLD_DEFAULT, "mpp_test_traced_barriers"));
  std::printf("traced %d\n", count != nullptr ? *count : -1);
  return 0;
}
