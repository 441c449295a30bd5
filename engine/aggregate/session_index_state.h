// Copyright sessionstore authors.
//
// SessionIndexState: the part of a session's aggregate that the session
// indexes sort and filter by (trace count, error count, cost, total tokens,
// first start, latest end, latest trace, latest user id and session name,
// the tags' and models' counters), in a form that composes like
// the aggregate itself: the projection of a sum of deltas is the sum of
// their projections (Of is a homomorphism). The SessionIndexer's catch-up
// takes each changed session's state from its folded aggregate
// (SessionFold::IndexState) and stores it as the session's 'X' state; only
// when a latest register became unsure (a trace's start moved earlier; see
// LatestRegister) does it compose the stored state with the deltas'
// projections, or read the stored traces.
//
// Composition (Add) is associative; it is commutative except for the latest
// registers, which LatestRegister composes in write order. The counters are
// signed sums (tags and models per key, dropping entries that reach zero,
// as the aggregate does), first_ns a minimum, max_end_ns a maximum.
//
// Value type without synchronization. Byte layout: docs/format.md
// ("index_state"). DO NOT CHANGE the encoding: stored on disk.

#ifndef SESSIONSTORE_ENGINE_AGGREGATE_SESSION_INDEX_STATE_H_
#define SESSIONSTORE_ENGINE_AGGREGATE_SESSION_INDEX_STATE_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/aggregate/session_delta.h"
#include "engine/format/keys.h"

namespace sessionstore {

struct SessionIndexState {
  int64_t trace_count = 0;
  int64_t error_count = 0;
  int64_t cost_nano_usd = 0;
  int64_t total_tokens = 0;
  bool has_first = false;
  int64_t first_ns = 0;
  bool has_max_end = false;
  int64_t max_end_ns = 0;
  LatestRegister last;       // Keys only: the value is not kept.
  LatestRegister last_user;  // Value: the user id (text).
  LatestRegister last_name;  // Value: the session name (text).
  // As SessionDelta's: no zero (all-zero) entries.
  std::map<std::string, int64_t> tags;
  std::map<std::string, ModelUsage> models;

  // The projection of a session's merge operand (or aggregate).
  static SessionIndexState Of(const SessionDelta& delta);
  // As above, moving the maps and registers' values out of `delta` (its
  // counters and first-trace fields stay valid; the moved fields are left
  // valid but unspecified).
  static SessionIndexState Of(SessionDelta&& delta);

  // this = this, then `later`.
  void Add(const SessionIndexState& later);
  // True when both latest registers are exact, so Entry() and user_id()
  // are the session's values.
  bool Exact() const { return last.Exact() && last_user.Exact() && last_name.Exact(); }
  // The session has at least one trace.
  bool Exists() const { return trace_count > 0; }
  // What the indexes hold. REQUIRES: Exact().
  SessionIndexEntry Entry() const;
  const std::string& user_id() const { return last_user.value.value; }
  const std::string& session_name() const { return last_name.value.value; }

  bool operator==(const SessionIndexState&) const = default;
};

// The 'X' value of a session: its SessionIndexState. Decode also reads
// format 2 (store format 5), whose states lack the error count, the name
// register, tags and models (they decode empty: the upgrade to store format
// 6 rewrites every state from the aggregates).
std::string EncodeIndexState(const SessionIndexState& s);
bool DecodeIndexState(std::string_view in, SessionIndexState* s);

// One changed session of an ingest batch: its key prefix and what the
// batch adds to its aggregate, kept in memory as a SessionDelta (never
// encoded on its way: the catch-up folds it, SessionFold::AddDelta, and a
// hold absorbs it in place, SessionDelta::Absorb). The indexes take the
// session's state from the folded aggregate (SessionIndexState::Of).
struct DirtySession {
  std::string prefix;
  SessionDelta delta;
  // delta.ApproximateBytes() as the batch became pending (SessionIndexer
  // sets it then, outside its lock, and again when a recovery or a failed
  // round puts batches back, and sums it under the lock); 0 before that,
  // and not kept up to date for deltas held or retried.
  std::size_t approximate_bytes = 0;

  // The prefix and the delta (not the cached size).
  bool operator==(const DirtySession& o) const { return prefix == o.prefix && delta == o.delta; }
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_AGGREGATE_SESSION_INDEX_STATE_H_
