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
#include <chrono>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <exception>
#include <iterator>
#include <list>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "mpp/detail/core/decode_tag.hpp"
#include "mpp/detail/core/large_value.hpp"
#include "mpp/detail/core/memory_advice.hpp"
#include "mpp/detail/core/throw.hpp"
#include "mpp/errors.hpp"

namespace mpp::detail {

template <class T>
struct is_tuple_like_pair : std::false_type {};
template <class A, class B>
struct is_tuple_like_pair<std::pair<A, B>> : std::true_type {};
template <class... E>
struct is_tuple_like_pair<std::tuple<E...>> : std::true_type {};

/// What decoding fills: the DecodeTag constructor where there is one (see decode_tag.hpp), also
/// inside tuples, pairs, optionals and variants; zero bytes for a trivially copyable type without
/// a default constructor (its bytes are read over them); else the default constructor.
template <class T>
T empty_for_decode();

template <class T, std::size_t... I>
T empty_tuple_for_decode(std::index_sequence<I...> /*elements*/) {
  return T(empty_for_decode<std::tuple_element_t<I, T>>()...);
}

template <class T>
T empty_for_decode() {
  if constexpr (std::is_constructible_v<T, DecodeTag>) {
    return T(DecodeTag{});
  } else if constexpr (is_tuple_like_pair<T>::value && !std::is_default_constructible_v<T>) {
    return empty_tuple_for_decode<T>(std::make_index_sequence<std::tuple_size_v<T>>{});
  } else if constexpr (std::is_trivially_copyable_v<T> && !std::is_default_constructible_v<T>) {
    return std::bit_cast<T>(std::array<std::byte, sizeof(T)>{});
  } else {
    return T{};
  }
}

/// Bytes being built: a request, a response, one value.
using ByteBuffer = std::vector<std::byte>;

inline void append_bytes(ByteBuffer& out, const void* data, std::size_t size) {
  const auto* p = static_cast<const std::byte*>(data);
  out.insert(out.end(), p, p + size);
}

/// A raw value read from possibly unaligned bytes (no default constructor needed). Where T has a
/// trivial one, the bytes go straight into the value returned: one copy of it on the stack.
template <class T>
T load_raw(const std::byte* at) noexcept {
  static_assert(std::is_trivially_copyable_v<T>);
  if constexpr (std::is_trivially_default_constructible_v<T>) {
    T value;
    std::memcpy(static_cast<void*>(&value), at, sizeof(T));
    return value;
  } else {
    std::array<std::byte, sizeof(T)> bytes;
    std::memcpy(bytes.data(), at, sizeof(T));
    return std::bit_cast<T>(bytes);
  }
}

/// Heap storage for a trivially copyable T, to be filled by copying its bytes in: storage fresh
/// from operator new holds such an object once they are (its objects are created implicitly),
/// so no constructor runs.
template <class T>
std::unique_ptr<T> new_raw() {
  static_assert(std::is_trivially_copyable_v<T>);
  // The form `delete` frees it with: the aligned one for an over-aligned type only.
  void* storage = nullptr;
  if constexpr (alignof(T) > __STDCPP_DEFAULT_NEW_ALIGNMENT__) {
    storage = ::operator new (sizeof(T), std::align_val_t{alignof(T)});
  } else {
    storage = ::operator new(sizeof(T));
  }
  return std::unique_ptr<T>(static_cast<T*>(storage));
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
    return load_raw<T>(take(sizeof(T)).data());
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
  std::span<const std::byte> take(std::size_t size) { return in_.take(size); }
  std::size_t remaining() const noexcept { return in_.remaining(); }

 private:
  ByteReader& in_;
};

template <class T, template <class...> class Template>
inline constexpr bool is_specialization_v = false;
template <template <class...> class Template, class... Args>
inline constexpr bool is_specialization_v<Template<Args...>, Template> = true;

template <class T>
struct raw_parts : std::true_type {};

/// Views (std::string_view, std::span) are trivially copyable, but their bytes are an address in
/// this process: what they show would not travel. The owning type (std::string, std::vector) does.
template <class T>
inline constexpr bool is_view_v = false;
template <class C, class Traits>
inline constexpr bool is_view_v<std::basic_string_view<C, Traits>> = true;
template <class T, std::size_t N>
inline constexpr bool is_view_v<std::span<T, N>> = true;

/// Sent as their bytes: trivially copyable types, except those bytes can misrepresent (pointers,
/// meaningless in another process; bool, optional and variant, whose flag or index a corrupt
/// message could set to a value that is no value at all: those go through the checking archive).
template <class T>
concept RawCodable =
    // Copy-constructible too: g++ calls a struct holding a std::mutex trivially copyable.
    std::is_trivially_copyable_v<T> && std::is_copy_constructible_v<T> && !std::is_pointer_v<T> &&
    !std::is_member_pointer_v<T> && !is_view_v<std::remove_cv_t<T>> &&
    !std::is_same_v<std::remove_cv_t<T>, bool> && !is_specialization_v<T, std::optional> &&
    !is_specialization_v<T, std::variant> && raw_parts<T>::value;

template <class T, std::size_t N>
struct raw_parts<std::array<T, N>> : std::bool_constant<RawCodable<T>> {};
template <class A, class B>
struct raw_parts<std::pair<A, B>> : std::bool_constant<RawCodable<A> && RawCodable<B>> {};

template <class T>
inline constexpr bool is_std_array_v = false;
template <class T, std::size_t N>
inline constexpr bool is_std_array_v<std::array<T, N>> = true;

/// Trivially copyable standard types that cereal's own headers already serialise.
template <class T>
inline constexpr bool cereal_handles_v =
    is_std_array_v<T> || is_specialization_v<T, std::pair> || is_specialization_v<T, std::complex> ||
    is_specialization_v<T, std::chrono::duration> || is_specialization_v<T, std::chrono::time_point>;

/// A trivially copyable class with no cereal function of its own, inside a container that goes
/// through cereal (a std::vector<Point>): its bytes, as at the top level.
template <class T>
concept RawInArchive = RawCodable<T> && std::is_class_v<T> && !cereal_handles_v<T> &&
                       !cereal::traits::has_member_serialize<T, WireOutputArchive>::value &&
                       !cereal::traits::has_non_member_serialize<T, WireOutputArchive>::value &&
                       !cereal::traits::has_member_save<T, WireOutputArchive>::value &&
                       !cereal::traits::has_member_versioned_serialize<T, WireOutputArchive>::value &&
                       !cereal::traits::has_non_member_versioned_serialize<T, WireOutputArchive>::value;

/// What the archive writes as plain bytes: numbers (bool has its own, checked, load).
template <class T>
concept ArchiveNumber = std::is_arithmetic_v<T> && !std::is_same_v<T, bool>;

/// An element type whose vector travels as one block of bytes (std::byte too: cereal writes each
/// as its one byte, so the block holds the same bytes).
template <class T>
concept BlockElement = ArchiveNumber<T> || RawInArchive<T> || std::is_same_v<T, std::byte>;

/// Reads T after T from possibly unaligned bytes: a vector is built from these in one pass, where
/// resize() and a copy would write it twice.
template <class T>
class RawIterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = T;
  using difference_type = std::ptrdiff_t;
  using pointer = const T*;
  using reference = T;

