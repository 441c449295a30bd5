// Copyright sessionstore authors.

#include "engine/store_impl.h"

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "engine/coding.h"
#include "engine/rocks_status.h"
#include "engine/rocksdb_options.h"
#include "engine/session_delta.h"
#include "engine/session_index_state.h"
#include "engine/session_indexer.h"
#include "engine/trace_codec.h"
#include "engine/trace_versions.h"

namespace sessionstore {

namespace {

// DO NOT CHANGE: stored on disk.
constexpr char kFormatKey[] = "sessionstore.format_version";
constexpr char kFormatVersion[] = "4";

// Exclusive upper bound of every key under `prefix` followed by a time:
// Ingest rejects start == INT64_MAX, whose encoding is eight 0xff bytes.
std::string TimeRangeEnd(const std::string& prefix) {
  return prefix + std::string(kTimeBytes, '\xff');
}

bool StartsWith(const rocksdb::Slice& key, std::string_view prefix) {
  return key.size() >= prefix.size() && std::memcmp(key.data(), prefix.data(), prefix.size()) == 0;
}

}  // namespace

Status Store::Open(const Options& options, const std::string& path, std::unique_ptr<Store>* store) {
  return StoreImpl::Open(options, path, InternalOptions(), store);
}

StoreImpl::StoreImpl(const Options& options, const InternalOptions& internal)
    : options_(options),
      internal_(internal),
      merge_operator_(std::make_shared<SessionMergeOperator>()) {}

StoreImpl::~StoreImpl() {
  if (indexer_ && !options_.read_only && !internal_.TEST_skip_index_catch_up_on_close) {
    // Best effort: markers of anything not indexed stay for the next open.
    (void)indexer_->CatchUp();
  }
  indexer_.reset();
  if (db_) {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    db_->Close().PermitUncheckedError();
  }
}

Status StoreImpl::Open(const Options& options, const std::string& path,
                       const InternalOptions& internal, std::unique_ptr<Store>* store) {
  store->reset();
  if (path.empty()) return Status::InvalidArgument("store path is empty");
  std::unique_ptr<StoreImpl> impl(new StoreImpl(options, internal));

  rocksdb::DBOptions db_opts = MakeDBOptions(options);
  if (internal.TEST_env != nullptr) db_opts.env = internal.TEST_env;
  const std::vector<rocksdb::ColumnFamilyDescriptor> cfs =
      MakeColumnFamilies(options, impl->merge_operator_);
  rocksdb::DB* raw = nullptr;
  rocksdb::Status rs;
  if (options.read_only) {
    rs = rocksdb::DB::OpenForReadOnly(db_opts, path, cfs, &impl->handles_, &raw);
  } else {
    rs = rocksdb::DB::Open(db_opts, path, cfs, &impl->handles_, &raw);
  }
  if (!rs.ok()) return FromRocks(rs, "open " + path);
  impl->db_.reset(raw);
  impl->traces_ = impl->handles_[1];
  impl->trace_ids_ = impl->handles_[2];
  impl->sessions_ = impl->handles_[3];
  impl->index_ = impl->handles_[4];
  impl->dirty_ = impl->handles_[5];

  std::string version;
  rs = impl->db_->Get(rocksdb::ReadOptions(), impl->handles_[0], kFormatKey, &version);
  if (rs.IsNotFound()) {
    if (options.read_only) return Status::InvalidArgument(path + " holds no sessionstore");
    rs = impl->db_->Put(rocksdb::WriteOptions(), impl->handles_[0], kFormatKey, kFormatVersion);
    if (!rs.ok()) return FromRocks(rs, "write format version");
  } else if (!rs.ok()) {
    return FromRocks(rs, "read format version");
  } else if (version != kFormatVersion) {
    return Status::NotSupported("store format version " + version + " in " + path +
                                "; this build reads version " + kFormatVersion);
  }
  StoreImpl* self = impl.get();
  impl->indexer_ = std::make_unique<SessionIndexer>(
      impl->db_.get(), impl->index_, impl->dirty_,
      [self](const rocksdb::Snapshot* snap, const std::vector<std::string_view>& prefixes,
             std::vector<SessionIndexer::Row>* rows) {
        self->ReadIndexRows(snap, prefixes, rows);
      });
  Status s = impl->indexer_->Recover();
  if (!s.ok()) return s;
  if (!options.read_only) impl->indexer_->Start(options.index_interval_ms);
  *store = std::move(impl);
  return Status::OK();
}

uint64_t StoreImpl::HashOf(std::string_view session_id) const {
  return internal_.TEST_session_hash ? internal_.TEST_session_hash(session_id)
                                     : SessionHash(session_id);
}

std::string StoreImpl::SessionPrefix(std::string_view session_id) const {
  std::string p;
  PutSessionPrefix(&p, HashOf(session_id), session_id);
  return p;
}

// ---------------------------------------------------------------- ingest --

namespace {

// One distinct trace id of a batch and the positions of its versions.
struct PendingTrace {
  std::string_view trace_id;
  std::vector<std::size_t> indexes;  // Positions in the batch, in order.
};

Status SessionConflict(const Trace& current, const Trace& incoming) {
  return Status::InvalidArgument("session_id: trace " + Printable(current.trace_id) +
                                 " is in session " + Printable(current.session_id) + ", not " +
                                 Printable(incoming.session_id));
}

}  // namespace

Status StoreImpl::Ingest(const std::vector<Trace>& batch, IngestResult* result) {
  Status s = IngestBatch(batch, result);
  if (!s.ok()) *result = IngestResult();  // Nothing of the batch was written.
  return s;
}

Status StoreImpl::IngestBatch(const std::vector<Trace>& batch, IngestResult* result) {
  *result = IngestResult();
  if (options_.read_only) return Status::NotSupported("store opened read-only");

  // 1. Validate; group the valid versions by trace id, keeping batch order.
  std::vector<PendingTrace> pending;
  std::unordered_map<std::string_view, std::size_t> by_id;
  pending.reserve(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    Status s = ValidateTrace(batch[i]);
    if (!s.ok()) {
      result->rejected.push_back({i, batch[i].trace_id, s});
      continue;
    }
    auto [it, fresh] = by_id.try_emplace(batch[i].trace_id, pending.size());
    if (fresh) pending.push_back(PendingTrace{batch[i].trace_id, {}});
    pending[it->second].indexes.push_back(i);
  }
  auto finish = [&]() {
    std::sort(result->rejected.begin(), result->rejected.end(),
              [](const RejectedTrace& a, const RejectedTrace& b) { return a.index < b.index; });
  };
  if (pending.empty()) {
    finish();
    return Status::OK();
  }

  // 2. Hold the trace ids for the read-modify-write.
  std::vector<std::string_view> ids;
  ids.reserve(pending.size());
  for (const PendingTrace& p : pending) ids.push_back(p.trace_id);
  TraceLockTable::Guard guard(&trace_locks_, ids);

  // 3. Read the stored versions: locators, then the records they point to.
  const std::size_t n = pending.size();
  std::vector<rocksdb::Slice> id_keys(ids.begin(), ids.end());
  std::vector<rocksdb::PinnableSlice> locators(n);
  std::vector<rocksdb::Status> statuses(n);
  rocksdb::ReadOptions ro;
  db_->MultiGet(ro, trace_ids_, n, id_keys.data(), locators.data(), statuses.data());

  std::vector<std::string> old_keys(n);
  std::vector<std::size_t> found;
  for (std::size_t i = 0; i < n; ++i) {
    if (statuses[i].IsNotFound()) continue;
    if (!statuses[i].ok()) return FromRocks(statuses[i], "read trace id index");
    int64_t start = 0;
    std::string_view session;
    if (!DecodeLocator(locators[i].ToStringView(), &start, &session)) {
      return Status::Corruption("trace id index entry of " + Printable(ids[i]) + " is malformed");
    }
    old_keys[i] = TraceKey(HashOf(session), session, start, ids[i]);
    found.push_back(i);
  }
  std::vector<Trace> olds(n);
  std::vector<uint64_t> old_versions(n, 0);
  std::vector<bool> has_old(n, false);
  if (!found.empty()) {
    std::vector<rocksdb::Slice> keys;
    keys.reserve(found.size());
    for (std::size_t i : found) keys.emplace_back(old_keys[i]);
    std::vector<rocksdb::PinnableSlice> values(found.size());
    std::vector<rocksdb::Status> st(found.size());
    db_->MultiGet(ro, traces_, found.size(), keys.data(), values.data(), st.data());
    for (std::size_t j = 0; j < found.size(); ++j) {
      const std::size_t i = found[j];
      if (!st[j].ok()) {
        return st[j].IsNotFound() ? Status::Corruption("trace " + Printable(ids[i]) +
                                                       " is indexed but its record is missing")
                                  : FromRocks(st[j], "read trace " + Printable(ids[i]));
      }
      if (!DecodeTrace(values[j].ToStringView(), &olds[i], &old_versions[i])) {
        return Status::Corruption("stored record of trace " + Printable(ids[i]) +
                                  " fails verification");
      }
      has_old[i] = true;
    }
  }

  // 4. Apply each trace's versions in batch order on top of the stored one,
  // then build one atomic batch: records, indexes, one operand per session.
  rocksdb::WriteBatch wb;
  std::map<std::string, SessionDelta> deltas;  // By session id.
  for (std::size_t i = 0; i < n; ++i) {
    PendingTrace& p = pending[i];
    const Trace* old = has_old[i] ? &olds[i] : nullptr;
    std::optional<Trace> current;
    if (old != nullptr) current = *old;
    std::vector<std::size_t> applied;
    for (std::size_t index : p.indexes) {
      Trace version = batch[index];
      NormalizeTrace(&version);
      if (!current) {
        current = std::move(version);
      } else if (!version.session_id.empty() && !current->session_id.empty() &&
                 version.session_id != current->session_id) {
        result->rejected.push_back(
            {index, batch[index].trace_id, SessionConflict(*current, version)});
        continue;
      } else {
        current = MergeTraceVersions(*current, version);
      }
      applied.push_back(index);
    }
    if (applied.empty()) continue;
    Trace& merged = *current;
    uint64_t version = 1;
    if (old != nullptr) {
      if (merged == *old) {
        ++result->unchanged;
        continue;
      }
      version = old_versions[i] + 1;
    }
    std::string record = EncodeTrace(merged, version);
    if (record.size() > kMaxTraceBytes) {
      for (std::size_t index : applied) {
        result->rejected.push_back(
            {index, batch[index].trace_id,
             Status::InvalidArgument("trace: stored size " + std::to_string(record.size()) +
                                     " bytes would exceed the limit of " +
                                     std::to_string(kMaxTraceBytes))});
      }
      continue;
    }
    const uint64_t hash = HashOf(merged.session_id);
    std::string key = TraceKey(hash, merged.session_id, merged.start_ns, merged.trace_id);
    const bool moved = old == nullptr || key != old_keys[i];
    const bool in_session = !merged.session_id.empty();
    if (old != nullptr && moved) wb.Delete(traces_, old_keys[i]);
    wb.Put(traces_, key, record);
    if (moved)
      wb.Put(trace_ids_, merged.trace_id, EncodeLocator(merged.start_ns, merged.session_id));
    if (in_session) {
      const bool was_in_session = old != nullptr && !old->session_id.empty();
      SessionDelta d;
      if (was_in_session && old->start_ns != merged.start_ns) {
        // The start moved earlier: the old key leaves the latest registers.
        d = SessionDelta::RetractionOf(*old);
      }
      d.Add(SessionDelta::FromTrace(merged, version));
      if (was_in_session) d.SubtractCounters(SessionDelta::FromTrace(*old, old_versions[i]));
      deltas[merged.session_id].Add(d);
    }
    if (old == nullptr) {
      ++result->inserted;
    } else {
      ++result->updated;
    }
  }
  // One operand and one dirty marker (for the session indexes) per changed
  // session, in the same atomic write as the traces.
  std::vector<DirtySession> changed;
  changed.reserve(deltas.size());
  for (const auto& [session, delta] : deltas) {
    if (delta.IsIdentity()) continue;
    changed.emplace_back(SessionPrefix(session), SessionIndexState::Of(delta));
    wb.Merge(sessions_, changed.back().first, delta.Encode());
  }
  finish();
  if (wb.Count() == 0) return Status::OK();
  std::optional<SessionIndexer::Batch> marked;
  if (!changed.empty()) {
    marked.emplace(indexer_.get());
    wb.Put(dirty_, DirtyKey(marked->seq()), EncodeDirtyMarker(changed));
  }
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  rocksdb::Status ws = db_->Write(wo, &wb);
  if (marked) marked->End(ws.ok(), &changed);
  if (!ws.ok()) return FromRocks(ws, "write batch of " + std::to_string(batch.size()) + " traces");
  return Status::OK();
}

// ----------------------------------------------------------------- reads --

Status StoreImpl::GetSession(std::string_view session_id, SessionSummary* summary) {
  const rocksdb::Snapshot* snap = db_->GetSnapshot();
  Status s = ReadSession(snap, session_id, summary);
  db_->ReleaseSnapshot(snap);
  return s;
}

Status StoreImpl::ReadSession(const rocksdb::Snapshot* snapshot, std::string_view session_id,
                              SessionSummary* summary, std::string* last_trace_id) {
  *summary = SessionSummary();
  if (session_id.empty()) return Status::NotFound("the empty session id names no session");
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  const std::string prefix = SessionPrefix(session_id);
  std::string value;
  rocksdb::Status rs = db_->Get(ro, sessions_, prefix, &value);
  return SessionFromValue(ro, prefix, session_id, rs, value, summary, last_trace_id);
}

Status StoreImpl::SessionFromValue(const rocksdb::ReadOptions& ro, const std::string& prefix,
                                   std::string_view session_id, const rocksdb::Status& rs,
                                   std::string_view value, SessionSummary* summary,
                                   std::string* last_trace_id) {
  *summary = SessionSummary();
  if (rs.IsNotFound()) return Status::NotFound("session " + Printable(session_id));
  if (!rs.ok()) return FromRocks(rs, "read session " + Printable(session_id));
  SessionDelta agg;
  if (!SessionDelta::Decode(value, &agg)) {
    return Status::Corruption("aggregate of session " + Printable(session_id) +
                              " fails verification");
  }
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

Status StoreImpl::ReadLatestFields(const rocksdb::ReadOptions& base, const std::string& prefix,
                                   bool last, bool user, bool name, SessionSummary* summary,
                                   std::string* last_trace_id, LatestRegister* user_register) {
  // Latest trace: the last key of the session's range in `traces`.
  if (last) {
    rocksdb::ReadOptions ro = base;
    rocksdb::Slice lower(prefix);
    ro.iterate_lower_bound = &lower;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, traces_));
    it->SeekForPrev(TimeRangeEnd(prefix));
    if (!it->Valid() || !StartsWith(it->key(), prefix)) {
      if (!it->status().ok()) return FromRocks(it->status(), "read latest trace");
      return Status::Corruption("session " + Printable(summary->session_id) +
                                " has an aggregate but no trace");
    }
    int64_t start = 0;
    if (!DecodeTraceOutput(it->value().ToStringView(), &summary->last_output, &start)) {
      return Status::Corruption("latest trace of session " + Printable(summary->session_id) +
                                " fails verification");
    }
    summary->last_output = MakePreview(summary->last_output);
    summary->last_trace_at_ns = start;
    if (last_trace_id != nullptr) {
      ParsedTraceKey k;
      if (!ParseTraceKey(it->key().ToStringView(), &k)) {
        return Status::Corruption("malformed trace key in session " +
                                  Printable(summary->session_id));
      }
      last_trace_id->assign(k.trace_id);
    }
  }
  // Latest user id and session name: walk the session's traces from the
  // newest until each requested field is found (rare: only after a version
  // moved a trace's start earlier).
  if (!user && !name) return Status::OK();
  if (user_register != nullptr) *user_register = LatestRegister();
  if (user) summary->user_id.clear();
  if (name) summary->session_name.clear();
  rocksdb::ReadOptions ro = base;
  rocksdb::Slice lower(prefix);
  ro.iterate_lower_bound = &lower;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, traces_));
  for (it->SeekForPrev(TimeRangeEnd(prefix)); (user || name) && it->Valid(); it->Prev()) {
    if (!StartsWith(it->key(), prefix)) break;
    Trace t;
    uint64_t version = 0;
    if (!DecodeTrace(it->value().ToStringView(), &t, &version)) {
      return Status::Corruption("a trace of session " + Printable(summary->session_id) +
                                " fails verification");
    }
    if (user && !t.user_id.empty()) {
      if (user_register != nullptr) {
        *user_register = LatestRegister();
        user_register->Offer(t.start_ns, t.trace_id, version, Payload{t.user_id, false});
      }
      summary->user_id = std::move(t.user_id);
      user = false;
    }
    if (name && !t.session_name.empty()) {
      summary->session_name = std::move(t.session_name);
      name = false;
    }
  }
  return it->status().ok() ? Status::OK() : FromRocks(it->status(), "read latest fields");
}

