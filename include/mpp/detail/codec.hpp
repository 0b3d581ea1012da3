// The codec: the one place where values become bytes and back, for processes and MPI ranks.
// Trivially copyable values travel as their raw bytes; everything else through cereal, with a
// binary archive of our own whose reader checks every length against the bytes it has, so a
// corrupt or truncated message can only end in mpp::SerializationError.
#pragma once

#include <array>
#include <bit>
#include <cereal/cereal.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/chrono.hpp>
#include <cereal/types/common.hpp>
#include <cereal/types/complex.hpp>
#include <cereal/types/deque.hpp>
#include <cereal/types/list.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/unordered_map.hpp>
#include <cereal/types/unordered_set.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "mpp/detail/throw.hpp"
#include "mpp/errors.hpp"

namespace mpp::detail {

/// Bytes being built: a request, a response, one value.
using ByteBuffer = std::vector<std::byte>;

inline void append_bytes(ByteBuffer& out, const void* data, std::size_t size) {
  const auto* p = static_cast<const std::byte*>(data);
  out.insert(out.end(), p, p + size);
}

/// Reads a message front to back; every read is checked against what is left.
class ByteReader {
 public:
  ByteReader() = default;
  explicit ByteReader(std::span<const std::byte> data) : data_(data) {}

  std::size_t remaining() const noexcept { return data_.size() - position_; }
  bool at_end() const noexcept { return position_ == data_.size(); }
  std::span<const std::byte> take(std::size_t size) {
    if (size > remaining()) throw_serialization("message truncated");
    auto part = data_.subspan(position_, size);
    position_ += size;
    return part;
  }
  void read(void* out, std::size_t size) {
    if (size == 0) return;
    std::memcpy(out, take(size).data(), size);
  }
  template <class T>
  T read_raw() {
    static_assert(std::is_trivially_copyable_v<T>);
    std::array<std::byte, sizeof(T)> bytes;
    read(bytes.data(), sizeof(T));
    return std::bit_cast<T>(bytes);  // no default constructor needed, no alignment assumed
  }

 private:
  std::span<const std::byte> data_;
  std::size_t position_ = 0;
};

/// cereal's output side: appends to a ByteBuffer.
class WireOutputArchive : public cereal::OutputArchive<WireOutputArchive, cereal::AllowEmptyClassElision> {
 public:
  explicit WireOutputArchive(ByteBuffer& out) : OutputArchive(this), out_(out) {}
  void save_binary(const void* data, std::size_t size) { append_bytes(out_, data, size); }

 private:
  ByteBuffer& out_;
};

/// cereal's input side: reads from a ByteReader, refusing sizes larger than what is left.
class WireInputArchive : public cereal::InputArchive<WireInputArchive, cereal::AllowEmptyClassElision> {
 public:
  explicit WireInputArchive(ByteReader& in) : InputArchive(this), in_(in) {}
  void load_binary(void* data, std::size_t size) { in_.read(data, size); }
  std::size_t remaining() const noexcept { return in_.remaining(); }

 private:
  ByteReader& in_;
};

// The archive's primitives, found by cereal through argument-dependent lookup.
template <class T>
requires std::is_arithmetic_v<T>
void CEREAL_SAVE_FUNCTION_NAME(WireOutputArchive& ar, const T& value) { ar.save_binary(&value, sizeof(T)); }
template <class T>
requires std::is_arithmetic_v<T>
void CEREAL_LOAD_FUNCTION_NAME(WireInputArchive& ar, T& value) { ar.load_binary(&value, sizeof(T)); }
template <class Archive, class T>
requires(
    std::is_same_v<Archive, WireOutputArchive> ||
    std::is_same_v<Archive, WireInputArchive>) void CEREAL_SERIALIZE_FUNCTION_NAME(Archive& ar,
                                                                                   cereal::NameValuePair<T>&
                                                                                       pair) {
  ar(pair.value);
}
template <class T>
void CEREAL_SAVE_FUNCTION_NAME(WireOutputArchive& ar, const cereal::SizeTag<T>& tag) {
  ar(tag.size);
}
template <class T>
void CEREAL_LOAD_FUNCTION_NAME(WireInputArchive& ar, cereal::SizeTag<T>& tag) {
  ar(tag.size);
  // Every element costs at least one byte of input (empty types aside, whose containers are
  // refused past the message's size), so a larger count is corruption, not a reason to allocate.
  if (static_cast<std::uint64_t>(tag.size) > ar.remaining()) throw_serialization("corrupt length in message");
}
template <class T>
void CEREAL_SAVE_FUNCTION_NAME(WireOutputArchive& ar, const cereal::BinaryData<T>& data) {
  ar.save_binary(data.data, static_cast<std::size_t>(data.size));
}
template <class T>
void CEREAL_LOAD_FUNCTION_NAME(WireInputArchive& ar, cereal::BinaryData<T>& data) {
  ar.load_binary(data.data, static_cast<std::size_t>(data.size));
}

}  // namespace mpp::detail

CEREAL_REGISTER_ARCHIVE(mpp::detail::WireOutputArchive)
CEREAL_REGISTER_ARCHIVE(mpp::detail::WireInputArchive)
CEREAL_SETUP_ARCHIVE_TRAITS(mpp::detail::WireInputArchive, mpp::detail::WireOutputArchive)

namespace mpp::detail {

/// Sent as raw bytes. Pointers are trivially copyable but mean nothing in another process.
template <class T>
concept RawCodable = std::is_trivially_copyable_v<T> && !std::is_pointer_v<T> && !std::is_member_pointer_v<T>;

/// Sent through cereal: standard containers, tuples, pairs, optionals, variants, and user types
/// with a cereal serialize (or save/load) function. Decoding needs a default constructor.
template <class T>
concept CerealCodable = cereal::traits::is_output_serializable<T, WireOutputArchive>::value &&
    cereal::traits::is_input_serializable<T, WireInputArchive>::value && std::is_default_constructible_v<T>;

/// What ProcessPool and MpiPool can send.
template <class T>
concept Codable = RawCodable<T> || CerealCodable<T>;

template <class T>
void encode(ByteBuffer& out, const T& value) {
  static_assert(Codable<T>,
                "mpp: this type cannot cross processes: make it trivially copyable, build it from standard "
                "containers, strings, tuples, pairs, optionals and variants, or give it a cereal serialize() "
                "function (and a default constructor)");
  if constexpr (RawCodable<T>) {
    append_bytes(out, &value, sizeof(T));
  } else {
    WireOutputArchive archive(out);
    archive(value);
  }
}

/// Decodes one value; any failure (truncated, corrupt, or a constructor that throws while
/// decoding) becomes mpp::SerializationError.
template <class T>
T decode(ByteReader& in) {
  static_assert(Codable<T>);
  if constexpr (RawCodable<T>) {
    return in.read_raw<T>();
  } else {
    try {
      T value{};
      WireInputArchive archive(in);
      archive(value);
      return value;
    } catch (const std::exception& e) {
      if (dynamic_cast<const Error*>(&e) != nullptr) throw;
      throw_serialization(std::string("cannot decode a message: ") + e.what());
    }
  }
}

/// Decodes a value that must fill `bytes` exactly.
template <class T>
T decode_all(std::span<const std::byte> bytes) {
  ByteReader in(bytes);
  T value = decode<T>(in);
  if (!in.at_end()) throw_serialization("message has trailing bytes");
  return value;
}

}  // namespace mpp::detail
