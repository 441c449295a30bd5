// Copyright sessionstore authors.

#include "engine/store_verifier.h"

#include <rocksdb/snapshot.h>

#include <memory>
#include <optional>
#include <utility>

#include "engine/aggregate/session_fold.h"
#include "engine/aggregate/session_index_state.h"
#include "engine/format/keys.h"
#include "engine/format/trace_codec.h"
#include "engine/range_scan.h"
#include "engine/util/rocks_status.h"

namespace sessionstore {

namespace {

void Diff(const std::string& session, const char* field, int64_t stored, int64_t recomputed,
          VerifyReport* report) {
  if (stored == recomputed) return;
  report->mismatches.push_back("session " + session + ": " + field + " stored " +
                               std::to_string(stored) + ", recomputed " +
                               std::to_string(recomputed));
}

// An exact latest register must name the recomputed latest trace.
void CompareRegister(const std::string& session, const char* name, const LatestRegister& got,
                     const LatestRegister& expect, VerifyReport* report) {
  if (!got.Exact()) return;
  if (got.has_best != expect.has_best ||
      (got.has_best && (got.start_ns != expect.start_ns || got.trace_id != expect.trace_id ||
                        got.value != expect.value))) {
    report->mismatches.push_back("session " + session + ": " + name +
                                 " register differs from the stored traces");
  }
}

void CompareAggregates(const std::string& session, const SessionDelta& stored,
                       const SessionDelta& want, VerifyReport* report) {
  Diff(session, "trace_count", stored.trace_count, want.trace_count, report);
  Diff(session, "error_count", stored.error_count, want.error_count, report);
  Diff(session, "span_count", stored.span_count, want.span_count, report);
  Diff(session, "prompt_tokens", stored.prompt_tokens, want.prompt_tokens, report);
  Diff(session, "completion_tokens", stored.completion_tokens, want.completion_tokens, report);
  Diff(session, "cost_nano_usd", stored.cost_nano_usd, want.cost_nano_usd, report);
  Diff(session, "ttft_sum_ns", stored.ttft_sum_ns, want.ttft_sum_ns, report);
  Diff(session, "ttft_count", stored.ttft_count, want.ttft_count, report);
  Diff(session, "first_trace_at", stored.first_start_ns, want.first_start_ns, report);
  Diff(session, "max_end", stored.max_end_ns, want.max_end_ns, report);
  if (stored.first_trace_id != want.first_trace_id || stored.first_input != want.first_input) {
    report->mismatches.push_back("session " + session + ": first_input differs");
  }
  if (stored.models != want.models) {
    report->mismatches.push_back("session " + session + ": models differ");
  }
  if (stored.tags != want.tags) {
    report->mismatches.push_back("session " + session + ": tags differ");
  }
  CompareRegister(session, "last_trace", stored.last, want.last, report);
  CompareRegister(session, "last_user", stored.last_user, want.last_user, report);
  CompareRegister(session, "last_name", stored.last_name, want.last_name, report);
}

// The registers' best keys (a floor below the best does not matter, nor
// does the version: the indexes use the key and the user id).
bool SameKey(const LatestRegister& a, const LatestRegister& b) {
  return a.has_best == b.has_best && a.start_ns == b.start_ns && a.trace_id == b.trace_id;
}

}  // namespace

Status StoreVerifier::Verify(VerifyReport* report) const {
  *report = VerifyReport();
  if (!read_only_) {
    Status s = indexer_->CatchUp();
    if (!s.ok()) return s;
  }
  Status loaded = indexer_->LoadTable();
  if (!loaded.ok()) return loaded;
  // The deltas not yet folded into the stored aggregates (a read-only
  // open's, or batches ingested since the catch-up), with the snapshot of
  // the aggregates they follow.
  SessionIndexer::PendingMap pending;
  std::optional<ReadSnapshot> snapshot;
  indexer_->AllPending(&pending, [&] { snapshot.emplace(*ctx_); });
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot->snapshot();
  ro.total_order_seek = true;
  ro.fill_cache = false;
  std::unordered_set<std::string> sessions;
  Status s = CheckTraces(ro, pending, &sessions, report);
  if (s.ok()) s = CheckAggregates(ro, sessions, report);
  if (s.ok()) s = CheckLocators(ro, report);
  if (s.ok()) s = CheckIndexEntries(ro, sessions, report);
  return s;
}

Status StoreVerifier::CheckTraces(const rocksdb::ReadOptions& ro,
                                  const SessionIndexer::PendingMap& pending,
                                  std::unordered_set<std::string>* sessions,
                                  VerifyReport* report) const {
  std::string current_prefix;
  std::string current_session;
  SessionDelta recomputed;
  bool in_session = false;
  auto finish_session = [&]() {
    if (!in_session) return;
    in_session = false;
    CheckSession(ro, current_prefix, current_session, recomputed, pending, report);
  };
  RangeScan scan(ctx_->db, ctx_->cf.traces, ro, "", "", /*forward=*/true);
  for (scan.Start(); scan.Valid(); scan.Next()) {
    ++report->traces_checked;
    ParsedTraceKey k;
    if (!ParseTraceKey(scan.key(), &k)) {
      report->mismatches.push_back("traces: malformed key");
      continue;
    }
    Trace t;
    uint64_t version = 0;
    if (!DecodeTrace(scan.value(), &t, &version)) {
      report->mismatches.push_back("trace " + Printable(k.trace_id) + ": record unreadable");
      continue;
    }
    if (t.trace_id != k.trace_id || t.session_id != k.session_id || t.start_ns != k.start_ns ||
        ctx_->HashOf(t.session_id) != k.hash) {
      report->mismatches.push_back("trace " + Printable(k.trace_id) +
                                   ": key does not match its record");
      continue;
    }
    std::string locator;
    rocksdb::Status rs = ctx_->db->Get(ro, ctx_->cf.trace_ids, t.trace_id, &locator);
    if (!rs.ok() || locator != EncodeLocator(t.start_ns, t.session_id)) {
      report->mismatches.push_back("trace " + Printable(t.trace_id) +
                                   ": trace id index entry missing or stale");
    }
    if (t.session_id.empty()) continue;
    std::string prefix;
    PutSessionPrefix(&prefix, k.hash, k.session_id);
    if (!in_session || prefix != current_prefix) {
      finish_session();
      current_prefix = prefix;
      current_session = t.session_id;
      recomputed = SessionDelta();
      in_session = true;
      sessions->insert(prefix);
    }
    recomputed.Add(SessionDelta::FromTrace(t, version));
  }
  finish_session();
  return scan.status().ok() ? Status::OK() : FromRocks(scan.status(), "scan traces");
}

void StoreVerifier::CheckSession(const rocksdb::ReadOptions& ro, const std::string& prefix,
                                 const std::string& session_id, const SessionDelta& recomputed,
                                 const SessionIndexer::PendingMap& pending,
                                 VerifyReport* report) const {
  ++report->sessions_checked;
  std::string value;
  rocksdb::Status rs = ctx_->db->Get(ro, ctx_->cf.sessions, prefix, &value);
  const auto it = pending.find(prefix);
  const bool has_pending = it != pending.end();
  const std::string name = Printable(session_id);
  SessionFold fold;
  bool verified = rs.ok() ? fold.Add(value) : rs.IsNotFound();
  if (verified && has_pending) {
    for (const SessionDelta& d : it->second) fold.AddDelta(d);
  }
  if (rs.IsNotFound() && !has_pending) {
    report->mismatches.push_back("session " + name + ": has traces but no aggregate");
  } else if (!verified) {
    report->mismatches.push_back("session " + name + ": aggregate unreadable");
  } else {
    SessionDelta stored;
    fold.Materialize(&stored);
    CompareAggregates(name, stored, recomputed, report);
  }
  CheckSessionIndex(ro, prefix, name, recomputed, report);
}

Status StoreVerifier::CheckAggregates(const rocksdb::ReadOptions& ro,
                                      const std::unordered_set<std::string>& sessions,
                                      VerifyReport* report) const {
  RangeScan scan(ctx_->db, ctx_->cf.sessions, ro, "", "", /*forward=*/true);
  for (scan.Start(); scan.Valid(); scan.Next()) {
    if (sessions.count(std::string(scan.key())) != 0) continue;
    std::string_view key = scan.key();
    uint64_t hash = 0;
    std::string_view id;
    GetSessionPrefix(&key, &hash, &id);
    report->mismatches.push_back("session " + Printable(id) + ": aggregate without traces");
  }
  return scan.status().ok() ? Status::OK() : FromRocks(scan.status(), "scan sessions");
}

Status StoreVerifier::CheckLocators(const rocksdb::ReadOptions& ro, VerifyReport* report) const {
  RangeScan scan(ctx_->db, ctx_->cf.trace_ids, ro, "", "", /*forward=*/true);
  for (scan.Start(); scan.Valid(); scan.Next()) {
    int64_t start = 0;
    std::string_view session;
    const std::string_view id = scan.key();
    std::string value;
    if (!DecodeLocator(scan.value(), &start, &session)) {
      report->mismatches.push_back("trace id index entry of " + Printable(id) + " is malformed");
    } else if (!ctx_->db->Get(ro, ctx_->cf.traces, ctx_->TraceKeyOf(session, start, id), &value)
                    .ok()) {
      report->mismatches.push_back("trace id index entry of " + Printable(id) +
                                   " points to no trace");
    }
  }
  return scan.status().ok() ? Status::OK() : FromRocks(scan.status(), "scan trace id index");
}

void StoreVerifier::CheckSessionIndex(const rocksdb::ReadOptions& ro, const std::string& prefix,
                                      const std::string& name, const SessionDelta& recomputed,
                                      VerifyReport* report) const {
  const SessionIndexState want_state = SessionIndexState::Of(recomputed);
  const SessionIndexEntry want = want_state.Entry();
  const std::string& user = want_state.user_id();
  SessionTableChange row;
  if (!table_->Find(prefix, &row) || !(row == TableChangeOf(prefix, want_state))) {
    report->mismatches.push_back("session " + name + ": index row missing or stale");
  }
  if (SkipStateChecks()) return;
  std::string value;
  rocksdb::Status rs = ctx_->db->Get(ro, ctx_->cf.index, StateKey(prefix), &value);
  SessionIndexState got;
  if (!rs.ok() || !DecodeIndexState(value, &got) || !got.Exact() || !(got.Entry() == want) ||
      got.user_id() != user || got.session_name() != want_state.session_name() ||
      got.tags != want_state.tags || got.models != want_state.models ||
      !SameKey(got.last, want_state.last) || !SameKey(got.last_user, want_state.last_user) ||
      !SameKey(got.last_name, want_state.last_name)) {
    report->mismatches.push_back("session " + name + ": index state missing or stale");
  }
}

Status StoreVerifier::CheckIndexEntries(const rocksdb::ReadOptions& ro,
                                        const std::unordered_set<std::string>& sessions,
                                        VerifyReport* report) const {
  std::size_t orphan_rows = 0;
  table_->ForEach([&](const SessionTableChange& row) {
    if (sessions.count(row.prefix) == 0) ++orphan_rows;
  });
  if (orphan_rows > 0) {
    report->mismatches.push_back("session index: " + std::to_string(orphan_rows) +
                                 " rows of sessions without traces");
  }
  if (SkipStateChecks()) return Status::OK();
  // Every key of the family is a state ('X') of a session with traces.
  RangeScan scan(ctx_->db, ctx_->cf.index, ro, "", "", /*forward=*/true);
  for (scan.Start(); scan.Valid(); scan.Next()) {
    const std::string_view key = scan.key();
    if (key.empty() || key[0] != kStateTag) {
      report->mismatches.push_back("index: a key that is not a session state");
    } else if (sessions.count(std::string(key.substr(1))) == 0) {
      report->mismatches.push_back("session index: state of a session without traces");
    }
  }
  return scan.status().ok() ? Status::OK() : FromRocks(scan.status(), "scan index");
}

}  // namespace sessionstore
