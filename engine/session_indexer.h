// Copyright sessionstore authors.
//
// SessionIndexer: keeps each session's stored aggregate and its index
// state up to date without ingest ever reading either: the aggregate (a
// SessionDelta value in the `sessions` family, one Put per session), the
// index state 'X' in the `index` family (docs/format.md), and the
// SessionTable, the in-memory indexes that listings walk, which is a cache
// of those states.
//
// Ingest writes, in the same atomic batch as the traces, one dirty marker
// into the `dirty` column family, keyed by a batch sequence number from
// its Batch, naming what changed in each session (engine/format/
// dirty_marker.h), and reports the batch with End(), which hands the
// indexer each changed session's SessionDelta in memory.
// CatchUp() then folds, per session, the stored aggregate with the deltas
// of every batch reported since and takes the index state from the fold
// (the state is the aggregate's projection; the stored one is read only
// to settle an unsure latest register), writes both with the deletions of
// the applied markers in one atomic batch, or, past kWriteChunkBytes, in
// chunks with a round record that says how far it got (each marker is
// applied exactly once to each session), then applies the changes to the
// SessionTable when it is loaded.
// Only when a latest register became unsure (a trace's start moved
// earlier) does it read stored traces. While the table is not loaded, the
// rounds of the background thread and of writers past the pending bound
// may instead hold the deltas in memory, one per session, and write them
// later (write-back: kHeldFoldFactor). A
// crash at any point leaves the markers of every unapplied batch on disk;
// Recover() rebuilds their deltas when the store opens again (from the
// traces they name: engine/marker_recovery.h).
//
// Readers of aggregates add the deltas a catch-up has not applied yet
// (PendingFor): every acknowledged batch is in the stored aggregate or in
// those deltas, never in both.
//
// Thread safety: every method may be called concurrently. Catch-ups are
// serialized among themselves; a Batch and its End are cheap (one mutex).

#ifndef SESSIONSTORE_ENGINE_SESSION_INDEXER_H_
#define SESSIONSTORE_ENGINE_SESSION_INDEXER_H_

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/aggregate/session_fold.h"
#include "engine/aggregate/session_index_state.h"
#include "engine/format/keys.h"
#include "engine/marker_recovery.h"
#include "engine/session_table.h"
#include "engine/store_context.h"
#include "engine/util/write_batch_pool.h"
#include "sessionstore/status.h"

namespace sessionstore {

// A session's index state read from its aggregate, with exact latest
// registers. `status` is NotFound when the session has no trace; any other
// error stops the catch-up.
struct IndexRow {
  Status status;
  SessionIndexState state;
};

// Where a catch-up and the upgrade read what the aggregates alone do not
// tell. Implemented by SessionReader (engine/session_reader.h); tests
// supply their own.
class IndexRowSource {
 public:
  virtual ~IndexRowSource() = default;
  // Reads the rows of the sessions with these prefixes (sorted, distinct)
  // from their stored aggregates as of `snapshot` into `rows` (resized to
  // match), in one batched read (the upgrade of an older store).
  virtual void ReadIndexRows(const rocksdb::Snapshot* snapshot,
                             const std::vector<std::string_view>& session_prefixes,
                             std::vector<IndexRow>* rows) const = 0;
  // The row of the session at `prefix` whose aggregate is `aggregate`,
  // with exact latest registers: those the aggregate leaves unsure are read
  // from the session's stored traces as of `snapshot`. Must be safe to call
  // from the indexer's thread.
  virtual void ExactRow(const rocksdb::Snapshot* snapshot, std::string_view prefix,
                        const SessionDelta& aggregate, IndexRow* row) const = 0;
  // The contributions of the traces dirty markers name as added (Recover;
  // see ReadAddedTraceDeltas in engine/marker_recovery.h).
  virtual Status ReadAddedTraces(const std::vector<AddedTrace>& traces,
                                 std::vector<SessionDelta>* deltas) const = 0;
};

// The table row of a session whose state is `state` (REQUIRES:
// state.Exact()); not listed, with empty fields, when it has no trace.
SessionTableChange TableChangeOf(std::string_view prefix, const SessionIndexState& state);

class SessionIndexer {
 public:
  // The background thread catches up before its interval ends once this
  // many batches, or `pending_bytes` (the constructor's; Options::
  // index_pending_bytes) of deltas, are pending: it bounds the deltas a
  // reader folds and the memory they hold. A catch-up round takes about
  // `pending_bytes` of deltas (at least one batch; it stops at the batch
  // that reaches them) and writes them, with what earlier rounds held
  // (kHeldFoldFactor), in one write (or its chunks: kWriteChunkBytes), or
  // holds them; except the first
  // round after a recovery, which takes every batch the recovery rebuilt
  // (see CatchUpRound). Past four times either the writers run rounds
  // themselves (PendingOverBound).
  static constexpr std::size_t kEarlyCatchUpBatches = 256;
  static constexpr std::size_t kMaxPendingBatches = 4 * kEarlyCatchUpBatches;
  static constexpr std::size_t kDefaultPendingBytes = std::size_t{32} << 20;  // As Options'.
  static constexpr std::size_t kMinPendingBytes = std::size_t{1} << 20;

