// Copyright sessionstore authors.
//
// SessionIndexer's catch-up: the fold of the pending deltas into the stored
// aggregates and index states, and its one atomic write (the protocol is in
// engine/session_indexer.h; the rest of the indexer in session_indexer.cc).

#include <rocksdb/snapshot.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "engine/aggregate/session_fold.h"
#include "engine/format/round_record.h"
#include "engine/range_scan.h"
#include "engine/session_indexer.h"
#include "engine/util/rocks_status.h"

namespace sessionstore {

Status SessionIndexer::CatchUp() {
  std::lock_guard<std::mutex> drain(drain_mu_);
  Status s = CatchUpNoThrow(/*may_hold=*/false);
  std::lock_guard<std::mutex> l(mu_);
  if (s.ok() && !background_error_.ok()) s = background_error_;
  background_error_ = Status::OK();
  return s;
}

Status SessionIndexer::CatchUpLocked(bool may_hold) {
  // In rounds of at most round_bytes_ of deltas (at least one batch
  // each): each round is one atomic write (or a hold), so what a round
  // holds in memory (its deltas, the aggregates it writes) stays bounded
  // however much is pending. The rounds go on until every batch reported
  // before this call is applied or held; batches reported since wait for
  // the next call.
  uint64_t below_seq = 0;
  {
    std::lock_guard<std::mutex> l(mu_);
    const bool held_stays = may_hold && held_ && MayHoldLocked();
    // An exception after stored chunks may leave markers with no delta
    // left (retry_seqs_ alone): a round deletes them.
    const bool retry_left = !retry_.empty() || !retry_seqs_.empty();
    if (pending_.empty() && (!retry_left || held_stays)) return Status::OK();
    below_seq = next_seq_;  // Above every batch reported so far.
  }
  while (true) {
    Status s = CatchUpRound(below_seq, may_hold);
    if (!s.ok()) return s;
    std::lock_guard<std::mutex> l(mu_);
    const bool batches_left = !pending_.empty() && pending_.begin()->first < below_seq;
    // What this round held over a bound is written by one more round.
    const bool held_stays = may_hold && held_ && MayHoldLocked();
    const bool retry_left = !retry_.empty() || !retry_seqs_.empty();
    if (!batches_left && (!retry_left || held_stays)) return Status::OK();
  }
}

bool SessionIndexer::MayHoldLocked() const {
  // Not over a failed catch-up's deltas (they are retried), nor once the
  // table was loaded: listings catch up first, and a long hold would make
  // that catch-up long.
  return hold_bytes_ > 0 && !in_memory_ && !table_loaded_ &&
         ((retry_.empty() && retry_seqs_.empty()) || held_) && held_bytes_ < hold_bytes_ &&
         held_folded_ / kHeldFoldFactor < hold_bytes_ &&
         (!held_ || std::chrono::steady_clock::now() - held_since_ < max_hold_);
}

Status SessionIndexer::CatchUpRound(uint64_t below_seq, bool may_hold) {
  Work work;
  bool hold = false;
  {
    std::lock_guard<std::mutex> l(mu_);
    hold = may_hold && MayHoldLocked();
    work.retry.swap(retry_);
    work.retry_seqs.swap(retry_seqs_);
    work.retry_bytes = held_bytes_;
    // The in-memory catch-up of a read-only open takes everything at once:
    // it stores nothing, so a later round would fold onto the aggregates
    // on disk without the earlier rounds' deltas.
    const std::size_t budget = in_memory_ ? SIZE_MAX : round_bytes_;
    std::size_t bytes = 0;
    // The batches Recover rebuilt go in one round, whatever their size: a
    // rebuilt delta is not its batch's own (an added trace's contribution
    // holds what later pending batches did to it, and their deltas leave
    // that out), so they are exact only applied together.
    while (!pending_.empty() && pending_.begin()->first < below_seq &&
           (bytes < budget || pending_.begin()->first <= recovered_through_)) {
      auto node = pending_.extract(pending_.begin());  // Moves the node: no allocation.
      bytes += DeltaBytes(node.mapped());
      work.batches.insert(std::move(node));
    }
    pending_bytes_ -= std::min(bytes, pending_bytes_);
    work.batch_bytes = bytes;
    if (work.batches.empty() && work.retry.empty() && work.retry_seqs.empty()) return Status::OK();
    inflight_ = &work;  // Readers still add it until it is stored.
  }
  try {
    return Apply(&work, hold);
  } catch (...) {
    // Nothing was written but the chunks before the failure (Apply ends
    // the work itself once its last write is done): the work goes back
    // for the next catch-up, less what those chunks stored. Catch-ups are
    // serialized, so retry_ is still empty.
    std::lock_guard<std::mutex> l(mu_);
    if (inflight_ == &work) ReturnWorkLocked(&work, hold);
    throw;
  }
}

void SessionIndexer::ChunkWritten(ChunkedRound* round, std::string* below) noexcept {
  if (!round->listed) {
    live_rounds_.push_back(round->id);  // Into the capacity WriteChunk reserved.
    round->listed = true;
  }
  std::lock_guard<std::mutex> l(mu_);  // Cannot fail but by terminating.
  written_below_.swap(*below);         // Readers skip those sessions' deltas now.
}

void SessionIndexer::ReturnWorkLocked(Work* work, bool hold) noexcept {
  static_assert(std::is_nothrow_move_assignable_v<DirtySession>);
  if (!written_below_.empty()) {
    // Those sessions' deltas are in their stored aggregates now, and the
    // round records on disk tell a recovery so until a round applies every
    // batch they name: the next round takes all of these batches.
    const std::string_view stored_below = written_below_;
    work->retry.erase(work->retry.begin(), work->retry.lower_bound(stored_below));
    for (auto& [seq, batch] : work->batches) {
      const auto cut =
          std::lower_bound(batch.begin(), batch.end(), stored_below,
                           [](const DirtySession& d, std::string_view p) { return d.prefix < p; });
      batch.erase(batch.begin(), cut);  // Moves only: cannot throw.
      recovered_through_ = std::max(recovered_through_, seq);
    }
    written_below_.clear();
  }
  pending_.merge(work->batches);
  RecountPendingLocked();
  retry_ = std::move(work->retry);
  retry_seqs_ = std::move(work->retry_seqs);
  held_bytes_ = 0;
  for (const auto& [prefix, d] : retry_) held_bytes_ += d.delta.ApproximateBytes();
  // A write that failed: its held deltas are retried, not held on.
  if (!hold) held_ = false;
  inflight_ = nullptr;
}

void SessionIndexer::GroupBySession(Work* work, bool retry_of_batches_only, Grouped* out) {
  // Each session's deltas in batch order: what a failed catch-up left
  // first, then by sequence. Batches that touch the same trace hold its
  // lock from before their Batch is made until after End(), so their
  // sequences follow their writes, the order the latest registers need
  // (for other batches the order cannot change an exact result:
  // docs/format.md). Sorted by prefix: the batch's keys then arrive in
  // order, and the result does not depend on hash-set iteration. The
  // batches' sessions in sequence order, sorted stably by prefix, merged
  // with the retry (sorted by prefix too): no node per session.
  struct Entry {
    std::string_view prefix;
    SessionDelta* delta;
  };
  std::vector<Entry> entries;
  std::size_t n = 0;
  for (const auto& [seq, batch] : work->batches) n += batch.size();
  entries.reserve(n);
  for (auto& [seq, batch] : work->batches) {
    for (DirtySession& d : batch) entries.push_back({d.prefix, &d.delta});
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.prefix < b.prefix; });
  out->deltas.clear();
  out->deltas.reserve(entries.size() + work->retry.size());  // At most.
  struct Start {
    std::string_view prefix;
    std::size_t first;  // Its first delta in out->deltas.
    bool from_retry;
  };
  std::vector<Start> starts;
  auto r = work->retry.begin();
  std::size_t i = 0;
  while (i < entries.size() || (!retry_of_batches_only && r != work->retry.end())) {
    const bool from_batch =
        i < entries.size() &&
        (retry_of_batches_only || r == work->retry.end() || entries[i].prefix <= r->first);
    const std::string_view prefix = from_batch ? entries[i].prefix : std::string_view(r->first);
    while (r != work->retry.end() && r->first < prefix) ++r;  // Retries of no batch's session.
    const bool from_retry = r != work->retry.end() && r->first == prefix;
    starts.push_back(Start{prefix, out->deltas.size(), from_retry});
    if (from_retry) out->deltas.push_back(&(r++)->second.delta);
    while (i < entries.size() && entries[i].prefix == prefix)
      out->deltas.push_back(entries[i++].delta);
  }
  // The runs, once `deltas` no longer moves.
  out->sessions.clear();
  out->sessions.reserve(starts.size());
  for (std::size_t k = 0; k < starts.size(); ++k) {
    const std::size_t to = k + 1 < starts.size() ? starts[k + 1].first : out->deltas.size();
    out->sessions.push_back(SessionWork{
        starts[k].prefix,
        std::span<SessionDelta* const>(out->deltas).subspan(starts[k].first, to - starts[k].first),
        starts[k].from_retry});
  }
}

