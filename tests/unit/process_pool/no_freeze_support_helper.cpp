// A program whose main() never calls mpp::freeze_support() and makes a spawn ProcessPool, a
// forkserver one, and spawn and forkserver mpp::Processes
// (StartMethodTest.SpawnWithoutFreezeSupportIsALogicErrorNamingIt): it appends "main" to the file
// named by argv[1] on every run of main(), and prints the error each one threw.
#include <unistd.h>

#include <cstdio>
#include <stdexcept>

#include "mpp/process.hpp"
#include "mpp/process_pool.hpp"

namespace {

void nothing() {}

template <class Make>
int refused(Make make) {
  try {
    make();
    std::puts("no exception");
    return 1;
  } catch (const std::logic_error& e) {
    std::printf("std::logic_error: %s\n", e.what());
    return 0;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  if (std::FILE* runs = std::fopen(argv[1], "a")) {
    std::fputs("main\n", runs);
    std::fclose(runs);
  }
  int failures = 0;
  // The library's default (forkserver), chosen by nobody: the same error.
  failures += refused([] { mpp::ProcessPool pool(1); });
  failures += refused([] {
    mpp::Process p(&nothing);
    p.start();
  });
  for (const mpp::StartMethod method : {mpp::StartMethod::spawn, mpp::StartMethod::forkserver}) {
    failures += refused(
        [method] { mpp::ProcessPool pool(mpp::ProcessPoolOptions{.processes = 1, .start_method = method}); });
    failures += refused([method] {
      mpp::Process p(mpp::ProcessOptions{.start_method = method}, &nothing);
      p.start();
    });
  }
  return failures;
}
