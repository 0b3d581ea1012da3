#include "remote/chunk_request.hpp"

#include <cstring>

namespace mpp::detail {
namespace {

// Sets the calling thread's function relocation (remote.hpp) for a scope, restoring the one it
// had: one thread may drive pools of both start methods, and MPI's, in turn.
class RelocationScope {
 public:
  explicit RelocationScope(const FunctionRelocation* relocation) noexcept : saved_(t_function_relocation) {
    t_function_relocation = relocation;
  }
  RelocationScope(const RelocationScope&) = delete;
  RelocationScope& operator=(const RelocationScope&) = delete;
  ~RelocationScope() { t_function_relocation = saved_; }

 private:
  const FunctionRelocation* saved_;
};

}  // namespace

void write_chunk_request(RequestBuilder& out, RemoteJob& job, std::size_t begin, std::size_t end,
                         std::uint64_t sequence, const FunctionRelocation* relocation, bool with_request) {
  const RelocationScope scope(relocation);
  const EncodingScope encoding(out.same_machine());
  const auto entry = reinterpret_cast<std::uintptr_t>(job.entry());
  const wire::ChunkHeader header{relocation != nullptr ? 0 : static_cast<std::uint64_t>(entry), begin, end,
                                 sequence,
                                 job.single_task() ? wire::k_single_task : job.input_position(begin)};
  ByteBuffer& bytes = out.bytes();
  const std::size_t at = bytes.size();
  // Resized, then copied into: g++ 12 at -O3 misreads an insert into an empty vector as an overflow.
  bytes.resize(at + sizeof(header));
  std::memcpy(bytes.data() + at, &header, sizeof(header));
  if (relocation != nullptr) relocation->encode(bytes, entry);
  if (with_request) job.encode_request(begin, end, out);
}

std::optional<wire::ChunkHeader> read_chunk_header(ByteReader& in) noexcept {
  try {
    return in.read_raw<wire::ChunkHeader>();
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace mpp::detail
