// The floor of a pipe-based process pool: a forked child that blocks in read() on one pipe for a
// 4-byte request and writes the answer on another, with the parent blocked in read() meanwhile.
// Each round trip is two wake-ups of a sleeping process; no pool built on pipes can do better.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>

#include "common/bench.hpp"
#include "common/latency.hpp"
#include "common/workloads.hpp"

namespace mpp::bench {
namespace {

// Whole 4-byte messages (a pipe never splits a write this small, but EINTR can interrupt).
bool read_int(int fd, int& value) {
  for (;;) {
    const ssize_t got = ::read(fd, &value, sizeof(value));
    if (got == static_cast<ssize_t>(sizeof(value))) return true;
    if (got < 0 && errno == EINTR) continue;
    return false;
  }
}

bool write_int(int fd, int value) {
  for (;;) {
    const ssize_t put = ::write(fd, &value, sizeof(value));
    if (put == static_cast<ssize_t>(sizeof(value))) return true;
    if (put < 0 && errno == EINTR) continue;
    return false;
  }
}

class PipePingPong {
 public:
  PipePingPong() {
    if (::pipe2(request_, O_CLOEXEC) != 0 || ::pipe2(response_, O_CLOEXEC) != 0) return;
    child_ = ::fork();
    if (child_ == 0) serve();
  }
  PipePingPong(const PipePingPong&) = delete;
  PipePingPong& operator=(const PipePingPong&) = delete;
  ~PipePingPong() {
    for (int fd : {request_[0], request_[1], response_[0], response_[1]}) {
      if (fd >= 0) ::close(fd);  // the child reads end-of-file and exits
    }
    if (child_ > 0) {
      int status = 0;
      while (::waitpid(child_, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }

  bool started() const { return child_ > 0; }

  int call(int x) {
    int y = -1;
    if (!write_int(request_[1], x) || !read_int(response_[0], y)) return -1;
    return y;
  }

 private:
  [[noreturn]] void serve() {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::close(request_[1]);
    ::close(response_[0]);
    int x = 0;
    while (read_int(request_[0], x)) {
      if (!write_int(response_[1], add_one(x))) break;
    }
    ::_exit(0);
  }

  int request_[2] = {-1, -1};
  int response_[2] = {-1, -1};
  pid_t child_ = -1;
};

void process_round_trip_pipe(benchmark::State& state) {
  PipePingPong ping_pong;
  if (!ping_pong.started()) {
    state.SkipWithError("pipe2 or fork failed");
    return;
  }
  measure_round_trips(state, [&](int x) { return ping_pong.call(x); });
}

BENCHMARK(process_round_trip_pipe)
    ->Name("process_round_trip/pipe")
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace mpp::bench