void StoreImpl::ReadIndexRows(const rocksdb::Snapshot* snapshot,
                              const std::vector<std::string_view>& prefixes,
                              std::vector<SessionIndexer::Row>* rows) {
  const std::size_t n = prefixes.size();
  rows->assign(n, SessionIndexer::Row());
  std::vector<rocksdb::Slice> keys(prefixes.begin(), prefixes.end());
  std::vector<rocksdb::PinnableSlice> values(n);
  std::vector<rocksdb::Status> statuses(n);
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  db_->MultiGet(ro, sessions_, n, keys.data(), values.data(), statuses.data(),
                /*sorted_input=*/true);
  SessionDelta agg;
  SessionSummary summary;
  for (std::size_t i = 0; i < n; ++i) {
    SessionIndexer::Row& row = (*rows)[i];
    const std::string prefix(prefixes[i]);
    std::string_view rest = prefix, id;
    uint64_t hash = 0;
    if (!GetSessionPrefix(&rest, &hash, &id) || !rest.empty()) {
      row.status = Status::Corruption("dirty marker with a malformed session prefix");
      continue;
    }
    if (statuses[i].IsNotFound()) {
      row.status = Status::NotFound("session " + Printable(id));
      continue;
    }
    if (!statuses[i].ok()) {
      row.status = FromRocks(statuses[i], "read aggregate of session " + Printable(id));
      continue;
    }
    if (!SessionDelta::Decode(values[i].ToStringView(), &agg)) {
      row.status =
          Status::Corruption("aggregate of session " + Printable(id) + " fails verification");
      continue;
    }
    row.state = SessionIndexState::Of(agg);
    // Unsure registers: the stored traces decide, as for GetSession.
    const bool last = !agg.last.Exact(), user = !agg.last_user.Exact();
    if (!last && !user) continue;
    std::string last_id;
    LatestRegister user_register;
    summary.session_id.assign(id);
    row.status =
        ReadLatestFields(ro, prefix, last, user, false, &summary, &last_id, &user_register);
    if (!row.status.ok()) continue;
    if (last) {
      row.state.last = LatestRegister();
      row.state.last.Offer(summary.last_trace_at_ns, last_id, 0, Payload());
    }
    if (user) row.state.last_user = std::move(user_register);
  }
}