  // Write-back: while the in-memory session indexes are not loaded (a
  // process that only ingests), the rounds of the background thread and of
  // writers (CatchUpForWriter) fold the batches they take into one delta
  // per session held in memory, as a failed catch-up leaves them, instead
  // of writing the sessions' aggregates: a session changed in many rounds
  // is written once. The held deltas are written, in one write (or its
  // chunks) with the
  // round's own batches, by the first round that finds them at
  // `hold_bytes` (the constructor's; Options::index_hold_bytes; 0 writes
  // every round) or more, or finds that the held rounds folded
  // kHeldFoldFactor times `hold_bytes` of batches' deltas since the last
  // write (what a recovery would read back after a crash), or finds the
  // indexes loaded, or finds the hold older than kMaxHoldMs (the
  // background thread wakes for that: a trickle of batches, or none,
  // leaves no markers on disk for longer), and by every CatchUp(). The
  // held deltas so pass `hold_bytes` by up to one round's only until the
  // same call's next round writes them. The markers of held batches stay
  // on disk until their write, so a crash loses nothing: the next open
  // rebuilds them.
  static constexpr std::size_t kHeldFoldFactor = 4;
  // A round's write: in chunks of about this many bytes (format 9), each
  // its own atomic write, in ascending session prefix order, so that a
  // write-back of a large hold needs no batch (nor memtable burst) of
  // every held aggregate at once. Each chunk but the last also puts the
  // round's record ('R', engine/format/round_record.h): its markers and
  // the first session not yet written, which readers (PendingFor) and a
  // recovery use to count each session's deltas once. The last chunk
  // deletes the markers and the records. A round smaller than this is one
  // write, with no record.
  static constexpr std::size_t kWriteChunkBytes = std::size_t{8} << 20;
  static constexpr uint32_t kMaxHoldMs = 30000;
  static constexpr std::size_t kDefaultHoldBytes = std::size_t{64} << 20;  // As Options'.

  // `db`, the families, `rows` and `table` are not owned and must outlive
  // the indexer. `pending_bytes`: see kEarlyCatchUpBatches (values below
  // kMinPendingBytes count as kMinPendingBytes); `hold_bytes`: see
  // kHeldFoldFactor.
  SessionIndexer(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* sessions,
                 rocksdb::ColumnFamilyHandle* index, rocksdb::ColumnFamilyHandle* dirty,
                 const IndexRowSource* rows, SessionTable* table,
                 std::size_t pending_bytes = kDefaultPendingBytes, std::size_t hold_bytes = 0);
  // Stops the background thread. Does not catch up: the owner calls
  // CatchUp() first if it wants the indexes current.
  ~SessionIndexer();

  SessionIndexer(const SessionIndexer&) = delete;
  SessionIndexer& operator=(const SessionIndexer&) = delete;

