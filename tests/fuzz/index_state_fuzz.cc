// Copyright sessionstore authors.
//
// libFuzzer target: the session index values read back by the indexer and
// by listings: a session's index state ('X'), a dirty marker's list of
// index deltas, and an index entry (engine/aggregate/session_index_state.h,
// engine/format/keys.h). Each decoder must reject bad bytes without
// crashing, and what decodes must re-encode to the same bytes (one
// encoding per value).

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/aggregate/session_index_state.h"
#include "engine/format/keys.h"

namespace ss = sessionstore;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  ss::SessionIndexState state;
  if (ss::DecodeIndexState(in, &state)) {
    if (ss::EncodeIndexState(state) != in) std::abort();
    if (state.Exact()) {
      const ss::SessionIndexEntry e = state.Entry();
      for (char order : ss::kSessionOrders) (void)ss::OrderMetric(order, e);
    }
  }
  std::vector<std::pair<std::string_view, ss::SessionIndexState>> listed;
  if (ss::DecodeDirtyMarker(in, &listed)) {
    std::vector<ss::DirtySession> copies;
    for (const auto& [prefix, delta] : listed) copies.emplace_back(std::string(prefix), delta);
    if (ss::EncodeDirtyMarker(copies) != in) std::abort();
  }
  return 0;
}