Status StoreImpl::GetTrace(std::string_view trace_id, Trace* trace) {
  *trace = Trace();
  const rocksdb::Snapshot* snap = db_->GetSnapshot();
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  std::string locator;
  std::string value;
  Status result;
  rocksdb::Status rs = db_->Get(ro, trace_ids_, trace_id, &locator);
  int64_t start = 0;
  std::string_view session;
  uint64_t version = 0;
  if (rs.IsNotFound()) {
    result = Status::NotFound("trace " + Printable(trace_id));
  } else if (!rs.ok()) {
    result = FromRocks(rs, "read trace id index");
  } else if (!DecodeLocator(locator, &start, &session)) {
    result = Status::Corruption("trace id index entry of " + Printable(trace_id) + " is malformed");
  } else {
    rs = db_->Get(ro, traces_, TraceKey(HashOf(session), session, start, trace_id), &value);
    if (rs.IsNotFound()) {
      result = Status::Corruption("trace " + Printable(trace_id) +
                                  " is indexed but its record is missing");
    } else if (!rs.ok()) {
      result = FromRocks(rs, "read trace " + Printable(trace_id));
    } else if (!DecodeTrace(value, trace, &version)) {
      result = Status::Corruption("record of trace " + Printable(trace_id) + " fails verification");
    }
  }
  db_->ReleaseSnapshot(snap);
  return result;
}

