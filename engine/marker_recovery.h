// Copyright sessionstore authors.
//
// Marker recovery: rebuilds the session deltas of the dirty markers a
// process left (a crash before their catch-up, or a read-only open of a
// store another process writes) from what format-8 markers name. A marker
// names, per session, the traces its batch added to the session (their
// record keys) and carries the deltas of the traces the session already
// counted. An added trace contributes its stored record as it is now,
// SessionDelta::FromTrace: the changes of later batches to a trace that is
// not yet in the stored aggregate telescope into its current record, so
// their own deltas are skipped. Every other delta is taken as written.
// docs/format.md, "Session indexes", gives the argument for the latest
// registers (an added trace's offer is its current, live key).
//
// Thread safety: stateless functions; the reads are RocksDB's.

#ifndef SESSIONSTORE_ENGINE_MARKER_RECOVERY_H_
#define SESSIONSTORE_ENGINE_MARKER_RECOVERY_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string_view>
#include <vector>

#include "engine/aggregate/session_delta.h"
#include "engine/aggregate/session_index_state.h"
#include "engine/format/dirty_marker.h"
#include "engine/format/round_record.h"
#include "engine/store_context.h"
#include "sessionstore/status.h"

namespace sessionstore {

// One trace a marker names as added to the session at `prefix`.
struct AddedTrace {
  std::string_view prefix;
  const MarkedSession::Added* added = nullptr;  // Not owned.
};

// Reads the records of `traces` in one MultiGet (the latest state, no
// snapshot: a recovery runs before any write; RebuildMarkedDeltas hands
// it 1024 at a time) and sets (*deltas)[i] to the
// contribution of traces[i], SessionDelta::FromTrace(record, version). A
// trace whose record is not at its key (a later batch moved its start
// earlier) is found through its `trace_ids` locator. Corruption, naming the
// trace, when it is gone, malformed, or in another session.
Status ReadAddedTraceDeltas(const StoreContext& ctx, const std::vector<AddedTrace>& traces,
                            std::vector<SessionDelta>* deltas);

// Removes from `markers` every session entry a round record says its
// round applied already (RoundRecord::Covers: a chunked catch-up round
// that a crash or a failed write ended after some of its chunks), so that
// what is left is exactly what no stored aggregate holds. A marker may be
// left with no session: its batch is still deleted by the next catch-up.
void DropAppliedEntries(const std::vector<RoundRecord>& rounds,
                        std::map<uint64_t, std::vector<MarkedSession>>* markers);

// Where the added traces are read (ReadAddedTraceDeltas in a store; tests
// supply their own).
using AddedTraceReader =
    std::function<Status(const std::vector<AddedTrace>&, std::vector<SessionDelta>*)>;

// The session deltas of `markers` (sequence -> its sessions, as
// DecodeDirtyMarker gives them): (*batches)[seq] holds, for each session
// of the marker in the same (prefix) order, its delta. An added
// trace counts once, in the first marker that adds it; a changed trace's
// delta is skipped when a marker adds that trace to the session. So a
// rebuilt delta is not its batch's own: the rebuilt batches are exact
// only applied together (SessionIndexer applies them in one round). Reads
// the added traces 1024 at a time; holds their keys and one delta per
// marker and session.
Status RebuildMarkedDeltas(const AddedTraceReader& read,
                           const std::map<uint64_t, std::vector<MarkedSession>>& markers,
                           std::map<uint64_t, std::vector<DirtySession>>* batches);

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_MARKER_RECOVERY_H_