  // Loads the markers a previous process left, rebuilds their deltas
  // (reading the traces they name as added: IndexRowSource::
  // ReadAddedTraces) and sets the next sequence number. Corruption when a
  // marker is malformed or names a trace that is not stored. Call once,
  // before any other method.
  Status Recover();

  // Starts a background thread that catches up `interval_ms` after the first
  // change it sees, holding deltas when it may (kHeldFoldFactor; errors are
  // kept for the next CatchUp() to report). No-op for 0. Call at most once.
  void Start(uint32_t interval_ms);

  // The ingest protocol, one Batch per ingest that writes a marker: its
  // seq() names the marker (DirtyKey(seq) in the `dirty` family, value
  // EncodeDirtyMarker of what changed in each session); End()
  // reports, once the write returned, whether it was applied and, if it
  // was, the sessions it marked (moved from). A Batch destroyed without End() (an early return, an
  // exception) ends its sequence as not written. Everything End() needs is allocated when the Batch
  // is made, so End() cannot fail after a successful write.
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

  // For readers of aggregates: fills (*deltas)[i] with copies of the
  // SessionDeltas, in write order, of every batch reported (End()) before
  // this call that the stored aggregate of the session at prefixes[i] does
  // not hold, and calls `take_snapshot` at the same point: the aggregate
  // stored as of that snapshot plus these deltas is the session's aggregate
  // as of the call. `take_snapshot` must not call the indexer.
  void PendingFor(const std::vector<std::string_view>& prefixes,
                  std::vector<std::vector<SessionDelta>>* deltas,
                  const std::function<void()>& take_snapshot) const;

  // Every session's pending deltas (as PendingFor), by session prefix.
  using PendingMap = std::map<std::string, std::vector<SessionDelta>, std::less<>>;
  // PendingFor for every session that has pending deltas (Verify).
  void AllPending(PendingMap* deltas, const std::function<void()>& take_snapshot) const;

  // True when more is pending than the writers may leave to the background
  // thread (kMaxPendingBatches batches or four times the pending bytes).
  bool PendingOverBound() const;
  // A catch-up run by a writer that found PendingOverBound(): as CatchUp(),
  // but its rounds may hold their deltas (kHeldFoldFactor), and its error
  // is kept for the next CatchUp() to report.
  void CatchUpForWriter();

  // Indexes every session marked by a batch whose End() returned before this
  // call, held deltas included (see kHeldFoldFactor). Returns the first
  // error of this or a failed background catch-up; batches that failed
  // stay pending and are retried.
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
  // Bytes of the deltas of the batches waiting for a catch-up, counted as
  // their encodings (SessionDelta::ApproximateBytes): not those of a
  // catch-up round in progress (at most the pending bytes), nor held ones.
  // O(1).
  std::size_t pending_bytes() const;
  // Bytes of the deltas held in memory (see kHeldFoldFactor), one per
  // session, or of what a failed catch-up left for a retry. O(1).
  std::size_t held_bytes() const;

  // Tests: the bytes of deltas a catch-up round takes (the pending bytes
  // by default; 1 takes one batch per round). Call before any catch-up.
  void SetRoundBytesForTest(std::size_t bytes) { round_bytes_ = bytes; }
  // Tests: the longest a hold lasts (kMaxHoldMs by default). Call before
  // any catch-up.
  void SetMaxHoldMsForTest(uint32_t ms) { max_hold_ = std::chrono::milliseconds(ms); }
  // Tests: a round's chunks (kWriteChunkBytes by default) and how many
  // sessions' aggregates one read takes (256). Call before any catch-up.
  void SetWriteChunkForTest(std::size_t bytes, std::size_t sessions_per_read) {
    chunk_bytes_ = bytes;
    read_sessions_ = std::max<std::size_t>(sessions_per_read, 1);
  }
  // Tests: called by a chunked round after each chunk but its last is
  // written (outside the indexer's locks; readers may be called); an error
  // it returns fails the round there, as a failed write of the next chunk
  // would. Call before any catch-up.
  void SetBetweenChunksForTest(std::function<Status()> hook) { between_chunks_ = std::move(hook); }

