// mpp::Frame: named, typed columns, the tutorial's pandas DataFrame. With its views (Column, Row),
// the partition helpers (array_split, concat) and the pool algorithms over rows, columns and whole
// partitions (map_rows, map_columns, pool.map over array_split's parts). CSV in and out is
// <mpp/csv.hpp>, included at the end, so this header is API.md's whole "DataFrames" section.
#pragma once

#include <cereal/cereal.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <compare>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "mpp/detail/frame/frame_storage.hpp"
#include "mpp/detail/frame/frame_throw.hpp"
#include "mpp/detail/frame/sections.hpp"
#include "mpp/mask.hpp"
#include "mpp/timestamp.hpp"

namespace mpp {

/// The type of a column's values. A column holds one type; a null is a missing value of it.
enum class ColumnType : std::uint8_t {
  int64,     ///< std::int64_t
  float64,   ///< double
  string,    ///< std::string (UTF-8 or any bytes: kept as they are)
  boolean,   ///< bool: pandas' `bool` (its `boolean` when a value is null), kept as int64 0 and 1
  datetime,  ///< mpp::Timestamp: pandas' `datetime64[ns]`, kept as int64 nanoseconds (NaT: null)
};

/// "int64", "float64", "string", "bool" or "datetime64[ns]" (pandas' dtype names).
[[nodiscard]] const char* to_string(ColumnType type) noexcept;

/// One value of any column type: what Frame::fillna fills with and what a column is compared
/// with. `0` and `7u` are int64, `0.5` float64, `"x"` string, `true` bool, `mpp::Timestamp(ns)` or
/// `mpp::Timestamp::parse("2024-01-02")` datetime (a std::variant, which takes the type a value
/// converts to without narrowing: an integer is never a bool, a string literal never a bool).
using Scalar = std::variant<std::int64_t, double, std::string, bool, Timestamp>;

class Frame;
class Column;
struct SortOptions;              // <mpp/frame_sort.hpp>
struct ValueCountsOptions;       // <mpp/frame_distinct.hpp>
enum class Keep : std::uint8_t;  // <mpp/frame_distinct.hpp>
class GroupBy;
struct GroupByOptions;

namespace detail {

/// What Column::get<T> and Row::get<T> can return.
template <class T>
concept ColumnGettable =
    std::same_as<T, std::int64_t> || std::same_as<T, double> || std::same_as<T, std::string> ||
    std::same_as<T, std::string_view> || std::same_as<T, bool> || std::same_as<T, Timestamp>;

template <class T>
inline constexpr const char* k_gettable_name = std::same_as<T, std::int64_t>       ? "std::int64_t"
                                               : std::same_as<T, double>           ? "double"
                                               : std::same_as<T, std::string>      ? "std::string"
                                               : std::same_as<T, std::string_view> ? "std::string_view"
                                               : std::same_as<T, bool>             ? "bool"
                                                                                   : "mpp::Timestamp";

/// How the CSV reader and the frame algorithms (src/frame/) build views around storage.
struct FrameAccess;

}  // namespace detail

/// One named, typed column: a view of shared, immutable storage (an offset and a length into it).
/// Copying a Column or slicing it copies no values. Columns compare equal by name, type, nulls and
/// values (doubles by bit pattern, every NaN equal to every NaN).
///
/// Nulls: any value may be null (missing), as an empty CSV field is. A null has no value: get()
/// throws for it, get_optional() returns std::nullopt, and values() shows a placeholder under it
/// (0 for int64, NaN for float64, "" for string).
///
/// Thread safety: a Column never changes after construction (slice() returns a new view), so any
/// number of threads may read the same Column or views of the same storage at once.
class Column {
 public:
  /// An empty int64 column with an empty name.
  Column();
  /// A column of `values`; `nulls`, when not empty, has one flag per value (true = null). Throws
  /// std::invalid_argument when `nulls` is neither empty nor as long as `values`.
  template <detail::ColumnElement T>
  Column(std::string name, std::vector<T> values, const std::vector<bool>& nulls = {})
      : Column(std::move(name), detail::ColumnValues(std::in_place_type<std::vector<T>>, std::move(values)),
               nulls) {}
  /// A column with a null where `values` holds std::nullopt.
  template <detail::ColumnElement T>
  Column(std::string name, const std::vector<std::optional<T>>& values)
      : Column(std::move(name), unwrap(values), null_flags(values)) {}
  /// A bool column (ColumnType::boolean); `nulls` as above.
  Column(std::string name, const std::vector<bool>& values, const std::vector<bool>& nulls = {});
  Column(std::string name, const std::vector<std::optional<bool>>& values);
  /// A datetime column (ColumnType::datetime); `nulls` as above.
  Column(std::string name, const std::vector<Timestamp>& values, const std::vector<bool>& nulls = {});
  Column(std::string name, const std::vector<std::optional<Timestamp>>& values);

  [[nodiscard]] const std::string& name() const noexcept { return data_->name; }
  [[nodiscard]] ColumnType type() const noexcept { return static_cast<ColumnType>(data_->type_code()); }
  /// Number of values, nulls included.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  /// Whether the values are stored as T (std::int64_t, double or std::string). A bool column's
  /// storage is std::int64_t (0 and 1), a datetime column's too (nanoseconds since the epoch): that
  /// is what values<std::int64_t>() shows of them.
  template <detail::ColumnElement T>
  [[nodiscard]] bool holds() const noexcept {
    return std::holds_alternative<std::vector<T>>(data_->values);
  }

  /// The values, in place (nulls show their placeholder). Valid while any view of this storage
  /// lives. Throws std::invalid_argument unless the values are stored as T (holds<T>()).
  template <detail::ColumnElement T>
  [[nodiscard]] std::span<const T> values() const {
    if (!holds<T>()) {
      detail::throw_frame_type("mpp::Column::values", name(), static_cast<int>(type()),
                               detail::k_gettable_name<T>);
    }
    return std::span<const T>(data_->data<T>() + offset_, size_);
  }

  /// Whether value `i` is null. Throws std::out_of_range when `i >= size()`.
  [[nodiscard]] bool is_null(std::size_t i) const {
    if (i >= size_) detail::throw_frame_index("mpp::Column::is_null", i, size_);
    return null_at(i);
  }
  /// Number of null values.
  [[nodiscard]] std::size_t null_count() const noexcept;

