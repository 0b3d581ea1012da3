// read_csv's columns as they are read: each infers its type (int64, float64 or text) from its
// fields as they arrive, or checks them against a type CsvOptions::types gives, and becomes a
// Column at the end. Kept apart from the reader, which only says where each field is; header-only
// and included by csv_read.cpp alone, so that the per-field calls stay inline in the reader's loop.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "frame/frame_datetime.hpp"
#include "mpp/detail/core/config.hpp"
#include "mpp/detail/frame/frame_number.hpp"
#include "mpp/detail/frame/frame_storage.hpp"
#include "mpp/errors.hpp"
#include "mpp/frame.hpp"

namespace mpp::detail::csv {

// Where a field is: its 1-based line (where it starts) and 1-based field number in its record.
struct Location {
  std::size_t line = 0;
  std::size_t field = 0;
};

struct PendingError {
  Location at;
  std::string message;
};

class ColumnBuilder {
 public:
  enum class State : std::uint8_t {
    unknown,   // no non-null value yet
    int64,     // every value so far an integer
    float64,   // every value so far a number
    string,    // text
    deferred,  // was numeric, then met text: its text is collected by a second pass
  };

  ColumnBuilder(std::string name, std::optional<ColumnType> forced)
      : name_(std::move(name)), forced_(forced) {
    if (forced_) become(state_of(*forced_));
  }

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] bool deferred() const noexcept { return state_ == State::deferred; }

  /// How many rows to make room for, once the reader can estimate it.
  void expect(std::size_t rows) {
    expected_ = rows;
    reserve();
  }

  void add_null() {
    if (nulls_.size() < count_) nulls_.resize(count_);
    nulls_.push_back(1);
    switch (state_) {
      case State::int64:
        ints_.push_back(0);
        break;
      case State::float64:
        doubles_.push_back(detail::null_placeholder<double>());
        break;
      case State::string:
        strings_.emplace_back();
        break;
      case State::unknown:
      case State::deferred:
        break;
    }
    ++count_;
  }

  /// A non-null field. Type errors of a given type throw ParseError at once; those of an inferred
  /// type wait for the end (text later in the column may make them no error at all).
  void add(std::string_view text, bool quoted, Location at, const std::string& file) {
    if (forced_ == ColumnType::datetime && !quoted && detail::is_nat_text(text)) {
      add_null();  // pandas' parse_dates reads NaT as the missing time
      return;
    }
    if (forced_) {
      add_forced(text, at, file);
    } else {
      add_inferred(text, quoted, at);
    }
    ++count_;
  }

  /// Starts the second pass of a deferred column: it now collects every field as text.
  void restart_as_text() {
    count_ = 0;
    nulls_.clear();
    ints_ = {};
    doubles_ = {};
    become(State::string);
  }

  /// The error an inferred type leaves, if any: an integer outside int64 in an int64 column, a
  /// number outside double's range in a float64 column.
  [[nodiscard]] std::optional<PendingError> pending_error() const {
    if (state_ != State::float64) return std::nullopt;
    if (!overflows_) return std::nullopt;
    const auto& integer_overflow = overflows_->integer;
    const auto& real_overflow = overflows_->real;
    if (integer_overflow && !real_form_) {
      return PendingError{integer_overflow->at, "integer " + integer_overflow->message +
                                                    " does not fit int64 (every value of column '" + name_ +
                                                    "' is an integer, so its type is int64)"};
    }
    if (real_overflow) {
      return PendingError{real_overflow->at, "number " + real_overflow->message +
                                                 " is out of the range of double (column '" + name_ +
                                                 "' is float64)"};
    }
    return std::nullopt;
  }

  /// The finished column: `rows` values.
  [[nodiscard]] Column finish(std::size_t rows) {
    if (state_ == State::unknown) become(State::string);  // no value says otherwise
    auto data = std::make_shared<detail::ColumnData>();
    data->name = std::move(name_);
    // bool and datetime are read into the int64 state (0/1, nanoseconds): their storage.
    if (forced_ && (*forced_ == ColumnType::boolean || *forced_ == ColumnType::datetime))
      data->stored_as = static_cast<std::uint8_t>(*forced_);
    switch (state_) {
      case State::int64:
        data->values = trimmed(std::move(ints_));
        break;
      case State::float64:
        data->values = trimmed(std::move(doubles_));
        break;
      default:
        data->values = trimmed(std::move(strings_));
        break;
    }
    MPP_ASSERT(count_ == rows);
    if (!nulls_.empty()) {
      nulls_.resize(rows);
      data->nulls = std::move(nulls_);
    }
    return detail::FrameAccess::column(std::move(data));
  }

  [[nodiscard]] std::size_t count() const noexcept { return count_; }

 private:
  // The room reserved from the first block's estimate is kept when it is about right; a column
  // of a few rows (a wide file) gives back the rest.
  template <class T>
  static std::vector<T> trimmed(std::vector<T> values) {
    if (values.capacity() - values.size() > 16 + values.size() / 4) values.shrink_to_fit();
    return values;
  }

  static State state_of(ColumnType type) noexcept {
    switch (type) {
      case ColumnType::int64:
      case ColumnType::boolean:
      case ColumnType::datetime:
        return State::int64;
      case ColumnType::float64:
        return State::float64;
      case ColumnType::string:
        break;
    }
    return State::string;
  }