 private:
  // The reported batches not yet applied: sequence -> its sessions' deltas
  // (each batch's sessions sorted by prefix).
  using Pending = std::map<uint64_t, std::vector<DirtySession>>;
  // What a failed catch-up leaves for the next one, or what rounds held
  // (kHeldFoldFactor), per session: its deltas folded into one.
  using Retry = std::map<std::string, DirtySession, std::less<>>;
  // A catch-up's work: the retry it took and the batches it applies.
  struct Work {
    Retry retry;
    std::vector<uint64_t> retry_seqs;  // The markers the retry came from.
    Pending batches;
    std::size_t batch_bytes = 0;  // DeltaBytes of the batches.
    std::size_t retry_bytes = 0;  // held_bytes_ when the retry was taken.
  };
  // One session of a catch-up: its prefix and its deltas in write order
  // (in the work's retry and batches), a run of Grouped::deltas.
  struct SessionWork {
    std::string_view prefix;
    std::span<SessionDelta* const> deltas;
    // The first delta is the session's entry of the work's retry.
    bool from_retry = false;
  };
  // A work's deltas by session (GroupBySession): `sessions`, sorted by
  // prefix, each viewing its run of `deltas`, which point into the work's
  // retry and batches (valid while their maps keep those nodes).
  struct Grouped {
    std::vector<SessionDelta*> deltas;
    std::vector<SessionWork> sessions;
  };

  // Session id of a prefix, for messages.
  static std::string PrefixName(std::string_view prefix);
  // The next sequence number.
  uint64_t NextSeq();
  // True when pending_ holds enough for an early catch-up; the caller
  // holds mu_.
  bool PendingFullLocked() const;
  // The bytes of a batch's deltas, as cached in DirtySession's
  // approximate_bytes when the batch became pending (AddPending,
  // RecountPendingLocked).
  static std::size_t DeltaBytes(const std::vector<DirtySession>& batch);
  // Recomputes pending_bytes_ from pending_, each delta's size taken again
  // (and cached); the caller holds mu_.
  void RecountPendingLocked();
  // Makes a written batch's node (with its sessions) pending.
  void AddPending(std::map<uint64_t, std::vector<DirtySession>>::node_type node) noexcept;
  // True when the catch-up in progress applies a batch (or retry) of one of
  // these sessions; the caller holds mu_.
  bool InflightHoldsAnyLocked(const std::vector<std::string_view>& prefixes) const;
  // PendingFor's collection for one session; the caller holds mu_, and
  // apply_mu_ (shared) when InflightHoldsAnyLocked says the session is in
  // the catch-up in progress.
  void CollectLocked(std::string_view prefix, std::vector<SessionDelta>* deltas) const;
  // Calls `batches` and `retry` on everything readers add, in write order,
  // each with the prefix below which its sessions' deltas are stored
  // already and must be skipped (written_below_ for the catch-up in
  // progress, empty for the rest); the caller holds mu_, and apply_mu_
  // (shared) to read the deltas of the catch-up in progress.
  using BatchVisitor = std::function<void(const Pending&, std::string_view stored_below)>;
  using RetryVisitor = std::function<void(const Retry&, std::string_view stored_below)>;
  void VisitPendingLocked(const BatchVisitor& batches, const RetryVisitor& retry) const;
  // Recover's read of the `dirty` family: the markers (their sessions
  // less the entries a round record says are applied), the largest
  // sequence or round id seen, and the round records' ids (live_rounds_).
  Status LoadMarkers(std::map<uint64_t, std::vector<MarkedSession>>* markers, uint64_t* max_seq);

