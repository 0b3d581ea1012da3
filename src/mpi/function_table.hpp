// Function identity across MPI ranks: every rank runs the same program, but position-independent
// code and address-space randomisation load each module (the executable, each shared library) at an
// address of its own. A function therefore crosses as (module, offset in that module): the module
// named by its GNU build id (the same file wherever it is installed), else by its file name.
#pragma once

#include <cstdint>

#include "mpp/detail/codec.hpp"
#include "mpp/detail/remote.hpp"

namespace mpp::detail {

/// The relocation the MPI transport installs (t_function_relocation) on the threads that encode
/// requests and run them. Thread-safe: the module list is shared and refreshed under a lock.
class ModuleRelocation final : public FunctionRelocation {
 public:
  /// `rank` names this process in messages ("rank 3 cannot resolve ...").
  explicit ModuleRelocation(int rank) noexcept : rank_(rank) {}

  /// Throws mpp::SerializationError when `address` lies in the code of no loaded module.
  void encode(ByteBuffer& out, std::uintptr_t address) const override;
  /// Throws mpp::SerializationError when the module is not loaded here, or the offset is not in
  /// its code (the ranks run different builds of it).
  std::uintptr_t decode(ByteReader& in) const override;

 private:
  int rank_;
};

}  // namespace mpp::detail
