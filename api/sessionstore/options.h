// Copyright sessionstore authors.
//
// Options for opening a Store. Plain struct; every field documents its
// default.

#ifndef SESSIONSTORE_OPTIONS_H_
#define SESSIONSTORE_OPTIONS_H_

#include <cstddef>
#include <cstdint>

namespace sessionstore {

struct Options {
  // ---- Behaviour ----

  // Create the store if the directory holds none. Default: true.
  bool create_if_missing = true;
  // Fail with InvalidArgument if a store already exists. Default: false.
  bool error_if_exists = false;
  // Fsync the write-ahead log before Ingest returns. false survives a process
  // crash but may lose the last writes on a power loss. Default: false.
  bool sync = false;
  // Open without the ability to write (several processes may read). Ingest
  // returns NotSupported. Default: false.
  bool read_only = false;
  // With read_only: open as a RocksDB secondary instance, the way to read a
  // store that another process (a service, `sessionstore serve`) is
  // writing. It sees the writer's flushed tables and its write-ahead log as
  // of the open (it catches up once, at open): everything the writer
  // acknowledged before the open, and nothing after. It never conflicts
  // with the writer deleting files. It keeps its own small info log in a
  // temporary directory, removed at close. Default: false (a plain
  // read-only open, which may fail if a live writer deletes a file it is
  // reading).
  bool follow_writer = false;
  // How the write-ahead log is replayed when the store opens. A torn last
  // record (a crash in the middle of a write) is always dropped: that write
  // was never acknowledged. false: a log damaged anywhere else fails the
  // open with Corruption naming the log, and nothing is written, so
  // acknowledged traces are never dropped silently. true: replay up to the
  // first damaged record and drop every write after it (they are lost; the
  // store is the one it was before them). RocksDB refuses this too
  // (Corruption: "SST file is ahead of WALs") when a column family had
  // already flushed writes from after the damage; such a store needs a
  // backup. Use it only after such a Corruption error, once the damage is
  // understood. Default: false.
  bool recover_damaged_wal = false;
  // Keep traces for this long (ns); 0: forever. When set, a background
  // thread deletes every trace that started more than `retention_ns` ago,
  // exactly as Store::DeleteTracesBefore does (aggregates and indexes are
  // recomputed from the traces that remain), right after open and then
  // every retention / 100 (at least 1 s, at most 10 min): an expired trace
  // is gone at most that long after it expired. Each pass blocks ingest
  // while it runs (about the cost of reading the trimmed sessions from
  // their expiry on). Ignored by read-only stores. Its first pass loads
  // the session indexes, which ends write-back (index_hold_bytes). Default:
  // 0.
  int64_t retention_ns = 0;

  // ---- Performance ----