  // Enters `state` with the values so far (nulls only, or the integers of an int64 column).
  void become(State state) {
    switch (state) {
      case State::int64:
        ints_.assign(count_, 0);
        break;
      case State::float64:
        doubles_.reserve(std::max(expected_, count_));
        if (state_ == State::int64) {
          for (const std::int64_t v : ints_) doubles_.push_back(static_cast<double>(v));
        } else {
          doubles_.assign(count_, detail::null_placeholder<double>());
        }
        ints_ = {};
        // The integers so far: their nulls hold 0, a null holds NaN; "-0" was 0 and is -0.0.
        for (std::size_t i = 0; i < nulls_.size(); ++i) {
          if (nulls_[i] != 0) doubles_[i] = detail::null_placeholder<double>();
        }
        for (const std::size_t i : negative_zeros_) doubles_[i] = -0.0;
        negative_zeros_ = {};
        break;
      case State::string:
        strings_.assign(count_, std::string());
        break;
      case State::deferred:
        ints_ = {};
        doubles_ = {};
        negative_zeros_ = {};
        break;
      case State::unknown:
        break;
    }
    state_ = state;
    reserve();
  }

  void reserve() {
    if (expected_ <= count_) return;
    switch (state_) {
      case State::int64:
        ints_.reserve(expected_);
        break;
      case State::float64:
        doubles_.reserve(expected_);
        break;
      case State::string:
        strings_.reserve(expected_);
        break;
      default:
        break;
    }
  }

  void add_inferred(std::string_view text, bool quoted, Location at) {
    if (state_ == State::string) {
      strings_.emplace_back(text);
      return;
    }
    if (state_ == State::deferred) return;
    const ParsedNumber number = quoted ? ParsedNumber{} : detail::parse_number(text);
    if (number.form == NumberForm::text) {
      // Text: the column is string. Numbers already read lost their text, so a column that had
      // some is read again for it (a second pass, only for such columns).
      become(state_ == State::unknown ? State::string : State::deferred);
      if (state_ == State::string) strings_.emplace_back(text);
      return;
    }
    if (number.form == NumberForm::integer && !number.integer_out_of_range) {
      if (state_ == State::float64) {
        doubles_.push_back(number.as_double());
        return;
      }
      if (state_ == State::unknown) become(State::int64);
      // "-0" is 0 as an integer, but -0.0 if the column becomes float64.
      if (number.integer == 0 && number.negative) negative_zeros_.push_back(count_);
      ints_.push_back(number.integer);
      return;
    }
    if (number.form == NumberForm::real) real_form_ = true;
    if (number.integer_out_of_range || number.real_out_of_range) {
      if (!overflows_) overflows_ = std::make_unique<Overflows>();
      if (number.integer_out_of_range && !overflows_->integer)
        overflows_->integer = PendingError{at, std::string(text)};
      if (number.real_out_of_range && !overflows_->real)
        overflows_->real = PendingError{at, std::string(text)};
    }
    if (state_ != State::float64) become(State::float64);
    doubles_.push_back(number.real);
  }

  void add_forced(std::string_view text, Location at, const std::string& file) {
    const auto refuse = [&](const char* what) {
      throw ParseError("mpp::read_csv: '" + std::string(text) + "' " + what + " (column '" + name_ +
                           "' was given type " + to_string(*forced_) + ")",
                       file, at.line, at.field);
    };
    switch (state_) {
      case State::int64: {
        if (*forced_ == ColumnType::boolean) {
          const std::optional<bool> flag = detail::parse_bool(text);
          if (!flag) refuse("is not a bool (True, False, true, false, TRUE, FALSE, 1 or 0)");
          ints_.push_back(*flag ? 1 : 0);
          break;
        }
        if (*forced_ == ColumnType::datetime) {
          const char* why = nullptr;
          const std::optional<std::int64_t> ns = detail::parse_datetime(text, why);
          if (!ns) refuse(why);
          ints_.push_back(*ns);
          break;
        }
        const ParsedNumber number = detail::parse_number(text);
        if (number.form != NumberForm::integer) refuse("is not an integer");
        if (number.integer_out_of_range) refuse("does not fit int64");
        ints_.push_back(number.integer);
        break;
      }
      case State::float64: {
        const ParsedNumber number = detail::parse_number(text);
        if (number.form == NumberForm::text) refuse("is not a number");
        if (number.real_out_of_range) refuse("is out of the range of double");
        doubles_.push_back(number.as_double());
        break;
      }
      default:
        strings_.emplace_back(text);
        break;
    }
  }

  std::string name_;
  std::optional<ColumnType> forced_;
  State state_ = State::unknown;
  std::size_t count_ = 0;     // values so far, nulls included
  std::size_t expected_ = 0;  // rows to reserve room for
  std::vector<std::int64_t> ints_;
  std::vector<double> doubles_;
  std::vector<std::string> strings_;
  std::vector<std::size_t> negative_zeros_;  // int64: the rows that read "-0"
  std::vector<std::uint8_t> nulls_;  // grown lazily: shorter than count_ means "not null" past its end
  bool real_form_ = false;           // some value is a number but not an integer
  // The first number out of range, kept apart: rare, and a wide file has millions of columns.
  struct Overflows {
    std::optional<PendingError> integer;  // message: the field's text
    std::optional<PendingError> real;
  };
  std::unique_ptr<Overflows> overflows_;
};

}  // namespace mpp::detail::csv
