// Writes one valid message per fuzz target, prefixed by the target's byte, into the directory given
// as argv[1]: the seeds of the decoder fuzzer. run_fuzz.cmake runs it before each fuzzing session
// (so seeds always match the current encoding); tests/fuzz/corpus/ holds its output as committed.
#include <cstdio>
#include <exception>
#include <fstream>
#include <stdexcept>
#include <string>

#include "fuzz_targets.hpp"
#include "mpp/detail/remote/codec.hpp"
#include "mpp/detail/remote/exception_codec.hpp"
#include "mpp/errors.hpp"

namespace {

std::string g_dir;

void write(mpp_fuzz::Target target, const std::string& name, const mpp::detail::ByteBuffer& bytes) {
  std::ofstream out(g_dir + "/seed-" + mpp_fuzz::k_target_names[target] + "-" + name, std::ios::binary);
  const char selector = static_cast<char>(target);
  out.write(&selector, 1);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write a seed in " + g_dir);
}

template <class T>
void seed(mpp_fuzz::Target target, const std::string& name, const T& value) {
  mpp::detail::ByteBuffer bytes;
  mpp::detail::encode(bytes, value);
  write(target, name, bytes);
}

void seed_exception(const std::string& name, const std::exception_ptr& error) {
  mpp::detail::ByteBuffer bytes;
  mpp::detail::encode_exception(bytes, error);
  write(mpp_fuzz::k_exception, name, bytes);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds DIRECTORY\n");
    return 2;
  }
  g_dir = argv[1];
  try {
    seed(mpp_fuzz::k_int, "1", 12345);
    seed(mpp_fuzz::k_string, "1", std::string("hello, fuzzer"));
    seed(mpp_fuzz::k_vector, "1", std::vector<int>{1, -2, 3, 1 << 30});
    seed(mpp_fuzz::k_map, "1", mpp_fuzz::Map{{"alpha", {1.5, -2.0}}, {"beta", {}}, {"", {3.0}}});
    seed(mpp_fuzz::k_tuple, "1", mpp_fuzz::Tuple{7, "seven", 7.5});
    seed(mpp_fuzz::k_variant, "string", mpp_fuzz::Variant(std::string("alt")));
    seed(mpp_fuzz::k_variant, "vector", mpp_fuzz::Variant(std::vector<int>{4, 5}));
    seed(mpp_fuzz::k_record, "1", mpp_fuzz::Record{"rec", {1, 2}, {{"s", {0.25}}}});
    seed(mpp_fuzz::k_vector_of_strings, "1", std::vector<std::string>{"a", "", "ccc"});
    seed(mpp_fuzz::k_optional_string, "engaged", std::optional<std::string>("opt"));
    seed(mpp_fuzz::k_optional_string, "empty", std::optional<std::string>());
    seed(mpp_fuzz::k_raw_variant, "double", mpp_fuzz::RawVariant(2.5));
    seed(mpp_fuzz::k_vector_of_bool, "1", std::vector<bool>{true, false, true});
    seed_exception("runtime_error", std::make_exception_ptr(std::runtime_error("boom")));
    seed_exception("parse_error", std::make_exception_ptr(mpp::ParseError("bad cell", "data.csv", 3, 14)));
    seed_exception("remote_error", std::make_exception_ptr(mpp::RemoteError("my::Error", "odd")));
    seed_exception("int", std::make_exception_ptr(42));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
