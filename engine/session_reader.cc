// Copyright sessionstore authors.

#include "engine/session_reader.h"

#include <memory>
#include <utility>

#include "engine/aggregate/session_delta.h"
#include "engine/aggregate/session_fold.h"
#include "engine/aggregate/session_index_state.h"
#include "engine/format/keys.h"
#include "engine/format/trace_codec.h"
#include "engine/range_scan.h"
#include "engine/util/operand_parts.h"
#include "engine/util/rocks_status.h"

namespace sessionstore {

Status SessionReader::Read(const rocksdb::Snapshot* snapshot, std::string_view session_id,
                           const std::vector<SessionDelta>& pending, SessionSummary* summary,
                           std::string* last_trace_id) const {
  *summary = SessionSummary();
  if (session_id.empty()) return Status::NotFound("the empty session id names no session");
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  const std::string prefix = ctx_->SessionPrefix(session_id);
  // The stored value (and, in a store written by format 6 or earlier, its
  // merge operands), folded here with the pending deltas: the merge
  // operator's fold would encode the result only for this reader to decode
  // it again (measured: GetSession p50 15-25% faster right after ingest,
  // bench/README.md). More than 16 parts (only an old store's operand
  // chains) take a plain Get.
  OperandParts parts;
  rocksdb::GetMergeOperandsOptions opts;
  opts.expected_max_number_of_operands = static_cast<int>(OperandParts::kCount);
  int n = 0;
  rocksdb::Status rs =
      ctx_->db->GetMergeOperands(ro, ctx_->cf.sessions, prefix, parts.data(), &opts, &n);
  if (rs.ok() && n == 1 && pending.empty()) {
    return FromValue(ro, prefix, session_id, rs, parts[0].ToStringView(), summary, last_trace_id);
  }
  std::string value;
  if (rs.IsIncomplete()) {
    rs = ctx_->db->Get(ro, ctx_->cf.sessions, prefix, &value);
    n = 0;
  }
  std::vector<std::string_view> stored;
  if (n == 0 && rs.ok()) stored.push_back(value);
  for (int i = 0; i < n; ++i) stored.push_back(parts[i].ToStringView());
  return FromFold(ro, prefix, session_id, rs, stored, pending, summary, last_trace_id);
}

void SessionReader::ReadMany(const rocksdb::Snapshot* snapshot,
                             const std::vector<std::string_view>& session_ids,
                             const std::vector<std::vector<SessionDelta>>& pending,
                             const std::vector<SessionSummary*>& summaries,
                             std::vector<Status>* statuses) const {
  const std::size_t n = session_ids.size();
  statuses->assign(n, Status::OK());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  std::vector<std::string> prefixes(n);
  std::vector<rocksdb::Slice> keys;
  keys.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    prefixes[i] = ctx_->SessionPrefix(session_ids[i]);
    keys.emplace_back(prefixes[i]);
  }
  // One MultiGet: the aggregates' blocks are read once each, and those a
  // cold page needs from disk in one batch (RocksDB folds an old store's
  // merge operands itself).
  const BatchGet got(ctx_->db, ro, ctx_->cf.sessions, keys);
  for (std::size_t i = 0; i < n; ++i) {
    Status& s = (*statuses)[i];
    if (session_ids[i].empty()) {
      *summaries[i] = SessionSummary();
      s = Status::NotFound("the empty session id names no session");
    } else if (pending[i].empty()) {
      s = FromValue(ro, prefixes[i], session_ids[i], got.statuses[i], got.values[i].ToStringView(),
                    summaries[i], nullptr);
    } else {
      std::vector<std::string_view> stored;
      if (got.statuses[i].ok()) stored.push_back(got.values[i].ToStringView());
      s = FromFold(ro, prefixes[i], session_ids[i], got.statuses[i], stored, pending[i],
                   summaries[i], nullptr);
    }
  }
}

