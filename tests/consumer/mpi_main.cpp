// Uses the installed mpp::mpi as a user on a cluster would: <mpp/mpi.hpp>, mpp::mpi, mpirun.
#include <cstdio>
#include <mpp/mpi.hpp>
#include <vector>

int cube(int x) { return x * x * x; }

int main(int argc, char** argv) {
  mpp::MpiPool pool(argc, argv);  // ranks other than 0 serve here until rank 0 ends
  const auto cubes = pool.map(&cube, std::vector<int>{1, 2, 3, 4});
  if (cubes != std::vector<int>{1, 8, 27, 64}) {
    std::fprintf(stderr, "mpp-consumer-mpi: pool.map gave wrong results\n");
    return 1;
  }
  std::printf("mpp-consumer-mpi: ok (%zu serving ranks)\n", pool.size());
  return 0;
}
