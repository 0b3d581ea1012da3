#include "run/input.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>

#include "mpp/errors.hpp"
#include "posix/syscall.hpp"
#include "run/command.hpp"

namespace mpp::detail::run {
namespace {

// One read at a time: a few hundred lines of a listing, not the whole of it.
constexpr std::size_t k_read_size = std::size_t{64} * 1024;
// --pipe reads more at a time: its input is data, passed on in blocks of a megabyte by default.
constexpr std::size_t k_pipe_read_size = std::size_t{1} << 20;

}  // namespace

CommandSource::CommandSource(std::vector<std::string> commands) {
  for (std::string& command : commands) {
    Job job{command, {}, ready_.size() + 1};
    job.values.push_back(std::move(command));
    ready_.push_back(std::move(job));
  }
}

CommandSource::CommandSource(std::size_t total, std::function<Job(std::size_t, std::size_t)> make)
    : make_(std::move(make)), total_(total) {}

CommandSource::CommandSource(int fd, std::string name, std::string command_template, bool owns_fd,
                             InputFormat format, std::string_view already_read,
                             std::vector<std::string> header_files)
    : fd_(fd),
      owned_(owns_fd ? fd : -1),
      at_end_(false),
      name_(std::move(name)),
      template_(std::move(command_template)),
      format_(std::move(format)),
      header_files_(std::move(header_files)) {
  reader_.emplace(format_, name_, true);
  std::vector<std::string> records;
  reader_->feed(already_read, records);
  take(records);
}

CommandSource::CommandSource(int fd, std::string name, std::string command_template, PipeFormat pipe)
    : fd_(fd), at_end_(false), name_(std::move(name)), template_(std::move(command_template)) {
  if (pipe.header_lines > 0) header_.emplace(pipe.header_lines);
  splitter_.emplace(std::move(pipe));
}

CommandSource::~CommandSource() = default;

std::optional<Job> CommandSource::next(std::size_t slot) {
  if (make_) {
    if (given_ == total_) return std::nullopt;
    const std::size_t i = given_++;
    return make_(i, slot);
  }
  if (ready_.empty()) return std::nullopt;
  Job job = std::move(ready_.front());
  ready_.pop_front();
  ++given_;
  if (splitter_) {
    job.command = fill_text(template_, {}, job.seq, slot);
  } else if (!template_.empty())
    job.command = fill_template(template_, job.values, job.seq, slot, format_.context);
  return job;
}

std::optional<std::size_t> CommandSource::total() const noexcept {
  if (make_) return total_;
  if (!at_end_) return std::nullopt;
  return given_ + ready_.size();
}

void CommandSource::read_some() {
  if (at_end_) return;
  if (splitter_) {
    read_blocks();
    return;
  }
  char buffer[k_read_size];
  const ssize_t got = posix::retried("read", [&] { return ::read(fd_, buffer, sizeof buffer); });
  if (got < 0) {
    at_end_ = true;
    throw ParseError(name_ + ": " + std::strerror(static_cast<int>(-got)));
  }
  std::vector<std::string> records;
  try {
    if (got == 0) {
      reader_->finish(records);  // a last record without a delimiter counts
    } else {
      reader_->feed(std::string_view(buffer, static_cast<std::size_t>(got)), records);
    }
  } catch (...) {
    at_end_ = true;
    throw;
  }
  take(records);
}

// --pipe: one read, into the splitter; the blocks it cuts become jobs.
void CommandSource::read_blocks() {
  // Up to the next cut, in pieces no larger than a pipe holds.
  const std::size_t size = std::min(splitter_->wanted(), k_pipe_read_size);
  if (!scratch_) scratch_ = std::make_unique_for_overwrite<char[]>(k_pipe_read_size);
  const ssize_t got = posix::retried("read", [&] { return ::read(fd_, scratch_.get(), size); });
  if (got < 0) {
    at_end_ = true;
    throw ParseError(name_ + ": " + std::strerror(static_cast<int>(-got)));
  }
  const bool in_header = header_ && !header_->done();
  if (got == 0) {
    // Fewer lines than --header asks for: no header, all records (as GNU parallel's).
    if (in_header) splitter_->add(header_->give_back());
    splitter_->finish();
    at_end_ = true;
  } else {
    std::string_view text(scratch_.get(), static_cast<std::size_t>(got));
    if (in_header) {
      text = header_->add(text);
      if (header_->done()) header_text_ = std::make_shared<const std::string>(header_->header());
    }
    splitter_->add(text);
  }
  for (std::string& block : splitter_->blocks()) {
    Job job{{}, {}, ++jobs_, 0};
    job.input = std::make_shared<const JobInput>(JobInput{header_text_, std::move(block)});
    ready_.push_back(std::move(job));
  }
  splitter_->blocks().clear();
}

void CommandSource::read_all() {
  while (!at_end_) read_some();
}

// Records, made jobs: format_.per_job records each (the last group may be short).
void CommandSource::take(std::vector<std::string>& records) {
  // --header: the names are known once the first record is read (or there is none).
  if (format_.header && !named_ && (reader_->header() || reader_->ended())) {
    named_ = true;
    std::vector<std::string> names;
    if (reader_->header()) append_names(*reader_->header(), format_.colsep.value_or("\t"), names);
    template_ = apply_names(apply_names(std::move(template_), names), header_files_);
    try {
      check_template(template_);
    } catch (...) {
      at_end_ = true;
      throw;
    }
  }
  // -X, -m: every record first, then spread over the job slots.
  if (format_.spread) {
    try {
      for (std::string& record : records) {
        spread_size_ += record.size() + 1;
        check_spread(spread_size_);
        spread_records_.push_back(std::move(record));
      }
      if (!reader_->ended()) return;
      std::vector<std::string> all_values;
      for (const std::string& record : spread_records_) append_columns(format_, record, all_values);
      check_spread(fill_template(template_, all_values, 1, format_.slots, format_.context).size());
    } catch (...) {
      at_end_ = true;
      throw;
    }
    format_.spread = false;
    format_.per_job = spread_per_job(spread_records_.size(), format_.slots);
    std::vector<std::string> all = std::move(spread_records_);
    take(all);
    return;
  }
  for (std::string& record : records) {
    if (format_.per_job != 0) {
      append_columns(format_, record, group_);
      if (group_records_ == 0) group_width_ = group_.size();
      group_size_ += record.size() + 1;
      // One job's values never outgrow a command line: -N 100000 of an endless input holds no more.
      if (group_size_ > k_max_line) {
        at_end_ = true;
        throw ParseError("the values of job " + std::to_string(jobs_ + 1) + " are longer than " +
                         std::to_string(k_max_line >> 20) + " MiB, more than any command line can hold (" +
                         name_ + ")");
      }
    }
    if (++group_records_ >= format_.per_job) add_job();
  }
  // The -E string ends the input as its end does.
  if (reader_->ended()) {
    at_end_ = true;
    if (group_records_ != 0) add_job();
  }
}

void CommandSource::add_job() {
  // {#} is the job's number.
  Job job{{}, std::move(group_), ++jobs_, group_width_};
  if (template_.empty()) {
    for (const std::string& value : job.values) {
      if (&value != &job.values.front()) job.command += ' ';
      job.command += value;
    }
    // As commands, empty lines are nothing to run (GNU parallel's -N joins them with the rest).
    if (!job.command.empty() || format_.grouped) ready_.push_back(std::move(job));
  } else {
    ready_.push_back(std::move(job));  // its command filled by next(), for its slot
  }
  group_.clear();
  group_records_ = 0;
  group_size_ = 0;
  group_width_ = 0;
}

Combinations::Combinations(std::vector<std::vector<std::string>> sources, const std::vector<bool>& linked)
    : sources_(std::move(sources)) {
  const bool several = sources_.size() > 1;
  for (std::size_t s = 0; s < sources_.size(); ++s) {
    if (several && sources_[s].empty()) sources_[s].emplace_back();
    if (s == 0 || !linked[s]) {
      group_rows_.push_back(sources_[s].size());
    } else {
      group_rows_.back() = std::min(group_rows_.back(), sources_[s].size());
    }
    group_of_.push_back(group_rows_.size() - 1);
  }
  size_ = group_rows_.empty() ? 0 : 1;
  for (const std::size_t rows : group_rows_) {
    if (rows != 0 && size_ > SIZE_MAX / rows)
      throw ParseError("the input sources make more jobs than can be counted");
    size_ *= rows;
  }
}

std::vector<std::string> Combinations::values(std::size_t i) const {
  // Job i's row of each group: i in mixed radix, the last group the lowest digit.
  std::vector<std::size_t> row(group_rows_.size());
  for (std::size_t g = group_rows_.size(); g-- > 0;) {
    row[g] = i % group_rows_[g];
    i /= group_rows_[g];
  }
  std::vector<std::string> out;
  out.reserve(sources_.size());
  for (std::size_t s = 0; s < sources_.size(); ++s) out.push_back(sources_[s][row[group_of_[s]]]);
  return out;
}

}  // namespace mpp::detail::run
