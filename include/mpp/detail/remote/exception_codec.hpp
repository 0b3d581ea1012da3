// Exceptions as data: what a worker process or rank threw, rebuilt in the caller.
#pragma once

#include <exception>
#include <span>
#include <string>
#include <typeinfo>

#include "mpp/detail/core/demangle.hpp"
#include "mpp/detail/remote/codec.hpp"

namespace mpp::detail {

/// Encodes an exception: the standard types and mpp's own by kind (rebuilt as the same type with
/// the same what()), any other type by its name and message (rebuilt as mpp::RemoteError).
void encode_exception(ByteBuffer& out, const std::exception_ptr& error);

/// A smaller description for when the full one cannot be made (no memory for a huge message): the
/// type's name and `why`, rebuilt as mpp::RemoteError.
void encode_exception_name_only(ByteBuffer& out, const std::exception_ptr& error, const char* why);

/// What a worker sends for a task's exception, in `out` (cleared first): encode_exception's
/// description, or, when that runs out of memory (a huge message), encode_exception_name_only's
/// with `why`. False when not even that fits.
bool encode_task_exception(ByteBuffer& out, const std::exception_ptr& error, const char* why) noexcept;

/// The exception that encode_exception described; a corrupt description gives SerializationError.
std::exception_ptr decode_exception(std::span<const std::byte> bytes) noexcept;

}  // namespace mpp::detail
