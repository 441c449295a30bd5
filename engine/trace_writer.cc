// Copyright sessionstore authors.

#include "engine/trace_writer.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "engine/aggregate/session_index_state.h"
#include "engine/format/keys.h"
#include "engine/format/trace_codec.h"
#include "engine/range_scan.h"
#include "engine/trace_versions.h"
#include "engine/util/rocks_status.h"

namespace sessionstore {

namespace {

Status SessionConflict(const Trace& current, const Trace& incoming) {
  return Status::InvalidArgument("session_id: trace " + Printable(current.trace_id) +
                                 " is in session " + Printable(current.session_id) + ", not " +
                                 Printable(incoming.session_id));
}

// Each version passed validation, but versions merged into one trace may
// add up past the limits (spans and tags are unions).
Status MergedLimits(const Trace& merged) {
  auto over = [](const char* field, std::size_t n, std::size_t limit) {
    return Status::InvalidArgument(std::string(field) +
                                   ": merged with the stored and earlier versions, the trace "
                                   "would have " +
                                   std::to_string(n) + " " + field + " (limit " +
                                   std::to_string(limit) + ")");
  };
  if (merged.spans.size() > kMaxSpans) return over("spans", merged.spans.size(), kMaxSpans);
  if (merged.tags.size() > kMaxTags) return over("tags", merged.tags.size(), kMaxTags);
  return Status::OK();
}

void SortRejections(IngestResult* result) {
  std::sort(result->rejected.begin(), result->rejected.end(),
            [](const RejectedTrace& a, const RejectedTrace& b) { return a.index < b.index; });
}

// A WriteBatch's fixed header (sequence, count), and an upper bound on what
// one entry adds besides its key and value (type, family id, two varint
// lengths).
constexpr std::size_t kWriteBatchHeaderBytes = 12;
constexpr std::size_t kWriteBatchEntryBytes = 16;

}  // namespace

// Every family's writes in key order: the memtable's skip list then inserts
// each key next to the previous one (its splice) instead of searching from
// the top; random order took about 37 key comparisons per insert
// (bench/README.md, "Fold, perf level, key order"). Sorted: the family and
// the key's first 8 bytes as integers, the whole key only on a tie (the
// order is the keys' byte order: a shorter key is padded with zero bytes,
// and a tie compares the keys themselves).
Status TraceWriter::AddInKeyOrder(const KeyedWrites& writes, rocksdb::WriteBatch* wb) {
  struct Sorted {
    uint32_t family;
    uint64_t head;
    const KeyedWrite* write;
  };
  std::vector<Sorted> order;
  order.reserve(writes.size());
  for (const KeyedWrite& w : writes) {
    unsigned char head[8] = {};
    std::memcpy(head, w.key.data(), std::min<std::size_t>(8, w.key.size()));
    uint64_t h = 0;
    for (unsigned char c : head) h = (h << 8) | c;
    order.push_back({w.cf->GetID(), h, &w});
  }
  std::sort(order.begin(), order.end(), [](const Sorted& a, const Sorted& b) {
    if (a.family != b.family) return a.family < b.family;
    if (a.head != b.head) return a.head < b.head;
    return a.write->key < b.write->key;
  });
  for (const Sorted& o : order) {
    const KeyedWrite& w = *o.write;
    const rocksdb::Status st =
        w.op == KeyedWrite::Op::kPut ? wb->Put(w.cf, w.key, w.value) : wb->Delete(w.cf, w.key);
    if (!st.ok()) return FromRocks(st, "batch the writes");
  }
  return Status::OK();
}

Status TraceWriter::Ingest(std::span<const Trace> batch, IngestResult* result) {
  *result = IngestResult();
  std::shared_lock<std::shared_mutex> gate(gate_);
  std::vector<PendingTrace> pending = GroupValid(batch, result);
  if (pending.empty()) {
    SortRejections(result);
    return Status::OK();
  }
  // Hold the trace ids for the read-modify-write.
  std::vector<std::string_view> ids;
  ids.reserve(pending.size());
  for (const PendingTrace& p : pending) ids.push_back(p.trace_id);
  TraceLockTable::Guard guard(&trace_locks_, ids);

  StoredVersions stored;
  Status s = ReadStored(pending, &stored);
  if (!s.ok()) return s;
  KeyedWrites writes;
  writes.reserve(pending.size() * 2);
  SessionDeltas deltas;
  deltas.reserve(pending.size());
  for (std::size_t i = 0; i < pending.size(); ++i) {
    ApplyTrace(batch, pending[i], i, stored, &writes, &deltas, result);
  }
  SortRejections(result);
  return Commit(&deltas, batch.size(), &writes);
}

std::vector<TraceWriter::PendingTrace> TraceWriter::GroupValid(std::span<const Trace> batch,
                                                               IngestResult* result) {
  std::vector<PendingTrace> pending;
  std::unordered_map<std::string_view, std::size_t> by_id;
  by_id.reserve(batch.size());
  pending.reserve(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    Status s = ValidateTrace(batch[i]);
    if (!s.ok()) {
      result->rejected.push_back({i, batch[i].trace_id, s});
      continue;
    }
    auto [it, fresh] = by_id.try_emplace(batch[i].trace_id, pending.size());
    if (fresh) {
      pending.push_back(PendingTrace{batch[i].trace_id, i, {}});
    } else {
      pending[it->second].more.push_back(i);
    }
  }
  return pending;
}

Status TraceWriter::ReadStored(const std::vector<PendingTrace>& pending,
                               StoredVersions* stored) const {
  const std::size_t n = pending.size();
  stored->keys.assign(n, std::string());
  stored->traces.clear();
  stored->versions.assign(n, 0);
  stored->slot.assign(n, StoredVersions::kNotStored);
  rocksdb::ReadOptions ro;
  std::vector<rocksdb::Slice> id_keys;
  id_keys.reserve(n);
  for (const PendingTrace& p : pending) id_keys.emplace_back(p.trace_id);
  const BatchGet locators(ctx_->db, ro, ctx_->cf.trace_ids, id_keys);

  std::vector<std::size_t> found;
  std::vector<rocksdb::Slice> record_keys;
  for (std::size_t i = 0; i < n; ++i) {
    const rocksdb::Status& st = locators.statuses[i];
    if (st.IsNotFound()) continue;
    const std::string_view id = pending[i].trace_id;
    if (!st.ok()) return FromRocks(st, "read trace id index");
    int64_t start = 0;
    std::string_view session;
    if (!DecodeLocator(locators.values[i].ToStringView(), &start, &session)) {
      return Status::Corruption("trace id index entry of " + Printable(id) + " is malformed");
    }
    stored->keys[i] = ctx_->TraceKeyOf(session, start, id);
    found.push_back(i);
  }
  for (std::size_t i : found) record_keys.emplace_back(stored->keys[i]);
  const BatchGet records(ctx_->db, ro, ctx_->cf.traces, record_keys);
  stored->traces.resize(found.size());
  for (std::size_t j = 0; j < found.size(); ++j) {
    const std::size_t i = found[j];
    const std::string_view id = pending[i].trace_id;
    if (!records.statuses[j].ok()) {
      return records.statuses[j].IsNotFound()
                 ? Status::Corruption("trace " + Printable(id) +
                                      " is indexed but its record is missing")
                 : FromRocks(records.statuses[j], "read trace " + Printable(id));
    }
    if (!DecodeTrace(records.values[j].ToStringView(), &stored->traces[j], &stored->versions[i])) {
      return Status::Corruption("stored record of trace " + Printable(id) + " fails verification");
    }
    stored->slot[i] = static_cast<uint32_t>(j);
  }
  return Status::OK();
}

std::optional<Trace> TraceWriter::FoldVersions(std::span<const Trace> batch, const PendingTrace& p,
                                               const Trace* old, std::vector<std::size_t>* applied,
                                               IngestResult* result) {
  std::optional<Trace> current;
  if (old != nullptr) current = *old;
  for (std::size_t k = 0; k < p.count(); ++k) {
    const std::size_t index = p.at(k);
    Trace version = batch[index];
    NormalizeTrace(&version);
    Status s;
    if (current && !version.session_id.empty() && !current->session_id.empty() &&
        version.session_id != current->session_id) {
      s = SessionConflict(*current, version);
    } else if (!current) {
      current = std::move(version);  // Validated: within the limits.
    } else {
      Trace merged = MergeTraceVersions(*current, version);
      s = MergedLimits(merged);
      if (s.ok()) current = std::move(merged);
    }
    if (!s.ok()) {
      result->rejected.push_back({index, batch[index].trace_id, s});
      continue;
    }
    applied->push_back(index);
  }
  return current;
}

SessionDelta TraceWriter::DeltaOf(const Trace& merged, uint64_t version, const Trace* old,
                                  uint64_t old_version) {
  const bool was_in_session = old != nullptr && !old->session_id.empty();
  SessionDelta d;
  if (was_in_session && old->start_ns != merged.start_ns) {
    // The start moved earlier: the old key leaves the latest registers.
    d = SessionDelta::RetractionOf(*old);
    d.Add(SessionDelta::FromTrace(merged, version));
  } else {
    d = SessionDelta::FromTrace(merged, version);
  }
  if (was_in_session) d.SubtractCounters(SessionDelta::FromTrace(*old, old_version));
  return d;
}

void TraceWriter::ApplyTrace(std::span<const Trace> batch, const PendingTrace& p, std::size_t i,
                             const StoredVersions& stored, KeyedWrites* writes,
                             SessionDeltas* deltas, IngestResult* result) const {
  const Trace* old = stored.TraceOf(i);
  std::vector<std::size_t> applied;
  std::optional<Trace> folded;
  const Trace* current = nullptr;
  if (old == nullptr && p.more.empty() && IsNormalized(batch[p.first])) {
    // Most traces: one new version, already in stored form; no copy.
    current = &batch[p.first];
    applied.push_back(p.first);
  } else {
    folded = FoldVersions(batch, p, old, &applied, result);
    current = folded ? &*folded : nullptr;
  }
  if (applied.empty()) return;
  const Trace& merged = *current;
  uint64_t version = 1;
  if (old != nullptr) {
    if (merged == *old) {
      ++result->unchanged;
      return;
    }
    version = stored.versions[i] + 1;
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
    return;
  }
  std::string key = ctx_->TraceKeyOf(merged.session_id, merged.start_ns, merged.trace_id);
  const bool moved = old == nullptr || key != stored.keys[i];
  using Op = KeyedWrite::Op;
  if (old != nullptr && moved)
    writes->push_back({ctx_->cf.traces, Op::kDelete, stored.keys[i], {}});
  writes->push_back({ctx_->cf.traces, Op::kPut, std::move(key), std::move(record)});
  if (moved) {
    writes->push_back({ctx_->cf.trace_ids, Op::kPut, merged.trace_id,
                       EncodeLocator(merged.start_ns, merged.session_id)});
  }
  if (!merged.session_id.empty()) {
    SessionChange& change = (*deltas)[merged.session_id];
    if (old == nullptr || old->session_id.empty()) {
      // Most traces: new to the session. The marker names the record (a
      // recovery reads it); the delta is added in place.
      change.added.push_back(MarkedSession::Added{merged.start_ns, merged.trace_id});
      change.delta.AddTrace(merged, version);
    } else {
      // The session counts the old version: the marker keeps the delta.
      const SessionDelta d = DeltaOf(merged, version, old, stored.versions[i]);
      change.changed.push_back(MarkedSession::Changed{merged.trace_id, d.Encode()});
      change.delta.Add(d);
    }
  }
  ++(old == nullptr ? result->inserted : result->updated);
}

void TraceWriter::DropLosingFirstOffers(SessionDeltas* deltas) const {
  std::lock_guard<std::mutex> l(firsts_mu_);
  if (known_firsts_.empty()) return;
  for (auto& [session, change] : *deltas) {
    SessionDelta& d = change.delta;
    if (!d.has_first) continue;
    auto it = known_firsts_.find(session);
    if (it == known_firsts_.end()) continue;
    const FirstKey& k = it->second;
    // Strictly later: the register keeps its (earlier) trace whatever the
    // version of this one. Equal keys (the same trace) must be offered.
    if (std::tie(k.start_ns, k.trace_id) < std::tie(d.first_start_ns, d.first_trace_id)) {
      d.has_first = false;
      d.first_start_ns = 0;
      d.first_trace_id.clear();
      d.first_version = 0;
      d.first_input = Payload();
    }
  }
}

TraceWriter::FirstOffers TraceWriter::FirstOffersOf(const SessionDeltas& deltas) {
  FirstOffers offers;
  for (const auto& [session, change] : deltas) {
    const SessionDelta& d = change.delta;
    if (d.has_first) offers.emplace_back(session, FirstKey{d.first_start_ns, d.first_trace_id});
  }
  return offers;
}

void TraceWriter::RememberFirstOffers(const FirstOffers& offers) noexcept {
  std::lock_guard<std::mutex> l(firsts_mu_);
  try {
    if (known_firsts_.size() + offers.size() > kMaxKnownFirsts) known_firsts_.clear();
    for (const auto& [session, offer] : offers) {
      auto [it, inserted] = known_firsts_.try_emplace(std::string(session), offer);
      FirstKey& k = it->second;
      if (!inserted &&
          std::tie(offer.start_ns, offer.trace_id) < std::tie(k.start_ns, k.trace_id)) {
        k = offer;
      }
    }
  } catch (...) {
    // The batch is written: forgetting costs only previews in later operands.
    known_firsts_.clear();
  }
}

Status TraceWriter::Commit(SessionDeltas* deltas, std::size_t batch_size, KeyedWrites* writes) {
  DropLosingFirstOffers(deltas);
  // Each changed session's delta goes to the indexer (whose catch-up folds
  // it into the stored aggregate; readers add it until then), sorted by
  // prefix (readers look sessions up in the batches: PendingFor). The
  // marker, in the same atomic write as the traces, names what a recovery
  // needs to rebuild those deltas: the added traces' keys, and the deltas
  // of changed ones.
  std::vector<std::pair<std::string, SessionChange*>> order;
  order.reserve(deltas->size());
  for (auto& [session, change] : *deltas) {
    if (!change.delta.IsIdentity()) order.emplace_back(ctx_->SessionPrefix(session), &change);
  }
  std::sort(order.begin(), order.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  const FirstOffers offers = FirstOffersOf(*deltas);
  std::vector<DirtySession> changed;
  std::vector<MarkedSession> marks;
  changed.reserve(order.size());
  marks.reserve(order.size());
  for (auto& [prefix, change] : order) {
    marks.push_back(MarkedSession{prefix, std::move(change->added), std::move(change->changed)});
    // Moved, not encoded: the indexer keeps it as it is (DirtySession).
    DirtySession& d = changed.emplace_back();
    d.prefix = std::move(prefix);
    d.delta = std::move(change->delta);
  }
  const std::string marker = marks.empty() ? std::string() : EncodeDirtyMarker(marks);
  marks.clear();
  // Sized up front, from a kept batch: grown by doubling, a batch of
  // 10,000 traces (about 20 MB) was copied over and over as it grew, and a
  // new buffer that large costs a page fault per page (WriteBatchPool).
  std::size_t bytes = kWriteBatchHeaderBytes + marker.size() + 2 * kWriteBatchEntryBytes;
  for (const KeyedWrite& w : *writes)
    bytes += w.key.size() + w.value.size() + kWriteBatchEntryBytes;
  WriteBatchPool::Lease wb = batches_.Acquire(bytes);
  Status s = AddInKeyOrder(*writes, wb.get());
  if (!s.ok()) return s;
  if (wb->Count() == 0) return Status::OK();
  std::optional<SessionIndexer::Batch> marked;
  if (!changed.empty()) {
    marked.emplace(indexer_);
    s = FromRocks(wb->Put(ctx_->cf.dirty, DirtyKey(marked->seq()), marker),
                  "batch the dirty marker");
    if (!s.ok()) return s;
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  const rocksdb::Status ws = ctx_->db->Write(wo, wb.get());
  // Readers see the batch once it is pending (End); then the cached
  // summaries of its sessions go (after a failed write too: nothing is
  // lost by it), so that a summary read before End cannot be cached after
  // it (SummaryCache::Ticket). End moves the sessions: their prefixes are
  // kept for the invalidation.
  std::vector<std::string> prefixes;
  prefixes.reserve(changed.size());
  for (const DirtySession& d : changed) prefixes.push_back(d.prefix);
  if (marked) marked->End(ws.ok(), &changed);
  for (const std::string& p : prefixes) ctx_->summaries->Invalidate(p);
  if (!ws.ok()) return FromRocks(ws, "write batch of " + std::to_string(batch_size) + " traces");
  ingested_bytes_.fetch_add(wb->GetDataSize(), std::memory_order_relaxed);
  RememberFirstOffers(offers);
  return Status::OK();
}

}  // namespace sessionstore
