// Copyright sessionstore authors.
//
// StoreImpl: the RocksDB-backed implementation of Store, and the owner that
// wires its units together (docs/architecture.md):
//
//   TraceWriter         Ingest: records, locators, aggregate operands, markers
//   SessionIndexer      keeps the session index states from the dirty markers
//   SessionTable        the session indexes in memory, which listings walk
//   SessionReader       GetSession; exact index rows for the indexer
//   TraceReader         GetTrace, Timeline
//   SessionListPlanner  ListSessions
//   SessionAnalytics    Analytics
//   StoreVerifier       Verify
//   StoreDeleter        DeleteSession, DeleteUser, DeleteTracesBefore
//
// StoreImpl itself opens the database (format version, column families),
// converts exceptions to Status at the API boundary, and serves Flush and
// GetStats.
//
// Thread safety: as Store (every method may be called concurrently).

#ifndef SESSIONSTORE_ENGINE_STORE_IMPL_H_
#define SESSIONSTORE_ENGINE_STORE_IMPL_H_

#include <rocksdb/db.h>

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/aggregate/session_merge_operator.h"
#include "engine/content_search.h"
#include "engine/io_stats_listener.h"
#include "engine/retention_worker.h"
#include "engine/session_analytics.h"
#include "engine/session_indexer.h"
#include "engine/session_list_planner.h"
#include "engine/session_reader.h"
#include "engine/session_table.h"
#include "engine/store_context.h"
#include "engine/store_deleter.h"
#include "engine/store_verifier.h"
#include "engine/trace_reader.h"
#include "engine/trace_writer.h"
#include "engine/wal_recovery_audit.h"
#include "sessionstore/store.h"

namespace sessionstore {

// Engine-internal knobs that are not part of the public Options.
struct InternalOptions {
  // Replaces SessionHash for the session key prefix. Only for tests that
  // force hash collisions; a store must always be opened with the same one.
  std::function<uint64_t(std::string_view)> TEST_session_hash;
  // Environment for RocksDB (fault-injection tests); null: the default.
  // Not owned; must outlive the store.
  rocksdb::Env* TEST_env = nullptr;
  // Closing skips the session indexes' final catch-up, as a crash would.
  bool TEST_skip_index_catch_up_on_close = false;
  // The clock of retention (ns since the epoch); null: the system clock.
  std::function<int64_t()> TEST_clock;
  // Retention's wake-up interval; 0: RetentionWorker::DefaultIntervalMs.
  uint32_t TEST_retention_interval_ms = 0;
  // The bytes of a catch-up round's chunks (SessionIndexer::
  // kWriteChunkBytes); 0: that default. Set, each read of aggregates takes
  // one session, so that small values make every round of a test of more
  // than one session write in chunks.
  std::size_t TEST_index_write_chunk_bytes = 0;
};

class StoreImpl final : public Store {
 public:
  static Status Open(const Options& options, const std::string& path,
                     const InternalOptions& internal, std::unique_ptr<Store>* store);
  // As above, filling *recovery (may be null) as Store::Open does.
  static Status Open(const Options& options, const std::string& path,
                     const InternalOptions& internal, std::unique_ptr<Store>* store,
                     WalRecoveryReport* recovery);
  ~StoreImpl() override;

  using Store::Ingest;
  Status Ingest(std::span<const Trace> traces, IngestResult* result) override;
  Status GetSession(std::string_view session_id, SessionSummary* summary) override;
  Status GetTrace(std::string_view trace_id, Trace* trace) override;
  Status Timeline(std::string_view session_id, const TimelineOptions& options,
                  TimelinePage* page) override;
  Status ListSessions(const ListSessionsOptions& options, SessionPage* page) override;
  Status Analytics(const AnalyticsOptions& options, AnalyticsReport* report) override;
  Status Search(std::string_view text, const SearchOptions& options, SearchPage* page) override;
  Status GetStats(StoreStats* stats) override;
  Status Verify(VerifyReport* report) override;
  Status Flush() override;
  Status Compact() override;
  Status DeleteSession(std::string_view session_id, DeleteResult* result) override;
  Status DeleteUser(std::string_view user_id, DeleteResult* result) override;
  Status DeleteTracesBefore(int64_t time_ns, DeleteResult* result) override;
  Status Backup(const std::string& backup_dir, BackupResult* result) override;

