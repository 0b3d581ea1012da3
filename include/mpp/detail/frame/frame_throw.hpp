// Out-of-line, [[noreturn]] throw sites of mpp::Frame, Column and Row, so every message has the form
// "mpp::Column::get: ..." and is written in one place (src/frame/frame.cpp).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mpp::detail {

/// `where` names the member ("mpp::Column::get").
/// std::out_of_range: position `index` of `size` positions.
[[noreturn]] void throw_frame_index(const char* where, std::size_t index, std::size_t size);
/// std::out_of_range: no column has this name.
[[noreturn]] void throw_frame_no_column(const char* where, std::string_view name);
/// std::invalid_argument: the column's type is not the one asked for.
[[noreturn]] void throw_frame_type(const char* where, const std::string& column, int actual_type,
                                   const char* wanted);
/// std::invalid_argument: the value is null (get() has no value to give).
[[noreturn]] void throw_frame_null(const char* where, const std::string& column, std::size_t index);
/// std::invalid_argument: the value of `column` in the row labelled `label` is null.
[[noreturn]] void throw_frame_row_null(const char* where, const std::string& column, std::size_t label);
/// std::invalid_argument with the message "<where>: <what>".
[[noreturn]] void throw_frame_invalid(const char* where, const std::string& what);

}  // namespace mpp::detail