  /// Value `i` as T: std::int64_t (an int64 column; a bool column's 0 or 1, a datetime column's
  /// nanoseconds), double (a float64 or an int64 column, converted as static_cast does), std::string
  /// or std::string_view (a string column; the view is valid while any view of this storage
  /// lives), bool (a bool column), mpp::Timestamp (a datetime column). Throws std::out_of_range when `i >=
  /// size()`, std::invalid_argument when the value is null or the column's type does not give a T.
  template <detail::ColumnGettable T>
  [[nodiscard]] T get(std::size_t i) const {
    return get_at<T>(i, "mpp::Column::get");
  }
  /// As get(), with std::nullopt for a null.
  template <detail::ColumnGettable T>
  [[nodiscard]] std::optional<T> get_optional(std::size_t i) const {
    if (i >= size_) detail::throw_frame_index("mpp::Column::get_optional", i, size_);
    if (null_at(i)) return std::nullopt;
    return read<T>(i, "mpp::Column::get_optional");
  }

  /// Values [begin, end), sharing this column's storage. Throws std::out_of_range unless
  /// begin <= end <= size().
  [[nodiscard]] Column slice(std::size_t begin, std::size_t end) const;

  // pandas' Series operations (src/frame/frame_columns.cpp, frame_rows.cpp; docs/frame.md). Each
  // returns a new column; this one never changes.

  /// s.rename(name): the same values under another name. A column's name is part of its storage,
  /// so the values are copied (a column in shared memory keeps its segment).
  [[nodiscard]] Column rename(std::string name) const;
  /// s.astype(type). int64 to float64 as static_cast; float64 to int64 drops the fraction (toward
  /// zero), and a NaN, an infinity or a value outside int64's range is std::invalid_argument; to
  /// string: integers in decimal, doubles as Python's str() writes them, the shortest digits
  /// that read back to the same bits (`1.0`, `0.1`, `100000.0`, `1e-05`, `1e+20`, `nan`); from string: every
  /// value must be a whole number (int64) or a number (float64), spaces around it allowed, else
  /// std::invalid_argument naming the row and the value. Nulls stay null.
  [[nodiscard]] Column astype(ColumnType type) const;
  /// s.isna() / s.notna(): which values are missing, as pandas counts them: the nulls, and in a
  /// float64 column the NaNs too (is_null() tells the two apart). fillna and dropna count so too.
  [[nodiscard]] Mask isna() const;
  [[nodiscard]] Mask notna() const;
  /// s.fillna(value): missing values (isna()) replaced by `value`, which must fit the column's type (an int64
  /// for an int64 column, a number for a float64 one, a string for a string one, a bool for a bool one, an
  /// mpp::Timestamp for a datetime one), else std::invalid_argument.
  [[nodiscard]] Column fillna(const Scalar& value) const;
  /// s[mask]: the values where `mask` is true, in order. std::invalid_argument unless
  /// mask.size() == size().
  [[nodiscard]] Column filter(const Mask& mask) const;
  /// A bool column as the Mask it is (pandas indexes with a bool Series directly): a null is
  /// false, as pandas' boolean dtype drops <NA> rows. std::invalid_argument for another type.
  [[nodiscard]] Mask as_mask() const;

  // Order and distinct values (<mpp/frame_sort.hpp>, <mpp/frame_distinct.hpp>).

  /// s.sort_values(kind="stable", ignore_index=True): as Frame::sort_values by this column.
  [[nodiscard]] Column sort_values() const;
  [[nodiscard]] Column sort_values(const SortOptions& options) const;
  /// s.unique(): the distinct values in order of first appearance; the missing values (nulls, and
  /// NaN in a float64 column) once, where the first was; -0.0 and 0.0 are one value.
  [[nodiscard]] Column unique() const;
  /// s.nunique(dropna=...): the number of distinct values, missing values counted as one when
  /// `dropna` is false.
  [[nodiscard]] std::size_t nunique(bool dropna = true) const;
  /// s.value_counts(normalize=..., dropna=...).reset_index(): a frame of each distinct value (a
  /// column of this one's name) and its "count" (int64; "proportion", float64, when normalised),
  /// most frequent first, equal counts in order of first appearance.
  /// unique, nunique and value_counts run on mpp's frame thread pool from 1 000 000 rows
  /// (mpp::unique(pool, column), ... on another pool, <mpp/frame_distinct.hpp>), with the same result.
  [[nodiscard]] Frame value_counts() const;
  [[nodiscard]] Frame value_counts(const ValueCountsOptions& options) const;

  /// cereal: writes only this view's values (a slice of a large column sends only the slice).
  template <class Archive>
  void save(Archive& archive) const;
  /// cereal: reads what save() wrote into fresh storage. Throws on corrupt input (the codec turns
  /// that into mpp::SerializationError).
  template <class Archive>
  void load(Archive& archive);

 private:
  friend struct detail::FrameAccess;
  friend class Row;

  Column(std::string name, detail::ColumnValues values, const std::vector<bool>& nulls,
         ColumnType stored_as = ColumnType::int64);
  Column(std::shared_ptr<const detail::ColumnData> data, std::size_t offset, std::size_t size) noexcept
      : data_(std::move(data)), offset_(offset), size_(size) {}

  template <class T>
  static std::vector<T> unwrap(const std::vector<std::optional<T>>& values) {
    std::vector<T> out;
    out.reserve(values.size());
    for (const auto& v : values) out.push_back(v ? *v : detail::null_placeholder<T>());
    return out;
  }
  template <class T>  // also bool and Timestamp
  static std::vector<bool> null_flags(const std::vector<std::optional<T>>& values) {
    std::vector<bool> out;
    out.reserve(values.size());
    for (const auto& v : values) out.push_back(!v.has_value());
    return out;
  }

  [[nodiscard]] bool null_at(std::size_t i) const noexcept {
    const std::uint8_t* flags = data_->null_flags();
    return flags != nullptr && flags[offset_ + i] != 0;
  }

  // `label`: the row's index label, which a null is reported by for a Row (the same on every pool).
  template <class T>
  [[nodiscard]] T get_at(std::size_t i, const char* where,
                         std::optional<std::size_t> label = std::nullopt) const {
    if (i >= size_) detail::throw_frame_index(where, i, size_);
    if (null_at(i)) {
      if (label) detail::throw_frame_row_null(where, name(), *label);
      detail::throw_frame_null(where, name(), i);
    }
    return read<T>(i, where);
  }

