#include "run/pipe_options.hpp"

#include <CLI/CLI.hpp>
#include <string_view>

#include "mpp/errors.hpp"
#include "run/command.hpp"

namespace mpp::detail::run {
namespace {

[[noreturn]] void refuse(const std::string& what, bool pipepart) {
  throw ParseError(what + (pipepart ? " with --pipepart" : " with --pipe") +
                   " is not implemented by mpp-run");
}

// Only the job's number and slot mean something in a --pipe command: its input is its standard input.
void check_pipe_template(std::string_view text, bool pipepart) {
  while (const std::optional<std::string> found = first_replacement(text)) {
    if (*found != "{#}" && *found != "{%}") {
      throw ParseError("'" + *found + (pipepart ? "' with --pipepart" : "' with --pipe") +
                       ": a job's input is its standard input, not a value; only {#} and {%} are filled");
    }
    text.remove_prefix(text.find(*found) + found->size());
  }
}

// --header's lines: a number of them, or ':' for one (GNU parallel's regular expressions are not).
std::size_t header_lines(const CLI::App& app, bool pipepart) {
  if (app.count("--header") == 0) return 0;
  const std::string text = app.get_option("--header")->as<std::string>();
  if (text == ":") return 1;
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
    refuse("--header '" + text + "' (a regular expression; give a number of lines, or ':' for one)",
           pipepart);
  return std::stoul(text);
}

// --pipepart's files: -a FILE or :::: FILE..., read at their offsets.
std::vector<std::string> part_files(const Options& options) {
  std::vector<std::string> files;
  if (options.arg_file) files.push_back(*options.arg_file);
  for (const InputSource& source : options.sources) {
    if (!source.file) {
      throw ParseError(
          "::: values with --pipepart are not implemented by mpp-run: give the file to cut "
          "with -a FILE or :::: FILE");
    }
    files.push_back(*source.file);
  }
  if (files.empty()) throw ParseError("--pipepart needs a file to cut into parts: -a FILE or :::: FILE");
  for (const std::string& file : files) {
    if (file == "-")
      throw ParseError("--pipepart reads a file at its parts' offsets, not standard input: use --pipe");
  }
  return files;
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
  const bool block = app.count("--block") > 0;
  const bool recstart = app.count("--recstart") > 0;
  const bool recend = app.count("--recend") > 0;
  const bool part = words.pipepart;
  if (!words.pipe && !part) {
    if (block || recstart || recend || words.regexp)
      throw ParseError("--block, --recstart, --recend and --regexp need --pipe or --pipepart");
    return std::nullopt;
  }
  if (words.pipe && part)
    throw ParseError("--pipe and --pipepart: give one (--pipepart reads a file, --pipe standard input)");
  const auto refuse = [part](const std::string& what) { run::refuse(what, part); };
  if (words.regexp) refuse("--regexp (records bounded by regular expressions)");
  PipeFormat pipe;
  if (part) {
    pipe.files = part_files(options);
  } else if (!options.sources.empty() || options.arg_file) {
    refuse("input sources (:::, ::::, -a)");
  }
  const InputFormat& format = options.format;
  pipe.header_lines = header_lines(app, part);
  if (format.grouped && !format.context) refuse("-n");
  if (format.spread || format.continue_lines || (format.context && app.count("-N") == 0))
    refuse("-L, -X, -m");
  if (app.count("--colsep") > 0 || !format.default_delimiter || !format.eof.empty())
    refuse("--colsep, -d, -0, -E");
  if (options.tagstring) refuse("--tag, --tagstring");
  if (!options.results.empty()) refuse("--results");
  if (options.dry_run) refuse("--dry-run");
  if (options.resume || options.resume_failed || options.retry_failed) refuse("--resume, --retry-failed");
  if (options.words.empty())
    throw ParseError(std::string(part ? "--pipepart" : "--pipe") + " needs a command to give the blocks to");
  std::string command;
  for (const std::string& word : options.words) command += word + " ";
  check_pipe_template(command, part);
  if (block && words.block.starts_with('-')) {
    // GNU parallel's --pipe takes a negative size too, and fails on it.
    if (!part)
      throw ParseError("--block '" + words.block +
                       "': a negative size (parts per job slot) needs --pipepart");
    pipe.blocks_per_slot = parse_block_size(words.block.substr(1));
  } else if (block) {
    pipe.block = parse_block_size(words.block);
  } else if (part) {
    pipe.blocks_per_slot = 10;  // GNU parallel's default for --pipepart: 10 parts per job slot
  }
  if (app.count("-N") > 0) {
    if (part) refuse("-N (parts of N records)");
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
