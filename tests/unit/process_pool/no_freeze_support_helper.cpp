// A program whose main() never calls mpp::freeze_support() and makes a spawn ProcessPool
// (StartMethodTest.SpawnWithoutFreezeSupportIsALogicErrorNamingIt): it appends "main" to the file
// named by argv[1] on every run of main(), and prints the error the pool's constructor threw.
#include <cstdio>
#include <stdexcept>

#include "mpp/process_pool.hpp"

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  if (std::FILE* runs = std::fopen(argv[1], "a")) {
    std::fputs("main\n", runs);
    std::fclose(runs);
  }
  try {
    mpp::ProcessPool pool(mpp::ProcessPoolOptions{.processes = 1, .start_method = mpp::StartMethod::spawn});
    std::puts("no exception");
    return 1;
  } catch (const std::logic_error& e) {
    std::printf("std::logic_error: %s\n", e.what());
    return 0;
  }
}
