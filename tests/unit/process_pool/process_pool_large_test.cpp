// ProcessPool with large messages: arguments and results far larger than a channel's ring (64 MiB
// strings and vectors, 16 MiB under ThreadSanitizer, several at once on two workers) pass without deadlock
// and arrive intact; a map over a million items is complete and in order. Every wait has a limit: on a
// deadlock the pool is terminated (its workers killed) and the test fails instead of hanging.
#include <gtest/gtest.h>
#include <pthread.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <ranges>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "mpp/errors.hpp"
#include "mpp/process.hpp"
#include "mpp/process_pool.hpp"
#include "mpp_test/sync.hpp"
#include "mpp_test/watchdog.hpp"

namespace {

// Under ThreadSanitizer, which makes every byte copied cost many times as much, 16 MiB: still four
// rings' worth, at a quarter of the time in CI.
#if defined(__SANITIZE_THREAD__)
constexpr std::size_t k_big = std::size_t{16} << 20;  // bytes
#else
constexpr std::size_t k_big = std::size_t{64} << 20;  // bytes
#endif
constexpr int k_big_ints = static_cast<int>(k_big / sizeof(int));

/// A pattern that differs with `seed`: a block of a prime length (so it never lines up with the
/// rings' power-of-two pieces) repeated, so a lost, doubled or misplaced piece shows.
std::string make_string(std::size_t size, int seed) {
  std::string block(4093, '\0');
  for (std::size_t i = 0; i < block.size(); ++i) {
    block[i] = static_cast<char>((i * 131 + static_cast<std::size_t>(seed) * 7) % 251);
  }
  std::string s;
  s.reserve(size);
  while (s.size() + block.size() <= size) s += block;
  s.append(block, 0, size - s.size());
  return s;
}

std::vector<int> make_ints(int count, int seed) {
  std::vector<int> block(4093);
  for (int i = 0; i < 4093; ++i) block[static_cast<std::size_t>(i)] = i * 7 + seed;
  std::vector<int> v;
  v.reserve(static_cast<std::size_t>(count));
  while (v.size() + block.size() <= static_cast<std::size_t>(count))
    v.insert(v.end(), block.begin(), block.end());
  v.insert(v.end(), block.begin(),
           block.begin() + static_cast<std::ptrdiff_t>(count - static_cast<int>(v.size())));
  return v;
}

/// Checked in the worker, against its own copy of the pattern.
bool is_big_string(const std::string& s, int seed) { return s == make_string(k_big, seed); }
bool is_big_ints(const std::vector<int>& v, int seed) { return v == make_ints(k_big_ints, seed); }
std::string big_string(int seed) { return make_string(k_big, seed); }
std::vector<int> big_ints(int seed) { return make_ints(k_big_ints, seed); }
/// Both directions at once: a big argument in, the same big result out.
std::string echo(const std::string& s) { return s; }
long long triple(int x) { return 3LL * x; }

/// The result, or a test failure (after killing the workers) when it takes longer than any sane
/// run could: a deadlock.
template <class R>
R get_or_fail(mpp::ProcessPool& pool, mpp::AsyncResult<R>& result) {
  if (!result.wait(mpp_test::k_deadlock_limit)) {
    pool.terminate();
    ADD_FAILURE() << "no result after " << mpp_test::k_deadlock_limit.count() << " s: deadlock";
    throw mpp::TimeoutError("deadlock");
  }
  return result.get();
}

TEST(ProcessPoolLarge, ApplyWithA64MiBStringArgument) {
  mpp::ProcessPool pool(2);
  auto r = pool.apply_async(&is_big_string, make_string(k_big, 1), 1);
  EXPECT_TRUE(get_or_fail(pool, r)) << "the worker received another string";
}

TEST(ProcessPoolLarge, ApplyWithA64MiBStringResult) {
  mpp::ProcessPool pool(2);
  auto r = pool.apply_async(&big_string, 2);
  const std::string out = get_or_fail(pool, r);
  EXPECT_EQ(out.size(), k_big);
  EXPECT_TRUE(out == make_string(k_big, 2)) << "the result differs";
}

TEST(ProcessPoolLarge, ApplyWithA64MiBVectorArgumentAndResult) {
  mpp::ProcessPool pool(2);
  auto in = pool.apply_async(&is_big_ints, make_ints(k_big_ints, 3), 3);
  EXPECT_TRUE(get_or_fail(pool, in)) << "the worker received another vector";
  auto out = pool.apply_async(&big_ints, 4);
  const std::vector<int> result = get_or_fail(pool, out);
  EXPECT_EQ(result.size(), static_cast<std::size_t>(k_big_ints));
  EXPECT_TRUE(result == make_ints(k_big_ints, 4)) << "the result differs";
}

TEST(ProcessPoolLarge, ApplyBlockingCallWithA64MiBArgumentAndResult) {
  mpp::ProcessPool pool(1);
  // apply() drives the pool from the calling thread: the same streaming, another code path.
  mpp_test::Watchdog watchdog(pool);
  const std::string out = pool.apply(&echo, make_string(k_big, 5));
  EXPECT_TRUE(out == make_string(k_big, 5)) << "the result differs";
  EXPECT_EQ(pool.apply(&echo, std::string(1000, 'a')), std::string(1000, 'a'));
}

TEST(ProcessPoolLarge, MapOfSeveral64MiBArgumentsAndResultsOnTwoWorkers) {
  mpp::ProcessPool pool(2);
  std::vector<std::string> args;
  for (int seed = 0; seed < 2; ++seed) args.push_back(make_string(k_big, 10 + seed));  // one per worker
  auto r = pool.map_async(&echo, args, 1);
  const std::vector<std::string> out = get_or_fail(pool, r);
  ASSERT_EQ(out.size(), 2U);
  for (std::size_t k = 0; k < 2; ++k) EXPECT_TRUE(out[k] == args[k]) << "result " << k << " differs";
}

TEST(ProcessPoolLarge, MapOfSeveral64MiBResultsInOneChunk) {
  mpp::ProcessPool pool(2);
  auto r = pool.map_async(&big_ints, std::vector<int>{20, 21}, 2);
  const auto out = get_or_fail(pool, r);
  ASSERT_EQ(out.size(), 2U);
  for (int k = 0; k < 2; ++k) {
    EXPECT_TRUE(out[static_cast<std::size_t>(k)] == make_ints(k_big_ints, 20 + k)) << "result " << k;
  }
}

TEST(ProcessPoolLarge, ImapOfLargeResults) {
  mpp::ProcessPool pool(2);
  auto results = pool.imap(&big_string, std::views::iota(30, 32));
  try {
    for (int seed = 30; seed < 32; ++seed) {
      const auto r = results.next(mpp_test::k_deadlock_limit);
      ASSERT_TRUE(r.has_value());
      EXPECT_TRUE(*r == make_string(k_big, seed)) << "result " << seed;
    }
    EXPECT_FALSE(results.next().has_value());
  } catch (const mpp::TimeoutError&) {
    pool.terminate();  // before `results` waits for the stuck item
    ADD_FAILURE() << "no result after " << mpp_test::k_deadlock_limit.count() << " s: deadlock";
  }
}

TEST(ProcessPoolLarge, MapOverAMillionInts) {
  constexpr int k_items = 1'000'000;
  mpp::ProcessPool pool(2);
  std::vector<int> items(k_items);
  for (int i = 0; i < k_items; ++i) items[static_cast<std::size_t>(i)] = i - k_items / 2;
  auto r = pool.map_async(&triple, items);
  const auto out = get_or_fail(pool, r);
  ASSERT_EQ(out.size(), static_cast<std::size_t>(k_items));
  for (int i = 0; i < k_items; ++i) {
    if (out[static_cast<std::size_t>(i)] != 3LL * (i - k_items / 2)) {
      ADD_FAILURE() << "item " << i << " is " << out[static_cast<std::size_t>(i)];
      break;
    }
  }
}

TEST(ProcessPoolLarge, ImapOverAMillionIntsKeepsOrder) {
  constexpr int k_items = 1'000'000;
  mpp::ProcessPool pool(2);
  long long i = 0;
  auto results = pool.imap(&triple, std::views::iota(0, k_items), 4096);
  try {
    while (const auto r = results.next(mpp_test::k_deadlock_limit)) {
      if (*r != 3 * i) {
        ADD_FAILURE() << "item " << i << " is " << *r;
        break;
      }
      ++i;
    }
  } catch (const mpp::TimeoutError&) {
    pool.terminate();
    ADD_FAILURE() << "no result after " << mpp_test::k_deadlock_limit.count() << " s: deadlock";
  }
  EXPECT_EQ(i, k_items);
}

// Structs of several MiB by value (docs/api.md, "Large values by value"): decoded as locals, an
// argument was copied three times onto the worker's 8 MiB stack (the bytes read, the value, the
// argument tuple) and a result twice onto the caller's executor thread, which killed the worker
// or crashed the program. Each function here needs one copy on its stack.
// Under AddressSanitizer a function copies a parameter it takes by value once more, into a slot
// with red zones: a plain call then needs two copies on the stack, so 3 MiB there.
#if defined(__SANITIZE_ADDRESS__)
constexpr std::size_t k_block_words = (std::size_t{3} << 20) / sizeof(std::uint64_t);
#else
constexpr std::size_t k_block_words = (std::size_t{5} << 20) / sizeof(std::uint64_t);
#endif

struct Block {
  std::array<std::uint64_t, k_block_words> words;
};
/// Trivially copyable without a default constructor: decoded by copying its bytes in.
struct SealedBlock {
  explicit SealedBlock(std::uint64_t seed) noexcept {
    for (std::size_t i = 0; i < words.size(); ++i) words[i] = i * 31 + seed;
  }
  std::array<std::uint64_t, k_block_words> words;
};
/// Over-aligned: its heap storage must be too.
struct alignas(4096) AlignedBlock {
  std::array<std::uint64_t, k_block_words> words;
};
/// Through cereal: not trivially copyable.
struct TaggedBlock {
  std::array<std::uint64_t, k_block_words> words;
  std::string tag;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(words, tag);
  }
};