Status SessionReader::FromFold(const rocksdb::ReadOptions& ro, const std::string& prefix,
                               std::string_view session_id, const rocksdb::Status& rs,
                               const std::vector<std::string_view>& stored,
                               const std::vector<SessionDelta>& pending, SessionSummary* summary,
                               std::string* last_trace_id) const {
  *summary = SessionSummary();
  if (rs.IsNotFound() && pending.empty())
    return Status::NotFound("session " + Printable(session_id));
  if (!rs.ok() && !rs.IsNotFound()) return FromRocks(rs, "read session " + Printable(session_id));
  SessionFold fold;
  bool verified = true;
  for (std::size_t i = 0; verified && i < stored.size(); ++i) verified = fold.Add(stored[i]);
  if (verified) {
    for (const SessionDelta& d : pending) fold.AddDelta(d);
  }
  if (!verified) {
    return Status::Corruption("aggregate of session " + Printable(session_id) +
                              " fails verification");
  }
  SessionDelta agg;
  fold.Materialize(&agg);
  if (ctx_->merge_operator != nullptr) {
    ctx_->merge_operator->CountFolded(stored.size() + pending.size());
  }
  return FromAggregate(ro, prefix, session_id, std::move(agg), summary, last_trace_id);
}

Status SessionReader::FromValue(const rocksdb::ReadOptions& ro, const std::string& prefix,
                                std::string_view session_id, const rocksdb::Status& rs,
                                std::string_view value, SessionSummary* summary,
                                std::string* last_trace_id) const {
  *summary = SessionSummary();
  if (rs.IsNotFound()) return Status::NotFound("session " + Printable(session_id));
  if (!rs.ok()) return FromRocks(rs, "read session " + Printable(session_id));
  SessionDelta agg;
  if (!SessionDelta::Decode(value, &agg)) {
    return Status::Corruption("aggregate of session " + Printable(session_id) +
                              " fails verification");
  }
  return FromAggregate(ro, prefix, session_id, std::move(agg), summary, last_trace_id);
}

Status SessionReader::FromAggregate(const rocksdb::ReadOptions& ro, const std::string& prefix,
                                    std::string_view session_id, SessionDelta agg,
                                    SessionSummary* summary, std::string* last_trace_id) const {
  if (agg.trace_count <= 0) return Status::NotFound("session " + Printable(session_id));
  agg.MoveToSummary(summary);
  summary->session_id.assign(session_id);
  // The latest registers answer unless a retraction left them unsure.
  const bool last_known = agg.last.Exact() && agg.last.has_best;
  if (last_known) {
    summary->last_trace_at_ns = agg.last.start_ns;
    summary->last_output = std::move(agg.last.value);
    if (last_trace_id != nullptr) *last_trace_id = std::move(agg.last.trace_id);
  }
  const bool user_known = agg.last_user.Exact();
  if (user_known && agg.last_user.has_best) summary->user_id = std::move(agg.last_user.value.value);
  const bool name_known = agg.last_name.Exact();
  if (name_known && agg.last_name.has_best) {
    summary->session_name = std::move(agg.last_name.value.value);
  }
  if (last_known && user_known && name_known) return Status::OK();
  return ReadLatestFields(ro, prefix, !last_known, !user_known, !name_known, summary,
                          last_trace_id);
}

Status SessionReader::ReadLatestTrace(const rocksdb::ReadOptions& ro, const std::string& prefix,
                                      SessionSummary* summary, std::string* last_trace_id) const {
  RangeScan scan(ctx_->db, ctx_->cf.traces, ro, prefix, SessionTracesEnd(prefix),
                 /*forward=*/false);
  scan.Start();
  if (!scan.Valid()) {
    if (!scan.status().ok()) return FromRocks(scan.status(), "read latest trace");
    return Status::Corruption("session " + Printable(summary->session_id) +
                              " has an aggregate but no trace");
  }
  int64_t start = 0;
  if (!DecodeTraceOutput(scan.value(), &summary->last_output, &start)) {
    return Status::Corruption("latest trace of session " + Printable(summary->session_id) +
                              " fails verification");
  }
  summary->last_output = MakePreview(summary->last_output);
  summary->last_trace_at_ns = start;
  if (last_trace_id != nullptr) {
    ParsedTraceKey k;
    if (!ParseTraceKey(scan.key(), &k)) {
      return Status::Corruption("malformed trace key in session " + Printable(summary->session_id));
    }
    last_trace_id->assign(k.trace_id);
  }
  return Status::OK();
}