Status SessionIndexer::Apply(Work* work, bool hold) {
  std::vector<uint64_t> applied = work->retry_seqs;
  for (const auto& [seq, batch] : work->batches) applied.push_back(seq);
  if (hold) {
    // Write-back: the deltas stay in memory, one per session, and the
    // markers on disk, until a later round writes them.
    HoldInPlace(work, std::move(applied));
    return Status::OK();
  }
  Grouped grouped;
  GroupBySession(work, /*retry_of_batches_only=*/false, &grouped);
  const std::vector<SessionWork>& sessions = grouped.sessions;
  // The aggregates and states go straight into the batch, in session order
  // (each family's keys ascending, so each memtable insert lands next to
  // the previous one): one copy of them, not two.
  WriteBatchPool::Lease lease = round_batches_.Acquire(BatchReserve(*work, sessions.size()));
  rocksdb::WriteBatch& wb = *lease;
  std::vector<SessionTableChange> changes;
  ChunkedRound round;
  // Not while a round record is on disk (a failed round's, or one a
  // recovery found): the round that follows one writes in one batch, so
  // that at most one record exists, and a persistent error repeats no
  // chunk and adds no record.
  const bool may_chunk = !in_memory_ && live_rounds_.empty();
  Status s;
  {
    // Taken only if a register is unsure, for ExactRow: a snapshot held
    // through every catch-up kept most dirty markers from cancelling with
    // their deletions in a flush (they were flushed, then compacted away).
    // Aggregates and states need none: only catch-ups write them.
    LazyReadSnapshot snapshot(db_, static_view_);  // Released on every path out.
    // Each read is one batched read of aggregates; once the batch holds a
    // chunk's bytes, it is written as a chunk of the round (WriteChunk).
    const std::span<const SessionWork> all(sessions);
    for (std::size_t i = 0; i < all.size() && s.ok(); i += read_sessions_) {
      const std::size_t n = std::min(read_sessions_, all.size() - i);
      s = IndexSessions(&snapshot, all.subspan(i, n), &wb, &changes);
      if (s.ok() && may_chunk && i + n < all.size() && wb.GetDataSize() >= chunk_bytes_) {
        s = WriteChunk(applied, all[i + n].prefix, &round, &wb, &changes);
      }
    }
  }
  Retry left;
  {
    // Readers (PendingFor) wait while the aggregates change and the work
    // leaves them: each sees the work in exactly one of the two.
    std::unique_lock<std::shared_mutex> exclusive(apply_mu_);
    if (s.ok()) s = WriteIndex(&wb, applied);
    if (!s.ok()) {
      // Retried by the next catch-up, composed: a persistent error holds
      // one delta per session, not one per batch. After stored chunks,
      // only the sessions they did not write; the retry names every
      // marker of the round (retry_seqs_), so the next round applies all
      // that the round's record names.
      const auto unwritten =
          std::lower_bound(sessions.begin(), sessions.end(), written_below_,
                           [](const SessionWork& w, std::string_view p) { return w.prefix < p; });
      Compose(std::span<const SessionWork>(unwritten, sessions.end()), &left);
      work->retry_seqs = std::move(applied);
    }
    EndWork(s, work, &left);
  }
  if (!s.ok()) return s;
  if (!in_memory_) live_rounds_.clear();  // WriteIndex deleted them.
  // The states are on disk (or this is the in-memory catch-up of a
  // read-only open): the table follows them.
  if (table_->loaded()) table_->ApplyOrUnload(changes);
  return Status::OK();
}

