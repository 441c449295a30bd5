// Copyright sessionstore authors.
//
// Free functions of the session model (api/sessionstore/session.h).

#include "sessionstore/session.h"

#include "engine/aggregate/session_delta.h"

namespace sessionstore {

Payload MakePreview(const Payload& payload) {
  const std::size_t cut = PreviewLength(payload.value);
  if (cut == payload.value.size()) return payload;
  return Payload{payload.value.substr(0, cut), false};
}

}  // namespace sessionstore