namespace {
constexpr char kTimelineCursorTag = 'T';
constexpr char kListCursorTag = 'L';
}  // namespace

Status StoreImpl::Timeline(std::string_view session_id, const TimelineOptions& options,
                           TimelinePage* page) {
  page->traces.clear();
  page->next_cursor.clear();
  if (session_id.empty()) return Status::InvalidArgument("session_id: must not be empty");
  if (options.from_ns >= options.to_ns) return Status::OK();
  const std::size_t limit = options.limit == 0 ? 100 : options.limit;
  const std::string prefix = SessionPrefix(session_id);
  const std::string lower = [&] {
    std::string k = prefix;
    PutTime(&k, options.from_ns);
    return k;
  }();
  const std::string upper = [&] {
    std::string k = prefix;
    PutTime(&k, options.to_ns);
    return k;
  }();
  // The cursor binds the session, window and direction.
  std::string binding(1, kTimelineCursorTag);
  binding.push_back(options.descending ? 'd' : 'a');
  PutFixed64BE(&binding, SessionHash(session_id));
  PutTime(&binding, options.from_ns);
  PutTime(&binding, options.to_ns);
  std::string resume_key;  // Last key of the previous page.
  if (!options.cursor.empty()) {
    std::string payload;
    if (!DecodeCursor(options.cursor, &payload) || payload.size() < binding.size() ||
        payload.compare(0, binding.size(), binding) != 0) {
      return Status::InvalidArgument("cursor: not a cursor of this session, window and order");
    }
    resume_key = prefix + payload.substr(binding.size());
  }

  rocksdb::ReadOptions ro;
  rocksdb::Slice lower_slice(lower);
  rocksdb::Slice upper_slice(upper);
  ro.iterate_lower_bound = &lower_slice;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, traces_));
  if (options.descending) {
    if (resume_key.empty()) {
      it->SeekForPrev(upper);
    } else {
      it->SeekForPrev(resume_key);
      if (it->Valid() && it->key() == resume_key) it->Prev();
    }
  } else {
    if (resume_key.empty()) {
      it->Seek(lower);
    } else {
      it->Seek(resume_key);
      if (it->Valid() && it->key() == resume_key) it->Next();
    }
  }
  std::string last_key;
  while (it->Valid() && StartsWith(it->key(), prefix)) {
    if (page->traces.size() == limit) {
      page->next_cursor = EncodeCursor(binding + last_key.substr(prefix.size()));
      break;
    }
    Trace t;
    uint64_t version = 0;
    if (!DecodeTrace(it->value().ToStringView(), &t, &version)) {
      return Status::Corruption("a trace of session " + Printable(session_id) +
                                " fails verification");
    }
    page->traces.push_back(std::move(t));
    last_key = it->key().ToString();
    if (options.descending) {
      it->Prev();
    } else {
      it->Next();
    }
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scan timeline");
  return Status::OK();
}

namespace {

char OrderByte(SessionOrder order) {
  switch (order) {
    case SessionOrder::kLastActivity:
      return kOrderLast;
    case SessionOrder::kFirstActivity:
      return kOrderFirst;
    case SessionOrder::kCost:
      return kOrderCost;
    case SessionOrder::kTotalTokens:
      return kOrderTokens;
    case SessionOrder::kTraceCount:
      return kOrderTraces;
    case SessionOrder::kDuration:
      return kOrderDuration;
  }
  return 0;
}

// A session listed by an index: where it sits in the listing order (also
// the cursor's resume key) and its session prefix.
struct Candidate {
  std::string position;
  std::string prefix;
};

// Entries of a metric's index walked per last-activity entry when a
// windowed listing runs both plans (ListSessions).
constexpr int kMetricSteps = 8;

}  // namespace

