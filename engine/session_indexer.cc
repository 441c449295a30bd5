// Copyright sessionstore authors.

#include "engine/session_indexer.h"

#include <rocksdb/snapshot.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <memory>
#include <unordered_set>
#include <utility>

#include "engine/aggregate/session_fold.h"
#include "engine/range_scan.h"
#include "engine/util/no_throw.h"
#include "engine/util/rocks_status.h"

namespace sessionstore {

namespace {

// Session id of a prefix, for messages.
std::string PrefixName(std::string_view prefix) {
  uint64_t hash = 0;
  std::string_view id;
  return GetSessionPrefix(&prefix, &hash, &id) ? Printable(id) : "(malformed prefix)";
}

// Sorts a batch's sessions by prefix (readers search them), unless they
// are (the writer sorts them).
void SortByPrefix(std::vector<DirtySession>* batch) {
  const auto by_prefix = [](const DirtySession& a, const DirtySession& b) {
    return a.prefix < b.prefix;
  };
  if (!std::is_sorted(batch->begin(), batch->end(), by_prefix)) {
    std::sort(batch->begin(), batch->end(), by_prefix);
  }
}

// The session at `prefix` in a batch sorted by prefix, or null.
const DirtySession* FindSession(const std::vector<DirtySession>& batch, std::string_view prefix) {
  const auto it = std::lower_bound(
      batch.begin(), batch.end(), prefix,
      [](const DirtySession& d, std::string_view p) { return d.prefix < p; });
  return it != batch.end() && it->prefix == prefix ? &*it : nullptr;
}

}  // namespace

Status SessionIndexer::FoldAggregate(const rocksdb::Status& read, std::string_view stored,
                                     const SessionWork& work, SessionDelta* aggregate) const {
  SessionFold fold;
  if (read.ok()) {
    if (!fold.Add(stored)) {
      return Status::Corruption("aggregate of session " + PrefixName(work.prefix) +
                                " fails verification");
    }
  } else if (!read.IsNotFound()) {
    return FromRocks(read, "read aggregate of session " + PrefixName(work.prefix));
  }
  for (std::string_view d : work.deltas) {
    if (!fold.Add(d)) {
      return Status::Corruption("a pending delta of session " + PrefixName(work.prefix) +
                                " fails verification");
    }
  }
  fold.Materialize(aggregate);
  return Status::OK();
}

bool SameTableRow(const SessionIndexState& a, const SessionIndexState& b) {
  if (a.Exists() != b.Exists()) return false;
  if (!a.Exists()) return true;
  auto same_keys = [](const auto& x, const auto& y) {
    return x.size() == y.size() &&
           std::equal(x.begin(), x.end(), y.begin(),
                      [](const auto& p, const auto& q) { return p.first == q.first; });
  };
  return a.Entry() == b.Entry() && a.user_id() == b.user_id() &&
         a.session_name() == b.session_name() && same_keys(a.tags, b.tags) &&
         same_keys(a.models, b.models);
}

SessionTableChange TableChangeOf(std::string_view prefix, const SessionIndexState& state) {
  SessionTableChange c;
  c.prefix.assign(prefix);
  c.listed = state.Exists();
  if (!c.listed) return c;
  c.entry = state.Entry();
  c.user_id = state.user_id();
  c.session_name = state.session_name();
  c.tags.reserve(state.tags.size());
  for (const auto& kv : state.tags) c.tags.push_back(kv.first);
  c.models.reserve(state.models.size());
  for (const auto& kv : state.models) c.models.push_back(kv.first);
  return c;
}

SessionIndexer::SessionIndexer(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* sessions,
                               rocksdb::ColumnFamilyHandle* index,
                               rocksdb::ColumnFamilyHandle* dirty, const IndexRowSource* rows,
                               SessionTable* table)
    : db_(db), sessions_(sessions), index_(index), dirty_(dirty), rows_(rows), table_(table) {}

SessionIndexer::~SessionIndexer() {
  StopPreload();
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status SessionIndexer::Recover() {
  uint64_t max_seq = 0;
  Pending found;
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, dirty_));
  std::vector<DirtySession> sessions;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    uint64_t seq = 0;
    if (!ParseDirtyKey(it->key().ToStringView(), &seq)) {
      return Status::Corruption("dirty marker with a malformed key");
    }
    if (!DecodeDirtyMarker(it->value().ToStringView(), &sessions)) {
      return Status::Corruption("dirty marker " + std::to_string(seq) +
                                " holds a malformed list of session deltas");
    }
    max_seq = std::max(max_seq, seq);
    std::vector<DirtySession>& batch = found[seq];
    batch = std::move(sessions);
    SortByPrefix(&batch);
  }
  if (!it->status().ok()) return FromRocks(it->status(), "read dirty markers");
  std::lock_guard<std::mutex> l(mu_);
  // Above every marker on disk, so no new marker overwrites one not yet
  // applied (a reused sequence of an applied, deleted marker is harmless).
  next_seq_ = std::max(max_seq, static_cast<uint64_t>(db_->GetLatestSequenceNumber())) + 1;
  pending_.merge(found);
  return Status::OK();
}

