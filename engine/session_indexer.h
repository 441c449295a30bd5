// Copyright sessionstore authors.
//
// SessionIndexer: keeps the session indexes up to date without ingest ever
// reading an aggregate, and mostly without the indexer reading one either:
// each session's index state 'X' in the `index` column family
// (docs/format.md), and the SessionTable, the in-memory indexes that
// listings walk, which is a cache of those states.
//
// Ingest writes, in the same atomic batch as the traces, one dirty marker
// into the `dirty` column family, keyed by a batch sequence number from
// its Batch, holding each changed session's SessionIndexState delta (the
// projection of its merge operand), and reports the batch with End().
// CatchUp() then composes, per session, the state the index holds ('X')
// with the deltas of every batch reported since, writes the states that
// changed and deletes the applied markers, all in one atomic batch (each
// marker is applied exactly once), then applies the changes to the
// SessionTable when it is loaded. Only when a latest register became unsure
// (a trace's start moved earlier) does it read the session's aggregate. A
// crash at any point leaves the markers of every unapplied batch on disk;
// Recover() picks them up when the store opens again.
//
// Thread safety: every method may be called concurrently. Catch-ups are
// serialized among themselves; a Batch and its End are cheap (one mutex).

#ifndef SESSIONSTORE_ENGINE_SESSION_INDEXER_H_
#define SESSIONSTORE_ENGINE_SESSION_INDEXER_H_

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/aggregate/session_index_state.h"
#include "engine/format/keys.h"
#include "engine/session_table.h"
#include "engine/store_context.h"
#include "sessionstore/status.h"

namespace sessionstore {

// A session's index state read from its aggregate, with exact latest
// registers. `status` is NotFound when the session has no trace; any other
// error stops the catch-up.
struct IndexRow {
  Status status;
  SessionIndexState state;
};

// Where a catch-up reads the rows of sessions whose composed state is not
// exact. Implemented by SessionReader (engine/session_reader.h); tests
// supply their own.
class IndexRowSource {
 public:
  virtual ~IndexRowSource() = default;
  // Reads the rows of the sessions with these prefixes (sorted, distinct) as
  // of `snapshot` into `rows` (resized to match), in one batched read. Must
  // be safe to call from the indexer's thread.
  virtual void ReadIndexRows(const rocksdb::Snapshot* snapshot,
                             const std::vector<std::string_view>& session_prefixes,
                             std::vector<IndexRow>* rows) const = 0;
};

// The table row of a session whose state is `state` (REQUIRES:
// state.Exact()); not listed, with empty fields, when it has no trace.
SessionTableChange TableChangeOf(std::string_view prefix, const SessionIndexState& state);
// True when the two states (REQUIRES: both Exact()) give the same table
// row: TableChangeOf of either is equal, computed without building them.
bool SameTableRow(const SessionIndexState& a, const SessionIndexState& b);

class SessionIndexer {
 public:
  // `db`, `index`, `dirty`, `rows` and `table` are not owned and must
  // outlive the indexer.
  SessionIndexer(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* index,
                 rocksdb::ColumnFamilyHandle* dirty, const IndexRowSource* rows,
                 SessionTable* table);
  // Stops the background thread. Does not catch up: the owner calls
  // CatchUp() first if it wants the indexes current.
  ~SessionIndexer();

  SessionIndexer(const SessionIndexer&) = delete;
  SessionIndexer& operator=(const SessionIndexer&) = delete;

  // Loads the markers a previous process left and sets the next sequence
  // number. Call once, before any other method.
  Status Recover();

  // Starts a background thread that catches up `interval_ms` after the first
  // change it sees (errors are kept for the next CatchUp() to report). No-op
  // for 0. Call at most once.
  void Start(uint32_t interval_ms);

  // The ingest protocol, one Batch per ingest that writes a marker: its
  // seq() names the marker (DirtyKey(seq) in the `dirty` family, value
  // EncodeDirtyMarker(sessions)); End() reports, once the write returned,
  // whether it was applied and, if it was, the sessions it marked (moved
  // from). A Batch destroyed without End() (an early return, an exception)
  // ends its sequence as not written. Everything End() needs is allocated
  // when the Batch is made, so End() cannot fail after a successful write.
  class Batch {
   public:
    explicit Batch(SessionIndexer* indexer);
    ~Batch();
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;

    uint64_t seq() const { return seq_; }
    // The batch's write returned: `written` says whether it was applied.
    void End(bool written, std::vector<DirtySession>* sessions) noexcept;

   private:
    SessionIndexer* const indexer_;
    const uint64_t seq_;
    bool ended_ = false;
    // The batch's entry of pending_, allocated up front.
    std::map<uint64_t, std::vector<DirtySession>>::node_type node_;
  };

  // Indexes every session marked by a batch whose End() returned before this
  // call. Returns the first error of this or a failed background catch-up;
  // batches that failed stay pending and are retried.
  Status CatchUp();

