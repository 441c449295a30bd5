// Copyright sessionstore authors.
//
// SessionReader: a session's summary from its stored aggregate and the
// deltas not yet folded into it (SessionIndexer::PendingFor), with the
// latest-trace fields (last activity, last output, user, name) taken from
// the aggregate's latest registers or, where a retraction left a register
// unsure, from the session's stored traces. It also serves the session
// indexer the exact index state of sessions whose folded state is unsure
// (IndexRowSource).
//
// Thread safety: every method may be called concurrently.

#ifndef SESSIONSTORE_ENGINE_SESSION_READER_H_
#define SESSIONSTORE_ENGINE_SESSION_READER_H_

#include <rocksdb/db.h>

#include <string>
#include <string_view>
#include <vector>

#include "engine/aggregate/latest_register.h"
#include "engine/aggregate/session_delta.h"
#include "engine/session_indexer.h"
#include "engine/store_context.h"
#include "sessionstore/session.h"
#include "sessionstore/status.h"

namespace sessionstore {

class SessionReader final : public IndexRowSource {
 public:
  // `context` must outlive the reader.
  explicit SessionReader(const StoreContext* context) : ctx_(context) {}

  // The session's summary: its stored aggregate as of `snapshot` (null:
  // latest) followed by `pending`, the deltas SessionIndexer::PendingFor
  // gave for it with that snapshot. If `last_trace_id` is given, sets it to
  // the id of the session's latest trace. NotFound for an empty id or a
  // session without traces; Corruption naming the session when a stored
  // value fails verification. Uses the thread's OperandParts
  // (engine/util/operand_parts.h): nothing it calls may call Read again.
  Status Read(const rocksdb::Snapshot* snapshot, std::string_view session_id,
              const std::vector<SessionDelta>& pending, SessionSummary* summary,
              std::string* last_trace_id = nullptr) const;

  // Read for several sessions at once, as of `snapshot`: their stored
  // aggregates in one MultiGet (a page of a listing reads each block once,
  // and those not cached in one batch), each then followed by pending[i].
  // Sets *summaries[i] and (*statuses)[i] to what Read would give for
  // session_ids[i] (without the latest trace's id), with one difference
  // in a store upgraded from format 6 or earlier whose aggregate is still
  // merge operands: RocksDB folds those (SessionMergeOperator), so a
  // malformed operand is a Corruption with RocksDB's message rather than
  // Read's. The three vectors are parallel; the summaries are the
  // caller's.
  void ReadMany(const rocksdb::Snapshot* snapshot, const std::vector<std::string_view>& session_ids,
                const std::vector<std::vector<SessionDelta>>& pending,
                const std::vector<SessionSummary*>& summaries, std::vector<Status>* statuses) const;

  // IndexRowSource: each session's index state (sorted, distinct prefixes)
  // as of `snapshot`, from one MultiGet of stored aggregates, with exact
  // registers (from the stored traces where the aggregate's are unsure).
  void ReadIndexRows(const rocksdb::Snapshot* snapshot,
                     const std::vector<std::string_view>& session_prefixes,
                     std::vector<IndexRow>* rows) const override;
  // IndexRowSource: the row of `aggregate`, its unsure registers read from
  // the session's stored traces as of `snapshot`.
  void ExactRow(const rocksdb::Snapshot* snapshot, std::string_view prefix,
                const SessionDelta& aggregate, IndexRow* row) const override;
  // IndexRowSource: the added traces' contributions, read from the store
  // as it is now (ReadAddedTraceDeltas).
  Status ReadAddedTraces(const std::vector<AddedTrace>& traces,
                         std::vector<SessionDelta>* deltas) const override {
    return ReadAddedTraceDeltas(*ctx_, traces, deltas);
  }

 private:
  // Read's second half where RocksDB folded the value (a plain Get, or a
  // single part): builds the summary from the read's status `rs` and
  // `value` of the session at `prefix`, both as of ro.snapshot.
  Status FromValue(const rocksdb::ReadOptions& ro, const std::string& prefix,
                   std::string_view session_id, const rocksdb::Status& rs, std::string_view value,
                   SessionSummary* summary, std::string* last_trace_id) const;
  // Read's second half where the aggregate is folded here: the stored
  // values (`stored`: the one value, or an old store's merge operands, in
  // order; none when `rs` is NotFound) followed by `pending`.
  Status FromFold(const rocksdb::ReadOptions& ro, const std::string& prefix,
                  std::string_view session_id, const rocksdb::Status& rs,
                  const std::vector<std::string_view>& stored,
                  const std::vector<SessionDelta>& pending, SessionSummary* summary,
                  std::string* last_trace_id) const;
  // FromValue's second half, from the decoded (or folded) aggregate.
  Status FromAggregate(const rocksdb::ReadOptions& ro, const std::string& prefix,
                       std::string_view session_id, SessionDelta agg, SessionSummary* summary,
                       std::string* last_trace_id) const;
  // Fills the requested latest-trace fields from the stored traces: `last`
  // (last_trace_at, last_output), `user`, `name`; with `user` and a
  // `user_register`, also the latest user's trace as an exact register
  // (empty when no trace has a user), and likewise the name's with `name`
  // and a `name_register`. A scan of the session's traces from the newest
  // until each requested field is found.
  Status ReadLatestFields(const rocksdb::ReadOptions& ro, const std::string& prefix, bool last,
                          bool user, bool name, SessionSummary* summary, std::string* last_trace_id,
                          LatestRegister* user_register = nullptr,
                          LatestRegister* name_register = nullptr) const;
  // ReadLatestFields' `last`: the newest trace of the session.
  Status ReadLatestTrace(const rocksdb::ReadOptions& ro, const std::string& prefix,
                         SessionSummary* summary, std::string* last_trace_id) const;

  const StoreContext* const ctx_;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_SESSION_READER_H_
