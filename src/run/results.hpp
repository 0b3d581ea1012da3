// --results DIR: where each job's output files go, in GNU parallel's layout, and the files written.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace mpp::detail::run {

/// One value as a directory name, as GNU parallel writes it: `\` as `\\`, TAB as `\t`, `/` as `\_`
/// (a newline stays). GNU parallel leaves `.`, `..` and the empty value as they are, which name
/// the directory above (`DIR/1/..`: the output of two values in one place); mpp-run writes them
/// `\.`, `\.\.` and `\e` (names GNU parallel's quoting never makes), so that every value has a
/// directory of its own inside DIR. Longer than a file name can be (255 bytes), it is cut there,
/// as GNU parallel cuts it.
[[nodiscard]] std::string results_name(std::string_view value);

/// The directory of a job's files below DIR: `1/VALUE1/2/VALUE2...`, each value by results_name();
/// the numbers start again every `row_width` values (0: never), as GNU parallel numbers the values of
/// one input row (`-N2 ::: a b` gives `1/a/1/b`).
[[nodiscard]] std::string results_path(std::span<const std::string> values, std::size_t row_width = 0);

/// Makes `dir` and the directories above it that are missing: 0, or the errno of the failure, with
/// `failed` the path that could not be made.
[[nodiscard]] int make_directories(const std::string& dir, std::string& failed);

/// Writes `text` to the file `path`, created or truncated (mode 0644 before the umask): 0, or
/// the errno of the failure. A FIFO without a reader is a failure (ENXIO), not a wait.
[[nodiscard]] int write_file(const std::string& path, std::string_view text);

/// Why GNU parallel would read `dir` as something else than a directory tree (a name ending in
/// .csv, .tsv or .json: one file of that format; a replacement string: a path made per job); empty
/// when it is a plain directory.
[[nodiscard]] std::string results_refusal(std::string_view dir);

}  // namespace mpp::detail::run