std::size_t SessionIndexer::BatchReserve(const Work& work, std::size_t sessions) const {
  // A read-only open's in-memory catch-up writes nothing into it.
  if (in_memory_) return 0;
  // The held deltas' size as counted (not summed again: a hold may hold
  // a million sessions), their keys at about 32 bytes each.
  const std::size_t delta_bytes = work.retry_bytes + 32 * work.retry.size() + work.batch_bytes;
  // Room for twice the deltas plus 1 KiB a session: an aggregate is
  // larger than the deltas that change it (measured on the writes of held
  // deltas: 1.5-1.9 times their bytes, with the states and keys), but no
  // more than a chunk and the read that passes it. An estimate too small
  // made the batch grow, copying it into fresh pages; room reserved and
  // not used costs address space only.
  return std::min(2 * delta_bytes + (sessions << 10), chunk_bytes_ + chunk_bytes_ / 2);
}

Status SessionIndexer::WriteChunk(const std::vector<uint64_t>& applied, std::string_view next,
                                  ChunkedRound* round, rocksdb::WriteBatch* wb,
                                  std::vector<SessionTableChange>* changes) {
  if (round->id == 0) {
    round->seqs = applied;
    std::sort(round->seqs.begin(), round->seqs.end());
    // Drawn as a marker's sequence: never reused, and above every marker a
    // recovery could find with it.
    round->id = NextSeq();
  }
  std::string record;
  EncodeRoundRecord(round->seqs, next, &record);
  Status s = FromRocks(wb->Put(dirty_, RoundKey(round->id), record), "batch round record");
  // Allocated before the write: once it is done, nothing may fail until
  // readers skip its sessions (ChunkWritten).
  std::string below(next);
  live_rounds_.reserve(live_rounds_.size() + 1);
  if (s.ok()) {
    std::unique_lock<std::shared_mutex> exclusive(apply_mu_);
    s = FromRocks(db_->Write(rocksdb::WriteOptions(), wb), "write session aggregates");
    if (s.ok()) ChunkWritten(round, &below);
  }
  if (!s.ok()) return s;
  if (table_->loaded()) table_->ApplyOrUnload(*changes);
  changes->clear();
  wb->Clear();
  return between_chunks_ ? between_chunks_() : Status::OK();
}