Status StoreImpl::ListSessions(const ListSessionsOptions& options, SessionPage* page) {
  page->sessions.clear();
  page->next_cursor.clear();
  const char order = OrderByte(options.order);
  if (order == 0) return Status::InvalidArgument("order: not a SessionOrder value");
  if (options.from_ns >= options.to_ns) return Status::OK();
  const std::size_t limit = options.limit == 0 ? 50 : options.limit;
  std::string binding{kListCursorTag, order, options.descending ? 'd' : 'a'};
  PutTime(&binding, options.from_ns);
  PutTime(&binding, options.to_ns);
  PutFixed64BE(&binding, SessionHash(options.user_id));
  binding.push_back(options.user_id.empty() ? '0' : '1');
  std::string resume;
  if (!options.cursor.empty()) {
    std::string payload;
    if (!DecodeCursor(options.cursor, &payload) || payload.size() <= binding.size() ||
        payload.compare(0, binding.size(), binding) != 0) {
      return Status::InvalidArgument(
          "cursor: not a cursor of this window, user filter, order and direction");
    }
    resume = payload.substr(binding.size());
  }
  if (!options_.read_only) {
    Status s = indexer_->CatchUp();  // Read-your-writes.
    if (!s.ok()) return s;
  }
  auto in_window = [&](const SessionIndexEntry& e) {
    return e.first_ns < options.to_ns && e.last_ns >= options.from_ns;
  };

  // Candidates in listing order: limit + 1 of them decide the page and
  // whether a next one exists.
  const rocksdb::Snapshot* snap = db_->GetSnapshot();
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  std::vector<Candidate> picked;
  Status status;
  auto scan = [&](std::string lower, std::string upper, auto&& visit) {
    rocksdb::ReadOptions scan_ro = ro;
    rocksdb::Slice lo(lower), hi(upper);
    scan_ro.iterate_lower_bound = &lo;
    scan_ro.iterate_upper_bound = &hi;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(scan_ro, index_));
    // Index keys run largest first: descending listings iterate forward.
    const bool forward = options.descending;
    if (resume.empty() || !visit.streams) {
      forward ? it->SeekToFirst() : it->SeekToLast();
    } else if (forward) {
      it->Seek(resume);
      if (it->Valid() && it->key() == resume) it->Next();
    } else {
      it->SeekForPrev(resume);
      if (it->Valid() && it->key() == resume) it->Prev();
    }
    for (; it->Valid(); forward ? it->Next() : it->Prev()) {
      if (!visit(it->key().ToStringView(), it->value().ToStringView())) break;
    }
    if (status.ok() && !it->status().ok()) status = FromRocks(it->status(), "scan session index");
  };
  struct Visitor {
    bool streams;  // Visits in listing order (else collects everything).
    std::function<bool(std::string_view, std::string_view)> fn;
    bool operator()(std::string_view k, std::string_view v) const { return fn(k, v); }
  };
  auto malformed = [&](const char* what) {
    status = Status::Corruption(std::string("session index: malformed ") + what);
    return false;
  };

  // Sorts candidates collected in any order into the page: positions are
  // index keys (largest first), so descending is ascending.
  auto page_from = [&](std::vector<Candidate>* all) {
    std::sort(all->begin(), all->end(), [&](const Candidate& a, const Candidate& b) {
      return options.descending ? a.position < b.position : a.position > b.position;
    });
    for (Candidate& c : *all) {
      if (!resume.empty() && (options.descending ? c.position <= resume : c.position >= resume)) {
        continue;
      }
      picked.push_back(std::move(c));
      if (picked.size() > limit) break;
    }
  };
  SessionIndexEntry bound;
  bound.last_ns = options.from_ns;
  bound.first_ns = options.to_ns;
  // A metric order over a window with a lower bound has two plans: walk
  // the metric's index and keep the entries in the window (cheap when the
  // window holds many sessions: about limit / fraction entries), or collect
  // the window's sessions from the last-activity entries down to `from` and
  // sort them (cheap when it holds few). Neither size is known up front, so
  // both run in lockstep, the metric walk kMetricSteps entries per window
  // entry, and the first to finish answers: at most 1 + 1/kMetricSteps times
  // the metric walk when it wins (the usual case: windows hold a good share
  // of the sessions), at most 1 + kMetricSteps times the window's size when
  // the window is narrow (measured on a 1M-trace store whose 24 h window
  // holds a small share of 478K sessions: 10.1 ms walking the metric alone,
  // 17.4 ms in lockstep with one step each).
  bool planned = false;
  if (options.user_id.empty() && order != kOrderLast && order != kOrderFirst &&
      options.from_ns != kMinTime) {
    const int plans = internal_.TEST_list_window_plans;
    const std::string last_lower = OrderPrefix(kOrderLast);
    const std::string last_upper = OrderKey(kOrderLast, OrderMetric(kOrderLast, bound) - 1, "");
    const std::string metric_lower = OrderPrefix(order);
    const std::string metric_upper = PrefixSuccessor(metric_lower);
    rocksdb::ReadOptions window_ro = ro;
    rocksdb::Slice wlo(last_lower), whi(last_upper);
    window_ro.iterate_lower_bound = &wlo;
    window_ro.iterate_upper_bound = &whi;
    rocksdb::ReadOptions metric_ro = ro;
    rocksdb::Slice mlo(metric_lower), mhi(metric_upper);
    metric_ro.iterate_lower_bound = &mlo;
    metric_ro.iterate_upper_bound = &mhi;
    std::unique_ptr<rocksdb::Iterator> window_it(db_->NewIterator(window_ro, index_));
    std::unique_ptr<rocksdb::Iterator> metric_it(db_->NewIterator(metric_ro, index_));
    window_it->SeekToFirst();
    const bool forward = options.descending;
    if (resume.empty()) {
      forward ? metric_it->SeekToFirst() : metric_it->SeekToLast();
    } else if (forward) {
      metric_it->Seek(resume);
      if (metric_it->Valid() && metric_it->key() == resume) metric_it->Next();
    } else {
      metric_it->SeekForPrev(resume);
      if (metric_it->Valid() && metric_it->key() == resume) metric_it->Prev();
    }
    std::vector<Candidate> window;  // Every session of the window, unsorted.
    std::vector<Candidate> hits;    // In listing order.
    auto entry_of = [&](rocksdb::Iterator* it, std::string_view* prefix, SessionIndexEntry* e) {
      char o = 0;
      uint64_t metric = 0;
      if (!ParseOrderKey(it->key().ToStringView(), &o, &metric, prefix)) return malformed("key");
      if (!DecodeIndexEntry(it->value().ToStringView(), e)) return malformed("entry");
      return true;
    };
    const bool window_done = plans == 2, metric_done = plans == 1;  // Forced plans.
    while (status.ok() && !planned) {
      if (!window_done) {
        if (!window_it->Valid()) {
          if (!window_it->status().ok()) {
            status = FromRocks(window_it->status(), "scan session index");
            break;
          }
          page_from(&window);
          planned = true;
          break;
        }
        std::string_view prefix;
        SessionIndexEntry e;
        if (!entry_of(window_it.get(), &prefix, &e)) break;
        if (in_window(e)) {
          window.push_back({OrderKey(order, OrderMetric(order, e), prefix), std::string(prefix)});
        }
        window_it->Next();
      }
      for (int step = 0; step < kMetricSteps && !metric_done && !planned; ++step) {
        if (!metric_it->Valid() || hits.size() > limit) {
          if (!metric_it->status().ok()) {
            status = FromRocks(metric_it->status(), "scan session index");
            break;
          }
          picked = std::move(hits);
          planned = true;
          break;
        }
        std::string_view prefix;
        SessionIndexEntry e;
        if (!entry_of(metric_it.get(), &prefix, &e)) break;
        if (in_window(e)) hits.push_back({metric_it->key().ToString(), std::string(prefix)});
        forward ? metric_it->Next() : metric_it->Prev();
      }
    }
  }

  if (planned || !status.ok()) {
    // Done above.
  } else if (options.user_id.empty()) {
    // The order's index, bounded by the window where the order allows.
    // Keys hold ~metric: last >= from is an upper bound, first < to a lower.
    std::string lower = OrderPrefix(order);
    std::string upper = PrefixSuccessor(lower);
    if (order == kOrderLast && options.from_ns != kMinTime) {
      upper = OrderKey(order, OrderMetric(order, bound) - 1, "");
    }
    if (order == kOrderFirst && options.to_ns != kMaxTime) {
      lower = OrderKey(order, OrderMetric(order, bound) - 1, "");
    }
    scan(lower, upper, Visitor{true, [&](std::string_view k, std::string_view v) {
                                 char o = 0;
                                 uint64_t metric = 0;
                                 std::string_view prefix;
                                 SessionIndexEntry e;
                                 if (!ParseOrderKey(k, &o, &metric, &prefix))
                                   return malformed("key");
                                 if (!DecodeIndexEntry(v, &e)) return malformed("entry");
                                 if (in_window(e)) {
                                   picked.push_back({std::string(k), std::string(prefix)});
                                 }
                                 return picked.size() <= limit;
                               }});
  } else {
    // The user's entries, newest activity first; other orders sort them in
    // memory.
    const std::string lower = UserPrefix(options.user_id);
    std::string upper = PrefixSuccessor(lower);
    if (options.from_ns != kMinTime) {
      // Keys hold ~metric(last): last >= from is an upper bound.
      upper = UserKey(options.user_id, options.from_ns - 1, "");
    }
    const bool by_last = order == kOrderLast;
    std::vector<Candidate> all;
    scan(lower, upper,
         Visitor{
             by_last, [&](std::string_view k, std::string_view v) {
               std::string_view user, prefix;
               int64_t last = 0;
               SessionIndexEntry e;
               if (!ParseUserKey(k, &user, &last, &prefix)) return malformed("key");
               if (!DecodeIndexEntry(v, &e)) return malformed("entry");
               if (!in_window(e)) return true;
               if (by_last) {
                 picked.push_back({std::string(k), std::string(prefix)});
                 return picked.size() <= limit;
               }
               all.push_back({OrderKey(order, OrderMetric(order, e), prefix), std::string(prefix)});
               return true;
             }});
    if (!by_last) page_from(&all);
  }

  if (status.ok() && picked.size() > limit) {
    page->next_cursor = EncodeCursor(binding + picked[limit - 1].position);
    picked.resize(limit);
  }
  // The rows: every aggregate in one MultiGet from the snapshot.
  const std::size_t rows = status.ok() ? picked.size() : 0;
  std::vector<rocksdb::Slice> keys;
  keys.reserve(rows);
  for (std::size_t i = 0; i < rows; ++i) keys.emplace_back(picked[i].prefix);
  std::vector<rocksdb::PinnableSlice> values(rows);
  std::vector<rocksdb::Status> statuses(rows);
  if (rows > 0) {
    db_->MultiGet(ro, sessions_, rows, keys.data(), values.data(), statuses.data());
  }
  for (std::size_t i = 0; status.ok() && i < rows; ++i) {
    std::string_view p = picked[i].prefix;
    uint64_t hash = 0;
    std::string_view id;
    if (!GetSessionPrefix(&p, &hash, &id)) {
      status = Status::Corruption("session index: malformed session prefix");
      break;
    }
    SessionSummary summary;
    status = SessionFromValue(ro, picked[i].prefix, id, statuses[i], values[i].ToStringView(),
                              &summary, nullptr);
    if (status.IsNotFound()) {
      status = Status::OK();  // Gone since it was indexed.
      continue;
    }
    if (status.ok()) page->sessions.push_back(std::move(summary));
  }
  db_->ReleaseSnapshot(snap);
  if (!status.ok()) {
    page->sessions.clear();
    page->next_cursor.clear();
  }
  return status;
}