  // Value `i`, known to be in range and not null.
  template <class T>
  [[nodiscard]] T read(std::size_t i, const char* where) const {
    const std::size_t k = offset_ + i;
    if constexpr (std::is_same_v<T, std::int64_t>) {
      if (holds<std::int64_t>()) return data_->data<std::int64_t>()[k];
    } else if constexpr (std::is_same_v<T, double>) {
      if (holds<double>()) return data_->data<double>()[k];
      if (type() == ColumnType::int64) return static_cast<double>(data_->data<std::int64_t>()[k]);
    } else if constexpr (std::is_same_v<T, bool>) {
      if (type() == ColumnType::boolean) return data_->data<std::int64_t>()[k] != 0;
    } else if constexpr (std::is_same_v<T, Timestamp>) {
      if (type() == ColumnType::datetime) return Timestamp(data_->data<std::int64_t>()[k]);
    } else {
      if (const auto* v = std::get_if<std::vector<std::string>>(&data_->values)) return T((*v)[k]);
    }
    detail::throw_frame_type(where, name(), static_cast<int>(type()), detail::k_gettable_name<T>);
  }

  // A saved column's type byte with this bit: its values are ranges of shared memory.
  static constexpr std::uint8_t k_shared_type = 0x80;
  // Fills `data` with the mapped ranges (std::invalid_argument, std::system_error when they
  // cannot be mapped as an int64 or float64 column).
  static void load_shared(detail::ColumnData& data, std::uint8_t type, const detail::SharedRange& values,
                          const detail::SharedRange& nulls);

  std::shared_ptr<const detail::ColumnData> data_;
  std::size_t offset_ = 0;
  std::size_t size_ = 0;
};

/// Same name, type and length, nulls in the same places, and equal values elsewhere (doubles by
/// bit pattern, with every NaN equal to every NaN). A view's offset does not matter.
[[nodiscard]] bool operator==(const Column& a, const Column& b);

/// pandas' `df["price"] > 10`: one flag per value of the column. Numbers compare as numbers (an
/// int64 column with a double exactly), strings byte by byte, bools (false < true) with a bool,
/// datetimes with an mpp::Timestamp (`df["t"] >= mpp::Timestamp::parse("2024-01-01")`); any other
/// pairing (a number column with a string, a bool column with 1...) is std::invalid_argument. A null (and a
/// NaN) compares false, except with != where it is true, as NaN does in pandas.
[[nodiscard]] Mask operator==(const Column& column, const Scalar& value);
[[nodiscard]] Mask operator!=(const Column& column, const Scalar& value);
[[nodiscard]] Mask operator<(const Column& column, const Scalar& value);
[[nodiscard]] Mask operator<=(const Column& column, const Scalar& value);
[[nodiscard]] Mask operator>(const Column& column, const Scalar& value);
[[nodiscard]] Mask operator>=(const Column& column, const Scalar& value);

/// One row of a Frame: a view (a frame and a position), valid while that Frame object lives.
/// Its values are read from the columns on each call.
///
/// Thread safety: read-only; any number of threads may read rows of one frame at once.
class Row {
 public:
  /// The row's index label: its position in the frame plus the frame's index_start(), so a row of
  /// a partition keeps the index it had in the whole frame (as pandas' index does).
  [[nodiscard]] std::size_t index() const noexcept;
  /// The row's position in its frame (0 for a partition's first row). In a worker process of
  /// map_rows (ProcessPool, MpiPool) the row's frame is the slice of rows sent with it, so this
  /// counts from that slice's first row: index() is the one that is the same on every pool.
  [[nodiscard]] std::size_t position() const noexcept { return position_; }
  /// Number of values: the frame's number of columns.
  [[nodiscard]] std::size_t size() const noexcept;
  /// The frame the row is in (in a worker process of map_rows, the slice of rows sent with it).
  [[nodiscard]] const Frame& frame() const noexcept { return *frame_; }

  /// The value in column `column` (a position or a name), as Column::get<T>. Throws
  /// std::out_of_range for an unknown column, std::invalid_argument for a null or a type that
  /// does not give a T.
  template <detail::ColumnGettable T>
  [[nodiscard]] T get(std::size_t column) const;
  template <detail::ColumnGettable T>
  [[nodiscard]] T get(std::string_view column) const;
  /// As get(), with std::nullopt for a null.
  template <detail::ColumnGettable T>
  [[nodiscard]] std::optional<T> get_optional(std::size_t column) const;
  template <detail::ColumnGettable T>
  [[nodiscard]] std::optional<T> get_optional(std::string_view column) const;
  /// Whether the value in `column` is null. Throws std::out_of_range for an unknown column.
  [[nodiscard]] bool is_null(std::size_t column) const;
  [[nodiscard]] bool is_null(std::string_view column) const;

 private:
  friend class Frame;
  friend class RowRange;
  Row(const Frame& frame, std::size_t position) noexcept : frame_(&frame), position_(position) {}

  const Frame* frame_;
  std::size_t position_;
};

/// Every row of a Frame, in order (Frame::rows()): a random-access view of Row values, valid while
/// that Frame object lives. Written out rather than composed from std::views so that it compiles
/// with every standard library (clang 14 cannot compile libstdc++ 12's iota_view).
class RowRange : public std::ranges::view_base {
 public:
  class iterator {
   public:
    using value_type = Row;
    using difference_type = std::ptrdiff_t;
    using iterator_concept = std::random_access_iterator_tag;
    using iterator_category = std::input_iterator_tag;  // its reference is a value, not a Row&

    iterator() = default;
    Row operator*() const noexcept { return Row(*frame_, position_); }
    Row operator[](difference_type n) const noexcept { return *(*this + n); }

