// mpp::Queue<T>: Python's multiprocessing.Queue. Values of every kind the codec sends, within one
// process and between a parent and its mpp::Process children, timeouts, a put that never waits for
// a reader (the queue grows), and several producers and consumers, processes and threads mixed.
#include "mpp/queue.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "mpp/errors.hpp"
#include "mpp/process.hpp"
#include "mpp/process_pool.hpp"
#include "mpp/shared_memory.hpp"
#include "mpp/start_method.hpp"
#include "mpp_test/sealed_block.hpp"
#include "mpp_test/start_methods.hpp"
#include "mpp_test/sync.hpp"
#include "posix/syscall.hpp"

namespace {

using namespace std::chrono_literals;
using mpp_test::k_deadlock_limit;

// -- the value types, each with an injective make(i) and its inverse key() ------------------------

/// Trivially copyable: sent as its raw bytes.
struct Point {
  double x;
  double y;
  int tag;
  friend bool operator==(const Point&, const Point&) = default;
};
static_assert(std::is_trivially_copyable_v<Point>);

/// Sent through cereal.
struct Record {
  std::string name;
  std::vector<int> values;
  std::map<std::string, int> attributes;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(name, values, attributes);
  }
  friend bool operator==(const Record&, const Record&) = default;
};
static_assert(!std::is_trivially_copyable_v<Record>);

template <class T>
struct Values;

template <>
struct Values<int> {
  static int make(int i) { return 3 * i - 7; }
  static int key(int v) { return (v + 7) / 3; }
};

template <>
struct Values<std::string> {
  // Lengths vary, so messages of many sizes share the ring.
  static std::string make(int i) {
    return "item-" + std::to_string(i) + "-" + std::string(static_cast<std::size_t>(i % 97), 'x');
  }
  static int key(const std::string& v) { return std::stoi(v.substr(5)); }
};

template <>
struct Values<std::vector<double>> {
  static std::vector<double> make(int i) {
    std::vector<double> v(static_cast<std::size_t>(i % 7 + 1));
    for (std::size_t k = 0; k < v.size(); ++k) v[k] = i + 0.25 * static_cast<double>(k);
    return v;
  }
  static int key(const std::vector<double>& v) { return static_cast<int>(v.at(0)); }
};

template <>
struct Values<Record> {
  static Record make(int i) {
    return Record{"record " + std::to_string(i), {i, 2 * i, -i}, {{"i", i}, {"half", i / 2}}};
  }
  static int key(const Record& v) { return v.values.at(0); }
};

template <>
struct Values<Point> {
  static Point make(int i) { return Point{0.5 * i, -1.0 * i, i}; }
  static int key(const Point& v) { return v.tag; }
};

template <class T>
class QueueOf : public ::testing::Test {};

using ValueTypes = ::testing::Types<int, std::string, std::vector<double>, Record, Point>;

struct ValueTypeNames {
  template <class T>
  static std::string GetName(int /*index*/) {
    if constexpr (std::is_same_v<T, int>) return "Int";
    if constexpr (std::is_same_v<T, std::string>) return "String";
    if constexpr (std::is_same_v<T, std::vector<double>>) return "VectorOfDouble";
    if constexpr (std::is_same_v<T, Record>) return "CerealStruct";
    if constexpr (std::is_same_v<T, Point>) return "TriviallyCopyableStruct";
    return "Other";
  }
};

TYPED_TEST_SUITE(QueueOf, ValueTypes, ValueTypeNames);

TYPED_TEST(QueueOf, PutThenGetInOneProcessKeepsOrder) {
  using V = Values<TypeParam>;
  mpp::Queue<TypeParam> q;
  for (int i = 0; i < 200; ++i) q.put(V::make(i));
  for (int i = 0; i < 200; ++i) EXPECT_EQ(q.get(), V::make(i)) << i;
  EXPECT_FALSE(q.get(0ms).has_value());
}

