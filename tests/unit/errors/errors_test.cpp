// mpp's exception hierarchy: every class is an mpp::Error, itself a std::runtime_error.
#include "mpp/errors.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace {

bool contains(const char* text, const std::string& part) {
  return std::string(text).find(part) != std::string::npos;
}

static_assert(std::is_base_of_v<std::runtime_error, mpp::Error>);

template <class E>
class ErrorClass : public ::testing::Test {};

using MessageOnlyErrors = ::testing::Types<mpp::PoolNotRunning, mpp::PoolRunning, mpp::TaskCancelled,
                                           mpp::TimeoutError, mpp::WorkerLost, mpp::SerializationError>;

struct ErrorNames {
  template <class E>
  static std::string GetName(int /*index*/) {
    if constexpr (std::is_same_v<E, mpp::PoolNotRunning>) return "PoolNotRunning";
    if constexpr (std::is_same_v<E, mpp::PoolRunning>) return "PoolRunning";
    if constexpr (std::is_same_v<E, mpp::TaskCancelled>) return "TaskCancelled";
    if constexpr (std::is_same_v<E, mpp::TimeoutError>) return "TimeoutError";
    if constexpr (std::is_same_v<E, mpp::WorkerLost>) return "WorkerLost";
    if constexpr (std::is_same_v<E, mpp::SerializationError>) return "SerializationError";
    return "Other";
  }
};

TYPED_TEST_SUITE(ErrorClass, MessageOnlyErrors, ErrorNames);

TYPED_TEST(ErrorClass, DerivesFromErrorAndRuntimeError) {
  static_assert(std::is_base_of_v<mpp::Error, TypeParam>);
  static_assert(std::is_base_of_v<std::runtime_error, TypeParam>);
  static_assert(std::is_nothrow_copy_constructible_v<TypeParam>);
  try {
    throw TypeParam("the message");
  } catch (const mpp::Error& e) {
    EXPECT_STREQ(e.what(), "the message");
    EXPECT_NE(dynamic_cast<const TypeParam*>(&e), nullptr);
  }
  try {
    throw TypeParam(std::string("a std::string message"));
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "a std::string message");
  }
  EXPECT_THROW(throw TypeParam("x"), std::exception);
}

TEST(WorkerLostTest, CarriesTheRankAndHostWhenARankWasLost) {
  const mpp::WorkerLost local("a worker died");
  EXPECT_EQ(local.rank(), -1);
  EXPECT_EQ(local.host(), "");
  const mpp::WorkerLost lost("rank 3 (node7) was given up", 3, "node7");
  const mpp::WorkerLost copy = lost;
  EXPECT_STREQ(copy.what(), "rank 3 (node7) was given up");
  EXPECT_EQ(copy.rank(), 3);
  EXPECT_EQ(copy.host(), "node7");
}

TYPED_TEST(ErrorClass, IsDistinctFromTheOthers) {
  // One class per distinct reaction: catching one never catches another.
  auto caught_as_pool_not_running = [] {
    try {
      throw TypeParam("x");
    } catch (const mpp::PoolNotRunning&) {
      return true;
    } catch (const mpp::Error&) {
      return false;
    }
  };
  EXPECT_EQ(caught_as_pool_not_running(), (std::is_same_v<TypeParam, mpp::PoolNotRunning>));
  auto caught_as_timeout = [] {
    try {
      throw TypeParam("x");
    } catch (const mpp::TimeoutError&) {
      return true;
    } catch (const mpp::Error&) {
      return false;
    }
  };
  EXPECT_EQ(caught_as_timeout(), (std::is_same_v<TypeParam, mpp::TimeoutError>));
}

TEST(Errors, ErrorIsARuntimeError) {
  try {
    throw mpp::Error("root");
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "root");
  }
}

TEST(Errors, RemoteErrorCarriesTheTypeNameAndMessage) {
  static_assert(std::is_base_of_v<mpp::Error, mpp::RemoteError>);
  static_assert(std::is_base_of_v<std::runtime_error, mpp::RemoteError>);
  const mpp::RemoteError error("my::CustomError", "it broke");
  EXPECT_EQ(error.type_name(), "my::CustomError");
  EXPECT_EQ(error.message(), "it broke");
  EXPECT_TRUE(contains(error.what(), "my::CustomError")) << error.what();
  EXPECT_TRUE(contains(error.what(), "it broke")) << error.what();
  try {
    throw error;
  } catch (const mpp::Error& e) {
    const auto* remote = dynamic_cast<const mpp::RemoteError*>(&e);
    ASSERT_NE(remote, nullptr);
    EXPECT_EQ(remote->type_name(), "my::CustomError");
    EXPECT_EQ(remote->message(), "it broke");
  }
  // Without a message, what() is the type's name alone.
  const mpp::RemoteError opaque("my::Opaque", "");
  EXPECT_EQ(opaque.type_name(), "my::Opaque");
  EXPECT_EQ(opaque.message(), "");
  EXPECT_STREQ(opaque.what(), "my::Opaque");
}

TEST(Errors, ParseErrorCarriesFileLineAndColumn) {
  static_assert(std::is_base_of_v<mpp::Error, mpp::ParseError>);
  static_assert(std::is_base_of_v<std::runtime_error, mpp::ParseError>);
  const mpp::ParseError error("unterminated quote", "data.csv", 3, 7);
  EXPECT_EQ(error.file(), "data.csv");
  EXPECT_EQ(error.line(), 3U);
  EXPECT_EQ(error.column(), 7U);
  EXPECT_TRUE(contains(error.what(), "data.csv:3:7")) << error.what();
  EXPECT_TRUE(contains(error.what(), "unterminated quote")) << error.what();
  try {
    throw error;
  } catch (const mpp::Error& e) {
    const auto* parse = dynamic_cast<const mpp::ParseError*>(&e);
    ASSERT_NE(parse, nullptr);
    EXPECT_EQ(parse->line(), 3U);
  }
}

TEST(Errors, ParseErrorWithoutAPositionSaysSo) {
  // Line and column are 1-based; 0 (and an empty file) mean "does not apply".
  const mpp::ParseError plain("bad option");
  EXPECT_EQ(plain.file(), "");
  EXPECT_EQ(plain.line(), 0U);
  EXPECT_EQ(plain.column(), 0U);
  EXPECT_TRUE(contains(plain.what(), "bad option")) << plain.what();

  const mpp::ParseError file_only("empty file", "<stream>");
  EXPECT_EQ(file_only.file(), "<stream>");
  EXPECT_EQ(file_only.line(), 0U);
  EXPECT_TRUE(contains(file_only.what(), "empty file")) << file_only.what();

  const mpp::ParseError line_only("too many fields", "jobs.txt", 12);
  EXPECT_EQ(line_only.line(), 12U);
  EXPECT_EQ(line_only.column(), 0U);
  EXPECT_TRUE(contains(line_only.what(), "jobs.txt:12")) << line_only.what();
  EXPECT_TRUE(contains(line_only.what(), "too many fields")) << line_only.what();
}

}  // namespace
