// mpp::MpiPool with 1, 2 and 3 serving ranks (MpiPoolOptions::ranks, in one 4-rank job): the
// tutorial's map, the coarse workload, and the cost of one chunk; and a 50 MB argument's round trip
// to rank 1 and back (against plain MPI: plain_mpi.cpp).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstddef>
#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

#include "common/bench.hpp"
#include "common/tutorial_map.hpp"
#include "common/workloads.hpp"
#include "mpi/coarse.hpp"
#include "mpi/round_trip.hpp"
#include "mpp/mpi.hpp"

namespace mpp::bench {
namespace {

// The rows named mpi_pool measure ranks that run items themselves (workers_per_rank 0, the
// default), whatever the default becomes.
mpp::MpiPoolOptions in_ranks(std::int64_t ranks) {
  return mpp::MpiPoolOptions{.ranks = static_cast<std::size_t>(ranks), .workers_per_rank = 0};
}

void mpi_tutorial_mpi_pool(benchmark::State& state) {
  mpp::MpiPool pool(in_ranks(state.range(1)));
  time_tutorial_map(state, pool);
}

void time_coarse(benchmark::State& state, const mpp::MpiPoolOptions& options) {
  const std::vector<std::int64_t> items(static_cast<std::size_t>(state.range(0)));
  mpp::MpiPool pool(options);
  for (auto _ : state) {
    std::vector<std::int64_t> results = pool.map(coarse_item, items);
    benchmark::DoNotOptimize(results.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void mpi_coarse_mpi_pool(benchmark::State& state) { time_coarse(state, in_ranks(state.range(1))); }

// One serving rank running the items in `workers` local worker processes (workers_per_rank): the
// issue's target is within 10% of ProcessPool(workers) on the same items (mpi_coarse/process_pool).
void mpi_coarse_local_workers(benchmark::State& state) {
  time_coarse(state,
              mpp::MpiPoolOptions{.ranks = 1, .workers_per_rank = static_cast<std::size_t>(state.range(1))});
}

// Rank 0's CPU time so far (every thread: the caller's and the dispatcher's), in microseconds.
double rank0_cpu_us() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto us = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_usec);
  };
  return us(usage.ru_utime) + us(usage.ru_stime);
}

// One item per chunk, each trivial: the time per item is what a chunk costs (request, run, result).
// rank0_us_per_chunk: rank 0's CPU per chunk, which bounds how many chunks a second one rank 0
// can hand out (docs/mpi.md, Scale).
void time_chunks(benchmark::State& state, const mpp::MpiPoolOptions& options) {
  std::vector<int> items(static_cast<std::size_t>(state.range(0)));
  std::iota(items.begin(), items.end(), 0);
  mpp::MpiPool pool(options);
  const double cpu_before = rank0_cpu_us();
  for (auto _ : state) {
    std::vector<int> results = pool.map([](int x) { return x + 1; }, items, 1);
    benchmark::DoNotOptimize(results.data());
  }
  const double chunks = static_cast<double>(state.iterations() * state.range(0));
  state.counters["rank0_us_per_chunk"] = (rank0_cpu_us() - cpu_before) / chunks;
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void mpi_chunk_mpi_pool(benchmark::State& state) { time_chunks(state, in_ranks(state.range(1))); }

// The same chunks through one local worker per rank: what a chunk costs on the relay path.
void mpi_chunk_local_workers(benchmark::State& state) {
  time_chunks(state,
              mpp::MpiPoolOptions{.ranks = static_cast<std::size_t>(state.range(1)), .workers_per_rank = 1});
}

// Synchronous apply calls one after the other (the tutorial's apply section): each waits for the
// one before, so the time per call is a chunk's whole round trip, rank 0 to the item and back.
void time_applies(benchmark::State& state, const mpp::MpiPoolOptions& options) {
  const auto calls = static_cast<int>(state.range(0));
  mpp::MpiPool pool(options);
  for (auto _ : state) {
    int sum = 0;
    for (int i = 0; i < calls; ++i) sum += pool.apply([](int x) { return x + 1; }, i);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void mpi_apply_mpi_pool(benchmark::State& state) { time_applies(state, in_ranks(state.range(1))); }

void mpi_apply_local_workers(benchmark::State& state) {
  time_applies(state,
               mpp::MpiPoolOptions{.ranks = static_cast<std::size_t>(state.range(1)), .workers_per_rank = 1});
}

// The argument moves into the call and the result back into it: what is timed is the trip alone.
void time_round_trip(benchmark::State& state, const mpp::MpiPoolOptions& options) {
  RoundTripData data(round_trip_doubles(state.range(0)));
  std::iota(data.begin(), data.end(), 0.0);
  const RoundTripData expected = data;
  mpp::MpiPool pool(options);
  data = pool.apply(echo_argument, std::move(data));  // untimed: the ranks' buffers grow once
  for (auto _ : state) {
    data = pool.apply(echo_argument, std::move(data));
    benchmark::DoNotOptimize(data.data());
  }
  check(state, data == expected, "the round trip changed the data");
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 2 *
                          static_cast<std::int64_t>(expected.size() * sizeof(double)));
}

void mpi_round_trip_mpi_pool(benchmark::State& state) { time_round_trip(state, in_ranks(1)); }

// The same through the rank's one local worker: the bytes also cross between the rank and it.
void mpi_round_trip_local_worker(benchmark::State& state) {
  time_round_trip(state, mpp::MpiPoolOptions{.ranks = 1, .workers_per_rank = 1});
}

BENCHMARK(mpi_tutorial_mpi_pool)
    ->Name("mpi_tutorial/mpi_pool")
    ->ArgsProduct({{200'000, 2'000'000}, {1, 2, 3}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(mpi_coarse_mpi_pool)
    ->Name("mpi_coarse/mpi_pool")
    ->ArgsProduct({{24}, {1, 2, 3}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(mpi_coarse_local_workers)
    ->Name("mpi_coarse/mpi_pool_1_rank_workers")
    ->ArgsProduct({{24}, {2}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(mpi_chunk_mpi_pool)
    ->Name("mpi_chunk/mpi_pool")
    ->ArgsProduct({{2000}, {1, 2, 3}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(mpi_chunk_local_workers)
    ->Name("mpi_chunk/mpi_pool_1_worker_per_rank")
    ->ArgsProduct({{2000}, {1, 3}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(mpi_apply_mpi_pool)
    ->Name("mpi_apply/mpi_pool")
    ->ArgsProduct({{1000}, {1, 2}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(mpi_apply_local_workers)
    ->Name("mpi_apply/mpi_pool_1_worker_per_rank")
    ->ArgsProduct({{1000}, {1, 2}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(mpi_round_trip_mpi_pool)
    ->Name("mpi_round_trip/mpi_pool")
    ->Args({50})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(mpi_round_trip_local_worker)
    ->Name("mpi_round_trip/mpi_pool_1_worker_per_rank")
    ->Args({50})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