void SessionIndexer::Compose(std::span<const SessionWork> sessions, Retry* left) {
  left->clear();
  for (const SessionWork& w : sessions) {
    SessionDelta composed;
    for (const SessionDelta* d : w.deltas) composed.Add(*d);
    std::string prefix(w.prefix);
    left->emplace_hint(left->end(), prefix, DirtySession{prefix, std::move(composed)});
  }
}

void SessionIndexer::HoldInPlace(Work* work, std::vector<uint64_t> applied) {
  // What may throw first: the grouping and the entries of sessions the
  // retry lacks (identity deltas, which readers may add). Nothing has
  // changed until every one is made and in the work's retry.
  const std::size_t folded = work->batch_bytes;
  Grouped grouped;
  GroupBySession(work, /*retry_of_batches_only=*/true, &grouped);
  const std::vector<SessionWork>& sessions = grouped.sessions;
  // Each session's entry (a map node keeps its address when it moves
  // into the work's retry), and whether it held a delta before.
  Retry added;
  std::vector<std::pair<SessionDelta*, bool>> targets;
  targets.reserve(sessions.size());
  for (const SessionWork& w : sessions) {
    if (w.from_retry) {
      targets.emplace_back(w.deltas.front(), true);  // The retry entry's delta.
    } else {
      std::string prefix(w.prefix);
      const auto made =
          added.emplace_hint(added.end(), prefix, DirtySession{prefix, SessionDelta()});
      targets.emplace_back(&made->second.delta, false);
    }
  }
  {
    std::lock_guard<std::mutex> l(mu_);  // Readers look entries up under mu_.
    while (!added.empty()) work->retry.insert(added.extract(added.begin()));
  }
  // Then the moves, which cannot fail (SessionDelta::Absorb, which leaves
  // each moved delta an identity), a chunk of sessions at a time with
  // readers of the work held off (apply_mu_): between chunks a reader
  // finds each session's deltas either all in its retry entry or as they
  // were. A session's retry entry, when it had one, is its first delta.
  constexpr std::size_t kChunk = 256;
  std::ptrdiff_t grown = 0;
  // Their sizes are taken outside the lock: only this thread changes them.
  for (std::size_t from = 0; from < sessions.size(); from += kChunk) {
    const std::size_t to = std::min(sessions.size(), from + kChunk);
    for (std::size_t i = from; i < to; ++i) {
      if (targets[i].second)
        grown -= static_cast<std::ptrdiff_t>(targets[i].first->ApproximateBytes());
    }
    {
      std::unique_lock<std::shared_mutex> exclusive(apply_mu_);
      for (std::size_t i = from; i < to; ++i) {
        SessionDelta* const target = targets[i].first;
        for (SessionDelta* d : sessions[i].deltas) {
          if (d != target) target->Absorb(std::move(*d));
        }
      }
    }
    for (std::size_t i = from; i < to; ++i) {
      grown += static_cast<std::ptrdiff_t>(targets[i].first->ApproximateBytes());
    }
  }
  HoldWork(work, std::move(applied), grown, folded);
}