void SessionIndexer::Start(uint32_t interval_ms) {
  if (interval_ms == 0 || thread_.joinable()) return;
  thread_ = std::thread([this, interval_ms] { Run(interval_ms); });
}

void SessionIndexer::Run(uint32_t interval_ms) {
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    cv_.wait(l, [&] { return stop_ || !pending_.empty() || !retry_.empty(); });
    if (stop_) break;
    // Let changes gather for one interval, then index them in one write.
    cv_.wait_for(l, std::chrono::milliseconds(interval_ms), [&] { return stop_; });
    if (stop_) break;
    l.unlock();
    Status s;
    {
      std::lock_guard<std::mutex> drain(drain_mu_);
      s = CatchUpNoThrow();
    }
    l.lock();
    if (!s.ok()) {
      if (background_error_.ok()) background_error_ = s;
      // Back off: a persistent error (read-only filesystem) must not spin.
      cv_.wait_for(l, std::chrono::milliseconds(std::max<uint32_t>(interval_ms, 1000)),
                   [&] { return stop_; });
    }
  }
}

uint64_t SessionIndexer::NextSeq() {
  std::lock_guard<std::mutex> l(mu_);
  return next_seq_++;
}

void SessionIndexer::AddPending(Pending::node_type node) noexcept {
  bool wake = false;
  {
    std::lock_guard<std::mutex> l(mu_);
    wake = pending_.empty();
    pending_.insert(std::move(node));  // A node insert does not allocate.
  }
  if (wake) cv_.notify_all();
}

SessionIndexer::Batch::Batch(SessionIndexer* indexer)
    : indexer_(indexer), seq_(indexer->NextSeq()) {
  Pending one;
  one.try_emplace(seq_);
  node_ = one.extract(seq_);
}

SessionIndexer::Batch::~Batch() {
  if (!ended_) End(false, nullptr);
}

void SessionIndexer::Batch::End(bool written, std::vector<DirtySession>* sessions) noexcept {
  ended_ = true;
  if (!written || sessions->empty()) return;
  node_.mapped() = std::move(*sessions);
  SortByPrefix(&node_.mapped());  // Cannot throw: the writer sorted them.
  indexer_->AddPending(std::move(node_));
}

std::size_t SessionIndexer::pending() const {
  std::lock_guard<std::mutex> l(mu_);
  std::unordered_set<std::string_view> sessions;
  for (const auto& [prefix, d] : retry_) sessions.insert(prefix);
  for (const auto& [seq, batch] : pending_) {
    for (const DirtySession& d : batch) sessions.insert(d.prefix);
  }
  return sessions.size();
}

bool SessionIndexer::has_pending() const {
  std::lock_guard<std::mutex> l(mu_);
  return !pending_.empty() || !retry_.empty();
}

void SessionIndexer::PendingFor(const std::vector<std::string_view>& prefixes,
                                std::vector<std::vector<std::string>>* deltas,
                                const std::function<void()>& take_snapshot) const {
  deltas->resize(prefixes.size());
  std::shared_lock<std::shared_mutex> apply(apply_mu_);
  std::lock_guard<std::mutex> l(mu_);
  for (std::size_t i = 0; i < prefixes.size(); ++i) {
    (*deltas)[i].clear();
    CollectLocked(prefixes[i], &(*deltas)[i]);
  }
  // Under mu_ too: no batch ends between the collection and the snapshot.
  take_snapshot();
}

void SessionIndexer::AllPending(PendingMap* deltas,
                                const std::function<void()>& take_snapshot) const {
  deltas->clear();
  std::shared_lock<std::shared_mutex> apply(apply_mu_);
  std::lock_guard<std::mutex> l(mu_);
  // In CollectLocked's order.
  const auto add_batches = [&](const Pending& batches) {
    for (const auto& [seq, batch] : batches) {
      for (const DirtySession& d : batch) (*deltas)[d.prefix].push_back(d.delta);
    }
  };
  const auto add_retry = [&](const Retry& retry) {
    for (const auto& [prefix, d] : retry) (*deltas)[prefix].push_back(d.delta);
  };
  add_batches(kept_);
  if (inflight_ != nullptr) {
    add_retry(inflight_->retry);
    add_batches(inflight_->batches);
  }
  add_retry(retry_);
  add_batches(pending_);
  take_snapshot();
}

