// The MPI suite's main. bench-table runs every suite as a plain program, so this one starts itself
// again under mpirun (4 ranks on this machine: rank 0 drives, 3 serve) when it was not started by
// it; rank 0 then runs the benchmarks and the other ranks serve until it ends.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "mpp/mpi.hpp"
#include "mpp/start_method.hpp"

int main(int argc, char** argv) {
  mpp::freeze_support(argc, argv);  // first: the ProcessPool contender's fork server starts here
  if (std::getenv("OMPI_COMM_WORLD_SIZE") == nullptr && std::getenv("MPP_BENCH_NO_MPIRUN") == nullptr) {
    char self[4096] = {};
    if (::readlink("/proc/self/exe", self, sizeof(self) - 1) <= 0) {
      std::perror("mpp-bench-mpi: readlink /proc/self/exe");
      return 1;
    }
    std::vector<std::string> args{MPP_BENCH_MPIRUN_LOCAL, MPP_BENCH_MPIEXEC, "4", self};
    for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
    std::vector<char*> raw;
    for (auto& a : args) raw.push_back(a.data());
    raw.push_back(nullptr);
    ::execv(raw[0], raw.data());
    std::perror("mpp-bench-mpi: cannot start scripts/mpirun-local");
    return 1;
  }
  mpp::MpiPool::serve(argc, argv);  // ranks other than 0 serve here until rank 0 ends
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
