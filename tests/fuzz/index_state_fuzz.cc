// Copyright sessionstore authors.
//
// libFuzzer target: the session index values read back by the indexer and
// by listings: a session's index state ('X'), a dirty marker (format 8's
// added traces and changed deltas; format 7's deltas, read by the upgrade),
// and an index entry (engine/aggregate/session_index_state.h,
// engine/format/dirty_marker.h, engine/format/keys.h). Each decoder must reject bad bytes without
// crashing, and what decodes must re-encode to the same bytes (one
// encoding per value); a legacy format-2 state (store format 5) re-encodes
// as the current format, which must decode to the same state.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/aggregate/session_delta.h"
#include "engine/aggregate/session_index_state.h"
#include "engine/format/dirty_marker.h"
#include "engine/format/keys.h"
#include "engine/format/round_record.h"

namespace ss = sessionstore;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  ss::SessionIndexState state;
  if (ss::DecodeIndexState(in, &state)) {
    const std::string again = ss::EncodeIndexState(state);
    ss::SessionIndexState back;
    if (in[0] == 2) {
      if (!ss::DecodeIndexState(again, &back) || !(back == state)) std::abort();
    } else if (again != in) {
      std::abort();
    }
    if (state.Exact()) {
      const ss::SessionIndexEntry e = state.Entry();
      for (char order : ss::kSessionOrders) (void)ss::OrderMetric(order, e);
    }
  }
  std::vector<ss::MarkedSession> marked;
  if (ss::DecodeDirtyMarker(in, &marked)) {
    // What decodes re-encodes to a marker of the same sessions, traces and
    // deltas, and each delta decodes.
    // The encoding is canonical (minimal varints, sorted sessions).
    if (ss::EncodeDirtyMarker(marked) != in) std::abort();
    for (const ss::MarkedSession& m : marked) {
      if (m.added.empty() && m.changed.empty()) std::abort();
      for (const ss::MarkedSession::Changed& c : m.changed) {
        ss::SessionDelta delta;
        if (!ss::SessionDelta::Decode(c.delta, &delta)) std::abort();
      }
    }
  }
  ss::RoundRecord round;
  if (ss::DecodeRoundRecord(in, &round)) {
    // Canonical: what decodes re-encodes to the same bytes, its sequences
    // strictly ascending.
    std::string again;
    ss::EncodeRoundRecord(round.seqs, round.written_below, &again);
    if (again != in || round.seqs.empty()) std::abort();
    for (std::size_t i = 1; i < round.seqs.size(); ++i) {
      if (round.seqs[i] <= round.seqs[i - 1]) std::abort();
    }
  }
  std::vector<ss::Version7DirtySession> listed;
  if (ss::DecodeVersion7DirtyMarker(in, &listed)) {
    // Format 7's markers (read by the upgrade): the same properties.
    const std::string again = ss::EncodeVersion7DirtyMarker(listed);
    std::vector<ss::Version7DirtySession> back;
    if (again != in && (!ss::DecodeVersion7DirtyMarker(again, &back) || back != listed)) {
      std::abort();
    }
    for (const ss::Version7DirtySession& d : listed) {
      ss::SessionDelta delta;
      if (!ss::SessionDelta::Decode(d.delta, &delta)) std::abort();
    }
    // The upgrade's rewrite of such a marker (sorted, equal sessions
    // merged) is a marker of format 8.
    std::stable_sort(listed.begin(), listed.end(),
                     [](const ss::Version7DirtySession& a, const ss::Version7DirtySession& b) {
                       return a.prefix < b.prefix;
                     });
    std::vector<ss::MarkedSession> rewritten;
    for (const ss::Version7DirtySession& d : listed) {
      if (rewritten.empty() || rewritten.back().prefix != d.prefix) {
        rewritten.emplace_back();
        rewritten.back().prefix = d.prefix;
      }
      rewritten.back().changed.push_back({std::string(), d.delta});
    }
    if (!ss::DecodeDirtyMarker(ss::EncodeDirtyMarker(rewritten), &marked)) std::abort();
  }
  return 0;
}
