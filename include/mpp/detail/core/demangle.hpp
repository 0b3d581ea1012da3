// Readable type names, for messages and for exceptions that cross processes.
#pragma once

#include <string>
#include <typeinfo>

namespace mpp::detail {

/// The readable name of a mangled type name ("std::runtime_error", "MyError", "int").
std::string demangle(const char* mangled);
std::string type_name(const std::type_info& type);

}  // namespace mpp::detail
