// Copyright sessionstore authors.
//
// TraceWriter: the write path. One Ingest call becomes one atomic RocksDB
// write batch: the merged trace records, their locators and one dirty
// marker naming, per changed session, the traces the batch added to it
// (and the deltas of those it changed), while each session's delta goes
// to the session indexer in memory, which folds it into the stored
// aggregates. Ingest reads the stored versions of the
// batch's traces (to merge by the upsert rules) but never an aggregate.
//
//   Ingest ─ validate, group by trace id ─ lock the ids (TraceLockTable)
//          ─ read stored versions (locators, then records: two MultiGets)
//          ─ merge versions (trace_versions.h), session deltas (SessionDelta)
//          ─ one WriteBatch: records, locators, dirty marker (added traces' keys)
//          ─ SessionIndexer::End (the batch becomes pending for a catch-up)
//
// Thread safety: Ingest may be called concurrently; batches that share a
// trace id are serialized by the lock table.

#ifndef SESSIONSTORE_ENGINE_TRACE_WRITER_H_
#define SESSIONSTORE_ENGINE_TRACE_WRITER_H_

#include <rocksdb/write_batch.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/aggregate/session_delta.h"
#include "engine/format/dirty_marker.h"
#include "engine/session_indexer.h"
#include "engine/store_context.h"
#include "engine/trace_lock_table.h"
#include "engine/util/write_batch_pool.h"
#include "sessionstore/store.h"

namespace sessionstore {

class TraceWriter {
 public:
  // `context` and `indexer` must outlive the writer. `sync`: fsync the
  // write-ahead log before Ingest returns.
  TraceWriter(const StoreContext* context, SessionIndexer* indexer, bool sync)
      : ctx_(context), indexer_(indexer), sync_(sync) {}

  // As Store::Ingest, without its clearing of *result on error.
  Status Ingest(std::span<const Trace> batch, IngestResult* result);

  // Holds every Ingest off until the returned lock is released (deletes:
  // engine/store_deleter.h). Waits for the batches in flight.
  std::unique_lock<std::shared_mutex> BlockIngest() {
    return std::unique_lock<std::shared_mutex>(gate_);
  }
  // Bytes of the batches written since the writer was made.
  uint64_t ingested_bytes() const { return ingested_bytes_.load(std::memory_order_relaxed); }
  // Forgets what the writer knows of stored sessions (after a delete).
  void ForgetSessions() noexcept {
    std::lock_guard<std::mutex> l(firsts_mu_);
    known_firsts_.clear();
  }

 private:
  // One distinct trace id of a batch and the positions of its versions.
  struct PendingTrace {
    std::string_view trace_id;
    // Positions in the batch, in order: `first`, then `more` (empty for a
    // trace sent once in its batch, the usual case, which so allocates
    // nothing here).
    std::size_t first = 0;
    std::vector<std::size_t> more;
    std::size_t count() const { return 1 + more.size(); }
    std::size_t at(std::size_t k) const { return k == 0 ? first : more[k - 1]; }
  };
  // What is stored of each pending trace (parallel to the pending list).
  struct StoredVersions {
    static constexpr uint32_t kNotStored = UINT32_MAX;
    std::vector<std::string> keys;  // Record keys; empty when not stored.
    // The stored records found, in the order read: only those (most
    // traces of a batch are new, and a Trace is large to build and free).
    std::vector<Trace> traces;
    std::vector<uint64_t> versions;
    std::vector<uint32_t> slot;  // Per pending trace: its index in traces, or kNotStored.
    // The stored version of the i-th pending trace, or null.
    const Trace* TraceOf(std::size_t i) const {
      return slot[i] == kNotStored ? nullptr : &traces[slot[i]];
    }
  };
  // What the batch changes in one session: its delta (for the indexer, in
  // memory), and what the marker says of it (the traces added to the
  // session; the deltas of those it already counted).
  struct SessionChange {
    SessionDelta delta;
    std::vector<MarkedSession::Added> added;
    std::vector<MarkedSession::Changed> changed;
  };
  // The batch's changes by session id (in no order: Commit orders them by
  // session prefix).
  using SessionDeltas = std::unordered_map<std::string, SessionChange>;
  // A write of the batch, kept until Commit adds them all in key order
  // (keys are distinct within a family and batch: each trace id is applied
  // once).
  struct KeyedWrite {
    enum class Op { kPut, kDelete };
    rocksdb::ColumnFamilyHandle* cf = nullptr;
    Op op = Op::kPut;
    std::string key;
    std::string value;
  };
  using KeyedWrites = std::vector<KeyedWrite>;