template <class B>
std::uint64_t checksum(const B& b) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < b.words.size(); ++i) sum += b.words[i] * (i % 7 + 1);
  return sum;
}
template <class B>
void fill(B& b, std::uint64_t seed) {
  for (std::size_t i = 0; i < b.words.size(); ++i) b.words[i] = i * 31 + seed;
}
std::uint64_t sum_by_value(Block b) { return checksum(b); }
std::uint64_t sum_by_reference(const Block& b) { return checksum(b); }
std::uint64_t sum_with(Block b, std::uint64_t extra) { return checksum(b) + extra; }
std::uint64_t sum_sealed(SealedBlock b) { return checksum(b); }
std::uint64_t sum_aligned(const AlignedBlock& b) {
  return reinterpret_cast<std::uintptr_t>(&b) % alignof(AlignedBlock) == 0 ? checksum(b) : 0;
}
std::uint64_t sum_tagged(TaggedBlock b) { return checksum(b) + b.tag.size(); }
Block make_block(std::uint64_t seed) {
  Block b;
  fill(b, seed);
  return b;
}
SealedBlock make_sealed(std::uint64_t seed) { return SealedBlock(seed); }
TaggedBlock make_tagged(std::uint64_t seed) {
  TaggedBlock b;
  fill(b, seed);
  b.tag = "tag";
  return b;
}
void expect_block(Block b, std::uint64_t want) {
  if (checksum(b) != want) throw std::runtime_error("the child received another block");
}

