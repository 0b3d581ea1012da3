// Exceptions as data across ProcessPool's process boundary: the standard exception types arrive as
// themselves with the same what(); any other type (a class derived from a standard exception, a
// thrown int, a class that is no std::exception) as mpp::RemoteError naming its type and message;
// mpp's own errors as themselves. Through get(), apply, map, imap and error callbacks. However
// odd the exception, it reaches the caller and the pool goes on.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <exception>
#include <fstream>
#include <new>
#include <ranges>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include "mpp/errors.hpp"
#include "mpp/process_pool.hpp"
#include "mpp_test/sync.hpp"
#include "mpp_test/watchdog.hpp"

// Named (not anonymous) so that type_name() is predictable.
namespace mpp_process_pool_test {

class UserError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct NotAnException {
  int code = 7;
};

/// what() returns nullptr: a broken but possible exception type.
class NullWhat : public std::exception {
 public:
  const char* what() const noexcept override { return nullptr; }
};

}  // namespace mpp_process_pool_test

namespace {

using mpp_process_pool_test::NotAnException;
using mpp_process_pool_test::NullWhat;
using mpp_process_pool_test::UserError;

std::string message_for(int x) { return "failure number " + std::to_string(x); }

/// Throws E for odd x; returns x otherwise.
template <class E>
struct Thrower {
  int operator()(int x) const {
    if (x % 2 == 1) throw E(message_for(x));
    return x;
  }
};

template <>
struct Thrower<std::bad_alloc> {
  int operator()(int x) const {
    if (x % 2 == 1) throw std::bad_alloc();
    return x;
  }
};

template <class E>
std::string expected_what(int x) {
  if constexpr (std::is_same_v<E, std::bad_alloc>) {
    (void)x;
    return std::bad_alloc().what();
  } else {
    return message_for(x);
  }
}

/// Checks that `error` holds exactly an E (not a base, not a derived class) with E's message
/// for item x.
template <class E>
void expect_exactly(const std::exception_ptr& error, int x) {
  ASSERT_TRUE(error);
  try {
    std::rethrow_exception(error);
  } catch (const E& e) {
    EXPECT_EQ(typeid(e), typeid(E)) << "arrived as " << typeid(e).name();
    EXPECT_EQ(std::string(e.what()), expected_what<E>(x));
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected " << typeid(E).name() << ", got " << typeid(e).name() << ": " << e.what();
  } catch (...) {
    ADD_FAILURE() << "expected " << typeid(E).name() << ", got a non-exception";
  }
}

template <class F>
std::exception_ptr error_of(F&& f) {
  try {
    f();
  } catch (...) {
    return std::current_exception();
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Standard exception types, through each route.

template <class E>
class ProcessPoolStandardException : public ::testing::Test {};

using StandardExceptions =
    ::testing::Types<std::runtime_error, std::logic_error, std::invalid_argument, std::out_of_range,
                     std::domain_error, std::length_error, std::overflow_error, std::range_error,
                     std::underflow_error, std::bad_alloc>;

struct StandardExceptionNames {
  template <class E>
  static std::string GetName(int /*index*/) {
    if constexpr (std::is_same_v<E, std::runtime_error>) return "RuntimeError";
    if constexpr (std::is_same_v<E, std::logic_error>) return "LogicError";
    if constexpr (std::is_same_v<E, std::invalid_argument>) return "InvalidArgument";
    if constexpr (std::is_same_v<E, std::out_of_range>) return "OutOfRange";
    if constexpr (std::is_same_v<E, std::domain_error>) return "DomainError";
    if constexpr (std::is_same_v<E, std::length_error>) return "LengthError";
    if constexpr (std::is_same_v<E, std::overflow_error>) return "OverflowError";
    if constexpr (std::is_same_v<E, std::range_error>) return "RangeError";
    if constexpr (std::is_same_v<E, std::underflow_error>) return "UnderflowError";
    if constexpr (std::is_same_v<E, std::bad_alloc>) return "BadAlloc";
    return "Other";
  }
};

TYPED_TEST_SUITE(ProcessPoolStandardException, StandardExceptions, StandardExceptionNames);

TYPED_TEST(ProcessPoolStandardException, ApplyAndGetRethrowTheSameTypeAndMessage) {
  mpp::ProcessPool pool(2);
  expect_exactly<TypeParam>(error_of([&] { (void)pool.apply(Thrower<TypeParam>{}, 3); }), 3);
  auto r = pool.apply_async(Thrower<TypeParam>{}, 5);
  expect_exactly<TypeParam>(error_of([&] { (void)r.get(); }), 5);
  expect_exactly<TypeParam>(error_of([&] { (void)r.get(); }), 5);  // again: same exception
  EXPECT_FALSE(r.successful());
  EXPECT_EQ(pool.apply(Thrower<TypeParam>{}, 4), 4);
}

TYPED_TEST(ProcessPoolStandardException, MapRethrowsTheSameTypeAndMessage) {
  mpp::ProcessPool pool(2);
  const std::vector<int> one_bad{0, 2, 4, 7, 8, 10};
  expect_exactly<TypeParam>(error_of([&] { (void)pool.map(Thrower<TypeParam>{}, one_bad, 2); }), 7);
  auto r = pool.map_async(Thrower<TypeParam>{}, one_bad, 4);
  expect_exactly<TypeParam>(error_of([&] { (void)r.get(); }), 7);
}

TYPED_TEST(ProcessPoolStandardException, ImapDeliversEachAtItsPosition) {
  mpp::ProcessPool pool(2);
  auto results = pool.imap(Thrower<TypeParam>{}, std::views::iota(0, 12), 3);
  for (int i = 0; i < 12; ++i) {
    if (i % 2 == 1) {
      expect_exactly<TypeParam>(error_of([&] { (void)results.next(); }), i);
    } else {
      EXPECT_EQ(results.next(), i);
    }
  }
  EXPECT_FALSE(results.next().has_value());
}

TYPED_TEST(ProcessPoolStandardException, ErrorCallbackReceivesTheSameTypeAndMessage) {
  std::vector<std::exception_ptr> errors;  // plain: callbacks are serialised, all run by join()
  int values = 0;
  {
    mpp::ProcessPool pool(2);
    for (int i = 0; i < 6; ++i) {
      pool.apply_async(Thrower<TypeParam>{}, i)
          .then([&](int) { ++values; }, [&](const std::exception_ptr& e) { errors.push_back(e); });
    }
    pool.map_async(Thrower<TypeParam>{}, std::vector<int>{2, 9, 4}, 1)
        .then([&](const std::vector<int>&) { ++values; },
              [&](const std::exception_ptr& e) { errors.push_back(e); });
  }
  EXPECT_EQ(values, 3);
  ASSERT_EQ(errors.size(), 4U);
  // The apply_async errors are for 1, 3, 5 (in completion order), the map's for 9.
  int nines = 0;
  for (const auto& e : errors) {
    try {
      std::rethrow_exception(e);
    } catch (const TypeParam& ex) {
      EXPECT_EQ(typeid(ex), typeid(TypeParam));
      if (std::string(ex.what()) == expected_what<TypeParam>(9)) ++nines;
    } catch (...) {
      ADD_FAILURE() << "an error callback received another type";
    }
  }
  if constexpr (!std::is_same_v<TypeParam, std::bad_alloc>) {
    EXPECT_EQ(nines, 1);
  }
}

// ---------------------------------------------------------------------------------------------
// Types that cannot be rebuilt: RemoteError.

int throw_user_error(int x) { throw UserError("user error " + std::to_string(x)); }
int throw_int(int x) { throw x; }
int throw_not_an_exception(int) { throw NotAnException{}; }
int throw_c_string(int) { throw "a C string"; }
int throw_timeout_error(int) { throw mpp::TimeoutError("user code timed out"); }
pid_t worker_pid(int) { return ::getpid(); }

TEST(ProcessPoolRemoteError, DerivedUserTypeArrivesAsRemoteErrorNamingIt) {
  mpp::ProcessPool pool(2);
  try {
    (void)pool.apply(&throw_user_error, 4);
    ADD_FAILURE() << "apply returned";
  } catch (const mpp::RemoteError& e) {
    EXPECT_EQ(e.type_name(), "mpp_process_pool_test::UserError");
    EXPECT_EQ(e.message(), "user error 4");
    const std::string what = e.what();
    EXPECT_NE(what.find("mpp_process_pool_test::UserError"), std::string::npos) << what;
    EXPECT_NE(what.find("user error 4"), std::string::npos) << what;
  }
  // Still a std::runtime_error (and an mpp::Error) for a caller that catches those.
  EXPECT_THROW((void)pool.apply(&throw_user_error, 5), std::runtime_error);
  EXPECT_THROW((void)pool.apply(&throw_user_error, 6), mpp::Error);
}

TEST(ProcessPoolRemoteError, ThrownIntArrivesAsRemoteErrorNamedInt) {
  mpp::ProcessPool pool(2);
  try {
    (void)pool.apply(&throw_int, 17);
    ADD_FAILURE() << "apply returned";
  } catch (const mpp::RemoteError& e) {
    EXPECT_EQ(e.type_name(), "int");
    EXPECT_EQ(e.message(), "17");  // the value is all a thrown int says
    EXPECT_STREQ(e.what(), "int: 17");
  }
}

TEST(ProcessPoolRemoteError, NonExceptionClassAndCStringArriveAsRemoteError) {
  mpp::ProcessPool pool(2);
  try {
    (void)pool.apply(&throw_not_an_exception, 0);
    ADD_FAILURE() << "apply returned";
  } catch (const mpp::RemoteError& e) {
    EXPECT_EQ(e.type_name(), "mpp_process_pool_test::NotAnException");
  }
  try {
    (void)pool.apply(&throw_c_string, 0);
    ADD_FAILURE() << "apply returned";
  } catch (const mpp::RemoteError& e) {
    EXPECT_NE(e.type_name().find("char"), std::string::npos) << e.type_name();
    EXPECT_EQ(e.message(), "a C string");
  }
}

TEST(ProcessPoolRemoteError, ThroughMapImapAndErrorCallbacks) {
  mpp::ProcessPool pool(2);
  EXPECT_THROW((void)pool.map(&throw_user_error, std::views::iota(0, 8), 2), mpp::RemoteError);
  auto results = pool.imap(&throw_int, std::views::iota(0, 3));
  for (int i = 0; i < 3; ++i) {
    try {
      (void)results.next();
      ADD_FAILURE() << "item " << i << " returned";
    } catch (const mpp::RemoteError& e) {
      EXPECT_EQ(e.type_name(), "int");
    }
  }
  std::string type;  // plain: written by a callback, read after join()
  pool.apply_async(&throw_user_error, 1)
      .then([](int) {},
            [&](const std::exception_ptr& e) {
              try {
                std::rethrow_exception(e);
              } catch (const mpp::RemoteError& r) {
                type = r.type_name();
              } catch (...) {
              }
            });
  pool.close();
  pool.join();
  EXPECT_EQ(type, "mpp_process_pool_test::UserError");
}

// ---------------------------------------------------------------------------------------------
// mpp's own errors cross as themselves.

template <class E>
struct MppThrower {
  static E make() { return E("thrown by user code"); }
  int operator()(int) const { throw make(); }
};
template <>
struct MppThrower<mpp::RemoteError> {
  static mpp::RemoteError make() { return {"SomeType", "thrown by user code"}; }
  int operator()(int) const { throw make(); }
};
template <>
struct MppThrower<mpp::ParseError> {
  static mpp::ParseError make() { return {"bad cell", "data.csv", 3, 14}; }
  int operator()(int) const { throw make(); }
};

template <class E>
class ProcessPoolMppError : public ::testing::Test {};

using MppErrors =
    ::testing::Types<mpp::Error, mpp::PoolNotRunning, mpp::PoolRunning, mpp::TaskCancelled, mpp::TimeoutError,
                     mpp::WorkerLost, mpp::SerializationError, mpp::RemoteError, mpp::ParseError>;

struct MppErrorNames {
  template <class E>
  static std::string GetName(int /*index*/) {
    if constexpr (std::is_same_v<E, mpp::Error>) return "Error";
    if constexpr (std::is_same_v<E, mpp::PoolNotRunning>) return "PoolNotRunning";
    if constexpr (std::is_same_v<E, mpp::PoolRunning>) return "PoolRunning";
    if constexpr (std::is_same_v<E, mpp::TaskCancelled>) return "TaskCancelled";
    if constexpr (std::is_same_v<E, mpp::TimeoutError>) return "TimeoutError";
    if constexpr (std::is_same_v<E, mpp::WorkerLost>) return "WorkerLost";
    if constexpr (std::is_same_v<E, mpp::SerializationError>) return "SerializationError";
    if constexpr (std::is_same_v<E, mpp::RemoteError>) return "RemoteError";
    if constexpr (std::is_same_v<E, mpp::ParseError>) return "ParseError";
    return "Other";
  }
};

TYPED_TEST_SUITE(ProcessPoolMppError, MppErrors, MppErrorNames);

TYPED_TEST(ProcessPoolMppError, CrossesAsItselfThroughApplyMapAndImap) {
  const TypeParam original = MppThrower<TypeParam>::make();
  mpp::ProcessPool pool(2);
  std::vector<std::exception_ptr> errors;
  errors.push_back(error_of([&] { (void)pool.apply(MppThrower<TypeParam>{}, 0); }));
  errors.push_back(error_of([&] { (void)pool.map(MppThrower<TypeParam>{}, std::views::iota(0, 4), 2); }));
  errors.push_back(
      error_of([&] { (void)pool.imap(MppThrower<TypeParam>{}, std::views::iota(0, 1)).next(); }));
  for (const auto& error : errors) {
    try {
      std::rethrow_exception(error);
    } catch (const TypeParam& e) {
      EXPECT_EQ(typeid(e), typeid(TypeParam)) << "arrived as " << typeid(e).name();
      EXPECT_STREQ(e.what(), original.what());
      if constexpr (std::is_same_v<TypeParam, mpp::RemoteError>) {
        EXPECT_EQ(e.type_name(), "SomeType");
        EXPECT_EQ(e.message(), "thrown by user code");
      }
      if constexpr (std::is_same_v<TypeParam, mpp::ParseError>) {
        EXPECT_EQ(e.file(), "data.csv");
        EXPECT_EQ(e.line(), 3U);
        EXPECT_EQ(e.column(), 14U);
      }
    } catch (...) {
      ADD_FAILURE() << "did not arrive as " << typeid(TypeParam).name();
    }
  }
}

TEST(ProcessPoolMppErrorFromUserCode, TimeoutErrorFromUserCodeIsNotATaskTimeout) {
  // No task_timeout: a TimeoutError that user code throws is an ordinary exception; the worker
  // that threw it is not replaced.
  mpp::ProcessPool pool(1);
  const pid_t before = pool.apply(&worker_pid, 0);
  try {
    (void)pool.apply(&throw_timeout_error, 0);
    ADD_FAILURE() << "apply returned";
  } catch (const mpp::TimeoutError& e) {
    EXPECT_STREQ(e.what(), "user code timed out");
  }
  EXPECT_EQ(pool.apply(&worker_pid, 0), before);
}

// ---------------------------------------------------------------------------------------------
// Odd exceptions: data all the same, never a hang.

std::string big_message() {
  std::string s(std::size_t{9} << 20, 'x');  // larger than a ring (4 MiB): streamed
  for (std::size_t i = 0; i < s.size(); i += 4096) s[i] = static_cast<char>('a' + (i / 4096) % 26);
  return s;
}

int throw_big(int) { throw std::length_error(big_message()); }

TEST(ProcessPoolOddException, HugeMessageArrivesWhole) {
  mpp::ProcessPool pool(2);
  mpp_test::Watchdog watchdog(pool);
  const std::string expected = big_message();
  try {
    (void)pool.apply(&throw_big, 0);
    ADD_FAILURE() << "apply returned";
  } catch (const std::length_error& e) {
    EXPECT_TRUE(std::string(e.what()) == expected)
        << "message of " << std::string(e.what()).size() << " bytes differs";
  }
  auto results = pool.imap(&throw_big, std::views::iota(0, 3));
  for (int i = 0; i < 3; ++i) EXPECT_THROW((void)results.next(), std::length_error);
}

struct OddLog {
  std::array<std::atomic<int>, 64> runs{};
};
OddLog* g_odd = nullptr;

int null_what_on_one(int x) {
  g_odd->runs[static_cast<std::size_t>(x)].fetch_add(1);
  if (x == 1) throw NullWhat();
  return x + 100;
}

TEST(ProcessPoolOddException, ExceptionWhoseWhatIsNullReachesTheCallerAndNothingRunsTwice) {
  // Its message cannot be read as a string. It must still arrive as an error of item 1 alone
  // (as a RemoteError naming its type, by the contract), and the other items of its chunk must
  // still run exactly once, without hanging the pool.
  mpp_test::Shared<OddLog> log;
  g_odd = log.get();
  mpp::ProcessPool pool(2);
  auto results = pool.imap(&null_what_on_one, std::views::iota(0, 8), 4);
  for (int i = 0; i < 8; ++i) {
    try {
      const auto r = results.next();
      ASSERT_TRUE(r.has_value());
      EXPECT_NE(i, 1) << "item 1 returned " << *r;
      EXPECT_EQ(*r, i + 100);
    } catch (const mpp::RemoteError& e) {
      EXPECT_EQ(i, 1);
      EXPECT_NE(e.type_name().find("NullWhat"), std::string::npos) << e.type_name();
    } catch (const std::exception& e) {
      EXPECT_EQ(i, 1);
      ADD_FAILURE() << "item " << i << " failed as " << typeid(e).name() << ": " << e.what();
    }
  }
  EXPECT_FALSE(results.next().has_value());
  for (int i = 0; i < 8; ++i) EXPECT_EQ(log->runs[static_cast<std::size_t>(i)].load(), 1) << "item " << i;
  g_odd = nullptr;
}

/// Virtual memory this process uses now.
std::size_t address_space_bytes() {
  std::ifstream in("/proc/self/statm");
  std::size_t pages = 0;
  in >> pages;
  return pages * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

/// Item 1 throws an exception that its worker has no memory left to encode: its 64 MiB message
/// exists, but the address space is then capped 16 MiB above what is in use.
int unencodable_on_one(int x) {
  g_odd->runs[static_cast<std::size_t>(x)].fetch_add(1);
  if (x == 1) {
    std::runtime_error error(std::string(std::size_t{64} << 20, 'm'));
    const rlimit limit{static_cast<rlim_t>(address_space_bytes() + (std::size_t{16} << 20)), RLIM_INFINITY};
    ::setrlimit(RLIMIT_AS, &limit);
    throw error;
  }
  return x + 100;
}

TEST(ProcessPoolOddException, ExceptionThatCannotBeEncodedFailsItsItemAloneAndNothingRunsTwice) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "capping the address space (RLIMIT_AS) breaks the sanitizers' shadow memory";
#endif
  // However the worker copes (it may report the failure, or exit so the item fails with
  // WorkerLost), item 1 must fail alone, every other item of its chunk must get its result, and
  // no item may run twice.
  mpp_test::Shared<OddLog> log;
  g_odd = log.get();
  mpp::ProcessPool pool(2);
  mpp_test::Watchdog watchdog(pool);
  auto results = pool.imap(&unencodable_on_one, std::views::iota(0, 8), 4);
  for (int i = 0; i < 8; ++i) {
    try {
      const auto r = results.next();
      ASSERT_TRUE(r.has_value());
      EXPECT_NE(i, 1) << "item 1 returned " << *r;
      EXPECT_EQ(*r, i + 100);
    } catch (const mpp::TaskCancelled&) {
      ADD_FAILURE() << "item " << i << " never completed";
      break;
    } catch (const std::exception& e) {
      EXPECT_EQ(i, 1) << typeid(e).name() << ": " << std::string(e.what()).substr(0, 200);
    }
  }
  for (int i = 0; i < 8; ++i) EXPECT_EQ(log->runs[static_cast<std::size_t>(i)].load(), 1) << "item " << i;
  g_odd = nullptr;
}

}  // namespace
