// A task that calls std::exit in a local worker: the worker ends with that status and the item
// fails alone with WorkerLost saying so. With one rank the workers are forked from rank 0, whose
// exit finalises MPI (the pool initialised it): a worker's exit ran that finalisation, which sent
// mpp's stop messages from the worker, so the worker died of SIGABRT with "terminate called ...
// a task called MPI_Send in a local worker process" (CTest: MpiLocalWorkers.ATaskCallingExit*).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "mpp/errors.hpp"
#include "mpp/mpi.hpp"

namespace {

int exits_with_7(int /*x*/) { std::exit(7); }
int twice(int x) { return 2 * x; }

}  // namespace

int main(int argc, char** argv) {
  mpp::MpiPool pool(argc, argv);  // initialises MPI: rank 0's exit finalises it
  try {
    (void)pool.apply(&exits_with_7, 1);
    std::printf("exit_in_task: the task's exit did not fail it\n");
    return 1;
  } catch (const mpp::WorkerLost& e) {
    if (std::string(e.what()).find("exited with code 7") == std::string::npos) {
      std::printf("exit_in_task: %s\n", e.what());
      return 1;
    }
  }
  if (pool.apply(&twice, 21) != 42) return 1;
  std::printf("exit_in_task: ok\n");
  return 0;
}
