// --pipepart: files cut into parts that end at a record's end, as GNU parallel cuts them, each part
// the standard input of one job, which reads it from the file (job_input.hpp): the files are never
// read whole, only around the cuts.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "run/input.hpp"
#include "run/options.hpp"

namespace mpp::detail::run {

/// Where GNU parallel's --pipepart cuts `size` bytes of file `fd`: the first part starts at
/// `begin` (after the header); each next cut is at the first `separator` (--recend then
/// --recstart) found from `block` bytes past the last cut on, `recend_size` bytes into it; the
/// end of the file ends the last part. Returns the cuts, `begin` first and `size` last (one
/// cut alone: no part). Reads `fd` with pread() around the cuts, each byte at most once, as long
/// as a cut's search needs (a record longer than `block` is read through). A file that ends before
/// `size` (it shrank) ends the last part where a read found its end; bytes past `size` (it grew)
/// are in no part. `block` is at least 1; `separator` not empty. Throws mpp::ParseError for a read
/// error (named `name`).
[[nodiscard]] std::vector<std::uint64_t> part_cuts(int fd, std::string_view name, std::uint64_t begin,
                                                   std::uint64_t size, std::uint64_t block,
                                                   std::string_view separator, std::size_t recend_size);

/// The jobs of --pipepart: the parts of options.pipe->files, in order, as options.pipe says
/// (a negative --block: the sum of the files' sizes over blocks_per_slot times options.jobs, plus
/// one, as GNU parallel's), each with --header's lines first. Opens and cuts every file first.
/// Throws mpp::ParseError for a file that is missing or not a regular file or block device.
[[nodiscard]] CommandSource part_source(const Options& options);

}  // namespace mpp::detail::run
