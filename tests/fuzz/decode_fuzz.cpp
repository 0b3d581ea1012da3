// libFuzzer target: mpp::detail::decode_all<T> for several T, and decode_exception, on arbitrary
// bytes. The contract (docs/design.md, "The codec"): a corrupt or truncated message ends in
// mpp::SerializationError, never in a crash, undefined behaviour or a huge allocation. Built with
// ASan and UBSan (no recovery), so undefined behaviour is a crash here too. Beyond not crashing:
//  - any exception but SerializationError escaping decode_all is a bug (libFuzzer reports it);
//  - what decoded re-encodes and decodes again, to the same bytes (decode inverts encode);
//  - a decoded value is a valid value of its type (a variant's index names an alternative).
// Set MPP_FUZZ_TARGETS=int,string,... to fuzz some of the targets only (names in fuzz_targets.hpp).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <span>
#include <string>

#include "fuzz_targets.hpp"
#include "mpp/detail/remote/codec.hpp"
#include "mpp/detail/remote/exception_codec.hpp"
#include "mpp/errors.hpp"

namespace {

using mpp::detail::ByteBuffer;

bool g_enabled[mpp_fuzz::k_target_count];

[[noreturn]] void fail(const char* target, const char* what) {
  std::fprintf(stderr, "decode_fuzz: %s: %s\n", target, what);
  std::abort();
}

template <class T>
void check_valid(const T& value, const char* target) {
  if constexpr (std::is_same_v<T, mpp_fuzz::RawVariant>) {
    if (!value.valueless_by_exception() && value.index() >= std::variant_size_v<T>) {
      fail(target, "decoded a variant whose index names no alternative");
    }
  }
}

template <class T>
void check(std::span<const std::byte> bytes, const char* target) {
  T value{};
  try {
    value = mpp::detail::decode_all<T>(bytes);
  } catch (const mpp::SerializationError&) {
    return;  // refused: what the contract asks for
  }
  check_valid(value, target);
  ByteBuffer first;
  mpp::detail::encode(first, value);
  T again{};
  try {
    again = mpp::detail::decode_all<T>(first);
  } catch (const mpp::SerializationError& e) {
    std::fprintf(stderr, "decode_fuzz: %s: %s\n", target, e.what());
    fail(target, "a decoded value, encoded again, does not decode");
  }
  ByteBuffer second;
  mpp::detail::encode(second, again);
  if (first != second) fail(target, "decode(encode(value)) encodes differently from value");
}

void check_exception(std::span<const std::byte> bytes) {
  const std::exception_ptr error = mpp::detail::decode_exception(bytes);
  if (!error) fail("exception", "decode_exception returned no exception");
  try {
    std::rethrow_exception(error);
  } catch (const mpp::ParseError& e) {
    (void)std::strlen(e.what());
    (void)e.file().size();
  } catch (const mpp::RemoteError& e) {
    (void)std::strlen(e.what());
    (void)(e.type_name().size() + e.message().size());
  } catch (const std::exception& e) {
    (void)std::strlen(e.what());
  } catch (...) {
    fail("exception", "decode_exception rebuilt something that is not a std::exception");
  }
  // A rebuilt exception crosses again unchanged.
  ByteBuffer first;
  mpp::detail::encode_exception(first, error);
  ByteBuffer second;
  mpp::detail::encode_exception(second, mpp::detail::decode_exception(first));
  if (first != second) fail("exception", "a decoded exception, encoded again, changes");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  const char* only = std::getenv("MPP_FUZZ_TARGETS");
  for (int t = 0; t < mpp_fuzz::k_target_count; ++t) {
    if (only == nullptr || *only == '\0') {
      g_enabled[t] = true;
      continue;
    }
    const std::string list = std::string(",") + only + ",";
    g_enabled[t] = list.find(std::string(",") + mpp_fuzz::k_target_names[t] + ",") != std::string::npos;
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto target = static_cast<mpp_fuzz::Target>(data[0] % mpp_fuzz::k_target_count);
  if (!g_enabled[target]) return -1;  // keep inputs for disabled targets out of the corpus
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data) + 1, size - 1);
  const char* name = mpp_fuzz::k_target_names[target];
  switch (target) {
    case mpp_fuzz::k_int:
      check<int>(bytes, name);
      break;
    case mpp_fuzz::k_string:
      check<std::string>(bytes, name);
      break;
    case mpp_fuzz::k_vector:
      check<std::vector<int>>(bytes, name);
      break;
    case mpp_fuzz::k_map:
      check<mpp_fuzz::Map>(bytes, name);
      break;
    case mpp_fuzz::k_tuple:
      check<mpp_fuzz::Tuple>(bytes, name);
      break;
    case mpp_fuzz::k_variant:
      check<mpp_fuzz::Variant>(bytes, name);
      break;
    case mpp_fuzz::k_record:
      check<mpp_fuzz::Record>(bytes, name);
      break;
    case mpp_fuzz::k_vector_of_strings:
      check<std::vector<std::string>>(bytes, name);
      break;
    case mpp_fuzz::k_optional_string:
      check<std::optional<std::string>>(bytes, name);
      break;
    case mpp_fuzz::k_raw_variant:
      check<mpp_fuzz::RawVariant>(bytes, name);
      break;
    case mpp_fuzz::k_vector_of_bool:
      check<std::vector<bool>>(bytes, name);
      break;
    case mpp_fuzz::k_exception:
      check_exception(bytes);
      break;
    case mpp_fuzz::k_target_count:
      break;
  }
  return 0;
}
