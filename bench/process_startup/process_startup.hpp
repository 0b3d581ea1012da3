// What the contenders of process_startup share: the start methods measured, each a row of its own
// (process_startup/<method>/<workers>, process_replace/<method>), named as Python names them.
#pragma once

#include <array>

#include "mpp/start_method.hpp"

namespace mpp::bench {

struct StartupMethod {
  const char* name;  // Python's name too: multiprocessing.get_context(name)
  mpp::StartMethod method;
};

/// The start methods of both contenders. A start method added to mpp is one more entry here.
inline constexpr std::array k_startup_methods{
    StartupMethod{"fork", mpp::StartMethod::fork},
    StartupMethod{"spawn", mpp::StartMethod::spawn},
    StartupMethod{"forkserver", mpp::StartMethod::forkserver},
};

}  // namespace mpp::bench
