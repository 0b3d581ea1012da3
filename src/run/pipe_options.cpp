#include "run/pipe_options.hpp"

#include <CLI/CLI.hpp>
#include <string_view>

#include "mpp/errors.hpp"
#include "run/command.hpp"

namespace mpp::detail::run {
namespace {

[[noreturn]] void refuse(const std::string& what) {
  throw ParseError(what + " with --pipe is not implemented by mpp-run");
}

// Only the job's number and slot mean something in a --pipe command: its input is its standard input.
void check_pipe_template(std::string_view text) {
  while (const std::optional<std::string> found = first_replacement(text)) {
    if (*found != "{#}" && *found != "{%}") {
      throw ParseError("'" + *found +
                       "' with --pipe: a job's input is its standard input, not a value; only {#} and {%} "
                       "are filled");
    }
    text.remove_prefix(text.find(*found) + found->size());
  }
}

}  // namespace

void add_pipe_options(CLI::App& app, PipeWords& words) {
  app.add_flag("--pipe,--spreadstdin", words.pipe);
  app.add_flag("--pipepart", words.pipepart);
  app.add_flag("--regexp", words.regexp);
  app.add_option("--block,--block-size,--bs", words.block);
  app.add_option("--recstart", words.recstart);
  app.add_option("--recend", words.recend);
}

std::optional<PipeFormat> pipe_format(const CLI::App& app, const PipeWords& words, const Options& options) {
  if (words.pipepart) {
    throw ParseError(
        "--pipepart (GNU parallel: the parts of a file as the jobs' input) is not implemented by "
        "mpp-run; use --pipe < FILE");
  }
  const bool block = app.count("--block") > 0;
  const bool recstart = app.count("--recstart") > 0;
  const bool recend = app.count("--recend") > 0;
  if (!words.pipe) {
    if (block || recstart || recend || words.regexp)
      throw ParseError("--block, --recstart, --recend and --regexp need --pipe");
    return std::nullopt;
  }
  if (words.regexp) refuse("--regexp (records bounded by regular expressions)");
  if (!options.sources.empty() || options.arg_file) refuse("input sources (:::, ::::, -a)");
  const InputFormat& format = options.format;
  if (format.header) refuse("--header");
  if (format.grouped && !format.context) refuse("-n");
  if (format.spread || format.continue_lines || (format.context && app.count("-N") == 0))
    refuse("-L, -X, -m");
  if (format.colsep || !format.default_delimiter || !format.eof.empty()) refuse("--colsep, -d, -0, -E");
  if (options.tagstring) refuse("--tag, --tagstring");
  if (!options.results.empty()) refuse("--results");
  if (options.dry_run) refuse("--dry-run");
  if (options.resume || options.resume_failed || options.retry_failed) refuse("--resume, --retry-failed");
  if (options.words.empty()) throw ParseError("--pipe needs a command to give the blocks to");
  std::string command;
  for (const std::string& word : options.words) command += word + " ";
  check_pipe_template(command);
  PipeFormat pipe;
  if (block) pipe.block = parse_block_size(words.block);
  if (app.count("-N") > 0) {
    if (format.per_job == 0) throw ParseError("-N 0 with --pipe: a block holds at least one record");
    pipe.records = format.per_job;
  }
  // As GNU parallel: --recstart alone ends records nowhere, --recend alone starts them anywhere.
  if (recstart) pipe.recstart = parse_record_separator(words.recstart);
  if (recstart && !recend) pipe.recend.clear();
  if (recend) pipe.recend = parse_record_separator(words.recend);
  if (pipe.recstart.empty() && pipe.recend.empty())
    throw ParseError("--recstart and --recend both empty: records would have no bounds");
  return pipe;
}

}  // namespace mpp::detail::run
