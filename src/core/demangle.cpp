// Readable type names and thrown values (include/mpp/detail/core/demangle.hpp).
#include "mpp/detail/core/demangle.hpp"

#include <cxxabi.h>

#include <charconv>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

namespace mpp::detail {
namespace {

// g++ spells std::string out in full; messages name it as its users write it.
constexpr std::string_view k_long_string =
    "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >";

std::string shortened(std::string name) {
  for (std::size_t at = name.find(k_long_string); at != std::string::npos;
       at = name.find(k_long_string, at)) {
    name.replace(at, k_long_string.size(), "std::string");
  }
  return name;
}

template <class Number>
std::string number(Number value) {
  char buffer[64];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);  // shortest exact form
  return error == std::errc() ? std::string(buffer, end) : std::string();
}

}  // namespace

std::string demangle(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(abi::__cxa_demangle(mangled, nullptr, nullptr, &status),
                                              std::free);
  return shortened(status == 0 && name ? std::string(name.get()) : std::string(mangled));
}

std::string type_name(const std::type_info& type) { return demangle(type.name()); }

std::string current_exception_type_name() {
  const std::type_info* type = abi::__cxa_current_exception_type();
  return type != nullptr ? type_name(*type) : std::string("unknown");
}

std::string thrown_value(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const char* s) {
    return s != nullptr ? s : "";
  } catch (const std::string& s) {
    return s;
  } catch (int v) {
    return number(v);
  } catch (long v) {
    return number(v);
  } catch (long long v) {
    return number(v);
  } catch (unsigned v) {
    return number(v);
  } catch (unsigned long v) {
    return number(v);
  } catch (unsigned long long v) {
    return number(v);
  } catch (double v) {
    return number(v);
  } catch (float v) {
    return number(v);
  } catch (...) {
  }
  return {};
}

std::string describe_non_exception(const std::exception_ptr& error) {
  std::string type = current_exception_type_name();
  const std::string value = thrown_value(error);
  return value.empty() ? type : type + ": " + value;
}

}  // namespace mpp::detail
