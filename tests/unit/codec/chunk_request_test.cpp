// ChunkReporter::run_request, the worker's side of a chunk request (remote/chunk_request.hpp): a
// request whose header is short, or whose entry is relocated where nothing relocates (or an
// address where the host relocates), is corrupt_request(): the transport ends the worker rather
// than run code it cannot trust. A request that reads well starts its chunk and runs its entry.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "mpp/detail/remote/codec.hpp"
#include "mpp/detail/remote/remote.hpp"
#include "remote/records.hpp"
#include "remote/reporter.hpp"

namespace mpp::detail {
namespace {

constexpr int k_corrupt_exit = 42;

int g_entry_runs = 0;
void counting_entry(WorkerContext& /*context*/, ByteReader& /*request*/) { ++g_entry_runs; }

// Decodes every function as counting_entry, reading the 8 bytes encode() wrote.
class TestRelocation final : public FunctionRelocation {
 public:
  void encode(ByteBuffer& out, std::uintptr_t address) const override {
    const auto value = static_cast<std::uint64_t>(address);
    append_bytes(out, &value, sizeof(value));
  }
  std::uintptr_t decode(ByteReader& in) const override {
    (void)in.read_raw<std::uint64_t>();
    return reinterpret_cast<std::uintptr_t>(&counting_entry);
  }
};

// A transport that reports nothing (the chunks here have no items) and exits on a corrupt request.
class TestReporter final : public ChunkReporter {
 public:
  void run(ByteReader& in, const FunctionRelocation* relocation) noexcept { run_request(in, relocation); }
  int chunks_started = 0;

 private:
  void start_item(std::size_t /*i*/) noexcept override {}
  bool skip() const noexcept override { return false; }
  void chunk_starts(const wire::ChunkHeader& /*header*/) noexcept override { ++chunks_started; }
  [[noreturn]] void corrupt_request() noexcept override { std::_Exit(k_corrupt_exit); }
  void write_record(wire::Kind /*kind*/, std::initializer_list<wire::Part> /*parts*/) override {
    std::abort();
  }
  wire::BlockHeader* reserve_block(std::size_t /*first*/, std::size_t /*size*/,
                                   std::size_t /*wanted*/) override {
    std::abort();
  }
  void publish_block(wire::BlockHeader& /*block*/) noexcept override { std::abort(); }
  std::atomic<std::uint64_t>* raw_running() noexcept override { return nullptr; }
  [[noreturn]] void cannot_report() noexcept override { std::abort(); }
  const char* unsent_note() const noexcept override { return "(not sent)"; }
};

ByteBuffer request(std::uint64_t entry, const FunctionRelocation* relocation) {
  const wire::ChunkHeader header{entry, 0, 0, 1, 0};
  ByteBuffer bytes(sizeof(header));
  std::memcpy(bytes.data(), &header, sizeof(header));
  if (relocation != nullptr) relocation->encode(bytes, reinterpret_cast<std::uintptr_t>(&counting_entry));
  return bytes;
}

void run(const ByteBuffer& bytes, const FunctionRelocation* relocation, TestReporter& reporter) {
  ByteReader in(std::span<const std::byte>(bytes.data(), bytes.size()));
  reporter.run(in, relocation);
}

const auto k_address = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(&counting_entry));

TEST(ChunkRequest, AWellFormedRequestStartsItsChunkAndRunsItsEntry) {
  const TestRelocation relocation;
  TestReporter reporter;
  g_entry_runs = 0;
  run(request(k_address, nullptr), nullptr, reporter);  // a forked worker: the address as it is
  run(request(0, &relocation), &relocation, reporter);  // spawn, forkserver, MPI: relocated
  EXPECT_EQ(reporter.chunks_started, 2);
  EXPECT_EQ(g_entry_runs, 2);
}

TEST(ChunkRequestDeathTest, AShortHeaderIsACorruptRequest) {
  ByteBuffer bytes = request(k_address, nullptr);
  bytes.resize(sizeof(wire::ChunkHeader) - 1);
  TestReporter reporter;
  EXPECT_EXIT(run(bytes, nullptr, reporter), ::testing::ExitedWithCode(k_corrupt_exit), "");
}

TEST(ChunkRequestDeathTest, ARelocatedEntryWhereNothingRelocatesIsACorruptRequest) {
  const TestRelocation relocation;
  TestReporter reporter;
  EXPECT_EXIT(run(request(0, &relocation), nullptr, reporter), ::testing::ExitedWithCode(k_corrupt_exit), "");
}

TEST(ChunkRequestDeathTest, AnAddressWhereTheHostRelocatesIsACorruptRequest) {
  const TestRelocation relocation;
  TestReporter reporter;
  EXPECT_EXIT(run(request(k_address, nullptr), &relocation, reporter),
              ::testing::ExitedWithCode(k_corrupt_exit), "");
}

}  // namespace
}  // namespace mpp::detail