  // Number of parts of the session's aggregate a read folds: the stored
  // value (and, in a store written by format 6 or earlier, its merge
  // operands) and the deltas no catch-up has stored yet.
  Status TEST_AggregateOperandCount(std::string_view session_id, int* count);
  // Those parts' bytes, oldest first.
  Status TEST_AggregateOperands(std::string_view session_id, std::vector<std::string>* operands);
  // The retention worker, or null without Options::retention_ns.
  RetentionWorker* TEST_retention() { return retention_.get(); }
  // Sessions changed since the last catch-up of the session indexes.
  std::size_t TEST_PendingIndexSessions() const { return indexer_->pending(); }
  // Overwrites the stored record of a trace with `bytes` (corruption tests).
  Status TEST_OverwriteTraceRecord(std::string_view trace_id, std::string_view bytes);
  // Write-ahead logs the open read to count what recovery dropped.
  int TEST_wal_logs_scanned() const { return wal_audit_->TEST_logs_scanned(); }

 private:
  StoreImpl(const Options& options, const InternalOptions& internal);
  // Open's work after the constructor: the database, its format version and
  // the units.
  Status OpenDatabase(const std::string& path);
  // GetStats' work: RocksDB properties, the units' counters.
  Status ReadStats(StoreStats* stats) const;
  // ReadStats' exact counts from the session table (when loaded).
  Status CountExactly(StoreStats* stats) const;
  // Checks the stored format version; writes it into a new store, and sets
  // upgrade_from_ for an upgradable one (writable opens only).
  Status CheckFormatVersion(const std::string& path);
  // Starts the retention worker (Options::retention_ns).
  void StartRetention();
  // DB::Open with the WAL audit; sets db_, handles_ and wal_recovery_.
  Status OpenRocksDB(const std::string& path);
  // OpenRocksDB's Options::follow_writer case: a secondary instance with a
  // temporary directory of its own, caught up once.
  rocksdb::Status OpenSecondary(const std::string& path, rocksdb::DBOptions db_opts,
                                const std::vector<rocksdb::ColumnFamilyDescriptor>& cfs,
                                rocksdb::DB** raw);

  const Options options_;
  const InternalOptions internal_;
  std::shared_ptr<SessionMergeOperator> merge_operator_;
  // Declared before db_, which keeps a pointer to it (DBOptions::wal_filter).
  std::unique_ptr<WalRecoveryAudit> wal_audit_;
  WalRecoveryReport wal_recovery_;  // What the open dropped from the log.
  std::string upgrade_from_;        // The older format version found, if any.
  std::string secondary_dir_;       // Options::follow_writer: removed at close.
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  StoreContext ctx_;
  // Bytes flushed and compacted since open (GetStats).
  std::shared_ptr<IoStatsListener> io_stats_ = std::make_shared<IoStatsListener>();
  // The in-memory session indexes (loaded on first use).
  SessionTable table_;
  SummaryCache summaries_{options_.summary_cache_bytes};
  // The units. The destructor resets them explicitly: the indexer (whose
  // thread reads through session_reader_) before the readers, all before db_.
  std::unique_ptr<SessionReader> session_reader_;
  std::unique_ptr<TraceReader> trace_reader_;
  std::unique_ptr<ContentSearch> content_search_;
  std::unique_ptr<SessionIndexer> indexer_;
  std::unique_ptr<TraceWriter> writer_;
  std::unique_ptr<SessionListPlanner> planner_;
  std::unique_ptr<SessionAnalytics> analytics_;
  std::unique_ptr<StoreVerifier> verifier_;
  std::unique_ptr<StoreDeleter> deleter_;
  std::unique_ptr<RetentionWorker> retention_;  // With Options::retention_ns.
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_STORE_IMPL_H_