  RawIterator() = default;
  explicit RawIterator(const std::byte* at) noexcept : at_(at) {}
  T operator*() const noexcept {
    std::array<std::byte, sizeof(T)> bytes;
    std::memcpy(bytes.data(), at_, sizeof(T));
    return std::bit_cast<T>(bytes);
  }
  RawIterator& operator++() noexcept {
    at_ += sizeof(T);
    return *this;
  }
  RawIterator operator++(int) noexcept {
    RawIterator before = *this;
    at_ += sizeof(T);
    return before;
  }
  bool operator==(const RawIterator& other) const noexcept = default;

 private:
  const std::byte* at_ = nullptr;
};

/// Room for `count` elements about to be written whole: a large fresh array is first reserved and
/// given huge pages (memory_advice.hpp), as its page faults, not the copy, are most of its cost.
template <class Container>
void reserve_for_decode(Container& container, std::size_t count) {
  reserve_on_huge_pages(container, count);
}

template <class Archive>
concept WireArchive = std::is_same_v<Archive, WireOutputArchive> || std::is_same_v<Archive, WireInputArchive>;

// The archive's primitives, found by cereal through argument-dependent lookup.
template <ArchiveNumber T>
void CEREAL_SAVE_FUNCTION_NAME(WireOutputArchive& ar, const T& value) {
  ar.save_binary(&value, sizeof(T));
}
template <ArchiveNumber T>
void CEREAL_LOAD_FUNCTION_NAME(WireInputArchive& ar, T& value) {
  ar.load_binary(&value, sizeof(T));
}
inline void CEREAL_SAVE_FUNCTION_NAME(WireOutputArchive& ar, const bool& value) {
  const unsigned char byte = value ? 1 : 0;
  ar.save_binary(&byte, 1);
}
// A byte other than 0 or 1 read as a bool is undefined behaviour: refuse it.
inline void CEREAL_LOAD_FUNCTION_NAME(WireInputArchive& ar, bool& value) {
  unsigned char byte = 0;
  ar.load_binary(&byte, 1);
  if (byte > 1) throw_serialization("corrupt bool in message");
  value = byte == 1;
}
template <RawInArchive T>
void CEREAL_SAVE_FUNCTION_NAME(WireOutputArchive& ar, const T& value) {
  ar.save_binary(&value, sizeof(T));
}
template <RawInArchive T>
void CEREAL_LOAD_FUNCTION_NAME(WireInputArchive& ar, T& value) {
  ar.load_binary(&value, sizeof(T));
}
template <WireArchive Archive, class T>
void CEREAL_SERIALIZE_FUNCTION_NAME(Archive& ar, cereal::NameValuePair<T>& pair) {
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

// Vectors are read element by element, so what a corrupt count can make us allocate grows only
// with what the message really holds (cereal's own load resizes to the count first).
template <class T, class A>
void CEREAL_LOAD_FUNCTION_NAME(WireInputArchive& ar, std::vector<T, A>& vector) {
  cereal::size_type size = 0;
  ar(cereal::make_size_tag(size));
  vector.clear();
  if constexpr (BlockElement<T>) {
    if (size > ar.remaining() / sizeof(T)) throw_serialization("corrupt length in message");
    const std::span<const std::byte> bytes = ar.take(static_cast<std::size_t>(size) * sizeof(T));
    reserve_for_decode(vector, static_cast<std::size_t>(size));
    vector.insert(vector.end(), RawIterator<T>(bytes.data()), RawIterator<T>(bytes.data() + bytes.size()));
  } else {
    // Reserve a little (64 KiB worth); growth beyond follows what is actually decoded.
    vector.reserve(std::min<std::size_t>(static_cast<std::size_t>(size),
                                         std::max<std::size_t>(1, (64 << 10) / sizeof(T))));
    for (cereal::size_type i = 0; i < size; ++i) {
      T element = empty_for_decode<T>();
      ar(element);
      vector.push_back(std::move(element));
    }
  }
}
// cereal's own optional and variant loads emplace a default-constructed value: a type without a
// default constructor is emplaced as empty_for_decode() makes it instead.
template <class T>
concept DecodedWithoutDefault = !std::is_default_constructible_v<T> &&
                                (std::is_constructible_v<T, DecodeTag> || std::is_trivially_copyable_v<T>);

template <class T>
void emplace_for_decode(std::optional<T>& optional) {
  if constexpr (std::is_constructible_v<T, DecodeTag>) {
    optional.emplace(DecodeTag{});
  } else {
    optional.emplace(empty_for_decode<T>());
  }
}
template <DecodedWithoutDefault T>
void CEREAL_LOAD_FUNCTION_NAME(WireInputArchive& ar, std::optional<T>& optional) {
  bool empty = true;
  ar(empty);  // the "nullopt" flag, as cereal writes it
  if (empty) {
    optional.reset();
    return;
  }
  emplace_for_decode(optional);
  ar(*optional);
}
template <std::size_t N, class... T>
void load_alternative(WireInputArchive& ar, std::size_t index, std::variant<T...>& variant) {
  if constexpr (N < sizeof...(T)) {
    if (index != N) return load_alternative<N + 1>(ar, index, variant);
    using Alternative = std::variant_alternative_t<N, std::variant<T...>>;
    if constexpr (std::is_constructible_v<Alternative, DecodeTag>) {
      variant.template emplace<N>(DecodeTag{});
    } else {
      variant.template emplace<N>(empty_for_decode<Alternative>());
    }
    ar(std::get<N>(variant));
  }
}
template <class... T>
requires(DecodedWithoutDefault<T> || ...) void CEREAL_LOAD_FUNCTION_NAME(WireInputArchive& ar,
                                                                         std::variant<T...>& variant) {
  std::int32_t index = 0;
  ar(index);  // as cereal writes it
  if (index < 0 || static_cast<std::size_t>(index) >= sizeof...(T))
    throw_serialization("corrupt variant index in message");
  load_alternative<0>(ar, static_cast<std::size_t>(index), variant);
}
// As cereal's own, with a large string's pages advised first.
template <ArchiveNumber C, class Traits, class A>
void CEREAL_LOAD_FUNCTION_NAME(WireInputArchive& ar, std::basic_string<C, Traits, A>& string) {
  cereal::size_type size = 0;
  ar(cereal::make_size_tag(size));
  if (size > ar.remaining() / sizeof(C)) throw_serialization("corrupt length in message");
  string.clear();
  reserve_for_decode(string, static_cast<std::size_t>(size));
  string.resize(static_cast<std::size_t>(size));
  ar.load_binary(string.data(), static_cast<std::size_t>(size) * sizeof(C));
}
template <class A>
void CEREAL_LOAD_FUNCTION_NAME(WireInputArchive& ar, std::vector<bool, A>& vector) {
  cereal::size_type size = 0;
  ar(cereal::make_size_tag(size));
  vector.clear();
  for (cereal::size_type i = 0; i < size; ++i) {
    bool element = false;
    ar(element);
    vector.push_back(element);
  }
}
template <BlockElement T, class A>
void CEREAL_SAVE_FUNCTION_NAME(WireOutputArchive& ar, const std::vector<T, A>& vector) {
  ar(cereal::make_size_tag(static_cast<cereal::size_type>(vector.size())));
  ar.save_binary(vector.data(), vector.size() * sizeof(T));
}

}  // namespace mpp::detail