  void Run(uint32_t interval_ms);
  // One catch-up, in rounds (CatchUpRound); the caller holds drain_mu_.
  // With `may_hold` (the background thread, writers) its rounds may hold
  // their deltas (kHeldFoldFactor), and it ends with them held only while
  // they may stay so; without, the last round writes them.
  Status CatchUpLocked(bool may_hold);
  // True when the next round may hold its deltas instead of writing them;
  // the caller holds mu_.
  bool MayHoldLocked() const;
  // One round of a catch-up: what a failed one left and the pending
  // batches below `below_seq`, in sequence order, up to round_bytes_
  // of deltas (at least one batch), applied in one atomic write (or in
  // chunks: kWriteChunkBytes); and
  // every batch up to recovered_through_ whatever their size (a rebuilt
  // delta is exact only with the others: engine/marker_recovery.h).
  // With `may_hold`, it holds them instead when MayHoldLocked().
  Status CatchUpRound(uint64_t below_seq, bool may_hold);
  // CatchUpLocked's work: folds `work` (its retry first, then
  // the batches by sequence) per session and writes the aggregates and
  // index states with the applied markers' deletions in one batch, then
  // ends the work (EndWork) under the readers' exclusion; past
  // kWriteChunkBytes (and while no round record is on disk) in chunks,
  // WriteChunk, the last one as that batch. On an error the sessions not
  // yet written are composed for the retry (EndWork).
  // With `hold`, nothing is written: HoldInPlace.
  Status Apply(Work* work, bool hold);
  // The work's deltas by session (sorted by prefix), each session's in
  // write order: its retry delta first, then by sequence. With
  // `retry_of_batches_only`, only the sessions the batches changed.
  static void GroupBySession(Work* work, bool retry_of_batches_only, Grouped* out);
  // Composes each session's deltas into one (`left`, by prefix), copying
  // them: the work stays as it was (a failed write's retry).
  static void Compose(std::span<const SessionWork> sessions, Retry* left);
  // Write-back of a round: the deltas of each session the batches changed
  // are absorbed, in write order, into the session's entry of the work's
  // retry (SessionDelta::Absorb: moved, neither encoded nor copied; an
  // identity entry is added first for a session it lacks), a chunk of
  // sessions at a time under apply_mu_ (exclusive), so that a reader sees
  // each session's deltas before or after, never half moved; the markers
  // stay on disk. Every allocation comes before the first delta moves, so
  // an exception leaves the work as it came (but for identity entries);
  // past the first chunk only taking apply_mu_ could throw
  // (std::system_error), and then the work goes back with some sessions'
  // deltas already absorbed into the retry and their batches' entries
  // identities, which readers and the next round count once, as they
  // should (held_bytes_ then misses those chunks' growth until the next
  // write). Then HoldWork.
  void HoldInPlace(Work* work, std::vector<uint64_t> applied);
  // Ends a held round's work under mu_: the work's retry becomes retry_,
  // and `applied` (every marker it holds) retry_seqs_; held_bytes_ changes
  // by `grown` bytes, held_folded_ by `folded`.
  void HoldWork(Work* work, std::vector<uint64_t> applied, std::ptrdiff_t grown,
                std::size_t folded) noexcept;
  // Ends a catch-up's work under mu_: on success (`s`) the work is gone
  // (or, for the in-memory catch-up of a read-only open, kept for
  // readers); on failure `left` (each session's deltas folded) becomes
  // retry_.
  void EndWork(const Status& s, Work* work, Retry* left) noexcept;
  // CatchUpLocked with any exception turned into an error Status.
  Status CatchUpNoThrow(bool may_hold);
  // Adds to `wb` the writes that apply `work` (sorted by session prefix)
  // to the sessions' aggregates and index states (none when in_memory_),
  // and appends the table's changes to `changes`. Stored traces, read only
  // for unsure latest registers, are read from `snapshot`.
  Status IndexSessions(LazyReadSnapshot* snapshot, std::span<const SessionWork> work,
                       rocksdb::WriteBatch* wb, std::vector<SessionTableChange>* changes);
  // Sets the latest registers of `state` (the projection of `fold`, the
  // session's folded aggregate, with an unsure register): from the stored
  // 'X' state and the projections of the work's deltas when those are
  // exact (an earlier catch-up settled them), else from the stored traces
  // (IndexRowSource::ExactRow, read from `snapshot`).
  Status ExactState(LazyReadSnapshot* snapshot, const SessionWork& work, const SessionFold& fold,
                    SessionIndexState* state);
  // Adds to `fold` (empty) the session's aggregate: the stored one (`read`,
  // `stored`: what the read of `sessions` gave) followed by the work's
  // deltas. The fold views `stored` and the deltas: they must outlive it.
  Status FoldAggregate(const rocksdb::Status& read, std::string_view stored,
                       const SessionWork& work, SessionFold* fold) const;
  // The bytes Apply reserves in its write batch for a round of `work`
  // with `sessions` sessions (0 when in_memory_).
  std::size_t BatchReserve(const Work& work, std::size_t sessions) const;
  // A chunked round's record: its id (0 until its first chunk), its
  // markers' sequences, sorted, and whether live_rounds_ lists it (once a
  // chunk with it is written).
  struct ChunkedRound {
    uint64_t id = 0;
    std::vector<uint64_t> seqs;
    bool listed = false;
  };
  // Writes `wb` (the aggregates and states of the round's sessions below
  // `next`) as one chunk of the round, with its record (`round`; made at
  // the first chunk from `applied`), under apply_mu_ (exclusive); then
  // written_below_ is `next`, the table takes `changes`, and `wb` and
  // `changes` are cleared for the next chunk.
  Status WriteChunk(const std::vector<uint64_t>& applied, std::string_view next,
                    ChunkedRound* round, rocksdb::WriteBatch* wb,
                    std::vector<SessionTableChange>* changes);
  // What follows a chunk's write, under apply_mu_ (exclusive): the round
  // is listed in live_rounds_ (capacity reserved) and readers skip the
  // sessions below `below` (moved into written_below_). Cannot fail: an
  // exception here would put back sessions already stored.
  void ChunkWritten(ChunkedRound* round, std::string* below) noexcept;
  // Puts a work that an exception ended back for the next catch-up (pending_, retry_),
  // less its sessions below written_below_ when chunks of it are stored
  // (their deltas are in the stored aggregates, and the round records on
  // disk say so to a recovery); the next round then takes all of its
  // batches (recovered_through_). The caller holds mu_.
  void ReturnWorkLocked(Work* work, bool hold) noexcept;
  // Adds the deletions of the `applied` markers and of every round record
  // (live_rounds_) to `wb` and writes it, in one atomic write; nothing
  // when in_memory_ is set.
  Status WriteIndex(rocksdb::WriteBatch* wb, const std::vector<uint64_t>& applied);
  // LoadTable's work; the caller holds drain_mu_. Gives up (Busy, the
  // table unloaded) once `cancel` (when given) is set.
  Status LoadTableLocked(const std::atomic<bool>* cancel = nullptr);

  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const sessions_;
  rocksdb::ColumnFamilyHandle* const index_;
  rocksdb::ColumnFamilyHandle* const dirty_;
  const IndexRowSource* const rows_;
  SessionTable* const table_;
  // Set only inside ApplyPendingInMemory (under drain_mu_): catch-ups
  // change the table only.
  bool in_memory_ = false;
  bool static_view_ = false;  // See UseStaticView.
  bool applied_in_memory_ = false;
  const std::size_t early_bytes_;  // The pending bytes (kEarlyCatchUpBatches).
  std::size_t round_bytes_;        // early_bytes_, or SetRoundBytesForTest's.
  const std::size_t hold_bytes_;   // 0: never hold.
  std::size_t chunk_bytes_ = kWriteChunkBytes;  // Or SetWriteChunkForTest's.
  std::size_t read_sessions_ = 256;             // Aggregates per read (IndexSessions).
  std::function<Status()> between_chunks_;      // SetBetweenChunksForTest.
  // The ids of the round records on disk (chunked rounds not yet
  // finished: a failed one, or one a crash ended, found by Recover): the
  // next round that writes its last chunk deletes them, as it applies
  // every marker they name (a failed round's retry_seqs_, or
  // recovered_through_ after Recover or an exception: ReturnWorkLocked).
  // While any is listed, rounds write in one batch (no new record). Only
  // catch-ups (drain_mu_) and Recover use it.
  std::vector<uint64_t> live_rounds_;