Status SessionReader::ReadLatestFields(const rocksdb::ReadOptions& ro, const std::string& prefix,
                                       bool last, bool user, bool name, SessionSummary* summary,
                                       std::string* last_trace_id, LatestRegister* user_register,
                                       LatestRegister* name_register) const {
  if (last) {
    Status s = ReadLatestTrace(ro, prefix, summary, last_trace_id);
    if (!s.ok()) return s;
  }
  // Latest user id and session name: walk the session's traces from the
  // newest until each requested field is found (rare: only after a version
  // moved a trace's start earlier).
  if (!user && !name) return Status::OK();
  if (user_register != nullptr) *user_register = LatestRegister();
  if (name_register != nullptr) *name_register = LatestRegister();
  if (user) summary->user_id.clear();
  if (name) summary->session_name.clear();
  RangeScan scan(ctx_->db, ctx_->cf.traces, ro, prefix, SessionTracesEnd(prefix),
                 /*forward=*/false);
  for (scan.Start(); (user || name) && scan.Valid(); scan.Next()) {
    Trace t;
    uint64_t version = 0;
    if (!DecodeTrace(scan.value(), &t, &version)) {
      return Status::Corruption("a trace of session " + Printable(summary->session_id) +
                                " fails verification");
    }
    if (user && !t.user_id.empty()) {
      if (user_register != nullptr) {
        *user_register = LatestRegister();
        user_register->Offer(t.start_ns, t.trace_id, version, t.user_id, false);
      }
      summary->user_id = std::move(t.user_id);
      user = false;
    }
    if (name && !t.session_name.empty()) {
      if (name_register != nullptr) {
        name_register->Offer(t.start_ns, t.trace_id, version, t.session_name, false);
      }
      summary->session_name = std::move(t.session_name);
      name = false;
    }
  }
  return scan.status().ok() ? Status::OK() : FromRocks(scan.status(), "read latest fields");
}

void SessionReader::ExactRow(const rocksdb::Snapshot* snapshot, std::string_view prefix,
                             const SessionDelta& aggregate, IndexRow* row) const {
  *row = IndexRow();
  row->state = SessionIndexState::Of(aggregate);
  const bool last = !aggregate.last.Exact(), user = !aggregate.last_user.Exact();
  const bool name = !aggregate.last_name.Exact();
  if (!last && !user && !name) return;
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  std::string last_id;
  LatestRegister user_register, name_register;
  SessionSummary summary;
  std::string_view rest = prefix, id;
  uint64_t hash = 0;
  if (GetSessionPrefix(&rest, &hash, &id)) summary.session_id.assign(id);
  row->status = ReadLatestFields(ro, std::string(prefix), last, user, name, &summary, &last_id,
                                 &user_register, &name_register);
  if (!row->status.ok()) return;
  if (last) {
    row->state.last = LatestRegister();
    row->state.last.Offer(summary.last_trace_at_ns, last_id, 0, std::string_view(), false);
  }
  if (user) row->state.last_user = std::move(user_register);
  if (name) row->state.last_name = std::move(name_register);
}

void SessionReader::ReadIndexRows(const rocksdb::Snapshot* snapshot,
                                  const std::vector<std::string_view>& prefixes,
                                  std::vector<IndexRow>* rows) const {
  const std::size_t n = prefixes.size();
  rows->assign(n, IndexRow());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  const BatchGet got(ctx_->db, ro, ctx_->cf.sessions,
                     std::vector<rocksdb::Slice>(prefixes.begin(), prefixes.end()),
                     /*sorted=*/true);
  SessionDelta agg;
  for (std::size_t i = 0; i < n; ++i) {
    IndexRow& row = (*rows)[i];
    const std::string_view prefix = prefixes[i];
    std::string_view rest = prefix, id;
    uint64_t hash = 0;
    if (!GetSessionPrefix(&rest, &hash, &id) || !rest.empty()) {
      row.status = Status::Corruption("dirty marker with a malformed session prefix");
      continue;
    }
    if (got.statuses[i].IsNotFound()) {
      row.status = Status::NotFound("session " + Printable(id));
      continue;
    }
    if (!got.statuses[i].ok()) {
      row.status = FromRocks(got.statuses[i], "read aggregate of session " + Printable(id));
      continue;
    }
    if (!SessionDelta::Decode(got.values[i].ToStringView(), &agg)) {
      row.status =
          Status::Corruption("aggregate of session " + Printable(id) + " fails verification");
      continue;
    }
    // Unsure registers: the stored traces decide, as for GetSession.
    ExactRow(snapshot, prefix, agg, &row);
  }
}

}  // namespace sessionstore
