// libFuzzer target: mpp::read_csv on arbitrary bytes. The contract (include/mpp/csv.hpp): malformed
// input ends in mpp::ParseError, never in a crash, undefined behaviour or a hang. Built with ASan
// and UBSan (no recovery). Beyond not crashing:
//  - any exception but ParseError escaping read_csv is a bug (libFuzzer reports it);
//  - what read_csv accepts, write_csv writes and read_csv reads back into an equal frame (the
//    round trip is exact), given the column types (a column of nulls alone reads back as string).
// The first byte picks the options: its low bits the delimiter, then strict_quotes, quotechar
// ' (else "), comment '#', na_values {"NA", "-"}, a round trip through gzip, and its high bit
// "no header".
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <sstream>
#include <string>

#include "mpp/csv.hpp"
#include "mpp/errors.hpp"
#include "mpp/frame.hpp"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "csv_fuzz: %s\n%s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static constexpr char k_delimiters[] = {',', ';', '\t', '|'};
  mpp::CsvOptions options;
  options.delimiter = k_delimiters[data[0] & 3U];
  options.header = (data[0] & 0x80U) == 0;
  options.strict_quotes = (data[0] & 0x04U) != 0;
  if ((data[0] & 0x08U) != 0) options.quotechar = '\'';
  if ((data[0] & 0x10U) != 0) options.comment = '#';
  if ((data[0] & 0x20U) != 0) options.na_values = {"NA", "-"};
  std::istringstream in(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));

  mpp::Frame frame;
  try {
    frame = mpp::read_csv(in, options);
  } catch (const mpp::ParseError&) {
    return 0;  // malformed input, reported as it should be
  } catch (const std::exception& e) {
    fail("read_csv threw something other than mpp::ParseError", e.what());
  }

  // The round trip: through gzip when asked (the input itself is read plain).
  if ((data[0] & 0x40U) != 0) options.compression = mpp::CsvCompression::gzip;
  std::ostringstream out;
  try {
    mpp::write_csv(frame, out, options);
  } catch (const std::exception& e) {
    fail("write_csv threw on a frame read_csv made", e.what());
  }
  for (const mpp::Column& column : frame.columns()) options.types.emplace_back(column.name(), column.type());
  std::istringstream again(out.str());
  try {
    if (!(mpp::read_csv(again, options) == frame))
      fail("the round trip changed the frame; written:", out.str());
  } catch (const mpp::ParseError& e) {
    fail("read_csv refused what write_csv wrote", std::string(e.what()) + "\nwritten:\n" + out.str());
  }
  return 0;
}
