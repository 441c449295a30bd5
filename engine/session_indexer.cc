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
#include "engine/format/round_record.h"
#include "engine/range_scan.h"
#include "engine/util/no_throw.h"
#include "engine/util/rocks_status.h"

namespace sessionstore {

namespace {

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
  const auto it =
      std::lower_bound(batch.begin(), batch.end(), prefix,
                       [](const DirtySession& d, std::string_view p) { return d.prefix < p; });
  return it != batch.end() && it->prefix == prefix ? &*it : nullptr;
}

}  // namespace

std::string SessionIndexer::PrefixName(std::string_view prefix) {
  uint64_t hash = 0;
  std::string_view id;
  return GetSessionPrefix(&prefix, &hash, &id) ? Printable(id) : "(malformed prefix)";
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
                               SessionTable* table, std::size_t pending_bytes,
                               std::size_t hold_bytes)
    : db_(db),
      sessions_(sessions),
      index_(index),
      dirty_(dirty),
      rows_(rows),
      table_(table),
      early_bytes_(std::max(pending_bytes, kMinPendingBytes)),
      round_bytes_(early_bytes_),
      hold_bytes_(hold_bytes) {}

SessionIndexer::~SessionIndexer() {
  StopPreload();
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status SessionIndexer::LoadMarkers(std::map<uint64_t, std::vector<MarkedSession>>* markers,
                                   uint64_t* max_seq) {
  std::vector<RoundRecord> rounds;
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, dirty_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    uint64_t seq = 0;
    const std::string_view key = it->key().ToStringView();
    if (ParseRoundKey(key, &seq)) {
      if (!DecodeRoundRecord(it->value().ToStringView(), &rounds.emplace_back())) {
        return Status::Corruption("round record " + std::to_string(seq) + " is malformed");
      }
      live_rounds_.push_back(seq);
    } else if (!ParseDirtyKey(key, &seq)) {
      return Status::Corruption("dirty marker with a malformed key");
    } else if (!DecodeDirtyMarker(it->value().ToStringView(), &(*markers)[seq])) {
      return Status::Corruption("dirty marker " + std::to_string(seq) +
                                " holds a malformed list of changed sessions");
    }
    *max_seq = std::max(*max_seq, seq);
  }
  if (!it->status().ok()) return FromRocks(it->status(), "read dirty markers");
  // Before the deltas are rebuilt: an added trace whose entry a round
  // applied is in its session's aggregate, so a later change of it counts
  // as written (RebuildMarkedDeltas skips only changes of traces added by
  // the markers it is given).
  DropAppliedEntries(rounds, markers);
  return Status::OK();
}

Status SessionIndexer::Recover() {
  uint64_t max_seq = 0;
  std::map<uint64_t, std::vector<MarkedSession>> markers;
  Status s = LoadMarkers(&markers, &max_seq);
  if (!s.ok()) return s;
  Pending found;
  s = RebuildMarkedDeltas(
      [this](const std::vector<AddedTrace>& traces, std::vector<SessionDelta>* deltas) {
        return rows_->ReadAddedTraces(traces, deltas);
      },
      markers, &found);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> l(mu_);
  // Above every marker and round record on disk, so no new marker
  // overwrites one not yet applied nor falls under a record (a reused
  // sequence of an applied, deleted marker is harmless).
  next_seq_ = std::max(max_seq, static_cast<uint64_t>(db_->GetLatestSequenceNumber())) + 1;
  if (!found.empty()) recovered_through_ = found.rbegin()->first;
  pending_.merge(found);
  RecountPendingLocked();
  return Status::OK();
}

void SessionIndexer::Start(uint32_t interval_ms) {
  if (interval_ms == 0 || thread_.joinable()) return;
  thread_ = std::thread([this, interval_ms] { Run(interval_ms); });
}

