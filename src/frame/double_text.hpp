// A double as Python's str() writes it, which is how pandas' astype(str) and to_csv write a float64.
#pragma once

#include <string>

namespace mpp::detail {

/// Appends `value`'s shortest text that reads back to the same bits, laid out as Python's repr: in
/// positional notation when the decimal point falls from 4 places left of the first digit to 16
/// right of it (0.0001, 1000000000000000.0, with ".0" after a whole number), else in exponent
/// notation with at least two exponent digits (1e-05, 1e+16); inf, -inf and nan as such.
void append_double_text(std::string& out, double value);

}  // namespace mpp::detail
