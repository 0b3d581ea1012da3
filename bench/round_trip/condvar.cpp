// The hand-off anyone would write by hand: a persistent helper thread that waits on a condition
// variable for a request, computes it, and signals the response on another.
#include <benchmark/benchmark.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/bench.hpp"
#include "common/latency.hpp"
#include "common/workloads.hpp"

namespace mpp::bench {
namespace {

class HandOff {
 public:
  HandOff() : helper_([this] { serve(); }) {}
  HandOff(const HandOff&) = delete;
  HandOff& operator=(const HandOff&) = delete;
  ~HandOff() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    request_ready_.notify_one();
    helper_.join();
  }

  int call(int x) {
    std::unique_lock lock(mutex_);
    request_ = x;
    has_request_ = true;
    request_ready_.notify_one();
    response_ready_.wait(lock, [this] { return has_response_; });
    has_response_ = false;
    return response_;
  }

 private:
  void serve() {
    std::unique_lock lock(mutex_);
    for (;;) {
      request_ready_.wait(lock, [this] { return has_request_ || stop_; });
      if (!has_request_) return;
      has_request_ = false;
      response_ = add_one(request_);
      has_response_ = true;
      response_ready_.notify_one();
    }
  }

  std::mutex mutex_;
  std::condition_variable request_ready_;
  std::condition_variable response_ready_;
  int request_ = 0;
  int response_ = 0;
  bool has_request_ = false;
  bool has_response_ = false;
  bool stop_ = false;
  std::thread helper_;  // last: starts after every member it uses
};

void round_trip_condvar(benchmark::State& state) {
  HandOff hand_off;
  measure_round_trips(state, [&](int x) { return hand_off.call(x); });
}

BENCHMARK(round_trip_condvar)
    ->Name("round_trip/condvar")
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace mpp::bench
