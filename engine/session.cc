// Copyright sessionstore authors.
//
// Free functions of the session model (api/sessionstore/session.h).

#include "sessionstore/session.h"

namespace sessionstore {

Payload MakePreview(const Payload& payload) {
  if (payload.value.size() <= kPreviewBytes) return payload;
  std::size_t cut = kPreviewBytes;
  // Step back over UTF-8 continuation bytes (10xxxxxx) so the cut never
  // splits a character.
  while (cut > 0 && (static_cast<unsigned char>(payload.value[cut]) & 0xC0) == 0x80) --cut;
  return Payload{payload.value.substr(0, cut), false};
}

}  // namespace sessionstore