void SessionIndexer::CollectLocked(std::string_view prefix,
                                   std::vector<std::string>* deltas) const {
  // In write order: what a read-only open applied in memory (its store
  // takes no writes), the catch-up in progress (its retry, then its
  // batches), what a failed one left, the batches not yet taken.
  const auto add_batches = [&](const Pending& batches) {
    for (const auto& [seq, batch] : batches) {
      if (const DirtySession* d = FindSession(batch, prefix)) deltas->push_back(d->delta);
    }
  };
  const auto add_retry = [&](const Retry& retry) {
    const auto it = retry.find(prefix);
    if (it != retry.end()) deltas->push_back(it->second.delta);
  };
  add_batches(kept_);
  if (inflight_ != nullptr) {
    add_retry(inflight_->retry);
    add_batches(inflight_->batches);
  }
  add_retry(retry_);
  add_batches(pending_);
}

Status SessionIndexer::CatchUpNoThrow() {
  // An exception (std::bad_alloc) must not end the indexer's thread, nor
  // cross the API: the batches it was applying go back to pending (see
  // CatchUpLocked) and the error is reported.
  return NoThrow("session index catch-up", [this] { return CatchUpLocked(); });
}

Status SessionIndexer::ApplyPendingInMemory() {
  std::lock_guard<std::mutex> drain(drain_mu_);
  Status s = LoadTableLocked();
  if (!s.ok() || !has_pending()) return s;
  in_memory_ = true;
  s = CatchUpNoThrow();
  in_memory_ = false;
  applied_in_memory_ = s.ok();
  return s;
}

Status SessionIndexer::WriteStates(rocksdb::WriteBatch* wb,
                                   const std::vector<SessionTableChange>& changes) {
  std::lock_guard<std::mutex> drain(drain_mu_);
  Status s = FromRocks(db_->Write(rocksdb::WriteOptions(), wb), "write session deletions");
  if (s.ok() && table_->loaded()) table_->ApplyOrUnload(changes);
  return s;
}

Status SessionIndexer::LoadTable() {
  std::lock_guard<std::mutex> drain(drain_mu_);
  return LoadTableLocked();
}

void SessionIndexer::StartPreload() {
  if (preload_.joinable()) return;
  preload_ = std::thread([this] {
    std::lock_guard<std::mutex> drain(drain_mu_);
    (void)LoadTableLocked(&stop_preload_);
  });
}

void SessionIndexer::StopPreload() {
  stop_preload_.store(true, std::memory_order_relaxed);
  if (preload_.joinable()) preload_.join();
}

Status SessionIndexer::LoadTableLocked(const std::atomic<bool>* cancel) {
  if (table_->loaded()) return Status::OK();
  return NoThrow("load session table", [this, cancel] {
    // Catch-ups are held off (drain_mu_), so the states read are the ones
    // every later catch-up's changes apply to.
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;
    const std::string lower(1, kStateTag);
    RangeScan scan(db_, index_, ro, lower, PrefixSuccessor(lower), /*forward=*/true);
    std::vector<SessionTableChange> rows;
    for (scan.Start(); scan.Valid(); scan.Next()) {
      if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
        return Status::Busy("session index build stopped: the store is closing");
      }
      SessionIndexState state;
      const std::string_view prefix = scan.key().substr(1);
      if (!DecodeIndexState(scan.value(), &state) || !state.Exact()) {
        return Status::Corruption("index state of session " + PrefixName(prefix) + " is malformed");
      }
      if (!state.Exists()) continue;
      rows.push_back(TableChangeOf(prefix, state));
    }
    if (!scan.status().ok()) return FromRocks(scan.status(), "read session index states");
    table_->Load(std::move(rows));
    return Status::OK();
  });
}

Status SessionIndexer::CatchUp() {
  std::lock_guard<std::mutex> drain(drain_mu_);
  Status s = CatchUpNoThrow();
  std::lock_guard<std::mutex> l(mu_);
  if (s.ok() && !background_error_.ok()) s = background_error_;
  background_error_ = Status::OK();
  return s;
}