void SessionIndexer::Run(uint32_t interval_ms) {
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    // Held deltas wait for new batches, a CatchUp, the table's load or the
    // end of their hold (kMaxHoldMs); a failed catch-up's are retried.
    const auto ready = [&] {
      return stop_ || !pending_.empty() || (!retry_.empty() && (!held_ || table_loaded_));
    };
    while (!ready()) {
      if (!held_ || retry_.empty()) {
        cv_.wait(l);
      } else if (cv_.wait_until(l, held_since_ + max_hold_) == std::cv_status::timeout) {
        break;  // The hold is over: the catch-up below writes it.
      }
    }
    if (stop_) break;
    // Let changes gather for one interval, then index them in one write;
    // sooner when enough is pending (readers fold every pending delta of
    // their session, and the deltas are held in memory).
    cv_.wait_for(l, std::chrono::milliseconds(interval_ms),
                 [&] { return stop_ || PendingFullLocked(); });
    if (stop_) break;
    l.unlock();
    Status s;
    {
      std::lock_guard<std::mutex> drain(drain_mu_);
      s = CatchUpNoThrow(/*may_hold=*/true);
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
  // Each delta's size is taken once, here, outside the lock; the sums
  // under it (CatchUpRound, RecountPendingLocked) read the cached sizes.
  std::size_t bytes = 0;
  for (DirtySession& d : node.mapped()) {
    d.approximate_bytes = d.delta.ApproximateBytes();
    bytes += d.approximate_bytes;
  }
  bool wake = false;
  {
    std::lock_guard<std::mutex> l(mu_);
    const bool was_full = PendingFullLocked();
    wake = pending_.empty();
    pending_.insert(std::move(node));  // A node insert does not allocate.
    pending_bytes_ += bytes;
    wake = wake || (!was_full && PendingFullLocked());
  }
  if (wake) cv_.notify_all();
}

bool SessionIndexer::PendingOverBound() const {
  std::lock_guard<std::mutex> l(mu_);
  return pending_.size() >= kMaxPendingBatches || pending_bytes_ / 4 >= early_bytes_;
}

void SessionIndexer::CatchUpForWriter() {
  Status s;
  {
    std::lock_guard<std::mutex> drain(drain_mu_);
    s = CatchUpNoThrow(/*may_hold=*/true);
  }
  if (s.ok()) return;
  std::lock_guard<std::mutex> l(mu_);
  if (background_error_.ok()) background_error_ = s;
}

bool SessionIndexer::PendingFullLocked() const {
  return pending_.size() >= kEarlyCatchUpBatches || pending_bytes_ >= early_bytes_;
}

std::size_t SessionIndexer::DeltaBytes(const std::vector<DirtySession>& batch) {
  std::size_t n = 0;
  for (const DirtySession& d : batch) n += d.approximate_bytes;
  return n;
}

void SessionIndexer::RecountPendingLocked() {
  // Rare (a recovery, a failed round): the sizes are taken again, as the
  // batches came back (some deltas of a failed hold may have moved out).
  pending_bytes_ = 0;
  for (auto& [seq, batch] : pending_) {
    for (DirtySession& d : batch) {
      d.approximate_bytes = d.delta.ApproximateBytes();
      pending_bytes_ += d.approximate_bytes;
    }
  }
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

std::size_t SessionIndexer::pending_bytes() const {
  std::lock_guard<std::mutex> l(mu_);
  return pending_bytes_;
}

std::size_t SessionIndexer::held_bytes() const {
  std::lock_guard<std::mutex> l(mu_);
  return held_bytes_;
}

void SessionIndexer::PendingFor(const std::vector<std::string_view>& prefixes,
                                std::vector<std::vector<SessionDelta>>* deltas,
                                const std::function<void()>& take_snapshot) const {
  deltas->resize(prefixes.size());
  const auto collect = [&] {
    for (std::size_t i = 0; i < prefixes.size(); ++i) {
      (*deltas)[i].clear();
      CollectLocked(prefixes[i], &(*deltas)[i]);
    }
    // Under mu_ too: no batch ends and no catch-up starts between the
    // collection and the snapshot.
    take_snapshot();
  };
  {
    // No session of the read in the catch-up in progress (if any): its
    // write changes none of their aggregates, so the read need not wait
    // for it.
    std::lock_guard<std::mutex> l(mu_);
    if (!InflightHoldsAnyLocked(prefixes)) {
      collect();
      return;
    }
  }
  std::shared_lock<std::shared_mutex> apply(apply_mu_);
  std::lock_guard<std::mutex> l(mu_);
  collect();
}

bool SessionIndexer::InflightHoldsAnyLocked(const std::vector<std::string_view>& prefixes) const {
  if (inflight_ == nullptr) return false;
  for (std::string_view prefix : prefixes) {
    if (inflight_->retry.find(prefix) != inflight_->retry.end()) return true;
    for (const auto& [seq, batch] : inflight_->batches) {
      if (FindSession(batch, prefix) != nullptr) return true;
    }
  }
  return false;
}

void SessionIndexer::AllPending(PendingMap* deltas,
                                const std::function<void()>& take_snapshot) const {
  deltas->clear();
  std::shared_lock<std::shared_mutex> apply(apply_mu_);
  std::lock_guard<std::mutex> l(mu_);
  VisitPendingLocked(
      [&](const Pending& batches, std::string_view stored_below) {
        for (const auto& [seq, batch] : batches) {
          for (const DirtySession& d : batch) {
            if (d.prefix >= stored_below) (*deltas)[d.prefix].push_back(d.delta);
          }
        }
      },
      [&](const Retry& retry, std::string_view stored_below) {
        for (auto it = retry.lower_bound(stored_below); it != retry.end(); ++it) {
          (*deltas)[it->first].push_back(it->second.delta);
        }
      });
  take_snapshot();
}

void SessionIndexer::CollectLocked(std::string_view prefix,
                                   std::vector<SessionDelta>* deltas) const {
  VisitPendingLocked(
      [&](const Pending& batches, std::string_view stored_below) {
        if (prefix < stored_below) return;
        for (const auto& [seq, batch] : batches) {
          if (const DirtySession* d = FindSession(batch, prefix)) deltas->push_back(d->delta);
        }
      },
      [&](const Retry& retry, std::string_view stored_below) {
        if (prefix < stored_below) return;
        const auto it = retry.find(prefix);
        if (it != retry.end()) deltas->push_back(it->second.delta);
      });
}

void SessionIndexer::VisitPendingLocked(const BatchVisitor& batches,
                                        const RetryVisitor& retry) const {
  // In write order: what a read-only open applied in memory (its store
  // takes no writes), the catch-up in progress (its retry, then its
  // batches; less the sessions its chunks stored), what a failed one
  // left, the batches not yet taken.
  batches(kept_, std::string_view());
  if (inflight_ != nullptr) {
    retry(inflight_->retry, written_below_);
    batches(inflight_->batches, written_below_);
  }
  retry(retry_, std::string_view());
  batches(pending_, std::string_view());
}

Status SessionIndexer::CatchUpNoThrow(bool may_hold) {
  // An exception (std::bad_alloc) must not end the indexer's thread, nor
  // cross the API: the batches it was applying go back to pending (see
  // CatchUpLocked) and the error is reported.
  return NoThrow("session index catch-up", [this, may_hold] { return CatchUpLocked(may_hold); });
}

Status SessionIndexer::ApplyPendingInMemory() {
  std::lock_guard<std::mutex> drain(drain_mu_);
  Status s = LoadTableLocked();
  if (!s.ok() || !has_pending()) return s;
  in_memory_ = true;
  s = CatchUpNoThrow(/*may_hold=*/false);
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
    {
      // Held deltas are not in the states just loaded: the next round
      // writes them (and applies them to the table).
      std::lock_guard<std::mutex> l(mu_);
      table_loaded_ = true;
    }
    cv_.notify_all();
    return Status::OK();
  });
}

}  // namespace sessionstore
