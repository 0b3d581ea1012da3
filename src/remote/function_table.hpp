// Function identity across processes that run the same program but were not forked from each other
// (MPI ranks, spawned ProcessPool workers): position-independent code and address-space
// randomisation load each module (the executable, each shared library) at an address of its own. A function
// therefore crosses as (module, offset in that module): the module named by its GNU build id (the same file
// wherever it is installed), else by its file name.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "mpp/detail/remote/codec.hpp"
#include "mpp/detail/remote/remote.hpp"

namespace mpp::detail {

/// The relocation the MPI transport and a spawn ProcessPool install (t_function_relocation) on the
/// threads that encode requests and run them. Thread-safe: the module list is shared and refreshed
/// under a lock.
class ModuleRelocation final : public FunctionRelocation {
 public:
  /// How messages name things: "mpp::MpiPool: rank 3 cannot resolve a function of libx.so: that
  /// module is not loaded on this rank (...)".
  struct Words {
    std::string who;     // "mpp::MpiPool"
    std::string here;    // "rank 3": this process, when it decodes
    std::string where;   // "on this rank"
    std::string others;  // "other ranks": the processes that decode what this one encodes
    std::string hint;    // how to make a library's functions resolvable there
  };
  explicit ModuleRelocation(Words words) noexcept : words_(std::move(words)) {}

  /// Throws mpp::SerializationError when `address` lies in the code of no loaded module.
  void encode(ByteBuffer& out, std::uintptr_t address) const override;
  /// Throws mpp::SerializationError when the module is not loaded here, or the offset is not in
  /// its code (the ranks run different builds of it).
  std::uintptr_t decode(ByteReader& in) const override;

 private:
  Words words_;
};

}  // namespace mpp::detail
