// A frame's column positions by name, through one hash index (name_index.hpp): the operations that
// take lists of names (select, drop, rename, astype, fillna, dropna) cost linear time even for a
// frame of 100 000 columns and as many names.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "frame/name_index.hpp"
#include "mpp/frame.hpp"

namespace mpp::detail {

class FrameNames {
 public:
  explicit FrameNames(const Frame& frame)
      : frame_(frame), index_(frame.num_columns(), [&frame](std::size_t i) {
          return std::string_view(frame.column(i).name());
        }) {}

  /// The position of `name`; std::out_of_range naming it ("<where>: ...") when no column has it.
  [[nodiscard]] std::size_t at(std::string_view name, const char* where) const {
    const std::optional<std::size_t> i = find(name);
    if (!i) throw_frame_no_column(where, name);
    return *i;
  }

  /// The position of `name`, if a column has it.
  [[nodiscard]] std::optional<std::size_t> find(std::string_view name) const {
    const std::size_t i =
        index_.find(name, [this](std::size_t k) { return std::string_view(frame_.column(k).name()); });
    if (i == NameIndex::k_npos) return std::nullopt;
    return i;
  }

 private:
  const Frame& frame_;
  NameIndex index_;
};

}  // namespace mpp::detail
