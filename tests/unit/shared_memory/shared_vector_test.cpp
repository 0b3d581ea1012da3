// mpp::SharedVector: a std::vector in shared memory. Its vector behaviour; crossing to children and
// pool workers as the same elements; and a ProcessPool map over input in shared memory, whose
// chunks travel as ranges that the workers map (checked on the request itself), and as items once
// the segment's name is no longer its own.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "mpp/detail/process/shared_range.hpp"
#include "mpp/detail/remote/remote.hpp"
#include "mpp/errors.hpp"
#include "mpp/process.hpp"
#include "mpp/process_pool.hpp"
#include "mpp/shared_memory.hpp"
#include "mpp/start_method.hpp"
#include "mpp_test/start_methods.hpp"

namespace {

using Row = std::array<int, 5>;

int row_sum(const Row& row) { return std::accumulate(row.begin(), row.end(), 0); }

int fails_on_seven(const Row& row) {
  if (row[0] == 7) throw std::runtime_error("row seven");
  return row[0];
}

long long product(int a, int b) { return static_cast<long long>(a) * b; }

std::string as_text(const Row& row) { return std::to_string(row[0]); }

// A Process target: doubles every element it received, then tries to grow it (it cannot, even
// within the capacity: the maker's size would not follow, and it would write past the maker's end).
void double_then_grow(mpp::SharedVector<std::int64_t> values) {
  for (auto& v : values) v *= 2;
  int refused = 0;
  for (int attempt = 0; attempt < 3; ++attempt) {
    try {
      if (attempt == 0) values.push_back(1);
      if (attempt == 1) values.resize(values.size() + 1);
      if (attempt == 2) values.reserve(values.capacity() + 1);
    } catch (const std::logic_error&) {
      ++refused;
    }
  }
  std::_Exit(refused == 3 && !values.owns() && values.size() == 3 ? 7 : 4);
}

mpp::SharedVector<Row> numbered_rows(std::size_t count) {
  mpp::SharedVector<Row> rows;
  rows.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const int n = static_cast<int>(i);
    rows.push_back({n, 1, 2, 3, n % 5});
  }
  return rows;
}

TEST(SharedVector, BehavesAsAVector) {
  mpp::SharedVector<int> empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.capacity(), 0U);
  EXPECT_EQ(empty.name(), "");

  mpp::SharedVector<int> v{1, 2, 3};
  EXPECT_EQ(v.size(), 3U);
  EXPECT_FALSE(v.name().empty());
  for (int i = 0; i < 5000; ++i) v.push_back(i);  // grows past the first page
  EXPECT_EQ(v.size(), 5003U);
  EXPECT_GE(v.capacity(), v.size());
  EXPECT_EQ(v[2], 3);
  EXPECT_EQ(v.back(), 4999);
  EXPECT_THROW((void)v.at(5003), std::out_of_range);
  v.resize(2, 9);
  EXPECT_EQ(std::vector<int>(v.begin(), v.end()), (std::vector<int>{1, 2}));
  v.resize(4, 9);
  EXPECT_EQ(std::vector<int>(v.begin(), v.end()), (std::vector<int>{1, 2, 9, 9}));
  v.pop_back();
  EXPECT_EQ(v.size(), 3U);

  const std::vector<double> source{0.5, 1.5};
  const mpp::SharedVector<double> copied(source);
  EXPECT_EQ(std::vector<double>(copied.begin(), copied.end()), source);
  const mpp::SharedVector<int> filled(3, 7);
  EXPECT_EQ(std::vector<int>(filled.begin(), filled.end()), (std::vector<int>{7, 7, 7}));

  mpp::SharedVector<int> copy = v;  // a handle: copies share the elements and the growth
  copy[0] = 100;
  copy.push_back(5);
  EXPECT_EQ(v[0], 100);
  EXPECT_EQ(v.size(), 4U);
  EXPECT_EQ(v.name(), copy.name());
}

TEST(SharedVector, PushBackOfItsOwnElementAtFullCapacityCopiesItFirst) {
  mpp::SharedVector<int> v(1, 42);
  v.resize(v.capacity(), 1);
  v.push_back(v[0]);  // the growth moves the elements: the argument was read before
  EXPECT_EQ(v.back(), 42);
}

