// Error messages in tests: what a call throws, as text, so that a test compares it whole.
#pragma once

#include <exception>
#include <string>

namespace mpp_test {

/// The what() of the `Exception` that `call()` throws, or "no exception". Another exception type
/// goes on up, and the test fails on it.
template <class Exception = std::exception, class Call>
std::string message_of(Call&& call) {
  try {
    (void)call();
  } catch (const Exception& e) {
    return e.what();
  }
  return "no exception";
}

}  // namespace mpp_test
