// Copyright sessionstore authors.

#include "engine/session_indexer.h"

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <utility>

#include "engine/rocks_status.h"

namespace sessionstore {

namespace {

// Session id of a prefix, for messages.
std::string PrefixName(std::string_view prefix) {
  uint64_t hash = 0;
  std::string_view id;
  return GetSessionPrefix(&prefix, &hash, &id) ? Printable(id) : "(malformed prefix)";
}

}  // namespace

SessionIndexer::SessionIndexer(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* index,
                               rocksdb::ColumnFamilyHandle* dirty, Reader reader)
    : db_(db), index_(index), dirty_(dirty), reader_(std::move(reader)) {}

SessionIndexer::~SessionIndexer() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status SessionIndexer::Recover() {
  uint64_t max_seq = 0;
  std::unordered_set<std::string> found;
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, dirty_));
  std::vector<std::string_view> prefixes;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    uint64_t seq = 0;
    if (!ParseDirtyKey(it->key().ToStringView(), &seq)) {
      return Status::Corruption("dirty marker with a malformed key");
    }
    if (!DecodeDirtySessions(it->value().ToStringView(), &prefixes)) {
      return Status::Corruption("dirty marker " + std::to_string(seq) +
                                " holds a malformed session list");
    }
    max_seq = std::max(max_seq, seq);
    for (std::string_view p : prefixes) found.emplace(p);
  }
  if (!it->status().ok()) return FromRocks(it->status(), "read dirty markers");
  std::lock_guard<std::mutex> l(mu_);
  // Above every marker ever written: RocksDB's sequence advances by at least
  // one per batch that carried a marker.
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
    cv_.wait(l, [&] { return stop_ || !pending_.empty(); });
    if (stop_) break;
    // Let changes gather for one interval, then index them in one write.
    cv_.wait_for(l, std::chrono::milliseconds(interval_ms), [&] { return stop_; });
    if (stop_) break;
    l.unlock();
    Status s;
    {
      std::lock_guard<std::mutex> drain(drain_mu_);
      s = CatchUpLocked();
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

uint64_t SessionIndexer::Begin() {
  std::lock_guard<std::mutex> l(mu_);
  const uint64_t seq = next_seq_++;
  in_flight_.insert(seq);
  return seq;
}

void SessionIndexer::End(uint64_t seq, bool written, std::vector<std::string>* session_prefixes) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> l(mu_);
    in_flight_.erase(seq);
    if (written) {
      wake = pending_.empty() && !session_prefixes->empty();
      for (std::string& p : *session_prefixes) pending_.insert(std::move(p));
    }
  }
  if (wake) cv_.notify_all();
}

std::size_t SessionIndexer::pending() const {
  std::lock_guard<std::mutex> l(mu_);
  return pending_.size();
}

Status SessionIndexer::CatchUp() {
  std::lock_guard<std::mutex> drain(drain_mu_);
  Status s = CatchUpLocked();
  std::lock_guard<std::mutex> l(mu_);
  if (s.ok() && !background_error_.ok()) s = background_error_;
  background_error_ = Status::OK();
  return s;
}

Status SessionIndexer::CatchUpLocked() {
  std::unordered_set<std::string> work;
  uint64_t watermark = 0;
  {
    std::lock_guard<std::mutex> l(mu_);
    work.swap(pending_);
    // Every batch below the watermark has ended, so its sessions are in
    // `work` or were indexed before: its markers may go.
    watermark = in_flight_.empty() ? next_seq_ : *in_flight_.begin();
  }
  if (work.empty() && watermark <= deleted_below_) return Status::OK();
  // Taken after the swap: it holds every batch whose sessions are in `work`.
  const rocksdb::Snapshot* snap = db_->GetSnapshot();
  std::vector<IndexWrite> writes;
  Status s;
  // Sorted: the batch's keys then arrive in order, and the result does not
  // depend on hash-set iteration.
  std::vector<std::string_view> order(work.begin(), work.end());
  std::sort(order.begin(), order.end());
  // In chunks: each is one batched read of aggregates and one of states.
  constexpr std::size_t kChunk = 256;
  std::vector<std::string_view> chunk;
  for (std::size_t i = 0; i < order.size() && s.ok(); i += kChunk) {
    chunk.assign(order.begin() + i, order.begin() + std::min(order.size(), i + kChunk));
    s = IndexSessions(snap, chunk, &writes);
  }
  db_->ReleaseSnapshot(snap);
  // In key order: the memtable's skip list then inserts each key next to the
  // previous one instead of searching from its top (measured: the index
  // write took most of a catch-up). Stable, so a removal and a rewrite of
  // the same key stay in that order.
  std::stable_sort(writes.begin(), writes.end(),
                   [](const IndexWrite& a, const IndexWrite& b) { return a.key < b.key; });
  rocksdb::WriteBatch wb;
  for (const IndexWrite& w : writes) {
    switch (w.op) {
      case IndexWrite::kPut:
        wb.Put(index_, w.key, w.value);
        break;
      case IndexWrite::kSingleDelete:
        wb.SingleDelete(index_, w.key);
        break;
      case IndexWrite::kDelete:
        wb.Delete(index_, w.key);
        break;
    }
  }
  if (s.ok() && watermark > deleted_below_) {
    s = FromRocks(wb.DeleteRange(dirty_, DirtyKey(0), DirtyKey(watermark)),
                  "delete dirty markers");
  }
  if (s.ok() && wb.Count() > 0) {
    // No fsync needed: if this write is lost, so is nothing else, because
    // the markers it deletes come back with it.
    s = FromRocks(db_->Write(rocksdb::WriteOptions(), &wb), "write session indexes");
  }
  if (!s.ok()) {
    std::lock_guard<std::mutex> l(mu_);
    pending_.merge(work);  // Retried by the next catch-up.
    return s;
  }
  deleted_below_ = std::max(deleted_below_, watermark);
  return Status::OK();
}

