// What the decoder fuzzer decodes: the first byte of an input picks a target (modulo the count), the
// rest is the message. Shared by decode_fuzz.cpp and make_seeds.cpp.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

namespace mpp_fuzz {

/// A user type with a cereal serialize function.
struct Record {
  std::string name;
  std::vector<int> values;
  std::map<std::string, std::vector<double>> series;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(name, values, series);
  }
};

using Map = std::map<std::string, std::vector<double>>;
using Tuple = std::tuple<int, std::string, double>;
using Variant = std::variant<int, std::string, std::vector<int>>;  // through cereal
using RawVariant = std::variant<int, double>;                      // trivially copyable: raw bytes

enum Target : std::uint8_t {
  k_int,
  k_string,
  k_vector,
  k_map,
  k_tuple,
  k_variant,
  k_record,
  k_vector_of_strings,
  k_optional_string,
  k_raw_variant,
  k_vector_of_bool,
  k_exception,
  k_target_count,
};

/// Names for MPP_FUZZ_TARGETS (a comma-separated subset to fuzz; all when unset).
inline constexpr const char* k_target_names[k_target_count] = {
    "int",    "string",         "vector",          "map",         "tuple",       "variant",
    "record", "vector_strings", "optional_string", "raw_variant", "vector_bool", "exception",
};

}  // namespace mpp_fuzz