TEST(ProcessPoolLarge, AStructOfSeveralMiBPassesByValueOrByReference) {
  mpp::ProcessPool pool(2);
  mpp_test::Watchdog watchdog(pool);
  const auto block = std::make_unique<Block>();
  fill(*block, 1);
  const std::uint64_t want = checksum(*block);
  EXPECT_EQ(pool.apply(&sum_by_value, *block), want);
  EXPECT_EQ(pool.apply(&sum_by_reference, *block), want);
  EXPECT_EQ(pool.apply(&sum_with, *block, 5), want + 5);
  std::vector<Block> blocks(3, *block);
  fill(blocks[2], 2);
  const std::vector<std::uint64_t> sums{want, want, checksum(blocks[2])};
  EXPECT_EQ(pool.map(&sum_by_value, blocks, 1), sums);
  EXPECT_EQ(pool.map(&sum_by_reference, blocks, 2), sums);
  std::vector<std::uint64_t> in_order;
  for (const std::uint64_t sum : pool.imap(&sum_by_value, blocks)) in_order.push_back(sum);
  EXPECT_EQ(in_order, sums);
  std::vector<std::tuple<Block, std::uint64_t>> pairs;  // built in place: a braced list is on the stack
  pairs.emplace_back(*block, 1);
  pairs.emplace_back(blocks[2], 2);
  EXPECT_EQ(pool.starmap(&sum_with, pairs), (std::vector<std::uint64_t>{want + 1, sums[2] + 2}));
  const auto aligned = std::make_unique<AlignedBlock>();
  fill(*aligned, 5);
  EXPECT_EQ(pool.apply(&sum_aligned, *aligned), checksum(*aligned));
  const auto sealed = std::make_unique<SealedBlock>(3);
  EXPECT_EQ(pool.apply(&sum_sealed, *sealed), checksum(*sealed));
  auto tagged = std::make_unique<TaggedBlock>();
  fill(*tagged, 4);
  tagged->tag = "four";
  EXPECT_EQ(pool.apply(&sum_tagged, *tagged), checksum(*tagged) + 4);

  mpp::Process child(&expect_block, *block, want);
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

/// The checksum of what `get` returns, in a frame of its own: the test's frame holds no result.
template <class Get>
std::uint64_t checksum_of(Get get) {
  return checksum(get());
}

TEST(ProcessPoolLarge, AStructOfSeveralMiBComesBackAsAResult) {
  mpp::ProcessPool pool(2);
  mpp_test::Watchdog watchdog(pool);
  const auto expected = std::make_unique<Block>();
  fill(*expected, 7);
  const std::uint64_t want = checksum(*expected);
  EXPECT_EQ(checksum_of([&] { return pool.apply(&make_block, 7); }), want);
  auto async = pool.apply_async(&make_block, 7);
  EXPECT_EQ(checksum_of([&] { return get_or_fail(pool, async); }), want);
  const std::vector<std::uint64_t> seeds{7, 7, 7};
  for (const Block& b : pool.map(&make_block, seeds, 1)) EXPECT_EQ(checksum(b), want);
  std::size_t seen = 0;
  for (const Block& b : pool.imap(&make_block, seeds)) {
    EXPECT_EQ(checksum(b), want);
    ++seen;
  }
  EXPECT_EQ(seen, seeds.size());
  EXPECT_EQ(checksum_of([&] { return pool.apply(&make_sealed, 8); }),
            checksum(*std::make_unique<SealedBlock>(8)));
  auto tagged = std::make_unique<TaggedBlock>();
  fill(*tagged, 9);
  EXPECT_EQ(checksum_of([&] { return pool.apply(&make_tagged, 9); }), checksum(*tagged));
  const auto tag_of = [&] { return pool.apply(&make_tagged, 9).tag; };  // its frame holds the result
  EXPECT_EQ(tag_of(), "tag");
}

// A result larger than the worker's whole stack (8 MiB) kills the worker while the item runs: the
// item fails with WorkerLost as one that crashed. Its frame was entered before the item was marked
// as started, so the death read as one before the start, and the item went to two more workers.
struct Huge {
  std::array<std::uint64_t, (std::size_t{9} << 20) / sizeof(std::uint64_t)> words;
};
Huge make_huge(std::uint64_t seed) {
  Huge h;
  fill(h, seed);
  return h;
}

TEST(ProcessPoolLarge, AResultLargerThanTheStackFailsItsItemAsACrash) {
  mpp::ProcessPool pool(1);
  mpp_test::Watchdog watchdog(pool);
  // Read through callbacks: a frame that get() returns into would hold 9 MiB here too.
  std::string what;
  auto result = pool.apply_async(&make_huge, 1);
  result.then([](const Huge&) {},
              [&what](std::exception_ptr error) {
                try {
                  std::rethrow_exception(error);
                } catch (const mpp::WorkerLost& e) {
                  what = e.what();
                } catch (const std::exception& e) {
                  what = std::string("not WorkerLost: ") + e.what();
                }
              });
  ASSERT_TRUE(result.wait(mpp_test::k_deadlock_limit));
  ASSERT_FALSE(result.successful()) << "a 9 MiB result fit on an 8 MiB stack";
  EXPECT_NE(what.find("running the task died"), std::string::npos) << what;
  EXPECT_EQ(pool.apply(&triple, 2), 6);
}

// With `ulimit -s unlimited` glibc gives a thread 2 MiB of stack by default, and a worker started
// by fork runs on a copy of the stack of the thread that forked it, the pool's dispatcher: a 3 MiB
// struct by value killed every such worker (WorkerLost) where a plain call had room. Setting the
// default thread stack to 2 MiB here does what that ulimit does.
constexpr std::size_t k_three_mib_words = (std::size_t{3} << 20) / sizeof(std::uint64_t);
struct ThreeMiB {
  std::array<std::uint64_t, k_three_mib_words> words;
};
std::uint64_t sum_three(ThreeMiB b) { return checksum(b); }

class SmallDefaultThreadStack {
 public:
  SmallDefaultThreadStack() {
    pthread_attr_t attr{};
    pthread_getattr_default_np(&saved_);
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, std::size_t{2} << 20);
    pthread_setattr_default_np(&attr);
    pthread_attr_destroy(&attr);
  }
  ~SmallDefaultThreadStack() {
    pthread_setattr_default_np(&saved_);
    pthread_attr_destroy(&saved_);
  }
  SmallDefaultThreadStack(const SmallDefaultThreadStack&) = delete;
  SmallDefaultThreadStack& operator=(const SmallDefaultThreadStack&) = delete;

 private:
  pthread_attr_t saved_{};
};

TEST(ProcessPoolLarge, AForkStartedWorkerHasAMainThreadsStackWhateverTheDefaultThreadStack) {
  const SmallDefaultThreadStack small;
  mpp::ProcessPool pool(mpp::ProcessPoolOptions{.processes = 1, .start_method = mpp::StartMethod::fork});
  mpp_test::Watchdog watchdog(pool);
  auto block = std::make_unique<ThreeMiB>();
  fill(*block, 13);
  EXPECT_EQ(pool.apply(&sum_three, *block), checksum(*block));
}

}  // namespace