Status SessionIndexer::IndexSessions(const rocksdb::Snapshot* snapshot,
                                     const std::vector<std::string_view>& prefixes,
                                     std::vector<IndexWrite>* writes) {
  const std::size_t n = prefixes.size();
  std::vector<Row> rows;
  reader_(snapshot, prefixes, &rows);
  if (rows.size() != n) return Status::Corruption("session index reader returned wrong rows");

  // What the indexes hold now. Only catch-ups write 'X', and they are
  // serialized, so the latest value is the one to replace.
  std::vector<std::string> state_keys;
  state_keys.reserve(n);
  for (std::string_view prefix : prefixes) state_keys.push_back(StateKey(prefix));
  std::vector<rocksdb::Slice> keys(state_keys.begin(), state_keys.end());
  std::vector<rocksdb::PinnableSlice> values(n);
  std::vector<rocksdb::Status> statuses(n);
  db_->MultiGet(rocksdb::ReadOptions(), index_, n, keys.data(), values.data(), statuses.data(),
                /*sorted_input=*/true);

  for (std::size_t i = 0; i < n; ++i) {
    const std::string_view prefix = prefixes[i];
    const Row& row = rows[i];
    const bool exists = row.status.ok();
    if (!exists && !row.status.IsNotFound()) return row.status;
    const rocksdb::Status& rs = statuses[i];
    if (!rs.ok() && !rs.IsNotFound()) return FromRocks(rs, "read index state");
    const bool indexed = rs.ok();
    SessionIndexEntry old;
    std::string old_user;
    if (indexed && !DecodeIndexState(values[i].ToStringView(), &old, &old_user)) {
      return Status::Corruption("index state of session " + PrefixName(prefix) +
                                " is malformed");
    }
    const SessionIndexEntry& now = row.entry;
    const std::string& user = row.user_id;
    if (exists == indexed && (!exists || (now == old && user == old_user))) continue;

    // Each 'O' and 'U' key is written once and removed with SingleDelete,
    // so a removal and the write it cancels vanish together at the next
    // flush or compaction that sees both, instead of leaving a tombstone
    // that every scan of the index must step over. The discipline
    // SingleDelete needs (no second Put of a key before its removal) holds
    // because 'X' records every key written: an entry whose key stays but
    // whose value changes is removed and written again.
    const std::string entry = exists ? EncodeIndexEntry(now) : std::string();
    for (char order : kSessionOrders) {
      if (indexed) {
        writes->push_back(
            {IndexWrite::kSingleDelete, OrderKey(order, OrderMetric(order, old), prefix), {}});
      }
      if (exists) {
        writes->push_back({IndexWrite::kPut, OrderKey(order, OrderMetric(order, now), prefix), entry});
      }
    }
    if (indexed && !old_user.empty()) {
      writes->push_back({IndexWrite::kSingleDelete, UserKey(old_user, old.last_ns, prefix), {}});
    }
    if (exists && !user.empty()) {
      writes->push_back({IndexWrite::kPut, UserKey(user, now.last_ns, prefix), entry});
    }
    if (exists) {
      writes->push_back({IndexWrite::kPut, std::move(state_keys[i]), EncodeIndexState(now, user)});
    } else {
      writes->push_back({IndexWrite::kDelete, std::move(state_keys[i]), {}});
    }
  }
  return Status::OK();
}

}  // namespace sessionstore