TYPED_TEST(QueueOf, ChildrenPutParentGets) {
  using V = Values<TypeParam>;
  constexpr int k_children = 3;
  constexpr int k_each = 200;
  mpp::Queue<TypeParam> q;
  std::vector<mpp::Process> children;
  for (int c = 0; c < k_children; ++c) {
    children.emplace_back([&q, c] {
      for (int i = c * k_each; i < (c + 1) * k_each; ++i) q.put(V::make(i));
    });
  }
  for (auto& child : children) child.start();
  std::vector<int> seen(k_children * k_each, 0);
  std::array<int, k_children> last{-1, -1, -1};
  for (int n = 0; n < k_children * k_each; ++n) {
    const std::optional<TypeParam> value = q.get(k_deadlock_limit);
    ASSERT_TRUE(value.has_value()) << "only " << n << " values arrived";
    const int key = V::key(*value);
    ASSERT_GE(key, 0);
    ASSERT_LT(key, k_children * k_each);
    EXPECT_EQ(*value, V::make(key));
    ++seen[static_cast<std::size_t>(key)];
    const auto producer = static_cast<std::size_t>(key / k_each);
    EXPECT_GT(key, last[producer]) << "values of one child arrived out of order";
    last[producer] = key;
  }
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], 1) << i;
  for (auto& child : children) {
    child.join();
    EXPECT_EQ(child.exitcode(), 0);
  }
  EXPECT_FALSE(q.get(0ms).has_value());
}

TYPED_TEST(QueueOf, ParentPutsChildGets) {
  using V = Values<TypeParam>;
  constexpr int k_count = 300;
  mpp::Queue<TypeParam> q;
  // The child is already waiting when the first value is put: put() must wake it.
  mpp::Process child([&q] {
    for (int i = 0; i < k_count; ++i) {
      const std::optional<TypeParam> value = q.get(k_deadlock_limit);
      if (!value) ::_exit(10);
      if (!(*value == V::make(i))) ::_exit(11);
    }
    if (q.get(0ms).has_value()) ::_exit(12);
  });
  child.start();
  for (int i = 0; i < k_count; ++i) q.put(V::make(i));
  child.join();
  EXPECT_EQ(child.exitcode(), 0) << "10: a value did not arrive, 11: a wrong value, 12: an extra value";
}

TYPED_TEST(QueueOf, GetWithTimeoutIsEmptyThenHasTheValue) {
  using V = Values<TypeParam>;
  mpp::Queue<TypeParam> q;
  EXPECT_FALSE(q.get(1ms).has_value());
  q.put(V::make(5));
  const std::optional<TypeParam> value = q.get(0ms);
  ASSERT_TRUE(value.has_value());
  EXPECT_EQ(*value, V::make(5));
}

// -- a queue as an argument, under every start method ---------------------------------------------

// Exit code 0 when the child got 0..99 in order from `in` and put their squares on `out`.
int square_what_comes(mpp::Queue<int> in, mpp::Queue<long> out) {
  for (int i = 0; i < 100; ++i) {
    const std::optional<int> value = in.get(k_deadlock_limit);
    if (!value || *value != i) return 1;
    out.put(static_cast<long>(*value) * *value);
  }
  return 0;
}

long drain_one(mpp::Queue<long> queue) { return queue.get(); }

class QueueAcross : public ::testing::TestWithParam<mpp::StartMethod> {};

