// mpp's exceptions: one shallow hierarchy rooted at mpp::Error, one class per distinct reaction.
#pragma once

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>

namespace mpp {

/// Root of every exception mpp throws on its own account. A `std::runtime_error`.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A call submitted work to a pool after `close()` or `terminate()`.
class PoolNotRunning : public Error {
 public:
  using Error::Error;
};

/// `join()` was called while the pool still accepts work (call `close()` or `terminate()` first).
class PoolRunning : public Error {
 public:
  using Error::Error;
};

/// The task never ran or its result was discarded because the pool was terminated
/// (or, for `imap`, because its iterator was destroyed).
class TaskCancelled : public Error {
 public:
  using Error::Error;
};

/// A wait with a timeout expired (`AsyncResult::get(timeout)`, `ImapRange::next(timeout)`), or a
/// `ProcessPool` item ran longer than `task_timeout`.
class TimeoutError : public Error {
 public:
  using Error::Error;
};

/// The process that held an mpp::Lock or mpp::RLock died holding it. The acquire that was told has
/// made the lock usable again and does not hold it (a Condition's wait does hold it): the data the
/// lock guards may be half-updated, and this is the one moment to check and repair it. Told to one
/// acquirer only.
class LockOwnerDied : public Error {
 public:
  using Error::Error;
};

/// An mpp::Connection has nothing more to receive: everything sent has been received and every
/// handle of the other end is closed, destroyed, or in a process that has ended (Python's EOFError).
class EOFError : public Error {
 public:
  using Error::Error;
};

/// An mpp::Barrier is broken: a wait timed out, abort() was called, or a party died while it
/// waited. Every wait throws it until reset() (Python's threading.BrokenBarrierError).
class BrokenBarrierError : public Error {
 public:
  using Error::Error;
};

/// The worker process running the task died (a signal, `abort`, `_exit`, the OOM killer), or, under
/// MpiPool, the rank running it was given up.
class WorkerLost : public Error {
 public:
  using Error::Error;
  /// Lost with MPI rank `rank` of host `host` (MpiPool): a program can say which node failed
  /// without reading the message.
  WorkerLost(const std::string& message, int rank, std::string host);

  /// The MPI rank where the item was lost (given up, or its local workers kept dying there), or -1
  /// when no rank is known (a pool on one machine; a local worker of a rank that died once).
  [[nodiscard]] int rank() const noexcept { return rank_; }
  /// The lost rank's host name, or empty when rank() is -1.
  [[nodiscard]] const std::string& host() const noexcept;

 private:
  int rank_ = -1;
  std::shared_ptr<const std::string> host_;  // shared: copying an exception must not throw
};

/// An exception of a type that cannot be rebuilt in the caller's process, carried as its type's
/// name and message. `what()` holds both.
class RemoteError : public Error {
 public:
  RemoteError(std::string type_name, std::string message);

  /// The name of the original exception's type, as the worker's compiler spells it.
  [[nodiscard]] const std::string& type_name() const noexcept { return type_name_; }
  /// The original exception's `what()`; for a thrown non-exception, its value when it is a string
  /// or a number (`throw 42;` gives "42"), else empty.
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

 private:
  std::string type_name_;
  std::string message_;
};

/// A message between processes or ranks could not be encoded or decoded (corrupt or truncated).
class SerializationError : public Error {
 public:
  using Error::Error;
};

/// Bad input to `Frame` readers or `mpp-run`. Line and column are 1-based; 0 means "does not apply".
class ParseError : public Error {
 public:
  ParseError(const std::string& message, std::string file = {}, std::size_t line = 0, std::size_t column = 0);

  /// The file (or "<stream>"), empty when it does not apply.
  [[nodiscard]] const std::string& file() const noexcept { return file_; }
  [[nodiscard]] std::size_t line() const noexcept { return line_; }
  [[nodiscard]] std::size_t column() const noexcept { return column_; }

 private:
  std::string file_;
  std::size_t line_;
  std::size_t column_;
};

}  // namespace mpp
