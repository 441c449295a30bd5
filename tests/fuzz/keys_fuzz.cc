// Copyright sessionstore authors.
//
// libFuzzer target: the key grammar and small values (engine/format/keys.h)
// and the opaque cursors users hand back (engine/util/coding.h). Parsers
// must reject bad bytes without crashing or reading past the end, and what
// parses must re-encode to the same bytes.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/format/keys.h"
#include "engine/util/coding.h"

namespace ss = sessionstore;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  ss::ParsedTraceKey k;
  if (ss::ParseTraceKey(in, &k) &&
      ss::TraceKey(k.hash, k.session_id, k.start_ns, k.trace_id) != in) {
    std::abort();
  }
  uint64_t seq = 0;
  if (ss::ParseDirtyKey(in, &seq) && ss::DirtyKey(seq) != in) std::abort();
  if (ss::ParseRoundKey(in, &seq) && ss::RoundKey(seq) != in) std::abort();
  int64_t start = 0;
  std::string_view session;
  if (ss::DecodeLocator(in, &start, &session) && ss::EncodeLocator(start, session) != in) {
    std::abort();
  }
  std::string_view rest = in;
  uint64_t hash = 0;
  if (ss::GetSessionPrefix(&rest, &hash, &session)) {
    std::string again;
    ss::PutSessionPrefix(&again, hash, session);
    if (again != in.substr(0, in.size() - rest.size())) std::abort();
  }
  std::string payload;
  if (ss::DecodeCursor(in, &payload) && ss::EncodeCursor(payload) != in) std::abort();
  return 0;
}
