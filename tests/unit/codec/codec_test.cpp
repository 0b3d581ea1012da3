// The codec (mpp/detail/remote/codec.hpp) and the exception codec (mpp/detail/remote/exception_codec.hpp):
// round trips of every kind of value, and corrupt input, which must only ever end in
// mpp::SerializationError: no crash, no undefined behaviour, no huge allocation.
#include "mpp/detail/remote/codec.hpp"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <limits>
#include <list>
#include <map>
#include <memory>
#include <new>
#include <numeric>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "mpp/detail/remote/exception_codec.hpp"
#include "mpp/detail/remote/remote.hpp"
#include "mpp/errors.hpp"
#include "remote/function_table.hpp"

// -- allocation probe: the largest single allocation while a probe is active ------------------------

namespace {
std::atomic<bool> g_probe_active{false};
std::atomic<std::size_t> g_largest_allocation{0};

void* allocate(std::size_t size) {
  if (g_probe_active.load(std::memory_order_relaxed)) {
    std::size_t seen = g_largest_allocation.load(std::memory_order_relaxed);
    while (size > seen && !g_largest_allocation.compare_exchange_weak(seen, size)) {
    }
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
}  // namespace

// The replaced operators pair malloc with free; g++ at -O1 (the sanitizer presets) inlines them
// into gtest's code and then mistakes the pair for a mismatch.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t size) { return allocate(size); }
void* operator new[](std::size_t size) { return allocate(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t /*size*/) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t /*size*/) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace {

/// Records the largest single operator new while it lives.
class AllocationProbe {
 public:
  AllocationProbe() {
    g_largest_allocation.store(0);
    g_probe_active.store(true);
  }
  AllocationProbe(const AllocationProbe&) = delete;
  AllocationProbe& operator=(const AllocationProbe&) = delete;
  ~AllocationProbe() { g_probe_active.store(false); }
  [[nodiscard]] std::size_t largest() const { return g_largest_allocation.load(); }
};

using mpp::SerializationError;
using mpp::detail::ByteBuffer;
using mpp::detail::decode;
using mpp::detail::decode_all;
using mpp::detail::decode_exception;
using mpp::detail::encode;
using mpp::detail::encode_exception;

template <class T>
ByteBuffer encoded(const T& value) {
  ByteBuffer out;
  encode(out, value);
  return out;
}

template <class T>
T round_trip(const T& value) {
  return decode_all<T>(encoded(value));
}

ByteBuffer bytes_of(std::initializer_list<int> values) {
  ByteBuffer out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

void append_u64(ByteBuffer& out, std::uint64_t v) { mpp::detail::append_bytes(out, &v, sizeof(v)); }

// -- value types --------------------------------------------------------------------------------

struct Point {
  double x;
  double y;
  int tag;
  friend bool operator==(const Point&, const Point&) = default;
};
static_assert(mpp::detail::RawCodable<Point>);

enum class Colour : std::uint8_t { red = 1, green = 2, blue = 3 };

struct Record {
  std::string name;
  std::vector<int> values;
  std::map<std::string, std::vector<double>> series;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(name, values, series);
  }
  friend bool operator==(const Record&, const Record&) = default;
};
static_assert(mpp::detail::CerealCodable<Record> && !mpp::detail::RawCodable<Record>);

/// save/load instead of serialize, and a member that is itself a user type.
class Account {
 public:
  Account() = default;
  Account(std::string owner, std::int64_t cents, Record history)
      : owner_(std::move(owner)), cents_(cents), history_(std::move(history)) {}

  template <class Archive>
  void save(Archive& archive) const {
    archive(owner_, cents_, history_);
  }
  template <class Archive>
  void load(Archive& archive) {
    archive(owner_, cents_, history_);
  }
  friend bool operator==(const Account&, const Account&) = default;

 private:
  std::string owner_;
  std::int64_t cents_ = 0;
  Record history_;
};

Record sample_record() { return Record{"sample", {1, -2, 3}, {{"a", {0.5, 1.5}}, {"empty", {}}}}; }

// -- round trips ----------------------------------------------------------------------------------

TEST(Codec, RawTypesTravelAsTheirBytes) {
  const ByteBuffer b = encoded(std::int32_t{0x01020304});
  ASSERT_EQ(b.size(), sizeof(std::int32_t));
  std::int32_t back = 0;
  std::memcpy(&back, b.data(), sizeof(back));
  EXPECT_EQ(back, 0x01020304);
  const Point p{1.5, -2.5, 7};
  EXPECT_EQ(encoded(p).size(), sizeof(Point));
  EXPECT_EQ(round_trip(p), p);
}

TEST(Codec, RoundTripsRawTypes) {
  EXPECT_EQ(round_trip(42), 42);
  EXPECT_EQ(round_trip(std::numeric_limits<std::int64_t>::min()), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(round_trip(std::numeric_limits<std::uint64_t>::max()), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(round_trip(-0.125), -0.125);
  EXPECT_EQ(round_trip('z'), 'z');
  EXPECT_EQ(round_trip(true), true);
  EXPECT_EQ(round_trip(Colour::blue), Colour::blue);
  EXPECT_EQ(round_trip(std::array<int, 4>{1, 2, 3, 4}), (std::array<int, 4>{1, 2, 3, 4}));
  EXPECT_EQ(round_trip(std::complex<double>(1, -1)), std::complex<double>(1, -1));
  const double nan = round_trip(std::numeric_limits<double>::quiet_NaN());
  EXPECT_NE(nan, nan);
}

TEST(Codec, RoundTripsStrings) {
  EXPECT_EQ(round_trip(std::string()), "");
  EXPECT_EQ(round_trip(std::string("hello")), "hello");
  const std::string with_nul("a\0b\0", 4);
  EXPECT_EQ(round_trip(with_nul), with_nul);
  std::string all_bytes;
  for (int c = 0; c < 256; ++c) all_bytes.push_back(static_cast<char>(c));
  EXPECT_EQ(round_trip(all_bytes), all_bytes);
  const std::string big(std::size_t{1} << 20, 'q');
  EXPECT_EQ(round_trip(big), big);
}

TEST(Codec, RoundTripsVectorsAndOtherContainers) {
  EXPECT_EQ(round_trip(std::vector<int>{}), std::vector<int>{});
  EXPECT_EQ(round_trip(std::vector<int>{1, 2, 3}), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(round_trip(std::vector<double>{0.5, -1e300}), (std::vector<double>{0.5, -1e300}));
  EXPECT_EQ(round_trip(std::vector<std::string>{"a", "", "ccc"}), (std::vector<std::string>{"a", "", "ccc"}));
  EXPECT_EQ(round_trip(std::vector<bool>{true, false, true}), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(round_trip(std::deque<int>{4, 5}), (std::deque<int>{4, 5}));
  EXPECT_EQ(round_trip(std::list<std::string>{"x", "y"}), (std::list<std::string>{"x", "y"}));
  EXPECT_EQ(round_trip(std::set<int>{3, 1, 2}), (std::set<int>{1, 2, 3}));
  EXPECT_EQ(round_trip(std::unordered_set<std::string>{"p", "q"}),
            (std::unordered_set<std::string>{"p", "q"}));
  const std::unordered_map<std::string, int> um{{"one", 1}, {"two", 2}};
  EXPECT_EQ(round_trip(um), um);
  const std::map<std::string, std::vector<double>> m{{"a", {1.0}}, {"b", {}}, {"c", {2.0, 3.0}}};
  EXPECT_EQ(round_trip(m), m);
}

TEST(Codec, RoundTripsNestedContainers) {
  const std::vector<std::vector<int>> vv{{}, {1}, {2, 3}};
  EXPECT_EQ(round_trip(vv), vv);
  const std::map<std::string, std::vector<std::map<int, std::string>>> deep{
      {"k", {{{1, "one"}}, {}, {{2, "two"}, {3, "three"}}}}, {"", {}}};
  EXPECT_EQ(round_trip(deep), deep);
  const std::vector<std::optional<std::tuple<int, std::string>>> opts{std::nullopt, std::tuple(1, "x")};
  EXPECT_EQ(round_trip(opts), opts);
}

TEST(Codec, RoundTripsTuplesPairsOptionalsVariants) {
  const std::tuple<int, std::string, std::vector<double>> t{7, "seven", {7.0}};
  EXPECT_EQ(round_trip(t), t);
  const std::pair<std::string, int> p{"key", -1};
  EXPECT_EQ(round_trip(p), p);
  EXPECT_EQ(round_trip(std::pair<int, double>{1, 2.5}), (std::pair<int, double>{1, 2.5}));
  EXPECT_EQ(round_trip(std::optional<std::string>()), std::nullopt);
  EXPECT_EQ(round_trip(std::optional<std::string>("here")), std::optional<std::string>("here"));
  EXPECT_EQ(round_trip(std::optional<int>()), std::nullopt);
  EXPECT_EQ(round_trip(std::optional<int>(3)), std::optional<int>(3));
  using V = std::variant<int, std::string, std::vector<int>>;
  EXPECT_EQ(round_trip(V(5)), V(5));
  EXPECT_EQ(round_trip(V("text")), V("text"));
  EXPECT_EQ(round_trip(V(std::vector<int>{1, 2})), V(std::vector<int>{1, 2}));
  using RawV = std::variant<int, double>;
  EXPECT_EQ(round_trip(RawV(2.5)), RawV(2.5));
  EXPECT_EQ(round_trip(RawV(9)), RawV(9));
  EXPECT_EQ(round_trip(std::monostate{}), std::monostate{});
}

TEST(Codec, RoundTripsUserCerealTypes) {
  EXPECT_EQ(round_trip(sample_record()), sample_record());
  EXPECT_EQ(round_trip(Record{}), Record{});
  const Account account("ada", 123456789012, sample_record());
  EXPECT_EQ(round_trip(account), account);
  const std::vector<Record> records{sample_record(), Record{}, sample_record()};
  EXPECT_EQ(round_trip(records), records);
  const std::map<std::string, Account> accounts{{"a", account}, {"b", Account{}}};
  EXPECT_EQ(round_trip(accounts), accounts);
}

TEST(Codec, RoundTripsByteVectorsAsOneBlock) {
  EXPECT_EQ(round_trip(std::vector<std::byte>{}), std::vector<std::byte>{});
  std::vector<std::byte> odd(100'003);
  for (std::size_t i = 0; i < odd.size(); ++i) odd[i] = static_cast<std::byte>(i * 7);
  EXPECT_EQ(round_trip(odd), odd);
  // The size, then the bytes: what cereal wrote element by element before, so the format holds.
  const std::vector<std::byte> three{std::byte{1}, std::byte{2}, std::byte{255}};
  ByteBuffer expected;
  append_u64(expected, 3);
  for (std::byte b : three) expected.push_back(b);
  EXPECT_EQ(encoded(three), expected);
}

// The request as sent: its segments one after the other.
ByteBuffer flattened(mpp::detail::RequestBuilder& builder) {
  ByteBuffer out;
  for (const auto& segment : builder.segments()) {
    const std::byte* from =
        segment.external != nullptr ? segment.external : builder.bytes().data() + segment.offset;
    out.insert(out.end(), from, from + segment.size);
  }
  return out;
}

template <class T>
std::size_t views_in_argument(const T& value, bool views = true) {
  mpp::detail::RequestBuilder builder;
  builder.set_argument_views(views);
  mpp::detail::encode_argument(builder, value);
  EXPECT_EQ(flattened(builder), encoded(value)) << "an argument's request differs from encode()'s bytes";
  std::size_t count = 0;
  for (const auto& segment : builder.segments()) count += segment.external != nullptr ? 1 : 0;
  return count;
}

TEST(Codec, LargeArraysInArgumentsGoAsViewsInEncodesFormat) {
  std::vector<double> doubles(20'001);
  std::iota(doubles.begin(), doubles.end(), 0.5);
  std::vector<std::byte> bytes(70'001, std::byte{9});
  const std::string text(65'537, 't');
  auto raw = std::make_unique<std::array<double, 10'000>>();
  raw->fill(2.5);
  EXPECT_EQ(views_in_argument(doubles), 1U);
  EXPECT_EQ(views_in_argument(bytes), 1U);
  EXPECT_EQ(views_in_argument(text), 1U);
  EXPECT_EQ(views_in_argument(*raw), 1U);
  EXPECT_EQ(views_in_argument(std::tuple(1, doubles, std::pair(text, 2.0f), Point{1, 2, 3})), 2U);
  EXPECT_EQ(views_in_argument(std::pair(bytes, std::vector<int>{1, 2})), 1U);
  // Small ones, empty ones and what keeps archive state are copied.
  EXPECT_EQ(views_in_argument(std::vector<double>(100)), 0U);
  EXPECT_EQ(views_in_argument(std::vector<double>{}), 0U);
  EXPECT_EQ(views_in_argument(std::tuple(doubles, sample_record())), 0U);
  EXPECT_EQ(views_in_argument(std::vector<std::vector<double>>{doubles}), 0U);
  // Only where the transport keeps arguments alive until they are sent.
  EXPECT_EQ(views_in_argument(doubles, false), 0U);
}

TEST(Codec, DecodeReadsConsecutiveValuesFromOneReader) {
  ByteBuffer b;
  encode(b, 1);
  encode(b, std::string("two"));
  encode(b, sample_record());
  encode(b, Point{3, 3, 3});
  mpp::detail::ByteReader in(b);
  EXPECT_EQ(decode<int>(in), 1);
  EXPECT_EQ(decode<std::string>(in), "two");
  EXPECT_EQ(decode<Record>(in), sample_record());
  EXPECT_EQ(decode<Point>(in), (Point{3, 3, 3}));
  EXPECT_TRUE(in.at_end());
  EXPECT_THROW(decode<int>(in), SerializationError);
}

// -- corrupt input ----------------------------------------------------------------------------------

TEST(Codec, DecodeAllRejectsTrailingBytes) {
  ByteBuffer b = encoded(5);
  b.push_back(std::byte{0});
  EXPECT_THROW(decode_all<int>(b), SerializationError);
  b = encoded(std::string("abc"));
  b.push_back(std::byte{0});
  EXPECT_THROW(decode_all<std::string>(b), SerializationError);
  b = encoded(sample_record());
  b.push_back(std::byte{0});
  EXPECT_THROW(decode_all<Record>(b), SerializationError);
  // ...and accepts the same bytes without the extra one.
  b.pop_back();
  EXPECT_EQ(decode_all<Record>(b), sample_record());
}

TEST(Codec, DecodeOfNothingThrows) {
  const ByteBuffer empty;
  EXPECT_THROW(decode_all<int>(empty), SerializationError);
  EXPECT_THROW(decode_all<std::string>(empty), SerializationError);
  EXPECT_THROW(decode_all<Record>(empty), SerializationError);
}

/// Every strict prefix of a valid encoding must be refused: decoding reads deterministically, so a
/// prefix that decoded would mean the full encoding had trailing bytes.
template <class T>
void expect_every_prefix_throws(const T& value) {
  const ByteBuffer full = encoded(value);
  ASSERT_EQ(decode_all<T>(full), value);
  for (std::size_t n = 0; n < full.size(); ++n) {
    const std::span<const std::byte> prefix(full.data(), n);
    EXPECT_THROW(decode_all<T>(prefix), SerializationError)
        << typeid(T).name() << ": prefix of " << n << " of " << full.size() << " bytes";
  }
}

TEST(Codec, EveryPrefixOfAValidEncodingThrows) {
  expect_every_prefix_throws(12345);
  expect_every_prefix_throws(Point{1, 2, 3});
  expect_every_prefix_throws(std::string("a string of some length"));
  expect_every_prefix_throws(std::vector<int>{1, 2, 3, 4});
  expect_every_prefix_throws(std::vector<std::string>{"a", "bb", ""});
  expect_every_prefix_throws(std::map<std::string, std::vector<double>>{{"x", {1, 2}}, {"y", {}}});
  expect_every_prefix_throws(std::tuple<int, std::string, double>{1, "two", 3.0});
  expect_every_prefix_throws(std::pair<std::string, std::string>{"k", "v"});
  expect_every_prefix_throws(std::variant<int, std::string>("alternative"));
  expect_every_prefix_throws(std::optional<std::string>("present"));
  expect_every_prefix_throws(sample_record());
  expect_every_prefix_throws(Account("b", 5, sample_record()));
}

/// Decoding `bytes` as T either gives a value or throws SerializationError; anything else fails.
template <class T>
void expect_value_or_serialization_error(std::span<const std::byte> bytes, const char* what) {
  try {
    (void)decode_all<T>(bytes);
  } catch (const SerializationError&) {
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": decode threw " << typeid(e).name() << ": " << e.what();
  } catch (...) {
    ADD_FAILURE() << what << ": decode threw a non-exception";
  }
}

template <class T>
void flip_bytes_of(const T& value, std::mt19937& random, int rounds) {
  const ByteBuffer valid = encoded(value);
  ASSERT_FALSE(valid.empty());
  std::uniform_int_distribution<std::size_t> position(0, valid.size() - 1);
  std::uniform_int_distribution<int> flips(1, 3);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < rounds; ++round) {
    ByteBuffer b = valid;
    for (int k = flips(random); k > 0; --k)
      b[position(random)] ^= static_cast<std::byte>(1 + byte(random) % 255);
    expect_value_or_serialization_error<T>(b, typeid(T).name());
  }
}

TEST(Codec, RandomByteFlipsGiveAValueOrSerializationError) {
  // Types with no bool or variant index stored as raw bytes: see the InvalidRepresentation tests.
  std::mt19937 random(2024);
  flip_bytes_of(std::string("flip me if you can"), random, 500);
  flip_bytes_of(std::vector<int>{1, 2, 3, 4, 5}, random, 500);
  flip_bytes_of(std::vector<std::string>{"alpha", "beta", "", "gamma"}, random, 500);
  flip_bytes_of(std::map<std::string, std::vector<double>>{{"a", {1, 2}}, {"bb", {3}}, {"", {}}}, random,
                1000);
  flip_bytes_of(std::tuple<int, std::string, double>{1, "x", 2.0}, random, 500);
  flip_bytes_of(std::variant<int, std::string, std::vector<int>>(std::vector<int>{9, 8}), random, 500);
  flip_bytes_of(sample_record(), random, 1000);
  flip_bytes_of(std::vector<std::vector<std::string>>{{"a"}, {}, {"b", "c"}}, random, 500);
}

TEST(Codec, RandomBytesGiveAValueOrSerializationError) {
  std::mt19937 random(7);
  std::uniform_int_distribution<int> length(0, 64);
  std::uniform_int_distribution<int> byte(0, 255);
  // Small numbers make plausible lengths, so bias toward them half of the time.
  std::uniform_int_distribution<int> small(0, 4);
  for (int round = 0; round < 2000; ++round) {
    ByteBuffer b(static_cast<std::size_t>(length(random)));
    const bool plausible = round % 2 == 0;
    for (auto& x : b) x = static_cast<std::byte>(plausible ? small(random) : byte(random));
    expect_value_or_serialization_error<std::string>(b, "std::string");
    expect_value_or_serialization_error<std::vector<std::string>>(b, "std::vector<std::string>");
    expect_value_or_serialization_error<std::map<std::string, std::vector<double>>>(b, "map");
    expect_value_or_serialization_error<std::variant<int, std::string, std::vector<int>>>(b, "variant");
    expect_value_or_serialization_error<Record>(b, "Record");
  }
}

template <class T>
void expect_huge_count_throws_quickly(std::uint64_t count) {
  ByteBuffer b;
  append_u64(b, count);
  for (int i = 0; i < 16; ++i) b.push_back(std::byte{1});
  const auto before = std::chrono::steady_clock::now();
  {
    AllocationProbe probe;
    EXPECT_THROW(decode_all<T>(b), SerializationError) << typeid(T).name() << " count " << count;
    EXPECT_LT(probe.largest(), std::size_t{1} << 20)
        << typeid(T).name() << ": a 24-byte message claiming " << count << " elements allocated "
        << probe.largest() << " bytes at once";
  }
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(1));
}

TEST(Codec, HugeLengthFieldThrowsQuicklyWithoutAllocating) {
  for (const std::uint64_t count : {std::uint64_t{1} << 40, std::uint64_t{1} << 32, std::uint64_t{17},
                                    std::numeric_limits<std::uint64_t>::max()}) {
    expect_huge_count_throws_quickly<std::string>(count);
    expect_huge_count_throws_quickly<std::vector<int>>(count);
    expect_huge_count_throws_quickly<std::vector<double>>(count);
    expect_huge_count_throws_quickly<std::vector<std::string>>(count);
    expect_huge_count_throws_quickly<std::vector<std::vector<int>>>(count);
    expect_huge_count_throws_quickly<std::map<std::string, std::vector<double>>>(count);
    expect_huge_count_throws_quickly<std::deque<Record>>(count);
    expect_huge_count_throws_quickly<std::list<std::string>>(count);
    expect_huge_count_throws_quickly<std::unordered_map<int, int>>(count);
  }
}

TEST(Codec, HugeInnerLengthFieldThrows) {
  // A valid outer vector of two strings whose second string claims 2^40 characters.
  ByteBuffer b;
  append_u64(b, 2);
  append_u64(b, 1);
  b.push_back(std::byte{'a'});
  append_u64(b, std::uint64_t{1} << 40);
  b.push_back(std::byte{'b'});
  AllocationProbe probe;
  EXPECT_THROW(decode_all<std::vector<std::string>>(b), SerializationError);
  EXPECT_LT(probe.largest(), std::size_t{1} << 20);
}

TEST(Codec, ClaimedElementCountCannotAllocateFarBeyondTheMessage) {
  // A 16 KiB message that claims 16 Ki elements of an 8 KiB type: the count passes the check
  // "at most one element per byte left", but resizing the vector to it asks for 128 MiB at once
  // (8192 times the message) before the first element is read.
  using Block = std::array<double, 1024>;
  constexpr std::uint64_t k_claimed = 16 * 1024;
  ByteBuffer b;
  append_u64(b, k_claimed);
  b.resize(b.size() + k_claimed, std::byte{0});
  AllocationProbe probe;
  EXPECT_THROW(decode_all<std::vector<Block>>(b), SerializationError);
  EXPECT_LE(probe.largest(), std::size_t{64} * b.size())
      << "decoding a " << b.size() << "-byte message allocated " << probe.largest() << " bytes at once";
}

// Values whose raw bytes have invalid representations: a bool that is neither 0 nor 1, a variant's
// index past its alternatives. A corrupt message must be refused (design.md: "a corrupt or truncated
// message ends in mpp::SerializationError, never in undefined behaviour"); decoding such a value
// and then using it is undefined behaviour.

TEST(Codec, InvalidRepresentationRawBoolIsRejected) {
  EXPECT_THROW((void)decode_all<bool>(bytes_of({2})), SerializationError);
}

TEST(Codec, VariantsGoThroughTheCheckingArchive) {
  // A variant of trivially copyable types is itself trivially copyable, but its index could be
  // corrupted into no alternative at all: it must not travel as raw bytes.
  using V = std::variant<int, double>;
  static_assert(!mpp::detail::RawCodable<V>);
  static_assert(!mpp::detail::RawCodable<std::optional<int>>);
  static_assert(!mpp::detail::RawCodable<bool>);
  EXPECT_EQ(decode_all<V>(encoded(V(2.5))), V(2.5));
}

TEST(Codec, InvalidRepresentationVariantIndexIsRejected) {
  using V = std::variant<int, double>;
  ByteBuffer b = encoded(V(1));
  // The index comes first; an index past the alternatives must be refused.
  const ByteBuffer other = encoded(V(0.0));
  ASSERT_NE(b[0], other[0]);
  b[0] = std::byte{7};
  try {
    const V v = decode_all<V>(b);
    // Do not visit it: an index of 7 would jump through a table of two entries.
    ADD_FAILURE() << "decoded a variant<int, double> whose index() is " << v.index();
  } catch (const SerializationError&) {
  }
}

TEST(Codec, InvalidRepresentationOptionalFlagIsRejected) {
  // cereal path: the "nullopt" flag is a bool read as a raw byte. Whether a compiler takes the byte 2
  // for true or for false, one of these two messages then decodes without an error.
  ByteBuffer empty = encoded(std::optional<std::string>());
  ASSERT_EQ(empty, bytes_of({1}));  // nullopt == true, nothing follows
  empty[0] = std::byte{2};
  EXPECT_THROW((void)decode_all<std::optional<std::string>>(empty), SerializationError);
  ByteBuffer engaged = encoded(std::optional<std::string>("x"));
  ASSERT_EQ(engaged[0], std::byte{0});  // nullopt == false, the string follows
  engaged[0] = std::byte{2};
  EXPECT_THROW((void)decode_all<std::optional<std::string>>(engaged), SerializationError);
}

// A trivially copyable struct without a default constructor decodes over zero bytes inside the
// standard templates too (cereal's own optional and variant loads default-construct it: they did
// not compile).
struct Sealed {
  explicit Sealed(int seed) noexcept : words{seed, seed + 1, seed + 2} {}
  std::array<int, 3> words;
  bool operator==(const Sealed&) const = default;
};

TEST(Codec, AStructWithoutADefaultConstructorCrossesInsideTheStandardTemplates) {
  EXPECT_EQ(round_trip(std::optional<Sealed>(Sealed(1))), std::optional<Sealed>(Sealed(1)));
  EXPECT_EQ(round_trip(std::optional<Sealed>()), std::nullopt);
  using Choice = std::variant<int, Sealed, std::string>;
  EXPECT_EQ(round_trip(Choice(Sealed(2))), Choice(Sealed(2)));
  EXPECT_EQ(round_trip(Choice(std::string("s"))), Choice(std::string("s")));
  EXPECT_EQ(round_trip(Choice(7)), Choice(7));
  EXPECT_EQ(round_trip(std::tuple<Sealed, std::string>(Sealed(3), "t")),
            (std::tuple<Sealed, std::string>(Sealed(3), "t")));
  EXPECT_EQ(round_trip(std::pair<std::string, Sealed>("p", Sealed(4))),
            (std::pair<std::string, Sealed>("p", Sealed(4))));
  const std::vector<std::optional<Sealed>> many{Sealed(5), std::nullopt, Sealed(6)};
  EXPECT_EQ(round_trip(many), many);
  // A corrupt index is refused, not read past.
  ByteBuffer bad = encoded(Choice(Sealed(2)));
  const std::int32_t index = -1;
  std::memcpy(bad.data(), &index, sizeof(index));
  EXPECT_THROW((void)decode_all<Choice>(bad), SerializationError);
}

TEST(Codec, InvalidRepresentationVectorOfBoolIsRejected) {
  ByteBuffer b = encoded(std::vector<bool>{true, false});
  b.back() = std::byte{0x40};
  EXPECT_THROW((void)decode_all<std::vector<bool>>(b), SerializationError);
}

// -- the exception codec ----------------------------------------------------------------------------

std::exception_ptr exception_round_trip(const std::exception_ptr& error) {
  ByteBuffer b;
  encode_exception(b, error);
  return decode_exception(b);
}

template <class E>
class ExceptionCodecKeeps : public ::testing::Test {};

using RebuiltTypes =
    ::testing::Types<std::runtime_error, std::logic_error, std::invalid_argument, std::out_of_range,
                     std::domain_error, std::length_error, std::overflow_error, std::range_error,
                     std::underflow_error, mpp::Error, mpp::PoolNotRunning, mpp::PoolRunning,
                     mpp::TaskCancelled, mpp::TimeoutError, mpp::WorkerLost, mpp::SerializationError,
                     mpp::LockOwnerDied, mpp::BrokenBarrierError, mpp::EOFError>;

struct RebuiltTypeNames {
  template <class E>
  static std::string GetName(int /*index*/) {
    // "std::runtime_error" -> "StdRuntimeError": GoogleTest names are PascalCase, without "::".
    std::string out;
    bool upper = true;
    for (char c : mpp::detail::type_name(typeid(E))) {
      if (c == ':' || c == '_') {
        upper = true;
      } else {
        out.push_back(upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
        upper = false;
      }
    }
    return out;
  }
};

TYPED_TEST_SUITE(ExceptionCodecKeeps, RebuiltTypes, RebuiltTypeNames);

TYPED_TEST(ExceptionCodecKeeps, TypeAndMessage) {
  const auto decoded = exception_round_trip(std::make_exception_ptr(TypeParam("the message: \xC3\xA9\n")));
  ASSERT_TRUE(decoded);
  try {
    std::rethrow_exception(decoded);
  } catch (const std::exception& e) {
    EXPECT_EQ(typeid(e), typeid(TypeParam)) << "rebuilt as " << mpp::detail::type_name(typeid(e));
    EXPECT_STREQ(e.what(), "the message: \xC3\xA9\n");
  }
}

TEST(ExceptionCodec, KeepsBadAlloc) {
  const auto decoded = exception_round_trip(std::make_exception_ptr(std::bad_alloc()));
  try {
    std::rethrow_exception(decoded);
  } catch (const std::exception& e) {
    EXPECT_EQ(typeid(e), typeid(std::bad_alloc));
    EXPECT_STREQ(e.what(), std::bad_alloc().what());
  }
}

TEST(ExceptionCodec, KeepsEmptyAndLongMessages) {
  const std::string long_message(100'000, 'm');
  for (const std::string& message : {std::string(), long_message}) {
    try {
      std::rethrow_exception(exception_round_trip(std::make_exception_ptr(std::runtime_error(message))));
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(typeid(e), typeid(std::runtime_error));
      EXPECT_EQ(std::string(e.what()), message);
    }
  }
}

TEST(ExceptionCodec, ParseErrorKeepsFileLineAndColumn) {
  const mpp::ParseError original("unterminated quote", "data.csv", 12, 34);
  try {
    std::rethrow_exception(exception_round_trip(std::make_exception_ptr(original)));
  } catch (const mpp::ParseError& e) {
    EXPECT_EQ(typeid(e), typeid(mpp::ParseError));
    EXPECT_EQ(e.file(), "data.csv");
    EXPECT_EQ(e.line(), 12U);
    EXPECT_EQ(e.column(), 34U);
    EXPECT_STREQ(e.what(), original.what());  // the location is not doubled
  }
}

TEST(ExceptionCodec, ParseErrorWithoutSomeOfItsLocation) {
  for (const mpp::ParseError& original :
       {mpp::ParseError("no location"), mpp::ParseError("line only", "", 3),
        mpp::ParseError("file only", "f.csv"), mpp::ParseError("column, no line", "g.csv", 0, 9)}) {
    try {
      std::rethrow_exception(exception_round_trip(std::make_exception_ptr(original)));
    } catch (const mpp::ParseError& e) {
      EXPECT_STREQ(e.what(), original.what());
      EXPECT_EQ(e.file(), original.file());
      EXPECT_EQ(e.line(), original.line());
      EXPECT_EQ(e.column(), original.column());
    }
  }
}

namespace user {
struct OwnError : std::exception {
  const char* what() const noexcept override { return "own error text"; }
};
struct DerivedRuntimeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
}  // namespace user

TEST(ExceptionCodec, UnknownTypeBecomesRemoteError) {
  try {
    std::rethrow_exception(exception_round_trip(std::make_exception_ptr(user::OwnError())));
  } catch (const mpp::RemoteError& e) {
    EXPECT_NE(e.type_name().find("user::OwnError"), std::string::npos) << e.type_name();
    EXPECT_EQ(e.message(), "own error text");
    const std::string what = e.what();
    EXPECT_NE(what.find("OwnError"), std::string::npos) << what;
    EXPECT_NE(what.find("own error text"), std::string::npos) << what;
  }
}

TEST(ExceptionCodec, DerivedStandardTypeBecomesRemoteError) {
  try {
    std::rethrow_exception(
        exception_round_trip(std::make_exception_ptr(user::DerivedRuntimeError("derived"))));
  } catch (const mpp::RemoteError& e) {
    EXPECT_NE(e.type_name().find("DerivedRuntimeError"), std::string::npos) << e.type_name();
    EXPECT_EQ(e.message(), "derived");
  }
}

TEST(ExceptionCodec, NonExceptionBecomesRemoteError) {
  try {
    std::rethrow_exception(exception_round_trip(std::make_exception_ptr(42)));
  } catch (const mpp::RemoteError& e) {
    EXPECT_EQ(e.type_name(), "int");
    EXPECT_EQ(e.message(), "42");
    EXPECT_STREQ(e.what(), "int: 42");
  }
  const char* c_string = "oops";
  try {
    std::rethrow_exception(exception_round_trip(std::make_exception_ptr(c_string)));
  } catch (const mpp::RemoteError& e) {
    EXPECT_EQ(e.message(), "oops");
  }
  try {
    std::rethrow_exception(exception_round_trip(std::make_exception_ptr(std::string("as a string"))));
  } catch (const mpp::RemoteError& e) {
    EXPECT_EQ(e.message(), "as a string");
    EXPECT_STREQ(e.what(), "std::string: as a string");  // as users spell the type
  }
  try {
    std::rethrow_exception(exception_round_trip(std::make_exception_ptr(2.5)));
  } catch (const mpp::RemoteError& e) {
    EXPECT_STREQ(e.what(), "double: 2.5");  // the shortest exact form
  }
  struct Opaque {};
  try {
    std::rethrow_exception(exception_round_trip(std::make_exception_ptr(Opaque{})));
  } catch (const mpp::RemoteError& e) {
    EXPECT_EQ(e.message(), "");
    EXPECT_EQ(std::string(e.what()), e.type_name());  // no dangling ": "
  }
}

TEST(ExceptionCodec, RemoteErrorKeepsTheOriginalTypeAcrossTwoHops) {
  const auto once = exception_round_trip(std::make_exception_ptr(mpp::RemoteError("my::Type", "oops")));
  const auto twice = exception_round_trip(once);
  try {
    std::rethrow_exception(twice);
  } catch (const mpp::RemoteError& e) {
    EXPECT_EQ(typeid(e), typeid(mpp::RemoteError));
    EXPECT_EQ(e.type_name(), "my::Type");
    EXPECT_EQ(e.message(), "oops");
    EXPECT_STREQ(e.what(), mpp::RemoteError("my::Type", "oops").what());
  }
}

void expect_serialization_error(const std::exception_ptr& error, const std::string& what) {
  ASSERT_TRUE(error) << what << ": decode_exception returned no exception";
  try {
    std::rethrow_exception(error);
  } catch (const SerializationError&) {
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": decoded as " << mpp::detail::type_name(typeid(e)) << ": " << e.what();
  }
}

TEST(ExceptionCodec, CorruptBytesDecodeToSerializationError) {
  expect_serialization_error(decode_exception({}), "empty");
  expect_serialization_error(decode_exception(bytes_of({0xff, 0xff, 0xff})), "three bytes");
  ByteBuffer valid;
  encode_exception(valid, std::make_exception_ptr(mpp::ParseError("m", "f", 1, 2)));
  for (std::size_t n = 0; n < valid.size(); ++n) {
    expect_serialization_error(decode_exception(std::span(valid.data(), n)),
                               "prefix of " + std::to_string(n));
  }
  ByteBuffer trailing = valid;
  trailing.push_back(std::byte{0});
  expect_serialization_error(decode_exception(trailing), "trailing byte");
  ByteBuffer bad_kind = valid;
  bad_kind[0] = std::byte{200};  // the kind comes first
  expect_serialization_error(decode_exception(bad_kind), "unknown kind");
  ByteBuffer huge_name = bytes_of({1});
  append_u64(huge_name, std::uint64_t{1} << 40);
  expect_serialization_error(decode_exception(huge_name), "huge type name length");
}

TEST(ExceptionCodec, RandomCorruptionNeverCrashes) {
  std::mt19937 random(99);
  ByteBuffer valid;
  encode_exception(valid, std::make_exception_ptr(mpp::ParseError("message", "file.csv", 10, 20)));
  std::uniform_int_distribution<std::size_t> position(0, valid.size() - 1);
  for (int round = 0; round < 3000; ++round) {
    ByteBuffer b = valid;
    b[position(random)] ^= static_cast<std::byte>(1 + round % 255);
    const std::exception_ptr error = decode_exception(b);
    ASSERT_TRUE(error);
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      (void)std::string(e.what());
    }
  }
}

// --- functions across processes (remote/function_table.hpp) ------------------------------------
// A function crosses as (module, offset); decoded in the process that encoded it, it is itself.
// Each thread keeps the last few it encoded and decoded: more functions than it keeps, in turn,
// must still each come back as themselves.

int relocated_0(int x) { return x + 10; }
int relocated_1(int x) { return x + 11; }
int relocated_2(int x) { return x + 12; }
int relocated_3(int x) { return x + 13; }
int relocated_4(int x) { return x + 14; }
int relocated_5(int x) { return x + 15; }
int relocated_6(int x) { return x + 16; }

const mpp::detail::ModuleRelocation& test_relocation() {
  static const mpp::detail::ModuleRelocation relocation(
      {"codec_test", "this process", "here", "other processes", "none needed"});
  return relocation;
}

std::uintptr_t relocated(std::uintptr_t address) {
  mpp::detail::ByteBuffer bytes;
  test_relocation().encode(bytes, address);
  mpp::detail::ByteReader in(bytes);
  const std::uintptr_t back = test_relocation().decode(in);
  EXPECT_TRUE(in.at_end());
  return back;
}

TEST(FunctionRelocation, MoreFunctionsThanAThreadKeepsEachComeBackAsThemselves) {
  using F = int (*)(int);
  const std::array<F, 7> functions{relocated_0, relocated_1, relocated_2, relocated_3,
                                   relocated_4, relocated_5, relocated_6};
  for (int round = 0; round < 3; ++round) {
    for (std::size_t k = 0; k < functions.size(); ++k) {
      const auto address = reinterpret_cast<std::uintptr_t>(functions[k]);
      const auto back = reinterpret_cast<F>(relocated(address));  // NOLINT(performance-no-int-to-ptr)
      ASSERT_EQ(back, functions[k]) << "function " << k << ", round " << round;
      EXPECT_EQ(back(1), 11 + static_cast<int>(k));
    }
  }
  // And on another thread, which keeps its own.
  std::thread([&] {
    for (F f : functions)
      EXPECT_EQ(relocated(reinterpret_cast<std::uintptr_t>(f)), reinterpret_cast<std::uintptr_t>(f));
  }).join();
}

TEST(FunctionRelocation, DataIsRefusedEachTimeNotOnlyTheFirst) {
  static int data = 0;
  for (int k = 0; k < 2; ++k) {
    mpp::detail::ByteBuffer bytes;
    EXPECT_THROW(test_relocation().encode(bytes, reinterpret_cast<std::uintptr_t>(&data)),
                 mpp::SerializationError);
  }
}

TEST(FunctionRelocation, AnOffsetOutsideTheModulesCodeIsRefusedAfterAGoodOneOfTheSameModule) {
  const auto good = reinterpret_cast<std::uintptr_t>(relocated_0);
  ASSERT_EQ(relocated(good), good);
  mpp::detail::ByteBuffer bytes;
  test_relocation().encode(bytes, good);
  std::uint64_t offset = 0;
  std::memcpy(&offset, bytes.data() + sizeof(std::uint64_t), sizeof(offset));
  offset += std::uint64_t{1} << 40;  // far past any code of the module
  std::memcpy(bytes.data() + sizeof(std::uint64_t), &offset, sizeof(offset));
  for (int k = 0; k < 2; ++k) {
    mpp::detail::ByteReader in(bytes);
    EXPECT_THROW(test_relocation().decode(in), mpp::SerializationError);
  }
}

}  // namespace