// ------------------------------------------------------------ maintenance --

Status StoreImpl::GetStats(StoreStats* stats) {
  *stats = StoreStats();
  uint64_t v = 0;
  if (db_->GetIntProperty(traces_, "rocksdb.estimate-num-keys", &v)) {
    stats->traces = static_cast<int64_t>(v);
  }
  if (db_->GetIntProperty(sessions_, "rocksdb.estimate-num-keys", &v)) {
    stats->sessions = static_cast<int64_t>(v);
  }
  for (auto* h : handles_) {
    if (db_->GetIntProperty(h, "rocksdb.live-sst-files-size", &v)) stats->disk_bytes += v;
    if (db_->GetIntProperty(h, "rocksdb.total-blob-file-size", &v)) stats->disk_bytes += v;
    if (db_->GetIntProperty(h, "rocksdb.cur-size-all-mem-tables", &v)) stats->memtable_bytes += v;
  }
  stats->merge_operands_read = merge_operator_->operands_merged();
  return Status::OK();
}

Status StoreImpl::Flush() {
  if (!options_.read_only) {
    Status s = indexer_->CatchUp();
    if (!s.ok()) return s;
  }
  rocksdb::FlushOptions fo;
  fo.wait = true;
  return FromRocks(db_->Flush(fo, handles_), "flush");
}