  // Block cache budget, split into two caches: 3/4 for the trace records,
  // 1/4 shared by the aggregates, locators and indexes (so large records do
  // not evict the small hot blocks every read needs). The caches keep
  // their blocks' memory in pools of pre-faulted 1 MiB slabs that go back
  // to the system only when the store closes: at most 1.25x this budget
  // plus 16 MiB in all, two spare slabs per cache included (blocks beyond
  // that, and blocks over 64 KiB, come from malloc). Default: 256 MiB.
  std::size_t block_cache_bytes = 256u << 20;
  // Memtable size of the traces, the aggregates (sessions) and the dirty
  // markers' column families; the trace-id locators get a quarter of it (at
  // least 4 MiB), the index states 16 MiB. Each family holds at most two
  // memtables (one filling, one flushing): about 450 MiB at the default.
  // A dirty marker (about 20 bytes a trace: the keys of the traces its
  // batch added) lives until a catch-up folds its batch; a memtable this
  // size lets nearly all of them cancel there instead of reaching a table,
  // and takes memory only as markers fill it. The live write-ahead log is
  // kept under about four times this (256 MiB at the default): past it
  // the families that hold its oldest file are flushed; after a crash the
  // next open replays it.
  // Default: 64 MiB.
  std::size_t write_buffer_bytes = 64u << 20;
  // Background flush and compaction threads; values below 2 count as 2.
  // Default: 2.
  int background_jobs = 2;
  // Maximum merge operands kept in the memtable for one session before the
  // write path collapses them. Formats 7 and 8 write no merge operands (each
  // session's aggregate is one value, kept by the catch-ups), so this
  // matters only for the operands a store upgraded from format 6 or earlier
  // still holds. 0 disables the bound. Default: 8.
  std::size_t max_session_operands = 8;
  // Memory for session summaries kept folded in memory, so that a session
  // read again by GetSession or a ListSessions page skips folding its
  // aggregate (every write that changes a session drops its entry before
  // it is acknowledged: reads stay exact). A session is kept from its
  // second read on: the first read only marks it (in a table of 128 KiB),
  // so sessions read once cost no copy. Least recently used entries go
  // first; 0 disables it. Default: 32 MiB (about 20K sessions with 1 KB
  // previews).
  std::size_t summary_cache_bytes = 32u << 20;
  // How long the background session indexer lets changed sessions gather
  // before it folds their deltas into the stored aggregates and the session
  // indexes (ListSessions) in one write (or holds them:
  // index_hold_bytes); sooner once 256 batches or
  // index_pending_bytes of deltas are pending. Longer batches more ingest
  // per update; reads add the deltas not yet folded and ListSessions
  // catches up first, so this never makes a read or a listing stale. 0: no
  // background thread (ListSessions, Flush, Verify, closing the store, and
  // a writer that finds 1024 batches or four times index_pending_bytes
  // pending run a round). Default: 1000 (against 200: each catch-up folds
  // more traces per changed session; bench/README.md, "Ingest batches").
  uint32_t index_interval_ms = 1000;
  // Bytes of session deltas (about 650 bytes per ingested trace with 300-
  // byte outputs) the indexer lets gather in memory before a catch-up,
  // whatever index_interval_ms says; a catch-up round takes about this
  // much (the first after a crash: every batch the recovery rebuilt, up to
  // four times this pending plus four times index_hold_bytes held) and
  // writes or holds it (index_hold_bytes), and writers that find four
  // times this pending run a round themselves. Deltas count as their
  // encodings would (in memory each takes about 740 bytes more). Memory:
  // the pending deltas, at most about four times this plus the batches of
  // writers in flight, and, while a round writes, one batch with the aggregate of
  // every session it changes (about 1.5-2.5 KB each; with held deltas,
  // every session they hold too). Larger values rewrite each session's
  // aggregate less often: ingest CPU falls, memory and the deltas a read
  // folds during ingest grow (measured at 1M lines with index_interval_ms
  // 4000 and 128 MiB: 7% less CPU, 160-200 MB more peak RSS;
  // bench/README.md, "Format 8: markers that name the added traces").
  // Values below 1 MiB count as 1 MiB.
  // Default: 32 MiB.
  std::size_t index_pending_bytes = std::size_t{32} << 20;
  // Write-back of the session aggregates: until the in-memory session
  // indexes are loaded in this process (by the first ListSessions, Verify,
  // Analytics, Search with a time window, deletion or retention pass, or
  // by preload_session_indexes; so never with retention_ns set), the
  // background indexer and writers past the pending bound fold
  // each round's deltas into one delta per session held in memory instead
  // of writing every changed session's aggregate and index state each
  // round, so a session changed in many rounds is written once. The held
  // deltas are written, all in one atomic write with the round's own, by
  // the first round that finds this many bytes held, or finds that the
  // held rounds folded four times this of pending deltas since the last
  // write (what a recovery reads back after a crash), or finds the session
  // indexes loaded, or finds the hold 30 s old (the background thread
  // wakes for that, so a trickle of batches, or none, leaves no held
  // markers on disk for longer); and whenever a call catches up (ListSessions, Verify,
  // Analytics, Search with a window, Flush, a deletion, closing the
  // store: that call then writes them all).
  // Reads add the held deltas as they add pending ones, and the dirty
  // markers of held batches stay on disk until the write, so a crash loses
  // nothing; the next open reads back the traces they name, and so does
  // every read-only open while they are on disk (a secondary following
  // this process, the CLI's queries): measured 11 s into a 1M-line ingest,
  // an open after a SIGKILL took 3.4-3.5 s against 1.7 s with 0, a clean
  // one 0.5-1.0 s. Memory: this
  // plus one round's deltas (index_pending_bytes), about 200 bytes a held
  // session for keys and map nodes, and, while they are written, the
  // write's batch and memtable entries: three to five times this in all,
  // measured. With the default, 2-10% less CPU at 1M lines (three sets of
  // interleaved runs) for 160-230 MB more peak RSS, 7-9% less at 10M
  // (two pairs) for 316-325 MB more; with 128 MiB, 13% less at 1M (+300 MB) but 8%
  // at 10M (+900 MB): bench/README.md, "Write-back of the session
  // aggregates". 0: every round writes. Default: 64 MiB.
  std::size_t index_hold_bytes = std::size_t{64} << 20;
  // Build the in-memory session indexes (what ListSessions, Analytics and
  // Search's window select from) in a background thread as the store opens,
  // instead of in the first call that needs them. That first call then
  // waits only for what is left of the build: about 12 us per session,
  // measured (1.2 s for 99K sessions; bench/README.md, "The ingest floor,
  // cold list rows, the first listing"). The indexes hold about 1.3 KB per
  // session from the open on, whether or not anything is listed. The store
  // is usable at once; ingest goes on during the build (the indexes catch
  // up after it). A build that fails (a damaged index state) leaves the
  // indexes unbuilt, and the first call that needs them builds them and
  // reports the error. Closing the store stops a build in progress.
  // Loaded indexes end write-back (index_hold_bytes): the catch-ups then
  // write every round. Default: false (a process that opens the store to
  // ingest or to read single sessions does not pay for it); `sessionstore
  // serve` sets it.
  bool preload_session_indexes = false;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_OPTIONS_H_
