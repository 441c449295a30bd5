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

}  // namespace

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

SessionIndexer::SessionIndexer(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* index,
                               rocksdb::ColumnFamilyHandle* dirty, const IndexRowSource* rows,
                               SessionTable* table)
    : db_(db), index_(index), dirty_(dirty), rows_(rows), table_(table) {}

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
  std::vector<std::pair<std::string_view, SessionIndexState>> sessions;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    uint64_t seq = 0;
    if (!ParseDirtyKey(it->key().ToStringView(), &seq)) {
      return Status::Corruption("dirty marker with a malformed key");
    }
    if (!DecodeDirtyMarker(it->value().ToStringView(), &sessions)) {
      return Status::Corruption("dirty marker " + std::to_string(seq) +
                                " holds a malformed list of session index deltas");
    }
    max_seq = std::max(max_seq, seq);
    std::vector<DirtySession>& batch = found[seq];
    for (auto& [prefix, state] : sessions)
      batch.emplace_back(std::string(prefix), std::move(state));
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
  indexer_->AddPending(std::move(node_));
}

std::size_t SessionIndexer::pending() const {
  std::lock_guard<std::mutex> l(mu_);
  std::unordered_set<std::string_view> sessions;
  for (const auto& [prefix, state] : retry_) sessions.insert(prefix);
  for (const auto& [seq, batch] : pending_) {
    for (const DirtySession& d : batch) sessions.insert(d.first);
  }
  return sessions.size();
}

bool SessionIndexer::has_pending() const {
  std::lock_guard<std::mutex> l(mu_);
  return !pending_.empty() || !retry_.empty();
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
  Pending work;
  std::map<std::string, SessionIndexState> retry;
  std::vector<uint64_t> retry_seqs;
  {
    std::lock_guard<std::mutex> l(mu_);
    work.swap(pending_);
    retry.swap(retry_);
    retry_seqs.swap(retry_seqs_);
  }
  if (work.empty() && retry.empty()) return Status::OK();
  try {
    return Apply(work, retry, retry_seqs);  // A copy: kept for the catch.
  } catch (...) {
    // Nothing was written (the write is Apply's last step): the work goes
    // back for the next catch-up. Catch-ups are serialized, so retry_ is
    // still empty.
    std::lock_guard<std::mutex> l(mu_);
    pending_.merge(work);
    retry_ = std::move(retry);
    retry_seqs_ = std::move(retry_seqs);
    throw;
  }
}

Status SessionIndexer::Apply(const Pending& work,
                             const std::map<std::string, SessionIndexState>& retry,
                             std::vector<uint64_t> retry_seqs) {
  // Each session's deltas composed in batch order: what a failed catch-up
  // left first, then by sequence. Batches that touch the same trace hold
  // its lock from before their Batch is made until after End(), so their sequences
  // follow their writes, the order the latest registers need (for other
  // batches the order cannot change an exact result: docs/format.md).
  // Sorted by prefix: the batch's keys then arrive in order, and the result
  // does not depend on hash-set iteration.
  std::map<std::string_view, SessionIndexState> composed;
  for (const auto& [prefix, delta] : retry) composed[prefix].Add(delta);
  for (const auto& [seq, batch] : work) {
    for (const auto& [prefix, delta] : batch) composed[prefix].Add(delta);
  }
  std::vector<std::pair<std::string_view, SessionIndexState>> deltas(
      std::make_move_iterator(composed.begin()), std::make_move_iterator(composed.end()));
  // For the sessions whose registers need their aggregate: it holds at
  // least every batch in `work`.
  std::vector<IndexWrite> writes;
  std::vector<SessionTableChange> changes;
  Status s;
  {
    ReadSnapshot snapshot(db_, static_view_);  // Released on every path out.
    // In chunks: each is one batched read of states (and of aggregates).
    constexpr std::size_t kChunk = 256;
    const std::span<const std::pair<std::string_view, SessionIndexState>> all(deltas);
    for (std::size_t i = 0; i < all.size() && s.ok(); i += kChunk) {
      s = IndexSessions(snapshot.snapshot(), all.subspan(i, std::min(kChunk, all.size() - i)),
                        &writes, &changes);
    }
  }
  for (const auto& [seq, batch] : work) retry_seqs.push_back(seq);
  if (s.ok()) s = WriteIndex(writes, retry_seqs);
  if (!s.ok()) {
    // Retried by the next catch-up, composed: a persistent error holds one
    // state per session, not one delta per batch.
    std::map<std::string, SessionIndexState> left;
    for (auto& [prefix, delta] : deltas) left.emplace(prefix, std::move(delta));
    std::lock_guard<std::mutex> l(mu_);
    retry_ = std::move(left);
    retry_seqs_ = std::move(retry_seqs);
    return s;
  }
  // The states are on disk (or this is the in-memory catch-up of a
  // read-only open): the table follows them.
  if (table_->loaded()) table_->ApplyOrUnload(changes);
  return Status::OK();
}

