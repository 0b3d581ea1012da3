// mpp::Value and mpp::Pipe on the sharing suite's workloads (sharing.hpp). The child is an
// mpp::Process under the default start method, started outside the timed region.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "common/bench.hpp"
#include "mpp/connection.hpp"
#include "mpp/process.hpp"
#include "mpp/shared_memory.hpp"
#include "sharing/sharing.hpp"

namespace mpp::bench {
namespace {

void value_increment_mpp(benchmark::State& state) {
  mpp::Value<std::int64_t> counter(0);
  for (auto _ : state) {
    for (int i = 0; i < k_value_rounds; ++i) {
      const std::lock_guard guard(counter.get_lock());
      ++counter.value();
    }
  }
  check(state, counter.get() == state.iterations() * std::int64_t{k_value_rounds}, "every increment counted");
  state.SetItemsProcessed(state.iterations() * k_value_rounds);
}

// The child: sends back every integer until it gets -1.
void echo(mpp::Connection connection) {
  for (;;) {
    const auto n = connection.recv<std::int64_t>();
    connection.send(n);
    if (n < 0) return;
  }
}

void pipe_round_trip_mpp(benchmark::State& state) {
  auto [mine, theirs] = mpp::Pipe();
  mpp::Process child(&echo, theirs);
  child.start();
  mine.send(std::int64_t{0});  // the child is running before the clock starts
  (void)mine.recv<std::int64_t>();
  theirs.close();  // the child holds its own end now
  for (auto _ : state) {
    std::int64_t sum = 0;
    for (std::int64_t i = 1; i <= k_pipe_rounds; ++i) {
      mine.send(i);
      sum += mine.recv<std::int64_t>();
    }
    check(state, sum == std::int64_t{k_pipe_rounds} * (k_pipe_rounds + 1) / 2, "every integer came back");
  }
  mine.send(std::int64_t{-1});
  (void)mine.recv<std::int64_t>();
  child.join();
  state.SetItemsProcessed(state.iterations() * k_pipe_rounds);
}

// The child: receives messages of bytes, acknowledging each with its size, until an empty one.
void sink(mpp::Connection connection) {
  for (;;) {
    const std::vector<std::byte> message = connection.recv_bytes();
    connection.send(static_cast<std::int64_t>(message.size()));
    if (message.empty()) return;
  }
}

void pipe_bulk_mpp(benchmark::State& state) {
  auto [mine, theirs] = mpp::Pipe();
  mpp::Process child(&sink, theirs);
  child.start();
  const std::vector<std::byte> message(k_bulk_bytes, std::byte{7});
  mine.send_bytes(message);
  (void)mine.recv<std::int64_t>();
  theirs.close();
  for (auto _ : state) {
    std::int64_t received = 0;
    for (int i = 0; i < k_bulk_messages; ++i) {
      mine.send_bytes(message);
      received += mine.recv<std::int64_t>();
    }
    check(state, received == std::int64_t{k_bulk_messages} * static_cast<std::int64_t>(k_bulk_bytes),
          "every byte arrived");
  }
  mine.send_bytes({});
  (void)mine.recv<std::int64_t>();
  child.join();
  state.SetBytesProcessed(state.iterations() * k_bulk_messages * static_cast<std::int64_t>(k_bulk_bytes));
  state.SetItemsProcessed(state.iterations() * k_bulk_messages);
}

BENCHMARK(value_increment_mpp)->Name("value_increment/mpp")->Unit(benchmark::kMillisecond);
BENCHMARK(pipe_round_trip_mpp)->Name("pipe_round_trip/mpp")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(pipe_bulk_mpp)->Name("pipe_bulk/mpp")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
