// Frames in shared memory: Frame::share() lays a frame's int64 and float64 columns out in one
// mpp::SharedMemory segment, and Column::load_shared maps such a column received from another
// process on this machine (frame.hpp's Column::save writes its ranges instead of its values).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mpp/detail/core/memory_advice.hpp"
#include "mpp/detail/frame/frame_throw.hpp"
#include "mpp/frame.hpp"
#include "mpp/shared_memory.hpp"

namespace mpp {
namespace {

constexpr std::size_t k_align = 64;  // each block on its own cache lines

std::size_t aligned(std::size_t at) { return (at + k_align - 1) / k_align * k_align; }

// int64 storage (int64, bool, datetime) or float64's.
bool stores_int64(const Column& column) { return column.holds<std::int64_t>(); }

std::size_t width_of(const Column& column) {
  return stores_int64(column) ? sizeof(std::int64_t) : sizeof(double);
}

// Where one column goes in the segment.
struct Place {
  std::size_t values = 0;
  std::optional<std::size_t> nulls;
};

}  // namespace

Frame Frame::share() const {
  std::vector<std::optional<Place>> places(columns_.size());
  std::size_t total = 0;
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    const Column& column = columns_[c];
    if (column.type() == ColumnType::string) continue;
    Place place;
    place.values = aligned(total);
    total = place.values + column.size() * width_of(column);
    if (column.null_count() != 0) {
      place.nulls = aligned(total);
      total = *place.nulls + column.size();
    }
    places[c] = place;
  }
  if (std::none_of(places.begin(), places.end(), [](const auto& p) { return p.has_value(); })) return *this;

  auto memory = std::make_shared<SharedMemory>(std::max<std::size_t>(total, 1));
  detail::populate_for_writing(memory->data(), total);  // every byte is written next
  const std::optional<detail::SharedRange> whole = detail::find_shared_range(memory->data(), memory->size());
  if (!whole) detail::throw_frame_invalid("mpp::Frame::share", "the new segment cannot be found by address");
  std::vector<Column> columns;
  columns.reserve(columns_.size());
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    const Column& column = columns_[c];
    if (!places[c]) {
      columns.push_back(column);  // a string column: the same storage
      continue;
    }
    const Place& place = *places[c];
    const std::size_t bytes = column.size() * width_of(column);
    std::byte* values = memory->data() + place.values;
    if (stores_int64(column)) {
      if (bytes != 0) std::memcpy(values, column.values<std::int64_t>().data(), bytes);
    } else if (bytes != 0) {
      std::memcpy(values, column.values<double>().data(), bytes);
    }
    auto data = std::make_shared<detail::ColumnData>();
    data->name = column.name();
    data->stored_as = detail::FrameAccess::data(column).stored_as;
    if (stores_int64(column)) {
      data->values.emplace<0>();
    } else {
      data->values.emplace<1>();
    }
    detail::SharedColumnStorage shared;
    shared.keep = memory;
    shared.values = values;
    shared.size = column.size();
    shared.values_range = detail::SharedRange{whole->name, whole->inode, place.values, bytes};
    if (place.nulls) {
      auto* flags = reinterpret_cast<std::uint8_t*>(memory->data() + *place.nulls);
      for (std::size_t i = 0; i < column.size(); ++i) flags[i] = column.is_null(i) ? 1 : 0;
      shared.nulls = flags;
      shared.nulls_range = detail::SharedRange{whole->name, whole->inode, *place.nulls, column.size()};
    }
    data->shared = std::move(shared);
    columns.push_back(detail::FrameAccess::column(std::move(data)));
  }
  return detail::FrameAccess::frame(std::move(columns), index_start_);
}

void Column::load_shared(detail::ColumnData& data, std::uint8_t type, const detail::SharedRange& values,
                         const detail::SharedRange& nulls) {
  const bool int64_storage = type == 0 || type == static_cast<std::uint8_t>(ColumnType::boolean) ||
                             type == static_cast<std::uint8_t>(ColumnType::datetime);
  if (!int64_storage && type != 1)
    detail::throw_frame_invalid("mpp::Column::load", "corrupt shared column type");
  const std::size_t width = int64_storage ? sizeof(std::int64_t) : sizeof(double);
  const std::size_t size = static_cast<std::size_t>(values.size / width);
  if (values.size % width != 0 || values.offset % width != 0 || (nulls.size != 0 && nulls.size != size)) {
    detail::throw_frame_invalid("mpp::Column::load", "corrupt shared column ranges");
  }
  // Both ranges stay mapped while any view of the column lives.
  struct Mapped {
    detail::MappedRange values;
    std::optional<detail::MappedRange> nulls;
  };
  auto mapped = std::make_shared<Mapped>(Mapped{detail::MappedRange(values), std::nullopt});
  if (nulls.size != 0) mapped->nulls.emplace(nulls);
  if (int64_storage) {
    data.values.emplace<0>();
    if (type != 0) data.stored_as = type;
  } else {
    data.values.emplace<1>();
  }
  detail::SharedColumnStorage shared;
  shared.values = mapped->values.bytes().data();
  shared.nulls =
      mapped->nulls ? reinterpret_cast<const std::uint8_t*>(mapped->nulls->bytes().data()) : nullptr;
  shared.size = size;
  shared.values_range = values;
  shared.nulls_range = nulls;
  shared.keep = std::move(mapped);
  data.shared = std::move(shared);
}

}  // namespace mpp
