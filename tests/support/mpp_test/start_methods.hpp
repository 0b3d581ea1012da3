// Suites parameterised by start method: every method, and the names GoogleTest gives their tests.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "mpp/start_method.hpp"

namespace mpp_test {

inline constexpr std::array<mpp::StartMethod, 3> k_start_methods{
    mpp::StartMethod::fork, mpp::StartMethod::spawn, mpp::StartMethod::forkserver};

/// INSTANTIATE_TEST_SUITE_P(StartMethods, Suite, ::testing::ValuesIn(k_start_methods), start_method_name)
inline std::string start_method_name(const ::testing::TestParamInfo<mpp::StartMethod>& info) {
  switch (info.param) {
    case mpp::StartMethod::fork:
      return "Fork";
    case mpp::StartMethod::spawn:
      return "Spawn";
    default:
      return "Forkserver";
  }
}

}  // namespace mpp_test