TEST_P(QueueAcross, AQueuePassedAsAnArgumentIsTheSameQueueInTheChild) {
  mpp::Queue<int> in;
  mpp::Queue<long> out;
  mpp::Process child(mpp::ProcessOptions{.start_method = GetParam()}, &square_what_comes, in, out);
  child.start();
  for (int i = 0; i < 100; ++i) in.put(i);
  for (long i = 0; i < 100; ++i) {
    const std::optional<long> square = out.get(k_deadlock_limit);
    ASSERT_TRUE(square.has_value()) << i;
    EXPECT_EQ(*square, i * i);
  }
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST_P(QueueAcross, PoolWorkersTakeFromAQueuePassedToTheirTasks) {
  mpp::ProcessPool pool(mpp::ProcessPoolOptions{.processes = 2, .start_method = GetParam()});
  mpp::Queue<long> queue;
  for (long i = 1; i <= 4; ++i) queue.put(i * 10);
  long sum = 0;
  for (int i = 0; i < 4; ++i) sum += pool.apply(&drain_one, queue);
  EXPECT_EQ(sum, 100);
  EXPECT_FALSE(queue.get(0ms).has_value());
}

INSTANTIATE_TEST_SUITE_P(StartMethods, QueueAcross, ::testing::ValuesIn(mpp_test::k_start_methods),
                         mpp_test::start_method_name);

TEST(Queue, CopiesShareTheQueueAndANameOfAnotherKindIsRefused) {
  mpp::Queue<int> q;
  mpp::Queue<int> copy = q;
  copy.put(7);
  EXPECT_EQ(q.get(0ms), 7);
  EXPECT_EQ(copy.name(), q.name());
  mpp::SharedMemory not_a_queue(8192);
  mpp::detail::ByteBuffer bytes;
  mpp::detail::encode(bytes, not_a_queue.name());
  mpp::detail::ByteReader reader(bytes);
  EXPECT_THROW((void)mpp::detail::decode<mpp::Queue<int>>(reader), mpp::SerializationError);
}

// -- timeouts ------------------------------------------------------------------------------------

// A trivially copyable struct of 5 MiB without a default constructor: decoded as a local, its
// bytes and the value were each on the stack besides the caller's copy (docs/api.md, "Large
// values by value"). Each function here holds one.
using mpp_test::is_sealed;
using mpp_test::SealedBlock;
void put_two_sealed(mpp::Queue<SealedBlock> queue) {
  queue.put(*std::make_unique<SealedBlock>(6));
  queue.put(*std::make_unique<SealedBlock>(7));
}
bool got_sealed(mpp::Queue<SealedBlock>& queue) { return is_sealed(queue.get(), 6); }
bool got_sealed_in_time(mpp::Queue<SealedBlock>& queue) {
  const std::optional<SealedBlock> block = queue.get(k_deadlock_limit);
  return block.has_value() && is_sealed(*block, 7);
}

TEST(Queue, AStructOfSeveralMiBWithoutADefaultConstructorCrosses) {
  mpp::Queue<SealedBlock> queue;
  mpp::Process child(&put_two_sealed, queue);
  child.start();
  EXPECT_TRUE(got_sealed(queue));
  EXPECT_TRUE(got_sealed_in_time(queue));
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST(Queue, GetTimesOutWhenNothingArrives) {
  mpp::Queue<int> q;
  const auto before = std::chrono::steady_clock::now();
  EXPECT_EQ(q.get(100ms), std::nullopt);
  EXPECT_GE(std::chrono::steady_clock::now() - before, 100ms);
  // A negative timeout is "do not wait".
  EXPECT_EQ(q.get(-5ms), std::nullopt);
  // The queue still works after a timeout.
  q.put(1);
  EXPECT_EQ(q.get(0ms), 1);
}

TEST(Queue, GetWithTimeoutReturnsTheValueWhenItArrivesInTime) {
  mpp::Queue<int> q;
  mpp_test::Shared<mpp_test::Gate> go;
  mpp::Process child([&] {
    if (!go->wait()) ::_exit(3);
    q.put(42);
  });
  child.start();
  go->open();
  EXPECT_EQ(q.get(k_deadlock_limit), 42);
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST(Queue, GetWithTimeoutWakesForAValueFromAnotherThread) {
  mpp::Queue<std::string> q;
  mpp_test::Gate go;
  std::thread producer([&] {
    go.wait();
    q.put("from a thread");
  });
  go.open();
  EXPECT_EQ(q.get(k_deadlock_limit), std::optional<std::string>("from a thread"));
  producer.join();
}

// -- put never waits for a reader ------------------------------------------------------------------

TEST(Queue, PutNeverBlocksForLackOfAReaderManyItems) {
  constexpr int k_items = 100'000;
  mpp::Queue<int> q;
  mpp::Process child([&q] {
    for (int i = 0; i < k_items; ++i) q.put(i);
  });
  child.start();
  // Nobody reads until the child has ended: its puts cannot have waited for a reader.
  ASSERT_TRUE(child.join(k_deadlock_limit)) << "the producer blocked with nobody reading";
  ASSERT_EQ(child.exitcode(), 0);
  for (int i = 0; i < k_items; ++i) {
    const std::optional<int> value = q.get(0ms);
    ASSERT_TRUE(value.has_value()) << "item " << i << " is missing";
    ASSERT_EQ(*value, i);
  }
  EXPECT_FALSE(q.get(0ms).has_value());
}

std::string big_string(int k) {
  std::string s(std::size_t{10} << 20, static_cast<char>('a' + k));
  // Distinct ends, so a shifted or torn copy cannot pass.
  s.replace(0, 8, "begin-" + std::to_string(k) + "|");
  s.replace(s.size() - 6, 6, "|end-" + std::to_string(k));
  return s;
}

TEST(Queue, PutNeverBlocksForLackOfAReaderLargeMessages) {
  constexpr int k_messages = 4;
  mpp::Queue<std::string> q;
  mpp::Process child([&q] {
    for (int k = 0; k < k_messages; ++k) q.put(big_string(k));
  });
  child.start();
  ASSERT_TRUE(child.join(k_deadlock_limit)) << "the producer blocked with nobody reading";
  ASSERT_EQ(child.exitcode(), 0);
  for (int k = 0; k < k_messages; ++k) {
    const std::optional<std::string> value = q.get(0ms);
    ASSERT_TRUE(value.has_value()) << "message " << k << " is missing";
    ASSERT_EQ(value->size(), std::size_t{10} << 20);
    EXPECT_TRUE(*value == big_string(k)) << "message " << k << " differs";
  }
  EXPECT_FALSE(q.get(0ms).has_value());
}

TEST(Queue, GrowsCorrectlyWhileItsContentsWrapAround) {
  // Messages of many sizes, put and taken in a random interleaving, so the ring wraps around and
  // grows while wrapped; compared with a std::deque.
  mpp::Queue<std::string> q;
  std::deque<std::string> model;
  std::mt19937 random(12345);
  std::uniform_int_distribution<int> size(0, 40'000);
  std::uniform_int_distribution<int> choice(0, 99);
  int next = 0;
  for (int step = 0; step < 3000; ++step) {
    if (model.empty() || choice(random) < 55) {
      std::string s(static_cast<std::size_t>(size(random)), static_cast<char>('A' + next % 26));
      s.insert(0, std::to_string(next++) + ":");
      q.put(s);
      model.push_back(std::move(s));
    } else {
      const std::optional<std::string> value = q.get(0ms);
      ASSERT_TRUE(value.has_value()) << "step " << step;
      ASSERT_TRUE(*value == model.front())
          << "step " << step << ": got a message starting " << value->substr(0, 16) << ", expected "
          << model.front().substr(0, 16);
      model.pop_front();
    }
  }
  while (!model.empty()) {
    const std::optional<std::string> value = q.get(0ms);
    ASSERT_TRUE(value.has_value());
    ASSERT_TRUE(*value == model.front());
    model.pop_front();
  }
  EXPECT_FALSE(q.get(0ms).has_value());
}

TEST(Queue, GrowthInOneProcessIsFollowedByTheOthers) {
  mpp::Queue<std::string> q;
  q.put("small before");  // the parent has mapped the initial size
  const std::string large(std::size_t{3} << 20, 'L');
  mpp::Process grower([&] {
    q.put(large);  // grows the shared buffer in the child
    q.put("small after");
  });
  grower.start();
  grower.join();
  ASSERT_EQ(grower.exitcode(), 0);
  EXPECT_EQ(q.get(0ms), std::optional<std::string>("small before"));
  EXPECT_TRUE(q.get(0ms) == std::optional<std::string>(large));
  EXPECT_EQ(q.get(0ms), std::optional<std::string>("small after"));
  // Now the parent grows it further and a child forked earlier reads it all.
  mpp_test::Shared<mpp_test::Gate> go;
  const std::string larger(std::size_t{9} << 20, 'M');
  mpp::Process reader([&] {
    if (!go->wait()) ::_exit(3);
    if (q.get(k_deadlock_limit) != std::optional<std::string>(larger)) ::_exit(4);
    if (q.get(k_deadlock_limit) != std::optional<std::string>("tail")) ::_exit(5);
  });
  reader.start();
  q.put(larger);
  q.put("tail");
  go->open();
  reader.join();
  EXPECT_EQ(reader.exitcode(), 0);
}

/// Makes the system call named `Call` fail with ENOMEM while it lives.
template <const char* Call>
struct FailingCall {
  FailingCall() {
    mpp::detail::posix::set_fault_hook(
        [](const char* what) noexcept { return std::string_view(what) == Call ? ENOMEM : 0; });
  }
  FailingCall(const FailingCall&) = delete;
  FailingCall& operator=(const FailingCall&) = delete;
  ~FailingCall() { mpp::detail::posix::set_fault_hook(nullptr); }
};
constexpr char k_ftruncate[] = "ftruncate";
constexpr char k_mmap[] = "mmap";
constexpr char k_shm_open[] = "shm_open";

TEST(Queue, ConstructionFailureThrowsSystemError) {
  {
    FailingCall<k_shm_open> failing;
    EXPECT_THROW(mpp::Queue<int>(), std::system_error);
  }
  {
    FailingCall<k_mmap> failing;
    EXPECT_THROW(mpp::Queue<int>(), std::system_error);
  }
}

/// Leaves `q` holding messages that wrap around the end of its ring: the case where growing must move
/// the wrapped part. Returns what it holds, oldest first.
std::deque<std::string> fill_wrapped(mpp::Queue<std::string>& q) {
  std::deque<std::string> held;
  // Well over half of the initial 64 KiB, taken again, moves the oldest message past the middle...
  q.put(std::string(40'000, 'x'));
  EXPECT_EQ(q.get(0ms)->size(), 40'000U);
  // ...so that these two run past the end and wrap around.
  for (char c : {'a', 'b'}) {
    held.push_back(std::string(15'000, c));
    q.put(held.back());
  }
  return held;
}

template <const char* Call>
void expect_failed_growth_keeps_the_queue() {
  mpp::Queue<std::string> q;
  std::deque<std::string> held = fill_wrapped(q);
  {
    FailingCall<Call> failing;
    EXPECT_THROW(q.put(std::string(200'000, 'G')), std::system_error);
  }
  // What was there before the failed put is intact, and the queue still grows and works.
  held.push_back(std::string(300'000, 'H'));
  q.put(held.back());
  while (!held.empty()) {
    const std::optional<std::string> value = q.get(0ms);
    ASSERT_TRUE(value.has_value()) << held.size() << " messages missing";
    EXPECT_TRUE(*value == held.front())
        << "a message of " << held.front().size() << " '" << held.front()[0] << "' came back as "
        << value->size() << " bytes starting '" << value->substr(0, 1) << "'";
    held.pop_front();
  }
  EXPECT_FALSE(q.get(0ms).has_value());
}

TEST(Queue, PutThatCannotGrowTheFileThrowsAndLeavesTheQueueIntact) {
  expect_failed_growth_keeps_the_queue<k_ftruncate>();
}

TEST(Queue, PutThatCannotMapTheGrownFileThrowsAndLeavesTheQueueIntact) {
  expect_failed_growth_keeps_the_queue<k_mmap>();
}

// -- several producers and consumers ---------------------------------------------------------------

TEST(Queue, FifoFromOneProducerWhileTheParentReads) {
  constexpr int k_items = 20'000;
  mpp::Queue<std::int64_t> q;
  mpp::Process producer([&q] {
    for (std::int64_t i = 0; i < k_items; ++i) q.put(i * i);
  });
  producer.start();
  for (std::int64_t i = 0; i < k_items; ++i) {
    const auto value = q.get(k_deadlock_limit);
    ASSERT_TRUE(value.has_value()) << i;
    ASSERT_EQ(*value, i * i);
  }
  producer.join();
  EXPECT_EQ(producer.exitcode(), 0);
}

/// What the consumers of ManyProducersAndConsumers record, in memory shared by every process.
template <int Total>
struct Tally {
  std::array<std::atomic<int>, Total> seen{};
  std::atomic<int> out_of_order{0};
  std::atomic<int> bad_value{0};
  std::atomic<int> timed_out{0};
  std::atomic<int> consumed{0};
};

TEST(Queue, ManyProducersAndConsumersProcessesAndThreadsEachItemOnce) {
  constexpr int k_producer_processes = 3;
  constexpr int k_producer_threads = 2;
  constexpr int k_producers = k_producer_processes + k_producer_threads;
  constexpr int k_consumer_processes = 3;
  constexpr int k_consumer_threads = 2;
  constexpr int k_consumers = k_consumer_processes + k_consumer_threads;
  constexpr int k_each = 2000;
  constexpr int k_total = k_producers * k_each;
  constexpr int k_stop = -1;

  mpp::Queue<int> q;
  mpp_test::Shared<Tally<k_total>> tally;

  auto produce = [&q](int producer) {
    for (int k = 0; k < k_each; ++k) q.put(producer * k_each + k);
  };
  auto consume = [&q, &tally] {
    std::array<int, k_producers> last;
    last.fill(-1);
    for (;;) {
      const std::optional<int> value = q.get(k_deadlock_limit);
      if (!value) {
        tally->timed_out.fetch_add(1);
        return;
      }
      if (*value == k_stop) return;
      if (*value < 0 || *value >= k_total) {
        tally->bad_value.fetch_add(1);
        continue;
      }
      tally->seen[static_cast<std::size_t>(*value)].fetch_add(1);
      tally->consumed.fetch_add(1);
      // One queue: whatever a consumer takes from one producer, it takes in that producer's order.
      const auto producer = static_cast<std::size_t>(*value / k_each);
      if (*value % k_each <= last[producer]) tally->out_of_order.fetch_add(1);
      last[producer] = *value % k_each;
    }
  };

  // Every fork before the first thread: forking a process that runs threads is asking for trouble.
  std::vector<mpp::Process> consumers;
  std::vector<mpp::Process> producers;
  for (int c = 0; c < k_consumer_processes; ++c) consumers.emplace_back(consume);
  for (int p = 0; p < k_producer_processes; ++p) producers.emplace_back(produce, p);
  for (auto& c : consumers) c.start();
  for (auto& p : producers) p.start();
  std::vector<std::thread> threads;
  for (int c = 0; c < k_consumer_threads; ++c) threads.emplace_back(consume);
  std::vector<std::thread> producer_threads;
  for (int p = k_producer_processes; p < k_producers; ++p) producer_threads.emplace_back(produce, p);

  for (auto& p : producers) {
    ASSERT_TRUE(p.join(k_deadlock_limit));
    EXPECT_EQ(p.exitcode(), 0);
  }
  for (auto& t : producer_threads) t.join();
  for (int c = 0; c < k_consumers; ++c) q.put(k_stop);
  for (auto& t : threads) t.join();
  for (auto& c : consumers) {
    ASSERT_TRUE(c.join(k_deadlock_limit + 5s));
    EXPECT_EQ(c.exitcode(), 0);
  }

  EXPECT_EQ(tally->timed_out.load(), 0);
  EXPECT_EQ(tally->bad_value.load(), 0);
  EXPECT_EQ(tally->out_of_order.load(), 0);
  EXPECT_EQ(tally->consumed.load(), k_total);
  int wrong = 0;
  for (int i = 0; i < k_total; ++i) {
    if (tally->seen[static_cast<std::size_t>(i)].load() != 1) {
      if (++wrong <= 10)
        ADD_FAILURE() << "item " << i << " was received " << tally->seen[i].load() << " times";
    }
  }
  EXPECT_EQ(wrong, 0);
  EXPECT_FALSE(q.get(0ms).has_value());
}

TEST(Queue, ThreadsOfOneProcessShareTheQueue) {
  constexpr int k_producers = 4;
  constexpr int k_consumers = 4;
  constexpr int k_each = 3000;
  constexpr int k_total = k_producers * k_each;
  mpp::Queue<int> q;
  std::vector<std::vector<int>> taken(k_consumers);  // each written by its own consumer only
  std::vector<std::thread> threads;
  for (int c = 0; c < k_consumers; ++c) {
    threads.emplace_back([&q, &taken, c] {
      for (;;) {
        const std::optional<int> value = q.get(k_deadlock_limit);
        if (!value || *value < 0) return;
        taken[static_cast<std::size_t>(c)].push_back(*value);
      }
    });
  }
  for (int p = 0; p < k_producers; ++p) {
    threads.emplace_back([&q, p] {
      for (int k = 0; k < k_each; ++k) q.put(p * k_each + k);
    });
  }
  for (std::size_t t = k_consumers; t < threads.size(); ++t) threads[t].join();
  for (int c = 0; c < k_consumers; ++c) q.put(-1);
  for (int c = 0; c < k_consumers; ++c) threads[static_cast<std::size_t>(c)].join();

  std::vector<int> seen(k_total, 0);
  for (const auto& list : taken) {
    std::array<int, k_producers> last{-1, -1, -1, -1};
    for (int v : list) {
      ASSERT_GE(v, 0);
      ASSERT_LT(v, k_total);
      ++seen[static_cast<std::size_t>(v)];
      EXPECT_GT(v % k_each, last[static_cast<std::size_t>(v / k_each)]);
      last[static_cast<std::size_t>(v / k_each)] = v % k_each;
    }
  }
  for (int i = 0; i < k_total; ++i) ASSERT_EQ(seen[static_cast<std::size_t>(i)], 1) << i;
}

// -- a consumer that dies while it waits -------------------------------------------------------------

/// The scheduler state of process `pid` ('R' running, 'S' sleeping, ...) from /proc/<pid>/stat.
char process_state(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  const auto end_of_name = line.rfind(')');
  return end_of_name == std::string::npos || end_of_name + 2 >= line.size() ? '?' : line[end_of_name + 2];
}

/// Waits until `pid`, which has passed `entered` on its way into q.get() on an empty queue, sleeps:
/// nothing else it does after the gate can sleep, so it is then blocked inside get().
bool wait_until_blocked_in_get(int pid, const mpp_test::Gate& entered) {
  if (!entered.wait()) return false;
  const auto limit = std::chrono::steady_clock::now() + k_deadlock_limit;
  while (process_state(pid) != 'S') {
    if (std::chrono::steady_clock::now() > limit) return false;
    std::this_thread::yield();
  }
  return true;
}

TEST(Queue, ConsumerKilledWhileWaitingInGetLeavesTheQueueUsable) {
  // Python's terminate() on consumers blocked in q.get() is common at shutdown; the queue claims to
  // survive processes that die with its lock held (src/shared_queue.cpp), so it must survive one that
  // dies waiting. Each round: a consumer blocks in get() and is killed; another consumer then blocks
  // in get(), and a put() must wake it at once (not when its timeout runs out) without itself waiting.
  mpp::Queue<int> q;
  for (int round = 1; round <= 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    mpp_test::Shared<mpp_test::Gate> victim_entered;
    mpp::Process victim([&] {
      victim_entered->open();
      (void)q.get();
      ::_exit(50);
    });
    victim.start();
    ASSERT_TRUE(wait_until_blocked_in_get(victim.pid(), *victim_entered));
    victim.kill();
    victim.join();
    ASSERT_EQ(victim.exitcode(), -SIGKILL);

    mpp_test::Shared<mpp_test::Gate> consumer_entered;
    mpp::Process consumer([&] {
      consumer_entered->open();
      const std::optional<int> value = q.get(k_deadlock_limit);
      ::_exit(value ? *value : 99);
    });
    consumer.start();
    ASSERT_TRUE(wait_until_blocked_in_get(consumer.pid(), *consumer_entered));
    // put() from a process of its own, so that a put() that never returns fails the test instead of
    // hanging it.
    mpp::Process producer([&q, round] { q.put(round); });
    producer.start();
    const bool put_returned = producer.join(10s);
    EXPECT_TRUE(put_returned) << "put() blocked after a consumer died waiting in get()";
    const bool woke = consumer.join(5s);
    EXPECT_TRUE(woke) << "the waiting consumer was not woken by put(): a lost wake-up";
    if (!put_returned || !woke) {
      producer.kill();
      consumer.kill();
      producer.join();
      consumer.join();
      return;  // the queue is broken; later rounds would only repeat it
    }
    EXPECT_EQ(consumer.exitcode(), round);
  }
}

}  // namespace
