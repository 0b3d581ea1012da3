// The main of every MPI test program, run under mpirun (scripts/mpirun-local): rank 0 runs the
// tests; every other rank serves their pools until rank 0 finalises MPI. Tasks reach the test's
// Probe (mpp_test/probe.hpp) through POSIX shared memory that every rank maps, so the ranks must
// share one machine, as they do under CTest.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <mpi.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>

#include "mpp/mpi.hpp"
#include "mpp_test/probe.hpp"

namespace {

mpp_test::Probe* g_probe = nullptr;

// Each test's fresh Probe, in the memory the serving ranks see.
mpp_test::Probe* fresh_probe() {
  g_probe->~Probe();
  return new (g_probe) mpp_test::Probe();
}

// Rank 0 makes the memory and names it; the others map it; the name is removed once all have.
void share_probe(int rank) {
  char name[64] = {};
  if (rank == 0) std::snprintf(name, sizeof(name), "/mpp_test_probe_%d", static_cast<int>(::getpid()));
  MPI_Bcast(name, sizeof(name), MPI_CHAR, 0, MPI_COMM_WORLD);
  int fd = -1;
  if (rank == 0) {
    fd = ::shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0 || ::ftruncate(fd, sizeof(mpp_test::Probe)) != 0) {
      std::perror("mpp_test: shm_open");
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
  }
  MPI_Barrier(MPI_COMM_WORLD);  // created and sized before the others open it
  if (rank != 0) fd = ::shm_open(name, O_RDWR, 0600);
  if (fd < 0) {
    std::perror("mpp_test: shm_open");
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  void* memory = ::mmap(nullptr, sizeof(mpp_test::Probe), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);
  if (memory == MAP_FAILED) {
    std::perror("mpp_test: mmap");
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  if (rank == 0) g_probe = new (memory) mpp_test::Probe();
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) ::shm_unlink(name);
  // Serving ranks keep pointing at it; rank 0 remakes the Probe in place for each test.
  mpp_test::current_probe() = static_cast<mpp_test::Probe*>(memory);
  if (rank == 0) mpp_test::probe_home() = &fresh_probe;
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  // What mpp::MpiPool sets when it initialises MPI (src/mpi/session.cpp): this program does it.
  ::setenv("OMPI_MCA_mpi_yield_when_idle", "0", /*overwrite=*/0);
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  share_probe(rank);
  mpp::MpiPool::serve(argc, argv);  // ranks other than 0 serve, and end, here
  ::testing::InitGoogleTest(&argc, argv);
  const int rc = RUN_ALL_TESTS();
  MPI_Finalize();  // the program initialised MPI, so it finalises it: this releases the serving ranks
  return rc;
}
