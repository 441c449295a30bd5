// Copyright sessionstore authors.

#include "engine/store_deleter.h"

#include <rocksdb/write_batch.h>

#include <set>
#include <utility>
#include <vector>

#include "engine/aggregate/session_delta.h"
#include "engine/aggregate/session_index_state.h"
#include "engine/format/keys.h"
#include "engine/format/trace_codec.h"
#include "engine/range_scan.h"
#include "engine/util/coding.h"
#include "engine/util/rocks_status.h"

namespace sessionstore {

namespace {

// What a session keeps after a trim: its traces from `from` on.
struct Remaining {
  int64_t traces = 0;
  SessionDelta aggregate;
};

std::string SessionName(std::string_view prefix) {
  uint64_t hash = 0;
  std::string_view id;
  return GetSessionPrefix(&prefix, &hash, &id) ? Printable(id) : "(malformed prefix)";
}

}  // namespace

Status StoreDeleter::Begin(std::unique_lock<std::shared_mutex>* gate) {
  *gate = writer_->BlockIngest();
  // Every acknowledged batch applied: no marker of a session is pending
  // while its index state is replaced (ingest is held off until the end).
  Status s = indexer_->CatchUp();
  if (s.ok()) s = indexer_->LoadTable();
  return s;
}

Status StoreDeleter::Trim(const std::string& prefix, int64_t before_ns, DeleteResult* result) {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::string cut = prefix;
  if (before_ns != kMaxTime) PutTime(&cut, before_ns);
  const std::string end = SessionTracesEnd(prefix);
  if (before_ns == kMaxTime) cut = end;
  rocksdb::WriteBatch wb;
  int64_t deleted = 0;
  {
    RangeScan doomed(ctx_->db, ctx_->cf.traces, ro, prefix, cut, /*forward=*/true);
    for (doomed.Start(); doomed.Valid(); doomed.Next()) {
      ParsedTraceKey k;
      if (!ParseTraceKey(doomed.key(), &k)) {
        return Status::Corruption("session " + SessionName(prefix) + ": malformed trace key");
      }
      rocksdb::Status rs = wb.Delete(ctx_->cf.trace_ids, k.trace_id);
      if (!rs.ok()) return FromRocks(rs, "batch trace id deletion");
      ++deleted;
    }
    if (!doomed.status().ok()) return FromRocks(doomed.status(), "scan traces to delete");
  }
  if (deleted == 0) return Status::OK();
  rocksdb::Status rs = wb.DeleteRange(ctx_->cf.traces, prefix, cut);
  Remaining keep;
  {
    RangeScan kept(ctx_->db, ctx_->cf.traces, ro, cut, end, /*forward=*/true);
    for (kept.Start(); kept.Valid(); kept.Next()) {
      Trace t;
      uint64_t version = 0;
      if (!DecodeTrace(kept.value(), &t, &version)) {
        return Status::Corruption("session " + SessionName(prefix) +
                                  ": a remaining trace record fails verification");
      }
      keep.aggregate.Add(SessionDelta::FromTrace(t, version));
      ++keep.traces;
    }
    if (!kept.status().ok()) return FromRocks(kept.status(), "scan remaining traces");
  }
  const bool has_session = prefix != ctx_->SessionPrefix("");
  std::vector<SessionTableChange> changes;
  if (rs.ok() && has_session && keep.traces == 0) {
    rs = wb.Delete(ctx_->cf.sessions, prefix);
    if (rs.ok()) rs = wb.Delete(ctx_->cf.index, StateKey(prefix));
    changes.push_back(TableChangeOf(prefix, SessionIndexState()));
  } else if (rs.ok() && has_session) {
    // A full value replaces the merge history of the aggregate.
    const SessionIndexState state = SessionIndexState::Of(keep.aggregate);
    rs = wb.Put(ctx_->cf.sessions, prefix, keep.aggregate.Encode());
    if (rs.ok()) rs = wb.Put(ctx_->cf.index, StateKey(prefix), EncodeIndexState(state));
    changes.push_back(TableChangeOf(prefix, state));
  }
  if (!rs.ok()) return FromRocks(rs, "batch session deletion");
  Status s = indexer_->WriteStates(&wb, changes);
  if (has_session) ctx_->summaries->Invalidate(prefix);
  if (!s.ok()) return s;
  result->traces_deleted += deleted;
  if (has_session) ++(keep.traces == 0 ? result->sessions_deleted : result->sessions_trimmed);
  return Status::OK();
}

Status StoreDeleter::DeleteLoneTrace(const std::string& key, std::string_view trace_id,
                                     DeleteResult* result) {
  rocksdb::WriteBatch wb;
  rocksdb::Status rs = wb.Delete(ctx_->cf.traces, key);
  if (rs.ok()) rs = wb.Delete(ctx_->cf.trace_ids, rocksdb::Slice(trace_id.data(), trace_id.size()));
  if (rs.ok()) rs = ctx_->db->Write(rocksdb::WriteOptions(), &wb);
  if (!rs.ok()) return FromRocks(rs, "delete trace " + Printable(trace_id));
  ++result->traces_deleted;
  return Status::OK();
}

Status StoreDeleter::DeleteSession(std::string_view session_id, DeleteResult* result) {
  *result = DeleteResult();
  if (session_id.empty()) return Status::InvalidArgument("session id: empty");
  std::unique_lock<std::shared_mutex> gate;
  Status s = Begin(&gate);
  if (s.ok()) s = Trim(ctx_->SessionPrefix(session_id), kMaxTime, result);
  writer_->ForgetSessions();
  return s;
}

Status StoreDeleter::DeleteTracesBefore(int64_t time_ns, DeleteResult* result) {
  *result = DeleteResult();
  std::unique_lock<std::shared_mutex> gate;
  Status s = Begin(&gate);
  if (!s.ok()) return s;
  // The sessions with a trace before the time: their first trace is.
  std::vector<std::string> prefixes;
  table_->ForEach([&](const SessionTableChange& row) {
    if (row.entry.first_ns < time_ns) prefixes.push_back(row.prefix);
  });
  prefixes.push_back(ctx_->SessionPrefix(""));  // Traces without a session.
  for (const std::string& prefix : prefixes) {
    s = Trim(prefix, time_ns, result);
    if (!s.ok()) break;
  }
  writer_->ForgetSessions();
  return s;
}

Status StoreDeleter::DeleteUser(std::string_view user_id, DeleteResult* result) {
  *result = DeleteResult();
  if (user_id.empty()) return Status::InvalidArgument("user id: empty");
  std::unique_lock<std::shared_mutex> gate;
  Status s = Begin(&gate);
  if (!s.ok()) return s;
  std::set<std::string> sessions;
  std::vector<std::pair<std::string, std::string>> lone;  // (key, trace id)
  {
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;
    RangeScan scan(ctx_->db, ctx_->cf.traces, ro, "", "", /*forward=*/true);
    for (scan.Start(); scan.Valid(); scan.Next()) {
      Trace t;
      uint64_t version = 0;
      if (!DecodeTrace(scan.value(), &t, &version)) {
        return Status::Corruption("a trace record fails verification during DeleteUser");
      }
      if (t.user_id != user_id) continue;
      if (t.session_id.empty()) {
        lone.emplace_back(std::string(scan.key()), t.trace_id);
      } else {
        sessions.insert(ctx_->SessionPrefix(t.session_id));
      }
    }
    if (!scan.status().ok()) return FromRocks(scan.status(), "scan traces");
  }
  for (const std::string& prefix : sessions) {
    s = Trim(prefix, kMaxTime, result);
    if (!s.ok()) break;
  }
  for (std::size_t i = 0; s.ok() && i < lone.size(); ++i) {
    s = DeleteLoneTrace(lone[i].first, lone[i].second, result);
  }
  writer_->ForgetSessions();
  return s;
}

}  // namespace sessionstore