namespace {

void Diff(const std::string& session, const char* field, int64_t stored, int64_t recomputed,
          VerifyReport* report) {
  if (stored == recomputed) return;
  report->mismatches.push_back("session " + session + ": " + field + " stored " +
                               std::to_string(stored) + ", recomputed " +
                               std::to_string(recomputed));
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
  if (stored.tags != want.tags)
    report->mismatches.push_back("session " + session + ": tags differ");
  // An exact latest register must name the recomputed latest trace.
  const std::pair<const char*, const LatestRegister*> registers[] = {
      {"last_trace", &stored.last},
      {"last_user", &stored.last_user},
      {"last_name", &stored.last_name}};
  const LatestRegister* wanted[] = {&want.last, &want.last_user, &want.last_name};
  for (int i = 0; i < 3; ++i) {
    const LatestRegister& got = *registers[i].second;
    const LatestRegister& expect = *wanted[i];
    if (!got.Exact()) continue;
    if (got.has_best != expect.has_best ||
        (got.has_best && (got.start_ns != expect.start_ns || got.trace_id != expect.trace_id ||
                          got.value != expect.value))) {
      report->mismatches.push_back("session " + session + ": " + registers[i].first +
                                   " register differs from the stored traces");
    }
  }
}

}  // namespace

Status StoreImpl::Verify(VerifyReport* report) {
  *report = VerifyReport();
  if (!options_.read_only) {
    Status s = indexer_->CatchUp();
    if (!s.ok()) return s;
  } else if (indexer_->has_pending()) {
    report->mismatches.push_back(
        "session indexes: " + std::to_string(indexer_->pending()) +
        " changed sessions are not indexed yet (a writable open catches up)");
  }
  const rocksdb::Snapshot* snap = db_->GetSnapshot();
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  ro.total_order_seek = true;
  ro.fill_cache = false;
  Status status;

  std::string current_prefix;
  std::string current_session;
  SessionDelta recomputed;
  bool in_session = false;
  std::unordered_set<std::string> sessions_seen;
  auto finish_session = [&]() {
    if (!in_session) return;
    in_session = false;
    ++report->sessions_checked;
    std::string value;
    rocksdb::Status rs = db_->Get(ro, sessions_, current_prefix, &value);
    SessionDelta stored;
    const std::string name = Printable(current_session);
    if (rs.IsNotFound()) {
      report->mismatches.push_back("session " + name + ": has traces but no aggregate");
    } else if (!rs.ok() || !SessionDelta::Decode(value, &stored)) {
      report->mismatches.push_back("session " + name + ": aggregate unreadable");
    } else {
      CompareAggregates(name, stored, recomputed, report);
    }
    VerifySessionIndex(ro, current_prefix, name, recomputed, report);
  };

  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, traces_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ++report->traces_checked;
    ParsedTraceKey k;
    if (!ParseTraceKey(it->key().ToStringView(), &k)) {
      report->mismatches.push_back("traces: malformed key");
      continue;
    }
    Trace t;
    uint64_t version = 0;
    if (!DecodeTrace(it->value().ToStringView(), &t, &version)) {
      report->mismatches.push_back("trace " + Printable(k.trace_id) + ": record unreadable");
      continue;
    }
    if (t.trace_id != k.trace_id || t.session_id != k.session_id || t.start_ns != k.start_ns ||
        HashOf(t.session_id) != k.hash) {
      report->mismatches.push_back("trace " + Printable(k.trace_id) +
                                   ": key does not match its record");
      continue;
    }
    std::string locator;
    rocksdb::Status rs = db_->Get(ro, trace_ids_, t.trace_id, &locator);
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
      sessions_seen.insert(prefix);
    }
    recomputed.Add(SessionDelta::FromTrace(t, version));
  }
  finish_session();
  if (!it->status().ok()) status = FromRocks(it->status(), "scan traces");

  // Aggregates and index entries whose traces are gone.
  if (status.ok()) {
    std::unique_ptr<rocksdb::Iterator> s(db_->NewIterator(ro, sessions_));
    for (s->SeekToFirst(); s->Valid(); s->Next()) {
      if (sessions_seen.count(s->key().ToString()) == 0) {
        std::string_view key = s->key().ToStringView();
        uint64_t hash = 0;
        std::string_view id;
        GetSessionPrefix(&key, &hash, &id);
        report->mismatches.push_back("session " + Printable(id) + ": aggregate without traces");
      }
    }
    if (!s->status().ok()) status = FromRocks(s->status(), "scan sessions");
  }
  if (status.ok()) {
    std::unique_ptr<rocksdb::Iterator> ids(db_->NewIterator(ro, trace_ids_));
    for (ids->SeekToFirst(); ids->Valid(); ids->Next()) {
      int64_t start = 0;
      std::string_view session;
      const std::string_view id = ids->key().ToStringView();
      std::string value;
      if (!DecodeLocator(ids->value().ToStringView(), &start, &session)) {
        report->mismatches.push_back("trace id index entry of " + Printable(id) + " is malformed");
      } else if (!db_->Get(ro, traces_, TraceKey(HashOf(session), session, start, id), &value)
                      .ok()) {
        report->mismatches.push_back("trace id index entry of " + Printable(id) +
                                     " points to no trace");
      }
    }
    if (!ids->status().ok()) status = FromRocks(ids->status(), "scan trace id index");
  }
  if (status.ok()) status = VerifyIndexEntries(ro, sessions_seen, report);
  it.reset();
  db_->ReleaseSnapshot(snap);
  return status;
}