  std::mutex drain_mu_;  // Serializes catch-ups.
  // The catch-ups' write batch, kept between rounds (one catch-up at a
  // time): a new one each round cost a page fault per 4 KiB page as it
  // filled. Kept while its buffer is at most 128 MiB: a round of the
  // default pending bytes reserved 105 MiB (Apply: twice its deltas plus
  // 1 KiB a session) and filled 55-60 (the median round of a 1M-line
  // ingest without write-back); the write of a hold reserves about 200
  // MB and is freed.
  WriteBatchPool round_batches_{1, std::size_t{128} << 20};
  // Held exclusively while a catch-up writes and ends its work, and while
  // a hold moves a chunk of the work's deltas (HoldInPlace, which changes
  // them without mu_); shared by PendingFor when a session it reads is in
  // that work, and by AllPending: a reader sees each batch in the stored
  // aggregate or in the pending deltas, never in both or neither, and
  // never half moved. Taken before mu_.
  mutable std::shared_mutex apply_mu_;

  // Guards the fields below; the deltas of the work inflight_ points to
  // are read under it and apply_mu_ (shared), as they move under apply_mu_
  // alone (HoldInPlace).
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t next_seq_ = 1;
  Pending pending_;
  std::size_t pending_bytes_ = 0;  // Of the deltas in pending_.
  // What a failed catch-up leaves for the next one (bounded by the number
  // of sessions, however long a persistent error lasts), or what rounds
  // held on purpose (kHeldFoldFactor), and the sequences of the markers it
  // came from. Every batch in it was taken before any batch in pending_,
  // so it composes first (batches that touch the same trace end in
  // sequence order, and others may compose in any: docs/format.md).
  Retry retry_;
  std::vector<uint64_t> retry_seqs_;
  // retry_ holds rounds' deltas on purpose, not a failed catch-up's: the
  // background thread waits for new batches (or for the table's load).
  bool held_ = false;
  std::size_t held_bytes_ = 0;  // Of the deltas in retry_.
  // Bytes of the batches' deltas held since the last write (kHeldFoldFactor).
  std::size_t held_folded_ = 0;
  // Set under mu_ when LoadTableLocked loaded the table: held deltas may
  // no longer stay held, and the background thread is woken to write them.
  bool table_loaded_ = false;
  // When the hold in retry_ began (held_), and how long one may last.
  std::chrono::steady_clock::time_point held_since_;
  std::chrono::milliseconds max_hold_{kMaxHoldMs};
  // The largest sequence whose deltas Recover rebuilt (0: none): a
  // catch-up round takes all of those together (CatchUpRound). Never
  // reset: a failed round puts its batches back (pending_ or retry_), and
  // the next round must take them together again.
  uint64_t recovered_through_ = 0;
  // The work of the catch-up in progress (null when none): not yet in the
  // stored aggregates until it ends.
  const Work* inflight_ = nullptr;
  // While the catch-up in progress writes in chunks: its sessions below
  // this prefix are stored (readers skip their deltas in inflight_).
  // Empty otherwise. Changed under mu_, only by the catch-up's thread:
  // moved with a chunk's write (under apply_mu_, exclusive), cleared when
  // the work ends.
  std::string written_below_;
  // What the in-memory catch-up of a read-only open applied to the table:
  // never stored, so readers add it to every aggregate they read.
  Pending kept_;
  Status background_error_;
  bool stop_ = false;
  std::thread thread_;

  std::atomic<bool> stop_preload_{false};
  std::thread preload_;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_SESSION_INDEXER_H_
