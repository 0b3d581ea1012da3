// mpp::Pipe and mpp::Connection: Python's multiprocessing.Pipe, between processes, whatever started
// them. (mpp::JoinableQueue, which Python's docs list beside them, is declared in queue.hpp, and
// this header includes it.)
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>
#include <vector>

#include "mpp/detail/core/decode_tag.hpp"
#include "mpp/detail/core/wait.hpp"
#include "mpp/detail/process/connection_core.hpp"
#include "mpp/detail/remote/codec.hpp"
#include "mpp/queue.hpp"

namespace mpp {

/// One end of a Pipe. send() any value ProcessPool can send, recv<T>() it at the other end
/// (asking for another type than was sent is mpp::SerializationError); poll() waits for something
/// to receive. A handle: copies share the end. It reaches a child as a captured copy (fork) or as
/// an argument of an mpp::Process or a ProcessPool task under every start method (it crosses as
/// the names of its shared memory).
///
/// Who holds a handle: an mpp::Process child holds the handles it is started with from the moment
/// start() returns until it lets them go or ends, under every start method, as a Python child
/// holds the descriptors it inherits; a child started by fork holds every handle its parent had.
/// So the parent may close its own copy right after start(), as in Python. A handle sent any
/// other way (through a Queue, a Pipe, as a pool task's argument) is held by its sender until a
/// receiver decodes it.
///
/// EOF: recv throws mpp::EOFError once everything sent has been received and no handle of the
/// other end is left: each was closed or destroyed, or its process ended (killed or not), as with
/// an OS pipe; a reader notices a dead writer within 50 ms. send throws std::system_error (EPIPE)
/// when every handle of the other end was closed or destroyed. send never waits for a reader: what
/// is not received yet is buffered, and the buffer grows.
///
/// Thread-safe: the threads of a process may share an end (each message goes to one recv).
class Connection {
 public:
  explicit Connection(detail::DecodeTag) noexcept {}
  explicit Connection(std::shared_ptr<detail::ConnectionCore> core) noexcept : core_(std::move(core)) {}

  /// Sends a copy of `value`.
  template <class T>
  void send(const T& value) {
    static_assert(detail::Codable<T>, "mpp::Connection::send: T must be a type ProcessPool can send");
    detail::ByteBuffer bytes;
    detail::encode(bytes, value);
    core().send(tag_of<T>(), bytes);
  }
  /// Receives the next value, waiting for one; mpp::EOFError when none can come.
  template <class T>
  T recv() {
    detail::ByteBuffer message;
    receive(message, tag_of<T>(), typeid(T), detail::k_no_deadline);  // EOFError or a message
    return detail::decode_all<T>(payload(message));
  }
  /// As recv(), for at most `timeout`; empty when nothing came in time.
  template <class T, class Rep, class Period>
  std::optional<T> recv(std::chrono::duration<Rep, Period> timeout) {
    return recv_until<T>(detail::deadline_after(timeout));
  }
  /// Raw bytes (Python's send_bytes and recv_bytes).
  void send_bytes(std::span<const std::byte> bytes);
  std::vector<std::byte> recv_bytes();

  /// Whether there is something to receive (or EOF: recv would not wait), now.
  bool poll() { return poll_until(detail::Clock::now()); }
  /// As poll(), waiting at most `timeout` (Python's poll(timeout)).
  template <class Rep, class Period>
  bool poll(std::chrono::duration<Rep, Period> timeout) {
    return poll_until(detail::deadline_after(timeout));
  }
  /// Closes this process's handles of this end (this one and its copies); using them afterwards is
  /// std::logic_error. Done by the last handle's destructor too.
  void close();
  [[nodiscard]] bool closed() const noexcept;
  [[nodiscard]] bool readable() const noexcept;
  [[nodiscard]] bool writable() const noexcept;

  template <class Archive>
  void save(Archive& archive) const {
    archive(core().ends(), core().end(), core().in_name(), core().out_name(), core().send_off());
  }
  template <class Archive>
  void load(Archive& archive) {
    detail::PipeEnds ends{detail::DecodeTag{}};
    int end = 0;
    std::string in;
    std::string out;
    std::uint64_t token = 0;
    archive(ends, end, in, out, token);
    attach(std::move(ends), end, in, out, token);
  }

 private:
  static constexpr std::uint64_t k_bytes_tag = 1;

  // The type's identity on the wire: a hash of its mangled name, the same in every process of one
  // program (and of programs built alike).
  template <class T>
  static std::uint64_t tag_of() noexcept {
    std::uint64_t hash = 1469598103934665603ULL;  // FNV-1a
    for (const char* c = typeid(T).name(); *c != '\0'; ++c) {
      hash = (hash ^ static_cast<unsigned char>(*c)) * 1099511628211ULL;
    }
    return hash == k_bytes_tag ? hash + 1 : hash;
  }

  template <class T>
  std::optional<T> recv_until(detail::Deadline deadline) {
    detail::ByteBuffer message;
    if (!receive(message, tag_of<T>(), typeid(T), deadline)) return std::nullopt;
    return detail::decode_all_optional<T>(payload(message));
  }
  // The next message into `message`, its type tag checked; false when the deadline passed first.
  bool receive(detail::ByteBuffer& message, std::uint64_t tag, const std::type_info& type,
               detail::Deadline deadline) {
    if (!core().recv(message, deadline)) return false;
    check_tag(message, tag, type);
    return true;
  }
  static std::span<const std::byte> payload(const detail::ByteBuffer& message) noexcept {
    return std::span<const std::byte>(message).subspan(sizeof(std::uint64_t));
  }
  static void check_tag(const detail::ByteBuffer& message, std::uint64_t tag, const std::type_info& type);
  bool poll_until(detail::Deadline deadline);
  detail::ConnectionCore& core() const;
  void attach(detail::PipeEnds ends, int end, const std::string& in, const std::string& out,
              std::uint64_t token);

  std::shared_ptr<detail::ConnectionCore> core_;
};

/// A pair of connected ends (Python's multiprocessing.Pipe). Duplex: each end sends and receives.
/// Not duplex: the first only receives, the second only sends (the other use is std::logic_error).
std::pair<Connection, Connection> Pipe(bool duplex = true);

}  // namespace mpp
