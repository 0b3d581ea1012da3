// A monotonic clock that jumps, preloaded (LD_PRELOAD) into mpp-run by tests that need a deadline
// to pass at one exact read of the clock: from the MPP_TEST_CLOCK_JUMP_AT-th read of
// CLOCK_MONOTONIC on (counting from 1), every read is MPP_TEST_CLOCK_JUMP_S seconds later than
// the real clock. A test tries every read in turn, so whatever reads the clock twice and acts on
// both answers meets a deadline passing between them.
#include <dlfcn.h>
#include <time.h>

#include <atomic>
#include <cstdlib>

namespace {

using ClockGettime = int (*)(clockid_t, timespec*);

long from_environment(const char* name, long otherwise) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::strtol(value, nullptr, 10) : otherwise;
}

}  // namespace

extern "C" int clock_gettime(clockid_t id, timespec* ts) noexcept {
  static const auto real = reinterpret_cast<ClockGettime>(::dlsym(RTLD_NEXT, "clock_gettime"));
  static const long at = from_environment("MPP_TEST_CLOCK_JUMP_AT", 0);
  static const long jump = from_environment("MPP_TEST_CLOCK_JUMP_S", 0);
  static std::atomic<long> reads{0};
  const int rc = real(id, ts);
  if (rc == 0 && id == CLOCK_MONOTONIC && at > 0 && reads.fetch_add(1) + 1 >= at) ts->tv_sec += jump;
  return rc;
}
