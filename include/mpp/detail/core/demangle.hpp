// Readable type names and thrown values, for messages and for exceptions that cross processes.
#pragma once

#include <exception>
#include <string>
#include <typeinfo>

namespace mpp::detail {

/// The readable name of a mangled type name ("std::runtime_error", "MyError", "int").
std::string demangle(const char* mangled);
std::string type_name(const std::type_info& type);

/// Inside a catch (...): the readable name of the type being handled ("int"), or "unknown".
std::string current_exception_type_name();
/// What `throw 42;` or `throw std::string("oops");` says: the value of a thrown string or number
/// ("42", "oops", "2.5"); empty for anything else.
std::string thrown_value(const std::exception_ptr& error);
/// A thrown non-exception, for a message: "int: 42", or the type's name alone. Inside a catch (...).
std::string describe_non_exception(const std::exception_ptr& error);

}  // namespace mpp::detail