Status SessionIndexer::WriteIndex(const std::vector<IndexWrite>& writes,
                                  const std::vector<uint64_t>& applied) {
  // A read-only store: nothing is written; the markers stay on disk for the
  // next writable open.
  if (in_memory_) return Status::OK();
  // In key order: the memtable's skip list then inserts each key next to the
  // previous one instead of searching from its top. Apply's writes come in
  // order already (by session prefix, and the state key only adds a tag in
  // front): checked, and sorted (pointers, not the writes) only if not.
  std::vector<const IndexWrite*> order;
  order.reserve(writes.size());
  for (const IndexWrite& w : writes) order.push_back(&w);
  const auto by_key = [](const IndexWrite* a, const IndexWrite* b) { return a->key < b->key; };
  if (!std::is_sorted(order.begin(), order.end(), by_key)) {
    std::sort(order.begin(), order.end(), by_key);
  }
  rocksdb::WriteBatch wb;
  Status s;
  for (const IndexWrite* w : order) {
    if (!s.ok()) break;
    s = FromRocks(wb.Put(index_, w->key, w->value), "batch session index writes");
  }
  // The applied markers go in the same write: each marker key is written
  // once, so SingleDelete lets the pair vanish at the next flush.
  for (std::size_t i = 0; s.ok() && i < applied.size(); ++i) {
    s = FromRocks(wb.SingleDelete(dirty_, DirtyKey(applied[i])), "delete dirty marker");
  }
  if (!s.ok()) return s;
  // No fsync needed: if this write is lost, so is nothing else, because the
  // markers it deletes come back with it.
  return FromRocks(db_->Write(rocksdb::WriteOptions(), &wb), "write session indexes");
}

Status SessionIndexer::IndexSessions(
    const rocksdb::Snapshot* snapshot,
    std::span<const std::pair<std::string_view, SessionIndexState>> deltas,
    std::vector<IndexWrite>* writes, std::vector<SessionTableChange>* changes) {
  const std::size_t n = deltas.size();
  // What the indexes hold now. Only catch-ups write 'X', and they are
  // serialized, so the latest value is the one to add to.
  std::vector<std::string> state_keys;
  state_keys.reserve(n);
  for (const auto& d : deltas) state_keys.push_back(StateKey(d.first));
  const BatchGet got(db_, rocksdb::ReadOptions(), index_,
                     std::vector<rocksdb::Slice>(state_keys.begin(), state_keys.end()),
                     /*sorted=*/true);
  std::vector<SessionIndexState> olds(n), states(n);
  std::vector<bool> indexed(n);
  std::vector<std::string_view> unsure;  // Sessions whose registers need the aggregate.
  std::vector<std::size_t> unsure_at;
  for (std::size_t i = 0; i < n; ++i) {
    const rocksdb::Status& rs = got.statuses[i];
    if (!rs.ok() && !rs.IsNotFound()) return FromRocks(rs, "read index state");
    indexed[i] = rs.ok();
    if (indexed[i] && !DecodeIndexState(got.values[i].ToStringView(), &olds[i])) {
      return Status::Corruption("index state of session " + PrefixName(deltas[i].first) +
                                " is malformed");
    }
    states[i] = olds[i];
    states[i].Add(deltas[i].second);
    if (!states[i].Exact()) {
      unsure.push_back(deltas[i].first);
      unsure_at.push_back(i);
    }
  }
  Status s = ResolveUnsure(snapshot, unsure, unsure_at, &states);
  if (!s.ok()) return s;
  for (std::size_t i = 0; i < n; ++i) {
    if (indexed[i] && olds[i] == states[i]) continue;
    writes->push_back({std::move(state_keys[i]), EncodeIndexState(states[i])});
    // What the table holds: only worth building when it is loaded (a
    // process that only ingests never loads it) and when it changed.
    if (!table_->loaded() || (indexed[i] && SameTableRow(olds[i], states[i]))) continue;
    changes->push_back(TableChangeOf(deltas[i].first, states[i]));
  }
  return Status::OK();
}

Status SessionIndexer::ResolveUnsure(const rocksdb::Snapshot* snapshot,
                                     const std::vector<std::string_view>& unsure,
                                     const std::vector<std::size_t>& unsure_at,
                                     std::vector<SessionIndexState>* states) const {
  if (unsure.empty()) return Status::OK();
  // The registers are maxima, so reading them from a snapshot that also
  // holds later batches is harmless: adding those batches again later
  // changes nothing. The counters stay the exact sum of applied batches.
  std::vector<IndexRow> rows;
  rows_->ReadIndexRows(snapshot, unsure, &rows);
  if (rows.size() != unsure.size()) {
    return Status::Corruption("session index reader returned wrong rows");
  }
  for (std::size_t j = 0; j < unsure.size(); ++j) {
    if (!rows[j].status.ok()) {
      return rows[j].status.IsNotFound()
                 ? Status::Corruption("session " + PrefixName(unsure[j]) +
                                      " is marked changed but has no aggregate")
                 : rows[j].status;
    }
    SessionIndexState& st = (*states)[unsure_at[j]];
    st.last = std::move(rows[j].state.last);
    st.last_user = std::move(rows[j].state.last_user);
    st.last_name = std::move(rows[j].state.last_name);
    if (!st.Exact()) return Status::Corruption("session index reader returned unsure registers");
  }
  return Status::OK();
}

}  // namespace sessionstore