CEREAL_REGISTER_ARCHIVE(mpp::detail::WireOutputArchive)
CEREAL_REGISTER_ARCHIVE(mpp::detail::WireInputArchive)
CEREAL_SETUP_ARCHIVE_TRAITS(mpp::detail::WireInputArchive, mpp::detail::WireOutputArchive)

namespace mpp::detail {

/// Sent through cereal: standard containers, tuples, pairs, optionals, variants, and user types
/// with a cereal serialize (or save/load) function. Decoding needs a default constructor.
template <class T>
concept CerealCodable =
    !std::is_pointer_v<T> && cereal::traits::is_output_serializable<T, WireOutputArchive>::value &&
    cereal::traits::is_input_serializable<T, WireInputArchive>::value &&
    (std::is_default_constructible_v<T> || std::is_constructible_v<T, DecodeTag>);

/// Whether T can cross processes, looking inside the standard templates: cereal's own traits only
/// see the outer type, so std::vector<NotSerialisable> would pass them and fail deep inside.
template <class T>
struct codable : std::bool_constant<RawCodable<T> || CerealCodable<T>> {};
template <class T, class A>
struct codable<std::vector<T, A>> : codable<T> {};
template <class T, class A>
struct codable<std::deque<T, A>> : codable<T> {};
template <class T, class A>
struct codable<std::list<T, A>> : codable<T> {};
template <class T, std::size_t N>
struct codable<std::array<T, N>> : codable<T> {};
template <class A, class B>
struct codable<std::pair<A, B>> : std::conjunction<codable<A>, codable<B>> {};
template <class... T>
struct codable<std::tuple<T...>> : std::conjunction<codable<T>...> {};
template <class T>
struct codable<std::optional<T>> : codable<T> {};
template <class... T>
struct codable<std::variant<T...>> : std::conjunction<codable<T>...> {};
template <class K, class V, class C, class A>
struct codable<std::map<K, V, C, A>> : std::conjunction<codable<K>, codable<V>> {};
template <class K, class V, class H, class E, class A>
struct codable<std::unordered_map<K, V, H, E, A>> : std::conjunction<codable<K>, codable<V>> {};
template <class K, class C, class A>
struct codable<std::set<K, C, A>> : codable<K> {};
template <class K, class H, class E, class A>
struct codable<std::unordered_set<K, H, E, A>> : codable<K> {};

/// What ProcessPool and MpiPool can send.
template <class T>
concept Codable = codable<std::remove_cv_t<T>>::value;

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

/// A C string (const char*, char*) cannot cross to another process as a pointer: C string
/// arguments travel as std::string, and the receiver passes the function a pointer to its own
/// copy, so `pool.apply(f, "abc")` and `mpp::Process(f, "abc")` work whether f takes a std::string
/// or a const char*.
template <class A>
inline constexpr bool is_c_string_v = std::is_same_v<A, const char*> || std::is_same_v<A, char*>;
template <class A>
using remote_arg_t = std::conditional_t<is_c_string_v<A>, std::string, A>;

/// What the receiver passes for an argument of the caller's type A that crossed as remote_arg_t<A>.
template <class A, class Crossed>
decltype(auto) pass_crossed(Crossed&& crossed) noexcept {
  if constexpr (is_c_string_v<A>) {
    return static_cast<A>(crossed.data());
  } else {
    return std::forward<Crossed>(crossed);
  }
}

/// Runs `fill`, which decodes through cereal: any failure (truncated, corrupt, or a constructor
/// that throws while decoding) becomes mpp::SerializationError.
template <class Fill>
auto decoding(Fill&& fill) {
  try {
    return std::forward<Fill>(fill)();
  } catch (const std::exception& e) {
    if (dynamic_cast<const Error*>(&e) != nullptr) throw;
    throw_serialization(std::string("cannot decode a message: ") + e.what());
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
    return decoding([&] {
      T value = empty_for_decode<T>();
      WireInputArchive archive(in);
      archive(value);
      return value;
    });
  }
}

/// As decode(), into heap storage (for values too large for a stack: core/large_value.hpp).
template <class T>
std::unique_ptr<T> decode_to_heap(ByteReader& in) {
  static_assert(Codable<T>);
  if constexpr (RawCodable<T>) {
    std::unique_ptr<T> value = new_raw<T>();
    in.read(value.get(), sizeof(T));
    return value;
  } else {
    return decoding([&] {
      std::unique_ptr<T> value(new T(empty_for_decode<T>()));
      WireInputArchive archive(in);
      archive(*value);
      return value;
    });
  }
}

/// Decodes into heap storage a value that must fill `bytes` exactly.
template <class T>
std::unique_ptr<T> decode_all_to_heap(std::span<const std::byte> bytes) {
  ByteReader in(bytes);
  std::unique_ptr<T> value = decode_to_heap<T>(in);
  if (!in.at_end()) throw_serialization("message has trailing bytes");
  return value;
}

/// Decodes a value that must fill `bytes` exactly. A large one is decoded on the heap and moved
/// out, so that the caller's copy is the only one on a stack (core/large_value.hpp).
template <class T>
T decode_all(std::span<const std::byte> bytes) {
  if constexpr (is_large_value_v<T>) {
    return std::move(*decode_all_to_heap<T>(bytes));
  } else {
    ByteReader in(bytes);
    T value = decode<T>(in);
    if (!in.at_end()) throw_serialization("message has trailing bytes");
    return value;
  }
}

/// As decode_all(), into the optional returned (a get with a timeout): a large value goes from the
/// heap straight into it, with no copy on the stack between.
template <class T>
std::optional<T> decode_all_optional(std::span<const std::byte> bytes) {
  if constexpr (is_large_value_v<T>) {
    return std::optional<T>(std::move(*decode_all_to_heap<T>(bytes)));
  } else {
    return decode_all<T>(bytes);
  }
}

}  // namespace mpp::detail