Status SessionIndexer::CatchUpLocked() {
  Work work;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (pending_.empty() && retry_.empty()) return Status::OK();
    work.batches.swap(pending_);
    work.retry.swap(retry_);
    work.retry_seqs.swap(retry_seqs_);
    inflight_ = &work;  // Readers still add it until it is stored.
  }
  try {
    return Apply(&work);
  } catch (...) {
    // Nothing was written (the write is Apply's last step, and it ends
    // the work itself): the work goes back for the next catch-up.
    // Catch-ups are serialized, so retry_ is still empty.
    std::lock_guard<std::mutex> l(mu_);
    if (inflight_ == &work) {
      pending_.merge(work.batches);
      retry_ = std::move(work.retry);
      retry_seqs_ = std::move(work.retry_seqs);
      inflight_ = nullptr;
    }
    throw;
  }
}

Status SessionIndexer::Apply(Work* work) {
  // Each session's deltas in batch order: what a failed catch-up left
  // first, then by sequence. Batches that touch the same trace hold its
  // lock from before their Batch is made until after End(), so their
  // sequences follow their writes, the order the latest registers need
  // (for other batches the order cannot change an exact result:
  // docs/format.md). Sorted by prefix: the batch's keys then arrive in
  // order, and the result does not depend on hash-set iteration.
  std::map<std::string_view, SessionWork> by_session;
  const auto add = [&](std::string_view prefix, const DirtySession& d) {
    SessionWork& w = by_session[prefix];
    w.prefix = prefix;
    w.deltas.push_back(d.delta);
    w.state.Add(d.state);
  };
  for (const auto& [prefix, d] : work->retry) add(prefix, d);
  for (const auto& [seq, batch] : work->batches) {
    for (const DirtySession& d : batch) add(d.prefix, d);
  }
  std::vector<SessionWork> sessions;
  sessions.reserve(by_session.size());
  for (auto& [prefix, w] : by_session) sessions.push_back(std::move(w));
  std::vector<IndexWrite> writes;
  std::vector<SessionTableChange> changes;
  Status s;
  {
    ReadSnapshot snapshot(db_, static_view_);  // Released on every path out.
    // In chunks: each is one batched read of aggregates and states.
    constexpr std::size_t kChunk = 256;
    const std::span<const SessionWork> all(sessions);
    for (std::size_t i = 0; i < all.size() && s.ok(); i += kChunk) {
      s = IndexSessions(snapshot.snapshot(), all.subspan(i, std::min(kChunk, all.size() - i)),
                        &writes, &changes);
    }
  }
  std::vector<uint64_t> applied = work->retry_seqs;
  for (const auto& [seq, batch] : work->batches) applied.push_back(seq);
  Retry left;
  {
    // Readers (PendingFor) wait while the aggregates change and the work
    // leaves them: each sees the work in exactly one of the two.
    std::unique_lock<std::shared_mutex> exclusive(apply_mu_);
    if (s.ok()) s = WriteIndex(writes, applied);
    bool composed = true;
    if (!s.ok()) {
      // Retried by the next catch-up, composed: a persistent error holds
      // one state and one delta per session, not one per batch.
      for (SessionWork& w : sessions) {
        SessionFold fold;
        for (std::string_view d : w.deltas) composed = composed && fold.Add(d);
        if (!composed) break;  // Verified when decoded: not expected.
        SessionDelta folded;
        fold.Materialize(&folded);
        left.emplace(std::string(w.prefix),
                     DirtySession{std::string(w.prefix), folded.Encode(), std::move(w.state)});
      }
      if (composed) work->retry_seqs = std::move(applied);
    }
    EndWork(s, composed, work, &left);
  }
  if (!s.ok()) return s;
  // The states are on disk (or this is the in-memory catch-up of a
  // read-only open): the table follows them.
  if (table_->loaded()) table_->ApplyOrUnload(changes);
  return Status::OK();
}

void SessionIndexer::EndWork(const Status& s, bool composed, Work* work, Retry* left) noexcept {
  std::lock_guard<std::mutex> l(mu_);
  inflight_ = nullptr;
  if (!s.ok() && composed) {
    retry_ = std::move(*left);
    retry_seqs_ = std::move(work->retry_seqs);
    return;
  }
  if (!s.ok()) {
    // The work as it came (its deltas could not be composed).
    pending_.merge(work->batches);
    retry_ = std::move(work->retry);
    retry_seqs_ = std::move(work->retry_seqs);
    return;
  }
  // A read-only open's catch-up stores nothing: its readers keep adding
  // the work (the retry is empty: no write ever failed).
  if (in_memory_) kept_.merge(work->batches);
}

