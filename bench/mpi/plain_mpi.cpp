// The MPI suite's floor: the same bytes as the MpiPool round trip, sent by MPI_Send and received
// by MPI_Recv, rank 0 to rank 1 and back, into buffers allocated and touched once. Rank 1 serves
// the pool, so it runs the echo loop as a pool task (a one-rank MpiPool), which then makes only
// MPI's own calls, on MPI_COMM_WORLD, until an empty message ends it.
#include <benchmark/benchmark.h>
#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "mpi/round_trip.hpp"
#include "mpp/mpi.hpp"

namespace mpp::bench {
namespace {

constexpr int k_echo_tag = 4711;

// On rank 1: echoes every message until an empty one; returns how many it echoed.
long echo_messages(std::size_t bytes) {
  std::vector<std::byte> buffer(bytes, std::byte{1});
  long echoed = 0;
  for (;;) {
    MPI_Status status;
    MPI_Recv(buffer.data(), static_cast<int>(bytes), MPI_BYTE, 0, k_echo_tag, MPI_COMM_WORLD, &status);
    int count = 0;
    MPI_Get_count(&status, MPI_BYTE, &count);
    if (count == 0) return echoed;
    MPI_Send(buffer.data(), count, MPI_BYTE, 0, k_echo_tag, MPI_COMM_WORLD);
    ++echoed;
  }
}

void mpi_round_trip_plain_mpi(benchmark::State& state) {
  const std::size_t bytes = round_trip_doubles(state.range(0)) * sizeof(double);
  // The echo task calls MPI, so it runs in the rank itself (a local worker must not).
  mpp::MpiPool pool(mpp::MpiPoolOptions{.ranks = 1, .workers_per_rank = 0});
  auto echo = pool.apply_async(echo_messages, bytes);
  std::vector<std::byte> out(bytes, std::byte{2});
  std::vector<std::byte> in(bytes, std::byte{0});
  for (auto _ : state) {
    MPI_Send(out.data(), static_cast<int>(bytes), MPI_BYTE, 1, k_echo_tag, MPI_COMM_WORLD);
    MPI_Recv(in.data(), static_cast<int>(bytes), MPI_BYTE, 1, k_echo_tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    benchmark::DoNotOptimize(in.data());
  }
  MPI_Send(out.data(), 0, MPI_BYTE, 1, k_echo_tag, MPI_COMM_WORLD);
  if (echo.get() != static_cast<long>(state.iterations()) || in != out) state.SkipWithError("wrong echo");
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 2 *
                          static_cast<std::int64_t>(bytes));
}

BENCHMARK(mpi_round_trip_plain_mpi)
    ->Name("mpi_round_trip/plain_mpi")
    ->Args({50})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mpp::bench