    iterator& operator++() noexcept { return *this += 1; }
    iterator operator++(int) noexcept { return std::exchange(*this, *this + 1); }
    iterator& operator--() noexcept { return *this -= 1; }
    iterator operator--(int) noexcept { return std::exchange(*this, *this - 1); }
    iterator& operator+=(difference_type n) noexcept {
      position_ += static_cast<std::size_t>(n);  // wraps as unsigned; a negative n moves back
      return *this;
    }
    iterator& operator-=(difference_type n) noexcept { return *this += -n; }
    friend iterator operator+(iterator it, difference_type n) noexcept { return it += n; }
    friend iterator operator+(difference_type n, iterator it) noexcept { return it += n; }
    friend iterator operator-(iterator it, difference_type n) noexcept { return it -= n; }
    friend difference_type operator-(const iterator& a, const iterator& b) noexcept {
      return static_cast<difference_type>(a.position_ - b.position_);
    }
    friend bool operator==(const iterator& a, const iterator& b) noexcept {
      return a.position_ == b.position_;
    }
    friend auto operator<=>(const iterator& a, const iterator& b) noexcept {
      return a.position_ <=> b.position_;
    }

   private:
    friend class RowRange;
    iterator(const Frame* frame, std::size_t position) noexcept : frame_(frame), position_(position) {}

    const Frame* frame_ = nullptr;
    std::size_t position_ = 0;
  };

  RowRange() = default;

  /// For ProcessPool and MpiPool: rows [begin, end) cross to a worker as this slice of the frame
  /// (remote.hpp's ChunkedItems), whose rows the worker reads in place.
  [[nodiscard]] Frame remote_chunk(std::size_t begin, std::size_t end) const;
  [[nodiscard]] iterator begin() const noexcept { return {frame_, 0}; }
  [[nodiscard]] iterator end() const noexcept { return {frame_, size_}; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  /// Row `position`, unchecked (Frame::row checks).
  [[nodiscard]] Row operator[](std::size_t position) const noexcept { return Row(*frame_, position); }

 private:
  friend class Frame;
  RowRange(const Frame& frame, std::size_t size) noexcept : frame_(&frame), size_(size) {}

  const Frame* frame_ = nullptr;
  std::size_t size_ = 0;
};

/// A table of named, typed columns of equal length (pandas' DataFrame, numpy's 2-D array).
///
/// Built from columns, `mpp::Frame{{"a", std::vector<std::int64_t>{1, 2}}, {"b", std::vector<double>{0.5,
/// 1.5}}}`, or read from CSV (read_csv, <mpp/csv.hpp>). Columns share their storage: copying a
/// Frame, slicing it, or splitting it into partitions copies no values. Each frame has an index,
/// as pandas' RangeIndex: its rows are labelled index_start(), index_start() + 1, ...; a slice
/// keeps its rows' labels. Frames compare equal by their columns (operator== of Column), not by
/// their index.
///
/// Serialisable with cereal (member save/load), so frames cross to ProcessPool workers and back:
/// a slice writes only its own rows.
///
/// Thread safety: a Frame never changes after construction (except by assignment), so any number
/// of threads may read one at once, and partitions are handed to threads as views.
class Frame {
 public:
  /// No columns, no rows.
  Frame() = default;
  /// Throws std::invalid_argument when the columns differ in length or two share a name.
  Frame(std::initializer_list<Column> columns);
  explicit Frame(std::vector<Column> columns);

  [[nodiscard]] std::size_t num_rows() const noexcept { return rows_; }
  [[nodiscard]] std::size_t num_columns() const noexcept { return columns_.size(); }
  /// (rows, columns), as pandas' `df.shape`.
  [[nodiscard]] std::pair<std::size_t, std::size_t> shape() const noexcept {
    return {rows_, columns_.size()};
  }
  /// Whether the frame has no rows.
  [[nodiscard]] bool empty() const noexcept { return rows_ == 0; }

  [[nodiscard]] const std::vector<Column>& columns() const noexcept { return columns_; }
  /// Throws std::out_of_range for a position past the last column or a name no column has.
  [[nodiscard]] const Column& column(std::size_t position) const {
    if (position >= columns_.size())
      detail::throw_frame_index("mpp::Frame::column", position, columns_.size());
    return columns_[position];
  }
  [[nodiscard]] const Column& column(std::string_view name) const;
  /// The position of the column named `name`, if there is one.
  [[nodiscard]] std::optional<std::size_t> find_column(std::string_view name) const noexcept;
  [[nodiscard]] std::vector<std::string> column_names() const;

  /// Row `position` (0-based). Throws std::out_of_range past the last row.
  [[nodiscard]] Row row(std::size_t position) const {
    if (position >= rows_) detail::throw_frame_index("mpp::Frame::row", position, rows_);
    return Row(*this, position);
  }
  /// Every row, in order: a random-access view (`for (mpp::Row row : frame.rows())`), valid while
  /// this Frame object lives.
  [[nodiscard]] RowRange rows() const { return RowRange(*this, rows_); }

  /// Rows [begin, end), sharing this frame's storage; the slice's index starts at
  /// index_start() + begin. Throws std::out_of_range unless begin <= end <= num_rows().
  [[nodiscard]] Frame slice(std::size_t begin, std::size_t end) const;
  /// The first `n` rows (all of them when there are fewer), as pandas' `df.head(n)`; a negative
  /// `n` gives every row but the last -n, as pandas does. A template, so that -1 is not turned
  /// into a huge std::size_t (which silently gave every row).
  template <std::integral T = std::int64_t>
  requires(!std::same_as<T, bool>) [[nodiscard]] Frame head(T n = 5) const {
    const std::size_t k = clamp_rows(n);
    return std::cmp_less(n, 0) ? slice(0, rows_ - k) : slice(0, k);
  }
  /// The last `n` rows (all of them when there are fewer), as pandas' `df.tail(n)`; they keep
  /// their index labels. A negative `n` gives every row but the first -n.
  template <std::integral T = std::int64_t>
  requires(!std::same_as<T, bool>) [[nodiscard]] Frame tail(T n = 5) const {
    const std::size_t k = clamp_rows(n);
    return std::cmp_less(n, 0) ? slice(k, rows_) : slice(rows_ - k, rows_);
  }

  // pandas' everyday DataFrame operations (src/frame/frame_columns.cpp, frame_rows.cpp;
  // docs/frame.md shows each beside its pandas call). Each returns a new frame that shares the
  // columns it keeps as they are; this one never changes. An unknown column name is
  // std::out_of_range naming it (pandas' KeyError).