Status SessionIndexer::WriteIndex(const std::vector<IndexWrite>& writes,
                                  const std::vector<uint64_t>& applied) {
  // A read-only store: nothing is written; the markers stay on disk for the
  // next writable open.
  if (in_memory_) return Status::OK();
  // In key order per family: the memtable's skip list then inserts each
  // key next to the previous one instead of searching from its top.
  // Apply's writes come in order already (by session prefix; a state key
  // only adds a tag in front): checked, and sorted (pointers, not the
  // writes) only if not.
  std::vector<const IndexWrite*> order;
  order.reserve(writes.size());
  for (const IndexWrite& w : writes) order.push_back(&w);
  const auto by_key = [](const IndexWrite* a, const IndexWrite* b) {
    return std::tie(a->family, a->key) < std::tie(b->family, b->key);
  };
  if (!std::is_sorted(order.begin(), order.end(), by_key)) {
    std::sort(order.begin(), order.end(), by_key);
  }
  std::size_t bytes = 0;
  for (const IndexWrite* w : order) bytes += w->key.size() + w->value.size() + 16;
  rocksdb::WriteBatch wb(bytes + applied.size() * 32);
  Status s;
  for (const IndexWrite* w : order) {
    if (!s.ok()) break;
    s = FromRocks(wb.Put(w->family, w->key, w->value), "batch session writes");
  }
  // The applied markers go in the same write: each marker key is written
  // once, so SingleDelete lets the pair vanish at the next flush.
  for (std::size_t i = 0; s.ok() && i < applied.size(); ++i) {
    s = FromRocks(wb.SingleDelete(dirty_, DirtyKey(applied[i])), "delete dirty marker");
  }
  if (!s.ok()) return s;
  // No fsync needed: if this write is lost, so is nothing else, because the
  // markers it deletes come back with it.
  return FromRocks(db_->Write(rocksdb::WriteOptions(), &wb), "write session aggregates");
}

Status SessionIndexer::IndexSessions(const rocksdb::Snapshot* snapshot,
                                     std::span<const SessionWork> work,
                                     std::vector<IndexWrite>* writes,
                                     std::vector<SessionTableChange>* changes) {
  const std::size_t n = work.size();
  // What the store holds now: each session's aggregate and index state.
  // Only catch-ups write them (and deletions, which hold catch-ups off),
  // so the latest values are the ones to add to.
  std::vector<rocksdb::Slice> prefixes;
  std::vector<std::string> state_keys;
  prefixes.reserve(n);
  state_keys.reserve(n);
  for (const SessionWork& w : work) {
    prefixes.emplace_back(w.prefix.data(), w.prefix.size());
    state_keys.push_back(StateKey(w.prefix));
  }
  const BatchGet aggregates(db_, rocksdb::ReadOptions(), sessions_, prefixes, /*sorted=*/true);
  const BatchGet got(db_, rocksdb::ReadOptions(), index_,
                     std::vector<rocksdb::Slice>(state_keys.begin(), state_keys.end()),
                     /*sorted=*/true);
  SessionDelta aggregate;
  for (std::size_t i = 0; i < n; ++i) {
    SessionIndexState old;
    const rocksdb::Status& rs = got.statuses[i];
    if (!rs.ok() && !rs.IsNotFound()) return FromRocks(rs, "read index state");
    const bool indexed = rs.ok();
    if (indexed && !DecodeIndexState(got.values[i].ToStringView(), &old)) {
      return Status::Corruption("index state of session " + PrefixName(work[i].prefix) +
                                " is malformed");
    }
    Status s = FoldAggregate(aggregates.statuses[i], aggregates.values[i].ToStringView(), work[i],
                             &aggregate);
    if (!s.ok()) return s;
    writes->push_back({sessions_, std::string(work[i].prefix), aggregate.Encode()});
    SessionIndexState state = old;
    state.Add(work[i].state);
    if (!state.Exact()) {
      // A trace's start moved earlier: the stored traces decide the latest
      // registers. Reading them from a snapshot that also holds later
      // batches is harmless (the registers are maxima: adding those
      // batches later changes nothing); the counters stay the exact sum of
      // the applied batches.
      IndexRow row;
      rows_->ExactRow(snapshot, work[i].prefix, aggregate, &row);
      if (!row.status.ok()) return row.status;
      state.last = std::move(row.state.last);
      state.last_user = std::move(row.state.last_user);
      state.last_name = std::move(row.state.last_name);
      if (!state.Exact()) return Status::Corruption("session index reader returned unsure registers");
    }
    if (indexed && old == state) continue;
    writes->push_back({index_, std::move(state_keys[i]), EncodeIndexState(state)});
    // What the table holds: only worth building when it is loaded (a
    // process that only ingests never loads it) and when it changed.
    if (!table_->loaded() || (indexed && SameTableRow(old, state))) continue;
    changes->push_back(TableChangeOf(work[i].prefix, state));
  }
  return Status::OK();
}

}  // namespace sessionstore