void SessionIndexer::HoldWork(Work* work, std::vector<uint64_t> applied, std::ptrdiff_t grown,
                              std::size_t folded) noexcept {
  // Readers find each delta in the work (inflight_) or in retry_: both
  // change under mu_. The work's retry becomes retry_.
  std::lock_guard<std::mutex> l(mu_);
  inflight_ = nullptr;
  retry_ = std::move(work->retry);
  retry_seqs_ = std::move(applied);
  if (!held_) held_since_ = std::chrono::steady_clock::now();
  held_ = true;
  const std::ptrdiff_t bytes = static_cast<std::ptrdiff_t>(held_bytes_) + grown;
  held_bytes_ = bytes > 0 ? static_cast<std::size_t>(bytes) : 0;
  held_folded_ += folded;
}

void SessionIndexer::EndWork(const Status& s, Work* work, Retry* left) noexcept {
  std::lock_guard<std::mutex> l(mu_);
  inflight_ = nullptr;
  written_below_.clear();  // Set if the round wrote chunks: the work has ended.
  held_ = false;  // A failed write's deltas are retried; a written hold is gone.
  if (s.ok()) held_bytes_ = held_folded_ = 0;
  if (!s.ok()) {
    retry_ = std::move(*left);
    retry_seqs_ = std::move(work->retry_seqs);
    held_bytes_ = 0;
    for (const auto& [prefix, d] : retry_) held_bytes_ += d.delta.ApproximateBytes();
    return;
  }
  // A read-only open's catch-up stores nothing: its readers keep adding
  // the work (the retry is empty: no write ever failed).
  if (in_memory_) kept_.merge(work->batches);
}

Status SessionIndexer::WriteIndex(rocksdb::WriteBatch* wb, const std::vector<uint64_t>& applied) {
  // A read-only store: nothing is written; the markers stay on disk for the
  // next writable open.
  if (in_memory_) return Status::OK();
  // The applied markers go in the same write: each marker key is written
  // once, so SingleDelete lets the pair vanish at the next flush.
  Status s;
  for (std::size_t i = 0; s.ok() && i < applied.size(); ++i) {
    s = FromRocks(wb->SingleDelete(dirty_, DirtyKey(applied[i])), "delete dirty marker");
  }
  // Every record a chunked round left: this round applies all they name.
  // Delete, not SingleDelete: each chunk put the record again.
  for (std::size_t i = 0; s.ok() && i < live_rounds_.size(); ++i) {
    s = FromRocks(wb->Delete(dirty_, RoundKey(live_rounds_[i])), "delete round record");
  }
  if (!s.ok()) return s;
  // No fsync needed: if this write is lost, so is nothing else, because the
  // markers it deletes come back with it.
  return FromRocks(db_->Write(rocksdb::WriteOptions(), wb), "write session aggregates");
}

