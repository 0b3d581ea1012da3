// --resume, --resume-failed and --retry-failed: what a joblog from an earlier run says was done.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace mpp::detail::run {

/// What a joblog written earlier says, read as GNU parallel reads it.
struct EarlierRun {
  /// Job seq (from 1) is done and must not run again: done[seq - 1]. With --resume every job
  /// that has a row; with --resume-failed and --retry-failed those whose row says Exitval 0 and
  /// Signal 0.
  std::vector<bool> done;
  /// --retry-failed: the command of each job by its seq, as the row wrote it ("" where the
  /// joblog has no row for that seq).
  std::vector<std::string> commands;
  /// Whether the file had a first line: then the new rows are appended to it, without a header.
  bool append = false;
};

/// Reads the joblog `path` (as --joblog wrote it) for --resume (`failed_only` false) or
/// --resume-failed and --retry-failed (`failed_only` true). None when the file does not exist:
/// the run starts afresh. Throws mpp::ParseError for a file that cannot be read or a row that is
/// not a joblog's (GNU parallel's "Format of the joblog is wrong").
[[nodiscard]] std::optional<EarlierRun> read_earlier_run(const std::string& path, bool failed_only);

}  // namespace mpp::detail::run
