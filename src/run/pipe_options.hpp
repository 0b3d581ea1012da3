// mpp-run's --pipe and --pipepart options (--block, --recstart, --recend, --header N), read apart from the
// rest of the command line (options.cpp) and checked against it.
#pragma once

#include <optional>
#include <string>

#include "run/blocks.hpp"
#include "run/options.hpp"

namespace CLI {
class App;
}

namespace mpp::detail::run {

/// The --pipe options' words as given.
struct PipeWords {
  bool pipe = false;
  bool pipepart = false;
  bool regexp = false;
  std::string block;
  std::string recstart;
  std::string recend;
};

/// Adds --pipe (--spreadstdin), --pipepart, --block (--block-size, --bs), --recstart, --recend and
/// --regexp to `app`, their words going to `words`.
void add_pipe_options(CLI::App& app, PipeWords& words);

/// The --pipe or --pipepart format `words` ask for (none without either), -N of `options` its
/// records per block, --header N its header lines, -a and :::: --pipepart's files. Throws
/// mpp::ParseError for these options without --pipe or --pipepart, and for what mpp-run does not
/// implement with them (--regexp, --header REGEXP, input sources with --pipe, -N with --pipepart,
/// a negative --block with --pipe, replacement strings other than {#} and {%}...).
[[nodiscard]] std::optional<PipeFormat> pipe_format(const CLI::App& app, const PipeWords& words,
                                                    const Options& options);

}  // namespace mpp::detail::run