Status SessionIndexer::IndexSessions(LazyReadSnapshot* snapshot, std::span<const SessionWork> work,
                                     rocksdb::WriteBatch* wb,
                                     std::vector<SessionTableChange>* changes) {
  const std::size_t n = work.size();
  // What the store holds now: each session's aggregate. Only catch-ups
  // write them (and deletions, which hold catch-ups off), so the latest
  // values are the ones to add to. The index state is the folded
  // aggregate's projection (SessionIndexState::Of, a homomorphism), so
  // the stored 'X' state is read only when a latest register is unsure
  // (ExactState).
  std::vector<rocksdb::Slice> prefixes;
  prefixes.reserve(n);
  for (const SessionWork& w : work) prefixes.emplace_back(w.prefix.data(), w.prefix.size());
  const BatchGet aggregates(db_, rocksdb::ReadOptions(), sessions_, prefixes, /*sorted=*/true);
  for (std::size_t i = 0; i < n; ++i) {
    SessionFold fold;
    Status s =
        FoldAggregate(aggregates.statuses[i], aggregates.values[i].ToStringView(), work[i], &fold);
    if (!s.ok()) return s;
    // Not when catching up in memory (a read-only open): nothing is written.
    if (!in_memory_) {
      s = FromRocks(wb->Put(sessions_, work[i].prefix, fold.Encode()), "batch aggregate");
      if (!s.ok()) return s;
    }
    SessionIndexState state = fold.IndexState();
    if (!state.Exact()) {
      s = ExactState(snapshot, work[i], fold, &state);
      if (!s.ok()) return s;
    }
    if (!in_memory_) {
      s = FromRocks(wb->Put(index_, StateKey(work[i].prefix), EncodeIndexState(state)),
                    "batch index state");
      if (!s.ok()) return s;
    }
    // What the table holds: only worth building when it is loaded (a
    // process that only ingests never loads it).
    if (table_->loaded()) changes->push_back(TableChangeOf(work[i].prefix, state));
  }
  return Status::OK();
}

Status SessionIndexer::ExactState(LazyReadSnapshot* snapshot, const SessionWork& work,
                                  const SessionFold& fold, SessionIndexState* state) {
  // A trace's start moved earlier, so the aggregate's latest registers
  // are unsure. An earlier catch-up may have settled them already: it
  // wrote the exact registers into the 'X' state (not into the
  // aggregate), and that state with the deltas' projections added is
  // exact unless a delta unsettles it again.
  std::string stored;
  const rocksdb::Status rs =
      db_->Get(rocksdb::ReadOptions(), index_, StateKey(work.prefix), &stored);
  if (!rs.ok() && !rs.IsNotFound()) return FromRocks(rs, "read index state");
  if (rs.ok()) {
    SessionIndexState composed;
    if (!DecodeIndexState(stored, &composed)) {
      return Status::Corruption("index state of session " + PrefixName(work.prefix) +
                                " is malformed");
    }
    for (const SessionDelta* d : work.deltas) composed.Add(SessionIndexState::Of(*d));
    if (composed.Exact()) {
      state->last = std::move(composed.last);
      state->last_user = std::move(composed.last_user);
      state->last_name = std::move(composed.last_name);
      return Status::OK();
    }
  }
  // The stored traces decide. Reading them from a snapshot that also
  // holds later batches is harmless (the registers are maxima: adding
  // those batches later changes nothing); the counters stay the exact
  // sum of the applied batches.
  SessionDelta aggregate;
  fold.Materialize(&aggregate);
  IndexRow row;
  rows_->ExactRow(snapshot->Get(), work.prefix, aggregate, &row);
  if (!row.status.ok()) return row.status;
  state->last = std::move(row.state.last);
  state->last_user = std::move(row.state.last_user);
  state->last_name = std::move(row.state.last_name);
  if (!state->Exact()) return Status::Corruption("session index reader returned unsure registers");
  return Status::OK();
}

Status SessionIndexer::FoldAggregate(const rocksdb::Status& read, std::string_view stored,
                                     const SessionWork& work, SessionFold* fold) const {
  if (read.ok()) {
    if (!fold->Add(stored)) {
      return Status::Corruption("aggregate of session " + PrefixName(work.prefix) +
                                " fails verification");
    }
  } else if (!read.IsNotFound()) {
    return FromRocks(read, "read aggregate of session " + PrefixName(work.prefix));
  }
  for (const SessionDelta* d : work.deltas) fold->AddDelta(*d);
  return Status::OK();
}

}  // namespace sessionstore
