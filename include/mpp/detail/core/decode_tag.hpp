// The tag of a constructor that makes an empty shell for the codec to fill, for types whose default
// constructor does real work (an mpp::Lock's makes a new lock; a decoded one attaches to a sent one).
#pragma once

namespace mpp::detail {

struct DecodeTag {};

}  // namespace mpp::detail