TEST(SharedVector, ItsSegmentIsGoneWithIt) {
  std::string name;
  {
    const mpp::SharedVector<int> v{1, 2, 3};
    name = v.name();
    EXPECT_NO_THROW((void)mpp::SharedMemory::attach(name));
  }
  EXPECT_THROW((void)mpp::SharedMemory::attach(name), std::system_error);
  std::string grown_from;
  {
    mpp::SharedVector<int> v{1};
    grown_from = v.name();
    v.resize(100'000);  // a new segment: the old one goes at once
    EXPECT_NE(v.name(), grown_from);
  }
  EXPECT_THROW((void)mpp::SharedMemory::attach(grown_from), std::system_error);
}

// The request of a chunk whose raw items lie in shared memory holds their range, not their bytes,
// when the receiver is on this machine; an MPI rank (not on this machine) gets the bytes.
TEST(SharedRange, RequestsNameTheRangeOfItemsInSharedMemory) {
  const mpp::SharedVector<Row> rows = numbered_rows(100'000);
  const std::size_t bytes = 50'000 * sizeof(Row);

  mpp::detail::RequestBuilder local;
  local.set_same_machine(true);
  mpp::detail::append_raw_items(local, rows.data() + 10, bytes);
  EXPECT_LT(local.size(), 200U);
  EXPECT_EQ(local.segments().size(), 1U);
  EXPECT_EQ(local.segments()[0].external, nullptr);

  mpp::detail::RequestBuilder remote;
  mpp::detail::append_raw_items(remote, rows.data() + 10, bytes);
  EXPECT_EQ(remote.size(), bytes + 1);

  const std::vector<Row> private_rows(rows.begin(), rows.end());  // not in shared memory: bytes
  mpp::detail::RequestBuilder copied;
  copied.set_same_machine(true);
  mpp::detail::append_raw_items(copied, private_rows.data(), bytes);
  EXPECT_EQ(copied.size(), bytes + 1);

  const auto range = mpp::detail::find_shared_range(rows.data() + 10, bytes);
  ASSERT_TRUE(range.has_value());
  EXPECT_EQ(range->name, rows.name());
  EXPECT_EQ(range->offset, 10 * sizeof(Row));
  const mpp::detail::MappedRange mapped(*range);
  ASSERT_EQ(mapped.bytes().size(), bytes);
  EXPECT_EQ(std::memcmp(mapped.bytes().data(), rows.data() + 10, bytes), 0);

  EXPECT_FALSE(
      mpp::detail::find_shared_range(rows.data() + 99'999, 2 * sizeof(Row)).has_value());  // runs past
}

TEST(SharedRange, ARangeOfASegmentUnlinkedOrReplacedIsRefusedNotRead) {
  auto memory = mpp::SharedMemory::create("mpp-test-shared-range-" + std::to_string(::getpid()), 1 << 20);
  const auto range = mpp::detail::find_shared_range(memory.data() + 4096, 8192);
  ASSERT_TRUE(range.has_value());
  memory.unlink();
  EXPECT_FALSE(mpp::detail::find_shared_range(memory.data(), 1).has_value());  // no name to send
  EXPECT_THROW(mpp::detail::MappedRange{*range}, std::system_error);           // gone

  auto usurper = mpp::SharedMemory::create(range->name, 1 << 20);  // another segment, the same name
  try {
    const mpp::detail::MappedRange mapped(*range);
    FAIL() << "mapped a segment that replaced the one sent";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("another segment made under its name"), std::string::npos)
        << e.what();
  }
  mpp::detail::SharedRange past = *range;
  past.inode = 0;
  auto current = mpp::detail::find_shared_range(usurper.data(), 1 << 20);
  ASSERT_TRUE(current.has_value());
  current->size += 1;  // more than the segment holds
  EXPECT_THROW(mpp::detail::MappedRange{*current}, std::system_error);
}

class SharedVectorAcross : public ::testing::TestWithParam<mpp::StartMethod> {};

TEST_P(SharedVectorAcross, AChildChangesTheSameElementsAndCannotGrowThem) {
  mpp::SharedVector<std::int64_t> values{1, 2, 3};
  values.reserve(1000);  // room to spare: the child must be refused all the same
  mpp::Process child(mpp::ProcessOptions{.start_method = GetParam()}, &double_then_grow, values);
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), 7);
  EXPECT_EQ(std::vector<std::int64_t>(values.begin(), values.end()), (std::vector<std::int64_t>{2, 4, 6}));
}

TEST_P(SharedVectorAcross, PoolMapsOverItSendingRangesAndGetEveryResult) {
  mpp::ProcessPool pool(mpp::ProcessPoolOptions{.processes = 2, .start_method = GetParam()});
  const mpp::SharedVector<Row> rows = numbered_rows(200'000);
  std::vector<int> expected;
  for (const Row& row : rows) expected.push_back(row_sum(row));
  EXPECT_EQ(pool.map(row_sum, rows), expected);
  EXPECT_EQ(pool.map(row_sum, rows, 1000), expected);               // chunks below the range threshold
  EXPECT_EQ(pool.map_async(row_sum, rows.span().subspan(5)).get(),  // a part of it
            std::vector<int>(expected.begin() + 5, expected.end()));
  const std::vector<std::string> texts = pool.map(as_text, rows);  // results that are not raw
  EXPECT_EQ(texts[123'456], "123456");

  mpp::SharedVector<std::array<int, 2>> pairs;
  for (int i = 0; i < 50'000; ++i) pairs.push_back({i, 3});
  const std::vector<long long> products = pool.starmap(product, pairs);
  ASSERT_EQ(products.size(), 50'000U);
  EXPECT_EQ(products[49'999], 49'999LL * 3);

  std::vector<int> lazily;  // imap's chunks of 20 000 rows (400 KB) go as ranges too
  for (const int n : pool.imap(row_sum, rows, 20'000)) lazily.push_back(n);
  EXPECT_EQ(lazily, expected);
  long long unordered = 0;
  for (const int n : pool.imap_unordered(row_sum, rows.span().subspan(3), 30'000)) unordered += n;
  EXPECT_EQ(unordered, std::accumulate(expected.begin() + 3, expected.end(), 0LL));

  try {
    (void)pool.map(fails_on_seven, rows);
    FAIL() << "the item that throws fails the map";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "row seven");
  }
}

// The name of the input's segment is unlinked by another handle (or process), then taken by
// another segment: the map still reads its own input (sent as items once the name is not its own),
// never the other segment.
TEST_P(SharedVectorAcross, AMapOverASegmentWhoseNameWasUnlinkedOrTakenOverReadsItsOwnInput) {
  mpp::ProcessPool pool(mpp::ProcessPoolOptions{.processes = 2, .start_method = GetParam()});
  const std::string name = "mpp-test-taken-over-" + std::to_string(::getpid());
  auto memory = mpp::SharedMemory::create(name, 100'000 * sizeof(Row));
  const std::span<Row> rows(reinterpret_cast<Row*>(memory.data()), 100'000);
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = Row{1, 1, 1, 1, 1};
  EXPECT_EQ(pool.map(row_sum, rows, 50'000)[99'999], 5);  // the workers map it and keep it

  mpp::SharedMemory::attach(name).unlink();  // as another process would: this object still thinks
  EXPECT_FALSE(mpp::detail::find_shared_range(rows.data(), 4096).has_value());  // it is linked
  rows[99'999] = Row{2, 2, 2, 2, 2};
  EXPECT_EQ(pool.map(row_sum, rows, 50'000)[99'999], 10);

  auto usurper = mpp::SharedMemory::create(name, 100'000 * sizeof(Row));  // another segment, same name
  std::memset(usurper.data(), 0, usurper.size());
  rows[99'999] = Row{3, 3, 3, 3, 3};
  EXPECT_EQ(pool.map(row_sum, rows, 50'000)[99'999], 15);
}

INSTANTIATE_TEST_SUITE_P(StartMethods, SharedVectorAcross, ::testing::ValuesIn(mpp_test::k_start_methods),
                         mpp_test::start_method_name);

}  // namespace