  // Validates each trace (rejections into *result) and groups the valid
  // versions by trace id, in batch order.
  static std::vector<PendingTrace> GroupValid(std::span<const Trace> batch, IngestResult* result);
  // Reads the stored versions of the pending traces: locators, then the
  // records they point to.
  Status ReadStored(const std::vector<PendingTrace>& pending, StoredVersions* stored) const;
  // Folds one trace's versions in batch order on top of the stored one
  // (`old`, null when not stored): each version normalized, rejections into
  // *result, the positions of the versions taken into *applied. Empty when
  // nothing is stored and no version was taken.
  static std::optional<Trace> FoldVersions(std::span<const Trace> batch, const PendingTrace& p,
                                           const Trace* old, std::vector<std::size_t>* applied,
                                           IngestResult* result);
  // The session delta of writing `merged` (at `version`) over `old` (at
  // `old_version`; null when not stored).
  static SessionDelta DeltaOf(const Trace& merged, uint64_t version, const Trace* old,
                              uint64_t old_version);
  // Applies one trace's versions in batch order on top of the stored one
  // (`i` indexes `stored`), adding its writes to `writes` and its session
  // change to `deltas`.
  void ApplyTrace(std::span<const Trace> batch, const PendingTrace& p, std::size_t i,
                  const StoredVersions& stored, KeyedWrites* writes, SessionDeltas* deltas,
                  IngestResult* result) const;
  // Adds `writes` to `wb` in key order, each family's together.
  static Status AddInKeyOrder(const KeyedWrites& writes, rocksdb::WriteBatch* wb);
  // Writes one batch: `writes`, plus the batch's dirty marker (one entry
  // per changed session), and hands each session's delta to the indexer
  // (moved out of `deltas`, whose deltas are left unspecified).
  Status Commit(SessionDeltas* deltas, std::size_t batch_size, KeyedWrites* writes);

  // The earliest (start, trace id) a session's first-trace register is
  // known to hold: offered by a batch this writer wrote. A later delta
  // whose first offer is strictly later cannot change that register, so it
  // leaves the offer (and its input preview, up to 1 KB) out: most deltas
  // of an appending session carry no input. Cleared when it holds
  // kMaxKnownFirsts sessions.
  struct FirstKey {
    int64_t start_ns;
    std::string trace_id;
  };
  static constexpr std::size_t kMaxKnownFirsts = 1u << 20;
  // Drops the first offers of `deltas` that cannot win (see FirstKey).
  void DropLosingFirstOffers(SessionDeltas* deltas) const;
  // A batch's first offers, by session id (viewed in `deltas`' keys).
  using FirstOffers = std::vector<std::pair<std::string_view, FirstKey>>;
  // The first offers of `deltas`, taken before Commit moves the deltas to
  // the indexer.
  static FirstOffers FirstOffersOf(const SessionDeltas& deltas);
  // Records the first offers of a written batch. Never fails (the batch
  // is already written): on an allocation failure it forgets.
  void RememberFirstOffers(const FirstOffers& offers) noexcept;

  const StoreContext* const ctx_;
  SessionIndexer* const indexer_;
  const bool sync_;
  TraceLockTable trace_locks_;
  std::atomic<uint64_t> ingested_bytes_{0};
  // The commits' batches, kept between writes: two (two writers at once
  // reuse theirs), each at most 64 MiB (a batch of 10,000 traces is about
  // 20 MB).
  WriteBatchPool batches_{2, std::size_t{64} << 20};
  std::shared_mutex gate_;  // Shared by each Ingest; BlockIngest holds it alone.
  mutable std::mutex firsts_mu_;
  std::unordered_map<std::string, FirstKey> known_firsts_;  // By session id.
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_TRACE_WRITER_H_