  /// df[["b", "a"]]: these columns, in this order. A name given twice is std::invalid_argument.
  [[nodiscard]] Frame select(const std::vector<std::string>& names) const;
  /// df.iloc[:, [2, 0]]: the columns at these positions, in this order.
  [[nodiscard]] Frame select_at(const std::vector<std::size_t>& positions) const;
  /// df.drop(columns=[...]).
  [[nodiscard]] Frame drop(const std::vector<std::string>& names) const;
  /// df.rename(columns={"a": "x"}, errors="raise"): an old name no column has is std::out_of_range
  /// (pandas ignores it by default: a typo would go unnoticed); two columns left with one name is
  /// std::invalid_argument.
  [[nodiscard]] Frame rename(const std::vector<std::pair<std::string, std::string>>& names) const;
  /// df[name] = values (df.assign): `column` replaces the column of its name where it is, or comes
  /// last. std::invalid_argument when its length is not num_rows() (any length for a frame
  /// without columns). A computed column in parallel: `frame.with_column(mpp::Column("c",
  /// mpp::map_rows(pool, frame, f)))`.
  [[nodiscard]] Frame with_column(Column column) const;
  /// df.insert(position, name, values): `column` at `position` (0 to num_columns()); its name must
  /// be new (std::invalid_argument), its length num_rows().
  [[nodiscard]] Frame insert(std::size_t position, Column column) const;
  /// df.astype({"a": "float64"}): Column::astype for each named column.
  [[nodiscard]] Frame astype(const std::vector<std::pair<std::string, ColumnType>>& types) const;

  /// df[mask]: the rows where `mask` is true, in order (std::invalid_argument unless
  /// mask.size() == num_rows()). The result is indexed 0, 1, ... as after pandas'
  /// reset_index(drop=True): mpp's index is a range (docs/frame.md). In parallel over a predicate
  /// on rows: filter_rows().
  [[nodiscard]] Frame filter(const Mask& mask) const;
  /// df[df["flag"]]: filter by a bool column (Column::as_mask()).
  [[nodiscard]] Frame filter(const Column& flags) const;
  /// df.dropna(how="any" or "all", subset=[...]): the rows without a null in any (or with nulls in
  /// all) of the `subset` columns (every column when empty); indexed as filter()'s result.
  enum class How : std::uint8_t { any, all };
  [[nodiscard]] Frame dropna(How how = How::any, const std::vector<std::string>& subset = {}) const;
  /// df.fillna({"a": 0, "b": "none"}): Column::fillna for each named column.
  [[nodiscard]] Frame fillna(const std::vector<std::pair<std::string, Scalar>>& values) const;

  /// df.sort_values(by, ascending=..., na_position=..., kind="stable", ignore_index=True): the rows
  /// ordered by the columns `by` (the first decides, the next breaks its ties...), each ascending
  /// or descending (SortOptions, <mpp/frame_sort.hpp>), missing keys last or first, equal keys in
  /// their row order. Numbers compare as numbers (-0.0 equals 0.0), strings byte by byte. From
  /// 1 000 000 rows it runs on mpp's frame thread pool (sort_values(pool, ...) on another pool).
  [[nodiscard]] Frame sort_values(const std::vector<std::string>& by) const;
  [[nodiscard]] Frame sort_values(const std::vector<std::string>& by, const SortOptions& options) const;
  /// df.drop_duplicates(subset, keep=..., ignore_index=True): the rows whose values in `subset`
  /// (every column when empty) no earlier row has (Keep::first), no later row has (Keep::last), or
  /// no other row has (Keep::none), in order. Missing values equal each other, -0.0 equals 0.0.
  /// From 1 000 000 rows it runs on mpp's frame thread pool (drop_duplicates(pool, ...) on another
  /// pool, <mpp/frame_distinct.hpp>); the result is the same.
  [[nodiscard]] Frame drop_duplicates() const;
  [[nodiscard]] Frame drop_duplicates(const std::vector<std::string>& subset) const;
  [[nodiscard]] Frame drop_duplicates(const std::vector<std::string>& subset, Keep keep) const;

  /// A copy whose int64 and float64 columns (values and null flags) are in one mpp::SharedMemory
  /// segment; string columns are shared with this frame, as a slice's are. The copy (and every
  /// slice, partition and column of it) crosses to a ProcessPool worker or an mpp::Process on this
  /// machine as the ranges of its rows, which the receiver maps: map_rows, map_columns and a map
  /// over array_split's parts send no int64 or float64 value. String columns still travel as
  /// their values, and so does everything to an MPI rank. The segment is unlinked when the last
  /// column of the copy (in this process) is gone.
  [[nodiscard]] Frame share() const;

  /// df.groupby(keys), serially: see <mpp/frame_groupby.hpp> (mpp::groupby runs on a pool).
  [[nodiscard]] GroupBy groupby(std::vector<std::string> keys) const;
  [[nodiscard]] GroupBy groupby(std::vector<std::string> keys, const GroupByOptions& options) const;
  /// df.describe(), serially: see <mpp/frame_groupby.hpp> (mpp::describe runs on a pool).
  [[nodiscard]] Frame describe() const;

  /// Row `position`, unchecked: the item a worker runs of a chunk of rows (RowRange::remote_chunk).
  [[nodiscard]] Row remote_item(std::size_t position) const noexcept { return Row(*this, position); }

  /// The index label of the first row: 0 for a frame built from columns or read from CSV.
  [[nodiscard]] std::size_t index_start() const noexcept { return index_start_; }

  /// cereal: the index, then each column (only this frame's rows).
  template <class Archive>
  void save(Archive& archive) const;
  /// cereal: throws on corrupt input (columns of different lengths, a repeated name).
  template <class Archive>
  void load(Archive& archive);

 private:
  // |n|, at most num_rows(), for head and tail (-n computed without overflowing at the minimum).
  template <std::integral T>
  [[nodiscard]] std::size_t clamp_rows(T n) const {
    std::size_t magnitude = 0;
    if constexpr (std::is_signed_v<T>) {
      magnitude = n < 0 ? static_cast<std::size_t>(-(n + 1)) + 1 : static_cast<std::size_t>(n);
    } else {
      magnitude = static_cast<std::size_t>(n);
    }
    return magnitude < rows_ ? magnitude : rows_;
  }

  friend struct detail::FrameAccess;

