// Shared memory without the spin: a forked child and the parent hand a request and its answer over
// through words in a MAP_SHARED page, and each side sleeps in FUTEX_WAIT at once when the other has
// not answered yet (no spinning). Against the pipe, this shows what shared memory alone saves;
// against ProcessPool (shared memory, spinning a while before it sleeps), what the spin saves.
#include <benchmark/benchmark.h>
#include <linux/futex.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <new>

#include "common/bench.hpp"
#include "common/latency.hpp"
#include "common/workloads.hpp"

namespace mpp::bench {
namespace {

void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected) {
  // Not FUTEX_PRIVATE_FLAG: the word is shared with another process.
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT, expected, nullptr, nullptr, 0);
}

void futex_wake(std::atomic<std::uint32_t>& word) {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

// One page shared by the parent and the child. The sequence numbers are the futex words; each
// side's own word on its own cache line.
struct Mailbox {
  alignas(64) std::atomic<std::uint32_t> request{0};  // sequence of the latest request
  int argument = 0;                                   // written before `request` (release)
  bool stop = false;
  alignas(64) std::atomic<std::uint32_t> response{0};  // sequence of the latest answer
  int result = 0;                                      // written before `response` (release)
};

// Sleeps until `word` differs from `seen`, without spinning; returns its new value.
std::uint32_t wait_for_change(std::atomic<std::uint32_t>& word, std::uint32_t seen) {
  for (;;) {
    const std::uint32_t now = word.load(std::memory_order_acquire);
    if (now != seen) return now;
    futex_wait(word, seen);
  }
}

class FutexPingPong {
 public:
  FutexPingPong() {
    void* page = ::mmap(nullptr, sizeof(Mailbox), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) return;
    box_ = new (page) Mailbox();
    child_ = ::fork();
    if (child_ == 0) serve();
  }
  FutexPingPong(const FutexPingPong&) = delete;
  FutexPingPong& operator=(const FutexPingPong&) = delete;
  ~FutexPingPong() {
    if (child_ > 0) {
      box_->stop = true;
      box_->request.fetch_add(1, std::memory_order_release);
      futex_wake(box_->request);
      int status = 0;
      while (::waitpid(child_, &status, 0) < 0 && errno == EINTR) {
      }
    }
    if (box_ != nullptr) ::munmap(box_, sizeof(Mailbox));
  }

  bool started() const { return child_ > 0; }

  int call(int x) {
    box_->argument = x;
    const std::uint32_t sequence = box_->request.load(std::memory_order_relaxed) + 1;
    box_->request.store(sequence, std::memory_order_release);
    futex_wake(box_->request);
    wait_for_change(box_->response, sequence - 1);
    return box_->result;
  }

 private:
  [[noreturn]] void serve() {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    std::uint32_t seen = 0;
    for (;;) {
      seen = wait_for_change(box_->request, seen);
      if (box_->stop) ::_exit(0);
      box_->result = add_one(box_->argument);
      box_->response.store(seen, std::memory_order_release);
      futex_wake(box_->response);
    }
  }

  Mailbox* box_ = nullptr;
  pid_t child_ = -1;
};

void process_round_trip_futex(benchmark::State& state) {
  FutexPingPong ping_pong;
  if (!ping_pong.started()) {
    state.SkipWithError("mmap or fork failed");
    return;
  }
  measure_round_trips(state, [&](int x) { return ping_pong.call(x); });
}

BENCHMARK(process_round_trip_futex)
    ->Name("process_round_trip/futex")
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace mpp::bench