namespace {

// The registers' best keys (a floor below the best does not matter, nor
// does the version: the indexes use the key and the user id).
bool SameKey(const LatestRegister& a, const LatestRegister& b) {
  return a.has_best == b.has_best && a.start_ns == b.start_ns && a.trace_id == b.trace_id;
}

}  // namespace

void StoreImpl::VerifySessionIndex(const rocksdb::ReadOptions& ro, const std::string& prefix,
                                   const std::string& name, const SessionDelta& recomputed,
                                   VerifyReport* report) {
  if (options_.read_only && indexer_->has_pending()) return;  // Reported once.
  const SessionIndexState want_state = SessionIndexState::Of(recomputed);
  const SessionIndexEntry want = want_state.Entry();
  const std::string& user = want_state.user_id();
  std::string value;
  rocksdb::Status rs = db_->Get(ro, index_, StateKey(prefix), &value);
  SessionIndexState got;
  if (!rs.ok() || !DecodeIndexState(value, &got) || !got.Exact() || !(got.Entry() == want) ||
      got.user_id() != user || !SameKey(got.last, want_state.last) ||
      !SameKey(got.last_user, want_state.last_user)) {
    report->mismatches.push_back("session " + name + ": index state missing or stale");
    return;
  }
  const std::string entry = EncodeIndexEntry(want);
  for (char order : kSessionOrders) {
    rs = db_->Get(ro, index_, OrderKey(order, OrderMetric(order, want), prefix), &value);
    if (!rs.ok() || value != entry) {
      report->mismatches.push_back("session " + name + ": '" + std::string(1, order) +
                                   "' order entry missing or stale");
    }
  }
  if (!user.empty()) {
    rs = db_->Get(ro, index_, UserKey(user, want.last_ns, prefix), &value);
    if (!rs.ok() || value != entry) {
      report->mismatches.push_back("session " + name + ": user entry missing or stale");
    }
  }
}

Status StoreImpl::VerifyIndexEntries(const rocksdb::ReadOptions& ro,
                                     const std::unordered_set<std::string>& sessions,
                                     VerifyReport* report) {
  if (options_.read_only && indexer_->has_pending()) return Status::OK();
  std::unique_ptr<rocksdb::Iterator> x(db_->NewIterator(ro, index_));
  // Each 'O' and 'U' entry must be the one its session's state implies;
  // together with VerifySessionIndex this finds extra and stale entries.
  for (x->SeekToFirst(); x->Valid(); x->Next()) {
    const std::string_view key = x->key().ToStringView();
    std::string_view prefix;
    char order = 0;
    uint64_t metric = 0;
    std::string_view user;
    int64_t last = 0;
    if (key[0] == kStateTag) {
      prefix = key.substr(1);
      if (sessions.count(std::string(prefix)) == 0) {
        report->mismatches.push_back("session index: state of a session without traces");
      }
      continue;
    }
    const bool is_order = key[0] == kOrderTag && ParseOrderKey(key, &order, &metric, &prefix);
    const bool is_user =
        !is_order && key[0] == kUserTag && ParseUserKey(key, &user, &last, &prefix);
    if (!is_order && !is_user) {
      report->mismatches.push_back("index: malformed key");
      continue;
    }
    std::string value;
    SessionIndexState state;
    rocksdb::Status rs = db_->Get(ro, index_, StateKey(prefix), &value);
    if (!rs.ok() || !DecodeIndexState(value, &state) || !state.Exists()) {
      report->mismatches.push_back("session index: entry of a session without index state");
      continue;
    }
    const SessionIndexEntry e = state.Entry();
    const bool matches =
        is_order ? metric == OrderMetric(order, e) : (user == state.user_id() && last == e.last_ns);
    if (!matches) report->mismatches.push_back("session index: stale entry");
  }
  return x->status().ok() ? Status::OK() : FromRocks(x->status(), "scan index");
}

Status StoreImpl::TEST_AggregateOperandCount(std::string_view session_id, int* count) {
  *count = 0;
  rocksdb::GetMergeOperandsOptions opts;
  opts.expected_max_number_of_operands = 1 << 16;
  std::vector<rocksdb::PinnableSlice> values(opts.expected_max_number_of_operands);
  rocksdb::Status rs = db_->GetMergeOperands(
      rocksdb::ReadOptions(), sessions_, SessionPrefix(session_id), values.data(), &opts, count);
  if (rs.IsNotFound()) return Status::OK();
  return FromRocks(rs, "get merge operands");
}

Status StoreImpl::TEST_OverwriteTraceRecord(std::string_view trace_id, std::string_view bytes) {
  std::string locator;
  rocksdb::Status rs = db_->Get(rocksdb::ReadOptions(), trace_ids_, trace_id, &locator);
  if (!rs.ok()) return FromRocks(rs, "read trace id index");
  int64_t start = 0;
  std::string_view session;
  if (!DecodeLocator(locator, &start, &session)) return Status::Corruption("bad locator");
  return FromRocks(db_->Put(rocksdb::WriteOptions(), traces_,
                            TraceKey(HashOf(session), session, start, trace_id), bytes),
                   "overwrite trace record");
}

}  // namespace sessionstore
