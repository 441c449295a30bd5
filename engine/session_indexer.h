// Copyright sessionstore authors.
//
// SessionIndexer: keeps the session indexes of the `index` column family
// (state 'X', sorted entries 'O', per-user entries 'U'; docs/format.md) up to
// date without ingest ever reading an aggregate.
//
// Ingest writes, in the same atomic batch as the traces, one dirty marker
// into the `dirty` column family, keyed by a batch sequence number from
// Begin() and listing the batch's changed sessions, and reports the batch
// with End(). CatchUp()
// then reads the current aggregate of every session changed since the last
// catch-up (one snapshot), compares it with what the index holds (the 'X'
// state), rewrites the entries that changed, and deletes the processed
// markers with one range deletion, all in one atomic batch. A crash at any
// point leaves the markers of every unindexed change on disk; Recover()
// picks them up when the store opens again.
//
// Thread safety: every method may be called concurrently. Catch-ups are
// serialized among themselves; Begin/End are cheap (one mutex).

#ifndef SESSIONSTORE_ENGINE_SESSION_INDEXER_H_
#define SESSIONSTORE_ENGINE_SESSION_INDEXER_H_

#include <rocksdb/db.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include "engine/coding.h"
#include "sessionstore/status.h"

namespace sessionstore {

class SessionIndexer {
 public:
  // What the indexes should hold for one session: its entry and user id.
  // `status` is NotFound when the session has no trace; any other error
  // stops the catch-up.
  struct Row {
    Status status;
    SessionIndexEntry entry;
    std::string user_id;
  };
  // Reads the rows of the sessions with these prefixes (sorted, distinct)
  // as of `snapshot` into `rows` (resized to match), in one batched read.
  using Reader = std::function<void(const rocksdb::Snapshot* snapshot,
                                    const std::vector<std::string_view>& session_prefixes,
                                    std::vector<Row>* rows)>;

  // `db`, `index` and `dirty` are not owned and must outlive the indexer.
  SessionIndexer(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* index,
                 rocksdb::ColumnFamilyHandle* dirty, Reader reader);
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

  // Ingest protocol: Begin() returns the sequence number for the batch's
  // marker (DirtyKey(seq) in the `dirty` family); End() must follow
  // exactly once with whether the batch was written and, if it was, the
  // session prefixes it marked.
  uint64_t Begin();
  void End(uint64_t seq, bool written, std::vector<std::string>* session_prefixes);

  // Begin() on construction; End(seq, false) on destruction unless
  // Written() was called, so no path out of an ingest (an early return, an
  // exception) leaves a sequence in flight, which would stop every later
  // catch-up from deleting markers.
  class Batch {
   public:
    explicit Batch(SessionIndexer* indexer) : indexer_(indexer), seq_(indexer->Begin()) {}
    ~Batch() {
      if (!ended_) indexer_->End(seq_, false, nullptr);
    }
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;

    uint64_t seq() const { return seq_; }
    // The batch's write returned: `written` says whether it was applied.
    void End(bool written, std::vector<std::string>* session_prefixes) {
      ended_ = true;
      indexer_->End(seq_, written, session_prefixes);
    }

   private:
    SessionIndexer* const indexer_;
    const uint64_t seq_;
    bool ended_ = false;
  };

  // Indexes every session marked by a batch whose End() returned before this
  // call. Returns the first error of this or a failed background catch-up;
  // sessions that failed stay pending and are retried.
  Status CatchUp();

  // Sessions waiting for a catch-up.
  std::size_t pending() const;

 private:
  void Run(uint32_t interval_ms);
  // One catch-up; the caller holds drain_mu_.
  Status CatchUpLocked();
  // One write to the `index` family.
  struct IndexWrite {
    enum Op { kPut, kSingleDelete, kDelete } op;
    std::string key;
    std::string value;
  };
  // Appends the writes that index the sessions of `prefixes` (sorted,
  // distinct) to `writes`.
  Status IndexSessions(const rocksdb::Snapshot* snapshot,
                       const std::vector<std::string_view>& prefixes,
                       std::vector<IndexWrite>* writes);

  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const index_;
  rocksdb::ColumnFamilyHandle* const dirty_;
  const Reader reader_;

  std::mutex drain_mu_;  // Serializes catch-ups.
  uint64_t deleted_below_ = 0;  // Markers below this seq are deleted (drain_mu_).

  mutable std::mutex mu_;  // Guards the fields below.
  std::condition_variable cv_;
  uint64_t next_seq_ = 1;
  std::set<uint64_t> in_flight_;
  std::unordered_set<std::string> pending_;
  Status background_error_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_SESSION_INDEXER_H_
