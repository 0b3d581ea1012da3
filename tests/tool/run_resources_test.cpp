// --memfree's and --load's values, and what is read from /proc/meminfo and /proc/loadavg
// (src/run/resources.hpp).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "mpp/errors.hpp"
#include "run/options.hpp"
#include "run/resources.hpp"

namespace {

using mpp::detail::run::load_average;
using mpp::detail::run::mem_available;
using mpp::detail::run::parse_load;
using mpp::detail::run::parse_size;

std::string size_error(const char* text) {
  try {
    (void)parse_size("--memfree", text);
  } catch (const mpp::ParseError& e) {
    return e.what();
  }
  return {};
}

std::string load_error(const char* text, std::size_t cpus) {
  try {
    (void)parse_load(text, cpus);
  } catch (const mpp::ParseError& e) {
    return e.what();
  }
  return {};
}

TEST(RunResources, SizesInGnuParallelsUnits) {
  EXPECT_EQ(parse_size("--memfree", "0"), 0u);
  EXPECT_EQ(parse_size("--memfree", "1500"), 1500u);
  EXPECT_EQ(parse_size("--memfree", "1k"), 1000u);
  EXPECT_EQ(parse_size("--memfree", "1K"), 1024u);
  EXPECT_EQ(parse_size("--memfree", "1ki"), 1024u);
  EXPECT_EQ(parse_size("--memfree", "1Ki"), 1024u);
  EXPECT_EQ(parse_size("--memfree", "2m"), 2000000u);
  EXPECT_EQ(parse_size("--memfree", "2M"), 2097152u);
  EXPECT_EQ(parse_size("--memfree", "1g"), 1000000000u);
  EXPECT_EQ(parse_size("--memfree", "1G"), 1073741824u);
  EXPECT_EQ(parse_size("--memfree", "1.5G"), 1610612736u);
  EXPECT_EQ(parse_size("--memfree", "1T"), std::uint64_t{1} << 40);
  EXPECT_EQ(parse_size("--memfree", "1p"), std::uint64_t{1000000000000000});
}

TEST(RunResources, BadSizesAreRefused) {
  for (const char* text : {"", "G", "1Q", "1GB", "1Gx", "-1G", "1e9", "1..5", "1 G", "99999999P", "nan"}) {
    const std::string error = size_error(text);
    EXPECT_NE(error.find("--memfree"), std::string::npos) << "'" << text << "': " << error;
  }
}

TEST(RunResources, LoadForms) {
  EXPECT_EQ(parse_load("3", 8), 3.0);
  EXPECT_EQ(parse_load("2.5", 8), 2.5);
  EXPECT_EQ(parse_load("50%", 8), 4.0);
  EXPECT_EQ(parse_load("150%", 2), 3.0);
  EXPECT_EQ(parse_load("+2", 8), 10.0);
  EXPECT_EQ(parse_load("-2", 8), 6.0);
}

TEST(RunResources, BadLoadsAreRefused) {
  EXPECT_NE(load_error("-2", 2).find("must be above 0"), std::string::npos) << load_error("-2", 2);
  EXPECT_NE(load_error("0", 2).find("must be above 0"), std::string::npos);
  EXPECT_NE(load_error("0%", 2).find("must be above 0"), std::string::npos);
  for (const char* text : {"", "x", "%", "+", "-", "1%%", "+2%", "2x", "/etc/load", "1e3", " 1"}) {
    const std::string error = load_error(text, 4);
    EXPECT_NE(error.find("--load"), std::string::npos) << "'" << text << "': " << error;
  }
}

TEST(RunResources, MemAvailableOfMeminfo) {
  EXPECT_EQ(
      mem_available("MemTotal:       16000000 kB\nMemFree:         1000 kB\nMemAvailable:    8000000 kB\n"),
      std::uint64_t{8000000} * 1024);
  EXPECT_EQ(mem_available("MemAvailable: 0 kB\n"), 0u);
  EXPECT_EQ(mem_available("MemAvailable:\t12 kB"), 12u * 1024);
  EXPECT_EQ(mem_available(""), std::nullopt);
  EXPECT_EQ(mem_available("MemTotal: 1 kB\nMemFree: 1 kB\n"), std::nullopt);  // a kernel before 3.14
  EXPECT_EQ(mem_available("XMemAvailable: 5 kB\n"), std::nullopt);
  EXPECT_EQ(mem_available("MemAvailable: lots\n"), std::nullopt);
  EXPECT_EQ(mem_available("MemAvailable: 5 MB\n"), std::nullopt);
}

TEST(RunResources, LoadAverageOfLoadavg) {
  EXPECT_EQ(load_average("0.52 0.58 0.59 1/1093 12345\n"), 0.52);
  EXPECT_EQ(load_average("12.00 1 1 1/1 1"), 12.0);
  EXPECT_EQ(load_average("3"), 3.0);
  EXPECT_EQ(load_average(""), std::nullopt);
  EXPECT_EQ(load_average("load 1.0"), std::nullopt);
  EXPECT_EQ(load_average("1.0x 2 3"), std::nullopt);
}

TEST(RunResources, OptionsKeepTheValues) {
  std::vector<const char*> args{"mpp-run", "--memfree", "2G", "--load", "75%", "--eta", "true"};
  const auto o = mpp::detail::run::parse_command_line(static_cast<int>(args.size()), args.data());
  EXPECT_EQ(o.memfree, std::uint64_t{2} << 30);
  EXPECT_EQ(o.load, "75%");
  EXPECT_TRUE(o.bar_requested);
}

}  // namespace
