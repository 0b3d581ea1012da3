// --memfree and --load (resources.hpp): their values, and the gate the runner asks before a start.
#include "run/resources.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>

#include "mpp/errors.hpp"

namespace mpp::detail::run {
namespace {

[[noreturn]] void bad(const std::string& message) { throw ParseError(message); }

// A non-negative number at the start of `text` (digits, an optional fraction); none when there is
// none. `rest` is what follows it.
std::optional<double> leading_number(std::string_view text, std::string_view& rest) {
  std::size_t end = 0;
  while (end < text.size() && ((text[end] >= '0' && text[end] <= '9') || text[end] == '.')) ++end;
  double value = 0;
  const auto [ptr, error] = std::from_chars(text.data(), text.data() + end, value);
  if (end == 0 || error != std::errc() || ptr != text.data() + end || !std::isfinite(value))
    return std::nullopt;
  rest = text.substr(end);
  return value;
}

// The multiplier of a --memfree unit (GNU parallel's): k (1000) or K, ki, Ki (1024), and so on up
// to p, P; 0 for a unit it does not know.
double unit_factor(std::string_view unit) {
  constexpr std::string_view k_units = "kmgtp";
  if (unit.empty()) return 1;
  if (unit.size() > 2 || (unit.size() == 2 && unit[1] != 'i' && unit[1] != 'I')) return 0;
  const bool upper = unit[0] >= 'A' && unit[0] <= 'Z';
  const std::size_t power = k_units.find(upper ? static_cast<char>(unit[0] - 'A' + 'a') : unit[0]);
  if (power == std::string_view::npos) return 0;
  const bool binary = upper || unit.size() == 2;
  return std::pow(binary ? 1024.0 : 1000.0, static_cast<double>(power + 1));
}

std::string read_whole(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string source_path(const char* env, const char* fallback) {
  const char* value = std::getenv(env);
  return value != nullptr && *value != '\0' ? value : fallback;
}

}  // namespace

std::uint64_t parse_size(std::string_view option, std::string_view text) {
  std::string_view unit;
  const std::optional<double> number = leading_number(text, unit);
  const double factor = number ? unit_factor(unit) : 0;
  if (!number || factor == 0) {
    bad(std::string(option) +
        " needs a size such as 500M or 2G (k m g t p: powers of 1000; K M G T P or Ki Mi...: "
        "of 1024), not '" +
        std::string(text) + "'");
  }
  const double bytes = *number * factor;
  if (bytes >= 18e18) bad(std::string(option) + " " + std::string(text) + " is too large");
  return static_cast<std::uint64_t>(bytes);
}

double parse_load(std::string_view text, std::size_t cpus) {
  const auto refuse = [&](const std::string& why) { bad("--load " + std::string(text) + ": " + why); };
  std::string_view body = text;
  const bool more = body.starts_with('+');
  const bool fewer = body.starts_with('-');
  if (more || fewer) body.remove_prefix(1);
  const bool percent = !more && !fewer && body.ends_with('%');
  if (percent) body.remove_suffix(1);
  std::string_view rest;
  const std::optional<double> number = leading_number(body, rest);
  if (!number || !rest.empty()) {
    refuse("needs N, N%, +N or -N (GNU parallel's file of MAX is not implemented by mpp-run)");
  }
  const double n = static_cast<double>(cpus);
  const double load = more ? n + *number : fewer ? n - *number : percent ? n * *number / 100 : *number;
  if (!(load > 0)) {
    char shown[32];
    std::snprintf(shown, sizeof shown, "%g", load);
    refuse("means a load of " + std::string(shown) + " with " + std::to_string(cpus) +
           " CPUs: it must be above 0");
  }
  return load;
}

std::optional<std::uint64_t> mem_available(std::string_view meminfo) {
  constexpr std::string_view k_key = "MemAvailable:";
  std::size_t at = meminfo.starts_with(k_key) ? 0 : meminfo.find(std::string("\n") + std::string(k_key));
  if (at == std::string_view::npos) return std::nullopt;
  if (at != 0) ++at;
  std::string_view rest = meminfo.substr(at + k_key.size());
  while (rest.starts_with(' ') || rest.starts_with('\t')) rest.remove_prefix(1);
  std::string_view unit;
  const std::optional<double> kib = leading_number(rest, unit);
  if (!kib || !(unit.starts_with(" kB") || unit.empty() || unit.starts_with('\n'))) return std::nullopt;
  return static_cast<std::uint64_t>(*kib) * 1024;  // the kernel's "kB" are KiB
}

std::optional<double> load_average(std::string_view loadavg) {
  std::string_view rest;
  const std::optional<double> load = leading_number(loadavg, rest);
  if (!load || !(rest.empty() || rest.starts_with(' ') || rest.starts_with('\n'))) return std::nullopt;
  return load;
}

ResourceGate::ResourceGate(std::uint64_t memfree, double max_load)
    : memfree_(memfree),
      max_load_(max_load),
      meminfo_path_(source_path(k_meminfo_env, "/proc/meminfo")),
      loadavg_path_(source_path(k_loadavg_env, "/proc/loadavg")) {
  if (memfree_ != 0 && !mem_available(read_whole(meminfo_path_))) {
    bad("--memfree: no MemAvailable line could be read from " + meminfo_path_);
  }
  if (max_load_ != 0 && !load_average(read_whole(loadavg_path_))) {
    bad("--load: no load average could be read from " + loadavg_path_);
  }
}

bool ResourceGate::allows(std::size_t running) {
  if (!active() || running == 0) {
    held_until_ = k_no_deadline;
    return true;
  }
  if (held_until_ != k_no_deadline && Clock::now() < held_until_) return false;
  if (machine_allows()) {
    held_until_ = k_no_deadline;
    return true;
  }
  held_until_ = deadline_after(k_resource_recheck);
  return false;
}

// Unreadable now (it was readable at the start): held, as GNU parallel holds on an unknown load.
bool ResourceGate::machine_allows() const {
  if (memfree_ != 0) {
    const std::optional<std::uint64_t> free = mem_available(read_whole(meminfo_path_));
    if (!free || *free < memfree_) return false;
  }
  if (max_load_ != 0) {
    const std::optional<double> load = load_average(read_whole(loadavg_path_));
    if (!load || *load >= max_load_) return false;
  }
  return true;
}

}  // namespace mpp::detail::run