  // Writes `wb` (which replaces some sessions' index states in the `index`
  // family) and then applies `changes` to the table when it is loaded, with
  // catch-ups held off. REQUIRES: no batch is pending for those sessions
  // (the caller blocked ingest and caught up first).
  Status WriteStates(rocksdb::WriteBatch* wb, const std::vector<SessionTableChange>& changes);

  // Loads the SessionTable from the persisted states unless it is loaded.
  // Listings call it after CatchUp(); until then catch-ups write the states
  // only (a process that only ingests never pays for the table).
  Status LoadTable();

  // Starts a thread that runs LoadTable() (Options::preload_session_indexes).
  // Its error, if any, is dropped: the table stays unloaded and the next
  // LoadTable() reports it. Call at most once, after Recover().
  void StartPreload();
  // Stops the preload thread (a load in progress ends without loading the
  // table) and joins it. Idempotent; the destructor calls it.
  void StopPreload();

  // For a store opened read-only: loads the table and applies every pending
  // marker to it, in memory only, so listings see every acknowledged batch.
  // The markers and states on disk stay as they are. Call once, after
  // Recover() and before any read.
  Status ApplyPendingInMemory();
  // The database cannot change while open and has no snapshots (a
  // secondary instance): catch-ups read without one. Call before any.
  void UseStaticView() { static_view_ = true; }

  // True when ApplyPendingInMemory applied markers: the table is then ahead
  // of the states on disk.
  bool applied_in_memory() const { return applied_in_memory_; }

  // Distinct sessions waiting for a catch-up (counts them: for tests and
  // reports, not for hot paths).
  std::size_t pending() const;
  // True when any session waits for a catch-up. O(1).
  bool has_pending() const;

 private:
  // The reported batches not yet applied: sequence -> its sessions' deltas.
  using Pending = std::map<uint64_t, std::vector<DirtySession>>;

  // The next sequence number.
  uint64_t NextSeq();
  // Makes a written batch's node (with its sessions) pending.
  void AddPending(std::map<uint64_t, std::vector<DirtySession>>::node_type node) noexcept;

  void Run(uint32_t interval_ms);
  // One catch-up; the caller holds drain_mu_.
  Status CatchUpLocked();
  // CatchUpLocked's work: composes `retry` (what a failed catch-up left,
  // from the markers `retry_seqs`) and then `work` per session, and writes
  // the index changes with the applied markers' deletions in one batch. On
  // a failed write the composed deltas become retry_.
  Status Apply(const Pending& work, const std::map<std::string, SessionIndexState>& retry,
               std::vector<uint64_t> retry_seqs);
  // CatchUpLocked with any exception turned into an error Status.
  Status CatchUpNoThrow();
  // One write to the `index` family: a session's state.
  struct IndexWrite {
    std::string key;
    std::string value;
  };
  // Appends the writes that apply `deltas` (sorted by session prefix) to
  // the sessions' index states to `writes`, and the table's changes to
  // `changes`.
  Status IndexSessions(const rocksdb::Snapshot* snapshot,
                       std::span<const std::pair<std::string_view, SessionIndexState>> deltas,
                       std::vector<IndexWrite>* writes, std::vector<SessionTableChange>* changes);
  // Writes `writes` (in key order) with the deletions of the `applied`
  // markers in one batch; nothing when in_memory_ is set.
  Status WriteIndex(const std::vector<IndexWrite>& writes, const std::vector<uint64_t>& applied);
  // LoadTable's work; the caller holds drain_mu_. Gives up (Busy, the
  // table unloaded) once `cancel` (when given) is set.
  Status LoadTableLocked(const std::atomic<bool>* cancel = nullptr);
  // Replaces the unsure latest registers of states[unsure_at[j]] with exact
  // ones read (as of `snapshot`) for the session unsure[j].
  Status ResolveUnsure(const rocksdb::Snapshot* snapshot,
                       const std::vector<std::string_view>& unsure,
                       const std::vector<std::size_t>& unsure_at,
                       std::vector<SessionIndexState>* states) const;

  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const index_;
  rocksdb::ColumnFamilyHandle* const dirty_;
  const IndexRowSource* const rows_;
  SessionTable* const table_;
  // Set only inside ApplyPendingInMemory (under drain_mu_): catch-ups
  // change the table only.
  bool in_memory_ = false;
  bool static_view_ = false;  // See UseStaticView.
  bool applied_in_memory_ = false;

  std::mutex drain_mu_;  // Serializes catch-ups.

  mutable std::mutex mu_;  // Guards the fields below.
  std::condition_variable cv_;
  uint64_t next_seq_ = 1;
  Pending pending_;
  // What a failed catch-up leaves for the next one: its deltas composed per
  // session (bounded by the number of sessions, however long a persistent
  // error lasts) and the sequences of the markers they came from. Every
  // batch in it ended before any batch in pending_, so it composes first.
  std::map<std::string, SessionIndexState> retry_;
  std::vector<uint64_t> retry_seqs_;
  Status background_error_;
  bool stop_ = false;
  std::thread thread_;

  std::atomic<bool> stop_preload_{false};
  std::thread preload_;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_SESSION_INDEXER_H_
