// Copyright sessionstore authors.
//
// The value of a dirty marker ('D' seq in the `dirty` family): what one
// ingest batch changed in each session, so that a process that finds the
// marker after a crash can rebuild the session deltas the batch's writer
// held in memory (docs/format.md, "Session indexes"). Since store format 8
// a marker names the traces a batch added to a session (their keys: the
// recovery reads them) and carries a delta only for traces the session
// already counted (an update needs what the old version contributed, which
// its new record no longer tells). Format 7's markers carried every
// session's whole delta; they are read only by the upgrade.

#ifndef SESSIONSTORE_ENGINE_FORMAT_DIRTY_MARKER_H_
#define SESSIONSTORE_ENGINE_FORMAT_DIRTY_MARKER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/aggregate/session_index_state.h"

namespace sessionstore {

// One session's part of a format-8 marker.
struct MarkedSession {
  // A trace the batch added to the session (it was not counted in the
  // session before): the key of its record, less the session prefix.
  struct Added {
    int64_t start_ns = 0;
    std::string trace_id;
    bool operator==(const Added&) const = default;
  };
  // A trace the session already counted, changed by the batch: its id and
  // its delta (SessionDelta::Encode(): new contribution less old, with the
  // registers' offers and retractions). An empty id stands for a delta of
  // several traces (a format-7 marker rewritten by the upgrade).
  struct Changed {
    std::string trace_id;
    std::string delta;
    bool operator==(const Changed&) const = default;
  };

  std::string prefix;  // session_prefix (engine/format/keys.h).
  std::vector<Added> added;
  std::vector<Changed> changed;

  bool operator==(const MarkedSession&) const = default;
};

// Encodes a format-8 marker: the sessions in ascending prefix order, each
// with at least one added or changed trace (REQUIRES both).
std::string EncodeDirtyMarker(const std::vector<MarkedSession>& sessions);
// Decodes a format-8 marker into *sessions (cleared). Fails on an empty or
// malformed value, sessions out of order or without a trace, a malformed
// trace id or time, or a delta that does not verify (SessionDelta::Decode).
bool DecodeDirtyMarker(std::string_view in, std::vector<MarkedSession>* sessions);

// One session of a format-7 marker: its prefix and its whole delta,
// encoded (SessionDelta::Encode).
struct Version7DirtySession {
  std::string prefix;
  std::string delta;

  bool operator==(const Version7DirtySession&) const = default;
};

// Format 7's marker: each session's prefix and its whole delta. Decode
// verifies every delta; it fails on an empty or malformed list. Encode
// exists for tests and the fuzz target (stores of format 7 are upgraded).
std::string EncodeVersion7DirtyMarker(const std::vector<Version7DirtySession>& sessions);
bool DecodeVersion7DirtyMarker(std::string_view in, std::vector<Version7DirtySession>* sessions);

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_FORMAT_DIRTY_MARKER_H_