  std::vector<Column> columns_;
  std::size_t rows_ = 0;
  std::size_t index_start_ = 0;
};

/// The same columns (operator== of Column), in the same order. The index is not compared.
[[nodiscard]] bool operator==(const Frame& a, const Frame& b);

/// How to_string prints a frame: pandas' display options of the same names.
struct PrintOptions {
  /// A frame of more rows than this prints only min_rows of them (the first and last halves, with
  /// a row of dots between, and the shape below): pandas' `display.max_rows`. 0: no limit.
  std::size_t max_rows = 60;
  /// The rows a cut frame prints (pandas' `display.min_rows`); 0 or more than max_rows: max_rows.
  std::size_t min_rows = 10;
  /// Digits after the decimal point of a float64 value (pandas' `display.precision`), 0 to 50.
  /// A column is formatted as a whole, as pandas does: every value with this many decimals, then
  /// the trailing zeros all of them share trimmed (`0.50`, `-0.25`; `42.994199`, `1.000000`); in
  /// scientific notation (`1.000000e-07`) when a value is smaller than 10^-precision, or when a
  /// value above 10^6 makes the column wider than precision + 6 characters.
  int precision = 6;
  /// A value wider than this many characters (with the space pandas puts before it) prints as its
  /// first max_colwidth - 3 and `...`: pandas' `display.max_colwidth`. 0: no limit; 1 to 3 are
  /// refused (std::invalid_argument). Names are never cut, as in pandas.
  std::size_t max_colwidth = 50;
};

/// The frame as pandas prints it (`print(df)`): the column names right-aligned over their values,
/// then each row with its index label. Values as pandas formats them: int64 as they are, float64 a
/// column at a time with PrintOptions::precision decimals (above), strings as they are (a tab, CR
/// or LF written `\t`, `\r`, `\n`), bools `True`/`False`, datetimes a column at a time as pandas
/// (`2024-01-02` when all are at midnight, else with the time and the fraction digits needed).
/// Nulls print as `NaN` in a float64 column (a computed NaN is the same), `NaT` in a datetime
/// column, `<NA>` in the others (pandas' nullable Int64, boolean and string types). A frame of more than
/// `max_rows` rows prints the first and last min_rows / 2, a row of dots between them, and its
/// shape after a blank line (`[100 rows x 3 columns]`); one without rows prints `Empty DataFrame`,
/// its columns and its index. A value wider than max_colwidth (50) is cut, ending in `...`. Every
/// line ends with a newline. Wide frames are not folded to a terminal's width (pandas'
/// display.width): every column prints. Throws std::invalid_argument for a precision outside 0 to
/// 50 or a max_colwidth of 1 to 3.
[[nodiscard]] std::string to_string(const Frame& frame, const PrintOptions& options = {});
/// As pandas' `df.to_string(max_rows=max_rows, show_dimensions=True)`: at most `max_rows` rows
/// (the first and last halves when there are more, then the shape), no value cut (max_colwidth
/// 0), other options as PrintOptions' defaults.
[[nodiscard]] std::string to_string(const Frame& frame, std::size_t max_rows);
/// `out << to_string(frame)`: `std::cout << frame` prints as pandas' `print(df)`.
std::ostream& operator<<(std::ostream& out, const Frame& frame);
/// The column as a one-column frame would print (its name, then its values), every row.
std::ostream& operator<<(std::ostream& out, const Column& column);
/// The type's name, as to_string(ColumnType): `int64`, `float64` or `string`.
std::ostream& operator<<(std::ostream& out, ColumnType type);

/// Each column's name and type, in order: pandas' `df.dtypes`. Printed (to_string, operator<<) as
/// pandas prints `df.dtypes`: a name and a type on each line, then `dtype: object`.
struct ColumnTypes {
  std::vector<std::pair<std::string, ColumnType>> columns;
  friend bool operator==(const ColumnTypes&, const ColumnTypes&) = default;
};
/// `frame`'s column names and types, as pandas' `df.dtypes`.
[[nodiscard]] ColumnTypes dtypes(const Frame& frame);
/// As pandas prints `df.dtypes`: for an int64 column `a` and a float64 column `b`,
/// "a      int64\nb    float64\ndtype: object\n"; no columns: "Series([], dtype: object)\n".
[[nodiscard]] std::string to_string(const ColumnTypes& types);
std::ostream& operator<<(std::ostream& out, const ColumnTypes& types);

/// np.array_split(frame, sections, axis=0): `sections` consecutive row partitions whose sizes
/// differ by at most one (the first num_rows() % sections get one more row; with more sections
/// than rows the last ones are empty). The partitions are slices: no values are copied.
/// Throws std::invalid_argument when `sections` is 0.
[[nodiscard]] std::vector<Frame> array_split(const Frame& frame, std::size_t sections);

/// np.array_split on any random-access range: `sections` consecutive subranges of it, sizes as
/// above. The subranges view the range (no copy), so it must outlive them; a temporary is refused.
/// For ProcessPool, whose items must be serialisable, copy each part into a container.
/// Throws std::invalid_argument when `sections` is 0.
template <std::ranges::random_access_range Range>
requires std::ranges::sized_range<Range> && std::ranges::borrowed_range<Range>
[[nodiscard]] auto array_split(Range&& range, std::size_t sections) {
  using Part = std::ranges::subrange<std::ranges::iterator_t<Range>>;
  using Difference = std::ranges::range_difference_t<Range>;
  if (sections == 0)
    detail::throw_frame_invalid("mpp::array_split", "the number of sections must be at least 1");
  const auto n = static_cast<std::size_t>(std::ranges::size(range));
  auto first = std::ranges::begin(range);
  std::vector<Part> parts;
  parts.reserve(sections);
  for (std::size_t k = 0; k < sections; ++k) {
    const std::size_t begin = detail::section_begin(n, sections, k);
    const std::size_t end = detail::section_begin(n, sections, k + 1);
    parts.emplace_back(first + static_cast<Difference>(begin), first + static_cast<Difference>(end));
  }
  return parts;
}

/// np.vstack for frames (pandas' concat of row partitions): the rows of every frame, in order.
/// Every frame must have the same column names and types in the same order, else
/// std::invalid_argument. The result's index starts at the first frame's. No frames give an
/// empty Frame. When the frames are consecutive slices of the same storage (array_split's parts,
/// in order) the result is a slice of it too and nothing is copied.
[[nodiscard]] Frame concat(std::span<const Frame> frames);
[[nodiscard]] inline Frame concat(std::initializer_list<Frame> frames) {
  return concat(std::span<const Frame>(frames.begin(), frames.size()));
}

namespace detail {

struct FrameAccess {
  static Column column(std::shared_ptr<const ColumnData> data) noexcept {
    const std::size_t size = data->size();
    return Column(std::move(data), 0, size);
  }
  static const ColumnData& data(const Column& column) noexcept { return *column.data_; }
  static std::size_t offset(const Column& column) noexcept { return column.offset_; }
  /// Values [offset, offset + size) of `column`'s storage.
  static Column view(const Column& column, std::size_t offset, std::size_t size) noexcept {
    return Column(column.data_, offset, size);
  }
  static Frame frame(std::vector<Column> columns, std::size_t index_start);
  /// A new column of `values` of type `type` (a bool or datetime column: int64 values).
  static Column make(std::string name, ColumnValues values, const std::vector<bool>& nulls, ColumnType type) {
    return Column(std::move(name), std::move(values), nulls, type);
  }
};

/// The type of a column's storage: int64 for bool and datetime columns too (0/1, nanoseconds),
/// which is all that keys, hashing, ordering and gathering rows need to know of them.
inline ColumnType stored_type(const Column& column) noexcept {
  return static_cast<ColumnType>(FrameAccess::data(column).values.index());
}

template <class F>
using row_result_t = std::decay_t<std::invoke_result_t<const std::decay_t<F>&, Row>>;

}  // namespace detail

/// `f(row)` for every row of `frame`, in parallel on `pool` (mpp::Pool, mpp::ProcessPool, or any
/// pool with their map); results in row order: the tutorial's `pool.imap(hypotenuse,
/// df.itertuples())`. Returns std::vector<R> for f's result type R (nothing for a void f).
///
/// `chunksize` rows go to a task (0: automatic, as the pool's map chooses: about four chunks per
/// worker). Rows never travel one at a time: a thread reads its rows in place; a worker process
/// gets each chunk as one message, a slice of the frame (for a frame made by share(), the ranges
/// of its rows in shared memory, which the worker maps: no int64 or float64 value is copied). Each
/// result is written straight into the result vector as it comes. `f` follows the pool's rules
/// (for ProcessPool: a function pointer or a captureless lambda, and a serialisable result).
/// Blocks; may be called from inside a task of the same pool. Rethrows the first exception a row
/// threw (no new partition starts after it). Throws mpp::PoolNotRunning after close() or
/// terminate().
template <class PoolType, class F>
auto map_rows(PoolType& pool, const Frame& frame, F&& f, std::size_t chunksize = 0) {
  static_assert(std::is_invocable_v<const std::decay_t<F>&, Row>,
                "mpp::map_rows: f must be callable as a const object with an mpp::Row");
  // The pool's map over the rows themselves: threads read them in place; a worker process gets
  // each chunk of rows as one slice of the frame (RowRange::remote_chunk). Each result is written
  // straight into the result, as any map's.
  return pool.map(std::forward<F>(f), frame.rows(), chunksize);
}

/// df[df.apply(pred, axis=1)]: the rows for which `pred(row)` is true, evaluated in parallel on
/// `pool` as map_rows() runs `f`; the result as Frame::filter's.
template <class PoolType, class F>
Frame filter_rows(PoolType& pool, const Frame& frame, F&& pred, std::size_t chunksize = 0) {
  static_assert(std::is_same_v<std::decay_t<std::invoke_result_t<const std::decay_t<F>&, Row>>, bool>,
                "mpp::filter_rows: pred must return bool for an mpp::Row");
  return frame.filter(Mask(map_rows(pool, frame, std::forward<F>(pred), chunksize)));
}

/// `f(column)` for every column of `frame`, in parallel on `pool`; results in column order: the
/// tutorial's `pool.imap(sum_of_squares, df.iteritems())`. Each column is one task; a worker
/// process receives it as one message. Blocks; rethrows the first exception; throws
/// mpp::PoolNotRunning after close() or terminate().
template <class PoolType, class F>
auto map_columns(PoolType& pool, const Frame& frame, F&& f) {
  static_assert(std::is_invocable_v<const std::decay_t<F>&, const Column&>,
                "mpp::map_columns: f must be callable as a const object with a const mpp::Column&");
  return pool.map(std::forward<F>(f), frame.columns(), 1);
}

// -- inline definitions -----------------------------------------------------------------------

inline std::size_t Row::index() const noexcept { return frame_->index_start() + position_; }
inline Frame RowRange::remote_chunk(std::size_t begin, std::size_t end) const {
  return frame_->slice(begin, end);
}
inline std::size_t Row::size() const noexcept { return frame_->num_columns(); }

template <detail::ColumnGettable T>
T Row::get(std::size_t column) const {
  return frame_->column(column).get_at<T>(position_, "mpp::Row::get", index());
}
template <detail::ColumnGettable T>
T Row::get(std::string_view column) const {
  return frame_->column(column).get_at<T>(position_, "mpp::Row::get", index());
}
template <detail::ColumnGettable T>
std::optional<T> Row::get_optional(std::size_t column) const {
  return frame_->column(column).get_optional<T>(position_);
}
template <detail::ColumnGettable T>
std::optional<T> Row::get_optional(std::string_view column) const {
  return frame_->column(column).get_optional<T>(position_);
}
inline bool Row::is_null(std::size_t column) const { return frame_->column(column).null_at(position_); }
inline bool Row::is_null(std::string_view column) const { return frame_->column(column).null_at(position_); }

// -- free forms of get -------------------------------------------------------------------------

/// `mpp::get<T>(column, i)` is `column.get<T>(i)`, and `mpp::get<T>(row, column)` is
/// `row.get<T>(column)`, for generic code: where the column's or row's type depends on a template
/// parameter, the member form must be written `column.template get<T>(i)`, the free form need
/// not. Argument-dependent lookup finds it unqualified too: `get<double>(row, "x")`. Same
/// results, errors and thread safety as the members.
template <detail::ColumnGettable T>
[[nodiscard]] T get(const Column& column, std::size_t i) {
  return column.get<T>(i);
}
template <detail::ColumnGettable T>
[[nodiscard]] T get(const Row& row, std::size_t column) {
  return row.get<T>(column);
}
template <detail::ColumnGettable T>
[[nodiscard]] T get(const Row& row, std::string_view column) {
  return row.get<T>(column);
}
/// As get(), with std::nullopt for a null: `column.get_optional<T>(i)`, `row.get_optional<T>(column)`.
template <detail::ColumnGettable T>
[[nodiscard]] std::optional<T> get_optional(const Column& column, std::size_t i) {
  return column.get_optional<T>(i);
}
template <detail::ColumnGettable T>
[[nodiscard]] std::optional<T> get_optional(const Row& row, std::size_t column) {
  return row.get_optional<T>(column);
}
template <detail::ColumnGettable T>
[[nodiscard]] std::optional<T> get_optional(const Row& row, std::string_view column) {
  return row.get_optional<T>(column);
}

template <class Archive>
void Column::save(Archive& archive) const {
  // The column's type (bool and datetime: their int64 storage, with their own type byte).
  const std::uint8_t type = data_->type_code();
  // In shared memory, crossing to a process on this machine (mpp's own archive, not a file a
  // program writes with cereal): the ranges of this view, not its values.
  if (std::is_same_v<Archive, detail::WireOutputArchive> && data_->shared &&
      detail::t_encoding_for_this_machine && detail::still_linked(data_->shared->values_range)) {
    const detail::SharedColumnStorage& shared = *data_->shared;
    const std::size_t width = holds<double>() ? sizeof(double) : sizeof(std::int64_t);
    detail::SharedRange values = shared.values_range;
    values.offset += offset_ * width;
    values.size = size_ * width;
    detail::SharedRange nulls = shared.nulls_range;
    if (nulls.size != 0) {
      nulls.offset += offset_;
      nulls.size = size_;
    }
    archive(data_->name, static_cast<std::uint8_t>(type | k_shared_type), values, nulls);
    return;
  }
  archive(data_->name, type);
  archive(cereal::make_size_tag(static_cast<cereal::size_type>(size_)));
  std::visit(
      [&](const auto& like) {
        using T = typename std::decay_t<decltype(like)>::value_type;
        const T* values = data_->data<T>() + offset_;
        if constexpr (std::is_arithmetic_v<T>) {
          // The same bytes as a std::vector<T>: a size, then the values as one block.
          archive(cereal::binary_data(values, size_ * sizeof(T)));
        } else {
          for (std::size_t i = 0; i < size_; ++i) archive(values[i]);
        }
      },
      data_->values);
  const bool any_null = null_count() != 0;
  archive(cereal::make_size_tag(static_cast<cereal::size_type>(any_null ? size_ : 0)));
  if (any_null) archive(cereal::binary_data(data_->null_flags() + offset_, size_));
}

template <class Archive>
void Column::load(Archive& archive) {
  auto data = std::make_shared<detail::ColumnData>();
  std::uint8_t type = 0;
  archive(data->name, type);
  if (std::is_same_v<Archive, detail::WireInputArchive> && (type & k_shared_type) != 0) {
    detail::SharedRange values;
    detail::SharedRange nulls;
    archive(values, nulls);
    load_shared(*data, static_cast<std::uint8_t>(type & ~k_shared_type), values, nulls);
    size_ = data->size();
    data_ = std::move(data);
    offset_ = 0;
    return;
  }
  switch (type) {
    case 0:
    case static_cast<std::uint8_t>(ColumnType::boolean):
    case static_cast<std::uint8_t>(ColumnType::datetime):
      archive(data->values.template emplace<0>());
      if (type != 0) data->stored_as = type;
      if (type == static_cast<std::uint8_t>(ColumnType::boolean)) {
        for (const std::int64_t v : std::get<0>(data->values)) {
          if (v != 0 && v != 1) detail::throw_frame_invalid("mpp::Column::load", "corrupt bool value");
        }
      }
      break;
    case 1:
      archive(data->values.template emplace<1>());
      break;
    case 2:
      archive(data->values.template emplace<2>());
      break;
    default:
      detail::throw_frame_invalid("mpp::Column::load", "corrupt column type");
  }
  const std::size_t size = std::visit([](const auto& values) { return values.size(); }, data->values);
  archive(data->nulls);
  if (!data->nulls.empty() && data->nulls.size() != size) {
    detail::throw_frame_invalid("mpp::Column::load", "corrupt null mask");
  }
  for (const std::uint8_t flag : data->nulls) {
    if (flag > 1) detail::throw_frame_invalid("mpp::Column::load", "corrupt null mask");
  }
  data_ = std::move(data);
  offset_ = 0;
  size_ = size;
}

template <class Archive>
void Frame::save(Archive& archive) const {
  archive(static_cast<std::uint64_t>(index_start_), static_cast<std::uint64_t>(rows_));
  archive(cereal::make_size_tag(static_cast<cereal::size_type>(columns_.size())));
  for (const Column& column : columns_) archive(column);
}

template <class Archive>
void Frame::load(Archive& archive) {
  std::uint64_t index_start = 0;
  std::uint64_t rows = 0;
  archive(index_start, rows);
  cereal::size_type count = 0;
  archive(cereal::make_size_tag(count));
  std::vector<Column> columns;
  for (cereal::size_type i = 0; i < count; ++i) {
    Column column;
    archive(column);
    columns.push_back(std::move(column));
  }
  Frame frame(std::move(columns));
  if (frame.rows_ != rows) detail::throw_frame_invalid("mpp::Frame::load", "corrupt row count");
  frame.index_start_ = static_cast<std::size_t>(index_start);
  *this = std::move(frame);
}

}  // namespace mpp

#include "mpp/csv.hpp"  // NOLINT(misc-header-include-cycle): read_csv and write_csv belong to this section
#include "mpp/frame_distinct.hpp"  // NOLINT(misc-header-include-cycle): distinct values
#include "mpp/frame_groupby.hpp"   // NOLINT(misc-header-include-cycle): groupby and describe
#include "mpp/frame_merge.hpp"     // NOLINT(misc-header-include-cycle): merge belongs to this section
#include "mpp/frame_sort.hpp"      // NOLINT(misc-header-include-cycle): sort_values
