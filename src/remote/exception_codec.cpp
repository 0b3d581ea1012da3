#include "mpp/detail/remote/exception_codec.hpp"

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <typeindex>

#include "mpp/detail/core/demangle.hpp"
#include "mpp/errors.hpp"

namespace mpp::detail {
namespace {

// The kinds that are rebuilt as themselves. Values are part of the wire format: append only.
enum class Kind : std::uint8_t {
  other = 0,  // anything else, a non-exception included: RemoteError
  runtime_error,
  logic_error,
  invalid_argument,
  out_of_range,
  domain_error,
  length_error,
  overflow_error,
  range_error,
  underflow_error,
  bad_alloc,
  mpp_error,
  pool_not_running,
  pool_running,
  task_cancelled,
  timeout_error,
  worker_lost,
  remote_error,
  serialization_error,
  parse_error,
  lock_owner_died,
  broken_barrier_error,
  eof_error,
  last = eof_error,
};

// Exact types only: a class derived from a standard exception must not pass for its base.
Kind kind_of(const std::type_info& type) {
  static const std::pair<std::type_index, Kind> k_kinds[] = {
      {typeid(std::runtime_error), Kind::runtime_error},
      {typeid(std::logic_error), Kind::logic_error},
      {typeid(std::invalid_argument), Kind::invalid_argument},
      {typeid(std::out_of_range), Kind::out_of_range},
      {typeid(std::domain_error), Kind::domain_error},
      {typeid(std::length_error), Kind::length_error},
      {typeid(std::overflow_error), Kind::overflow_error},
      {typeid(std::range_error), Kind::range_error},
      {typeid(std::underflow_error), Kind::underflow_error},
      {typeid(std::bad_alloc), Kind::bad_alloc},
      {typeid(Error), Kind::mpp_error},
      {typeid(PoolNotRunning), Kind::pool_not_running},
      {typeid(PoolRunning), Kind::pool_running},
      {typeid(TaskCancelled), Kind::task_cancelled},
      {typeid(TimeoutError), Kind::timeout_error},
      {typeid(WorkerLost), Kind::worker_lost},
      {typeid(RemoteError), Kind::remote_error},
      {typeid(SerializationError), Kind::serialization_error},
      {typeid(ParseError), Kind::parse_error},
      {typeid(LockOwnerDied), Kind::lock_owner_died},
      {typeid(BrokenBarrierError), Kind::broken_barrier_error},
      {typeid(EOFError), Kind::eof_error},
  };
  for (const auto& [index, kind] : k_kinds) {
    if (index == std::type_index(type)) return kind;
  }
  return Kind::other;
}

struct Description {
  Kind kind = Kind::other;
  std::string type_name;
  std::string message;
  std::string file;  // ParseError only
  std::uint64_t line = 0;
  std::uint64_t column = 0;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(kind, type_name, message, file, line, column);
  }
};

Description describe(const std::exception_ptr& error) {
  Description d;
  try {
    std::rethrow_exception(error);
  } catch (const RemoteError& e) {  // keeps the original type's name, not "mpp::RemoteError"
    d.kind = Kind::remote_error;
    d.type_name = e.type_name();
    d.message = e.message();
  } catch (const ParseError& e) {
    d.kind = Kind::parse_error;
    d.type_name = "mpp::ParseError";
    d.message = e.what();
    d.file = e.file();
    d.line = e.line();
    d.column = e.column();
  } catch (const std::exception& e) {
    d.kind = kind_of(typeid(e));
    d.type_name = type_name(typeid(e));
    const char* what = e.what();  // a user type may return a null pointer
    d.message = what != nullptr ? what : "";
  } catch (...) {
    d.type_name = current_exception_type_name();
    d.message = thrown_value(error);
  }
  return d;
}

template <class E>
std::exception_ptr make(const std::string& message) {
  return std::make_exception_ptr(E(message));
}

std::exception_ptr rebuild(const Description& d) {
  switch (d.kind) {
    case Kind::runtime_error:
      return make<std::runtime_error>(d.message);
    case Kind::logic_error:
      return make<std::logic_error>(d.message);
    case Kind::invalid_argument:
      return make<std::invalid_argument>(d.message);
    case Kind::out_of_range:
      return make<std::out_of_range>(d.message);
    case Kind::domain_error:
      return make<std::domain_error>(d.message);
    case Kind::length_error:
      return make<std::length_error>(d.message);
    case Kind::overflow_error:
      return make<std::overflow_error>(d.message);
    case Kind::range_error:
      return make<std::range_error>(d.message);
    case Kind::underflow_error:
      return make<std::underflow_error>(d.message);
    case Kind::bad_alloc:
      return std::make_exception_ptr(std::bad_alloc());
    case Kind::mpp_error:
      return make<Error>(d.message);
    case Kind::pool_not_running:
      return make<PoolNotRunning>(d.message);
    case Kind::pool_running:
      return make<PoolRunning>(d.message);
    case Kind::task_cancelled:
      return make<TaskCancelled>(d.message);
    case Kind::timeout_error:
      return make<TimeoutError>(d.message);
    case Kind::worker_lost:
      return make<WorkerLost>(d.message);
    case Kind::serialization_error:
      return make<SerializationError>(d.message);
    case Kind::lock_owner_died:
      return make<LockOwnerDied>(d.message);
    case Kind::broken_barrier_error:
      return make<BrokenBarrierError>(d.message);
    case Kind::eof_error:
      return make<EOFError>(d.message);
    case Kind::parse_error: {
      // what() already carries "file:line:col: "; rebuild without doubling it.
      std::string message = d.message;
      const std::string prefix = ParseError("", d.file, d.line, d.column).what();
      if (message.starts_with(prefix)) message.erase(0, prefix.size());
      return std::make_exception_ptr(ParseError(message, d.file, d.line, d.column));
    }
    case Kind::remote_error:
    case Kind::other:
      return std::make_exception_ptr(RemoteError(d.type_name, d.message));
  }
  return std::make_exception_ptr(RemoteError(d.type_name, d.message));
}

}  // namespace

void encode_exception(ByteBuffer& out, const std::exception_ptr& error) { encode(out, describe(error)); }

void encode_exception_name_only(ByteBuffer& out, const std::exception_ptr& error, const char* why) {
  Description d;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    d.type_name = type_name(typeid(e));
  } catch (...) {
    d.type_name = current_exception_type_name();
  }
  d.message = why;
  encode(out, d);
}

bool encode_task_exception(ByteBuffer& out, const std::exception_ptr& error, const char* why) noexcept {
  try {
    out.clear();
    encode_exception(out, error);
    return true;
  } catch (...) {
  }
  try {
    out.clear();
    encode_exception_name_only(out, error, why);
    return true;
  } catch (...) {
    return false;
  }
}

std::exception_ptr decode_exception(std::span<const std::byte> bytes) noexcept {
  try {
    const auto d = decode_all<Description>(bytes);
    if (static_cast<std::uint8_t>(d.kind) > static_cast<std::uint8_t>(Kind::last)) {
      throw_serialization("corrupt exception kind");
    }
    return rebuild(d);
  } catch (...) {
    return std::current_exception();
  }
}

}  // namespace mpp::detail
