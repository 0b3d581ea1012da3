#include "mpp/start_method.hpp"

#include <sys/prctl.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "posix/syscall.hpp"
#include "process/spawn.hpp"

namespace mpp {
namespace {
std::atomic<StartMethod> g_default_method{StartMethod::forkserver};
}  // namespace

void set_start_method(StartMethod method) noexcept {
  g_default_method.store(method, std::memory_order_release);
}

StartMethod get_start_method() noexcept { return g_default_method.load(std::memory_order_acquire); }

void freeze_support(int argc, char** argv) {
  const char* const argv0 = argc > 0 && argv != nullptr ? argv[0] : nullptr;
  // NOLINTNEXTLINE(concurrency-mt-unsafe): at the top of main, before any thread of ours runs
  const char* const found = std::getenv(detail::k_spawn_variable);
  if (found == nullptr) {
    detail::record_freeze_support(argv0);
    return;
  }
  // A spawned worker. The variable goes first, so that nothing this process starts (the tasks'
  // own child processes) takes it for a worker too.
  const std::string value = found;
  char* end = nullptr;
  errno = 0;
  const long fd = std::strtol(value.c_str(), &end, 10);
  const bool valid = errno == 0 && end != value.c_str() && *end == '\0' && fd >= 0 && fd <= 1 << 20;
  ::unsetenv(detail::k_spawn_variable);  // NOLINT(concurrency-mt-unsafe): as above
  if (!valid) {
    std::fprintf(stderr, "mpp::freeze_support: %s is set to \"%s\", not a descriptor; ending the process\n",
                 detail::k_spawn_variable, value.c_str());
    std::fflush(stderr);
    std::_Exit(7);
  }
  // A task may start a spawn pool of its own: this program cooperates.
  detail::record_freeze_support(argv0);
  // Named as the program, not "exe" (the file run was /proc/self/exe): ps, pgrep and top find it.
  if (argv0 != nullptr) {
    const char* slash = std::strrchr(argv0, '/');
    // Best effort: a worker under another name works the same.
    (void)detail::posix::retried("prctl",
                                 [&] { return ::prctl(PR_SET_NAME, slash != nullptr ? slash + 1 : argv0); });
  }
  detail::run_spawned_worker(static_cast<int>(fd));
}

}  // namespace mpp
