// Copyright sessionstore authors.
//
// libFuzzer target for every decoder of bytes sessionstore may read back or
// receive: key parsers, locators, cursors, FlatBuffers trace records and
// session deltas, and the JSON Lines parser. Decoders must reject bad input
// without crashing or reading out of bounds, and what decodes must re-encode
// to something that decodes to the same value.
//
//   cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DSESSIONSTORE_BUILD_FUZZERS=ON
//   cmake --build build-fuzz --target codec_fuzz && build-fuzz/tests/codec_fuzz -max_total_time=60

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "engine/aggregate/session_delta.h"
#include "engine/aggregate/session_index_state.h"
#include "engine/format/keys.h"
#include "engine/format/trace_codec.h"
#include "sessionstore/json.h"

namespace ss = sessionstore;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  ss::ParsedTraceKey k;
  if (ss::ParseTraceKey(in, &k)) {
    if (ss::TraceKey(k.hash, k.session_id, k.start_ns, k.trace_id) != in) std::abort();
  }
  uint64_t seq = 0;

  if (ss::ParseDirtyKey(in, &seq) && ss::DirtyKey(seq) != in) std::abort();
  std::vector<std::pair<std::string_view, ss::SessionIndexState>> listed;
  if (ss::DecodeDirtyMarker(in, &listed)) {
    std::vector<ss::DirtySession> copies;
    for (const auto& [p, state] : listed) copies.emplace_back(std::string(p), state);
    if (ss::EncodeDirtyMarker(copies) != in) std::abort();
  }
  ss::SessionIndexState state;
  if (ss::DecodeIndexState(in, &state) && ss::EncodeIndexState(state) != in) std::abort();
  int64_t start = 0;
  std::string_view session;
  if (ss::DecodeLocator(in, &start, &session)) {
    if (ss::EncodeLocator(start, session) != in) std::abort();
  }
  std::string payload;
  (void)ss::DecodeCursor(in, &payload);

  ss::Trace trace;
  uint64_t version = 0;
  if (ss::DecodeTrace(in, &trace, &version)) {
    ss::Trace again;
    uint64_t v2 = 0;
    if (!ss::DecodeTrace(ss::EncodeTrace(trace, version), &again, &v2) || !(again == trace)) {
      std::abort();
    }
  }
  ss::SessionDelta delta;
  if (ss::SessionDelta::Decode(in, &delta)) {
    ss::SessionDelta again;
    if (!ss::SessionDelta::Decode(delta.Encode(), &again)) std::abort();
  }
  if (ss::ParseTraceJson(in, &trace).ok()) {
    std::string json;
    ss::AppendTraceJson(trace, &json);
    ss::Trace again;
    if (!ss::ParseTraceJson(json, &again).ok()) std::abort();
  }
  return 0;
}
