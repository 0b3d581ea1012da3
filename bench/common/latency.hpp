// Per-call latency: time every round trip separately and report the median, which a busy, shared
// machine disturbs far less than the mean that Google Benchmark's own loop would give.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <vector>

namespace mpp::bench {

inline constexpr std::size_t k_round_trips = 10'000;
inline constexpr std::size_t k_warm_up_round_trips = 1'000;

/// Runs `round_trip(int x)` (which must return x + 1) k_round_trips times per benchmark iteration,
/// timing each call on its own with steady_clock, and reports the median as the iteration's
/// (manual) time; p10, p90, p99 and the mean go to counters, in microseconds. Register the
/// benchmark with UseManualTime() and Iterations(1): each repetition is then one median of 10 000.
template <class RoundTrip>
void measure_round_trips(benchmark::State& state, RoundTrip&& round_trip) {
  using Clock = std::chrono::steady_clock;
  bool ok = true;
  for (std::size_t i = 0; i < k_warm_up_round_trips; ++i)
    ok &= round_trip(static_cast<int>(i)) == static_cast<int>(i) + 1;
  std::vector<double> ns(k_round_trips);
  for (auto _ : state) {
    for (std::size_t i = 0; i < k_round_trips; ++i) {
      const int x = static_cast<int>(i);
      const auto start = Clock::now();
      const int y = round_trip(x);
      const auto stop = Clock::now();
      ok &= y == x + 1;
      ns[i] = std::chrono::duration<double, std::nano>(stop - start).count();
    }
    std::sort(ns.begin(), ns.end());
    state.SetIterationTime(ns[ns.size() / 2] * 1e-9);
  }
  if (!ok) state.SkipWithError("a round trip returned a wrong result");
  const auto at = [&](double q) {
    return ns[static_cast<std::size_t>(q * static_cast<double>(ns.size() - 1))] * 1e-3;
  };
  double sum = 0;
  for (double v : ns) sum += v;
  state.counters["p10_us"] = at(0.10);
  state.counters["p90_us"] = at(0.90);
  state.counters["p99_us"] = at(0.99);
  state.counters["mean_us"] = sum / static_cast<double>(ns.size()) * 1e-3;
}

}  // namespace mpp::bench
