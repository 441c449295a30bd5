// Copyright sessionstore authors.

#include "engine/store_impl.h"

#include <rocksdb/snapshot.h>
#include <rocksdb/table.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <system_error>
#include <utility>

#include "engine/format/format_version.h"
#include "engine/format/keys.h"
#include "engine/range_scan.h"
#include "engine/rocksdb_options.h"
#include "engine/store_backup.h"
#include "engine/store_upgrade.h"
#include "engine/util/fast_crc32c.h"
#include "engine/util/info_logger.h"
#include "engine/util/no_throw.h"
#include "engine/util/rocks_status.h"

namespace sessionstore {

Status Store::Open(const Options& options, const std::string& path, std::unique_ptr<Store>* store) {
  return StoreImpl::Open(options, path, InternalOptions(), store, nullptr);
}

Status Store::Open(const Options& options, const std::string& path, std::unique_ptr<Store>* store,
                   WalRecoveryReport* recovery) {
  return StoreImpl::Open(options, path, InternalOptions(), store, recovery);
}

Status Store::RestoreBackup(const std::string& backup_dir, const std::string& db_dir) {
  return NoThrow("restore", [&] { return RestoreLatestBackup(backup_dir, db_dir); });
}

rocksdb::Status StoreImpl::OpenSecondary(const std::string& path, rocksdb::DBOptions db_opts,
                                         const std::vector<rocksdb::ColumnFamilyDescriptor>& cfs,
                                         rocksdb::DB** raw) {
  // The secondary's own directory (its info log); removed at close.
  std::string dir = (std::filesystem::temp_directory_path() / "sessionstore-secondary-XXXXXX");
  if (mkdtemp(dir.data()) == nullptr) {
    return rocksdb::Status::IOError("create a directory for the secondary instance", dir);
  }
  secondary_dir_ = dir;
  db_opts.max_open_files = -1;  // Required of a secondary instance.
  rocksdb::Status rs = rocksdb::DB::OpenAsSecondary(db_opts, path, dir, cfs, &handles_, raw);
  // Replays the writer's logs as of now: everything it acknowledged.
  if (rs.ok()) rs = (*raw)->TryCatchUpWithPrimary();
  return rs;
}

StoreImpl::StoreImpl(const Options& options, const InternalOptions& internal)
    : options_(options),
      internal_(internal),
      merge_operator_(std::make_shared<SessionMergeOperator>()) {}

StoreImpl::~StoreImpl() {
  // A preload in progress would hold off the closing catch-up until done.
  if (indexer_) indexer_->StopPreload();
  if (indexer_ && !options_.read_only && !internal_.TEST_skip_index_catch_up_on_close) {
    // Best effort: markers of anything not indexed stay for the next open.
    (void)indexer_->CatchUp();
  }
  retention_.reset();  // Joins its thread, which deletes through deleter_.
  deleter_.reset();
  verifier_.reset();
  analytics_.reset();
  planner_.reset();
  writer_.reset();
  content_search_.reset();
  indexer_.reset();  // Joins its thread, which reads through session_reader_.
  trace_reader_.reset();
  session_reader_.reset();
  if (db_) {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    db_->Close().PermitUncheckedError();
  }
  if (!secondary_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(secondary_dir_, ec);
  }
}

Status StoreImpl::Open(const Options& options, const std::string& path,
                       const InternalOptions& internal, std::unique_ptr<Store>* store) {
  return Open(options, path, internal, store, nullptr);
}

Status StoreImpl::Open(const Options& options, const std::string& path,
                       const InternalOptions& internal, std::unique_ptr<Store>* store,
                       WalRecoveryReport* recovery) {
  store->reset();
  if (recovery != nullptr) *recovery = WalRecoveryReport();
  if (path.empty()) return Status::InvalidArgument("store path is empty");
  return NoThrow("open", [&]() -> Status {
    std::unique_ptr<StoreImpl> impl(new StoreImpl(options, internal));
    Status s = impl->OpenDatabase(path);
    if (!s.ok()) return s;
    if (recovery != nullptr) *recovery = impl->wal_recovery_;
    *store = std::move(impl);
    return Status::OK();
  });
}

namespace {

// RocksDB would create a new, empty store in a directory whose CURRENT file
// is gone, next to the old files, and later delete them as obsolete. A
// directory holding store files must have its CURRENT.
Status CheckNotOrphaned(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(path, ec) || fs::exists(fs::path(path) / "CURRENT", ec)) {
    return Status::OK();
  }
  for (const fs::directory_entry& e : fs::directory_iterator(path, ec)) {
    const std::string name = e.path().filename().string();
    const std::string ext = e.path().extension().string();
    if (name.rfind("MANIFEST-", 0) == 0 || name.rfind("OPTIONS-", 0) == 0 || ext == ".sst" ||
        ext == ".log" || ext == ".blob" || name == "IDENTITY") {
      return Status::Corruption(
          path + " holds store files (" + name +
          ") but no CURRENT file, so the store cannot be opened; nothing was written. "
          "If the newest MANIFEST-NNNNNN is intact, restore CURRENT with "
          "`echo MANIFEST-NNNNNN > " +
          path + "/CURRENT`; otherwise restore a backup");
    }
  }
  return Status::OK();
}

// RocksDB reports a store locked by another process as an IOError.
// Its messages: "While lock file: DIR/LOCK: ..." (another process) and
// "lock hold by current process" (this one); "lock" alone would also match
// "block".
bool IsLockHeld(const rocksdb::Status& s) {
  if (!s.IsIOError()) return false;
  const std::string m = s.ToString();
  return m.find("/LOCK") != std::string::npos || m.find("lock hold") != std::string::npos;
}

}  // namespace

Status StoreImpl::OpenDatabase(const std::string& path) {
  Status s = CheckNotOrphaned(path);
  if (!s.ok()) return s;
  if (!(s = OpenRocksDB(path)).ok()) return s;
  ctx_.db = db_.get();
  ctx_.cf = ColumnFamilies::FromHandles(handles_);
  ctx_.session_hash = internal_.TEST_session_hash;
  ctx_.merge_operator = merge_operator_.get();
  ctx_.summaries = &summaries_;
  ctx_.static_view = options_.read_only && options_.follow_writer;
  if (!(s = CheckFormatVersion(path)).ok()) return s;
  session_reader_ = std::make_unique<SessionReader>(&ctx_);
  trace_reader_ = std::make_unique<TraceReader>(&ctx_);
  static_assert(SessionIndexer::kDefaultPendingBytes == Options().index_pending_bytes);
  static_assert(SessionIndexer::kDefaultHoldBytes == Options().index_hold_bytes);
  indexer_ = std::make_unique<SessionIndexer>(
      db_.get(), ctx_.cf.sessions, ctx_.cf.index, ctx_.cf.dirty, session_reader_.get(), &table_,
      options_.index_pending_bytes, options_.index_hold_bytes);
  if (ctx_.static_view) indexer_->UseStaticView();
  if (internal_.TEST_index_write_chunk_bytes > 0) {
    indexer_->SetWriteChunkForTest(internal_.TEST_index_write_chunk_bytes, 1);
  }
  content_search_ =
      std::make_unique<ContentSearch>(&ctx_, indexer_.get(), &table_, options_.read_only);
  writer_ = std::make_unique<TraceWriter>(&ctx_, indexer_.get(), options_.sync);
  planner_ = std::make_unique<SessionListPlanner>(&ctx_, session_reader_.get(), indexer_.get(),
                                                  &table_, options_.read_only);
  analytics_ = std::make_unique<SessionAnalytics>(indexer_.get(), &table_, options_.read_only);
  verifier_ = std::make_unique<StoreVerifier>(&ctx_, indexer_.get(), &table_, options_.read_only);
  deleter_ = std::make_unique<StoreDeleter>(&ctx_, writer_.get(), indexer_.get(), &table_);
  if (!upgrade_from_.empty()) {
    s = UpgradeFormat(ctx_, upgrade_from_, *session_reader_);
    if (!s.ok()) return s;
  }
  s = indexer_->Recover();
  if (!s.ok()) return s;
  if (options_.read_only && indexer_->has_pending()) {
    // Batches acknowledged before a crash, not yet indexed: a read-only
    // open cannot write their catch-up, so it applies it to the in-memory
    // table only.
    s = indexer_->ApplyPendingInMemory();
    if (!s.ok()) return s;
  }
  if (!options_.read_only) indexer_->Start(options_.index_interval_ms);
  if (options_.preload_session_indexes) indexer_->StartPreload();
  if (!options_.read_only && options_.retention_ns > 0) StartRetention();
  return Status::OK();
}

void StoreImpl::StartRetention() {
  std::function<int64_t()> now = internal_.TEST_clock;
  if (!now) {
    now = [] {
      return std::chrono::duration_cast<std::chrono::nanoseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  const uint32_t interval = internal_.TEST_retention_interval_ms != 0
                                ? internal_.TEST_retention_interval_ms
                                : RetentionWorker::DefaultIntervalMs(options_.retention_ns);
  retention_ = std::make_unique<RetentionWorker>(
      options_.retention_ns, interval, std::move(now), [this](int64_t before, DeleteResult* r) {
        return NoThrow("retention", [&] { return deleter_->DeleteTracesBefore(before, r); });
      });
}

Status StoreImpl::OpenRocksDB(const std::string& path) {
  rocksdb::DBOptions db_opts = MakeDBOptions(options_);
  if (internal_.TEST_env != nullptr) db_opts.env = internal_.TEST_env;
  if (!options_.read_only && internal_.TEST_env == nullptr) {
    // Our own info log: RocksDB's aborts the process once a write to it
    // failed on a full disk (util/info_logger.h).
    std::error_code ec;
    if (options_.create_if_missing) std::filesystem::create_directories(path, ec);
    if (std::filesystem::is_directory(path, ec)) {
      db_opts.info_log = InfoLogger::Open(path + "/LOG", std::size_t{16} << 20);
    }
  }
  db_opts.listeners.push_back(io_stats_);
  const std::vector<rocksdb::ColumnFamilyDescriptor> cfs =
      MakeColumnFamilies(options_, merge_operator_);
  wal_audit_ = std::make_unique<WalRecoveryAudit>(path, options_.read_only,
                                                  /*refuse_holes=*/!options_.recover_damaged_wal);
  rocksdb::DB* raw = nullptr;
  rocksdb::Status rs;
  if (options_.read_only && options_.follow_writer) {
    rs = OpenSecondary(path, db_opts, cfs, &raw);
  } else {
    db_opts.wal_filter = wal_audit_.get();
    rs = options_.read_only ? rocksdb::DB::OpenForReadOnly(db_opts, path, cfs, &handles_, &raw)
                            : rocksdb::DB::Open(db_opts, path, cfs, &handles_, &raw);
  }
  if (IsLockHeld(rs)) {
    return Status::Busy("open " + path + ": another process has it open for writing (" +
                        rs.ToString() + ")");
  }
  if (rs.IsCorruption() && !options_.recover_damaged_wal) {
    const std::string why = wal_audit_->refusal().empty() ? rs.ToString() : wal_audit_->refusal();
    return Status::Corruption("open " + path + ": " + why +
                              "; nothing was written. If a write-ahead log (*.log) is damaged, "
                              "Options::recover_damaged_wal (the CLI's --recover) opens the "
                              "store as it was before the damage, dropping every later write");
  }
  if (!rs.ok()) return FromRocks(rs, "open " + path);
  db_.reset(raw);
  wal_recovery_ = wal_audit_->Finish();
  const std::shared_ptr<rocksdb::Logger> log = db_->GetDBOptions().info_log;
  // Also what links engine/util/fast_crc32c.cc into every program.
  rocksdb::Log(rocksdb::InfoLogLevel::INFO_LEVEL, log, "sessionstore: write-ahead log CRC32C: %s",
               Crc32cPathName(ActiveCrc32cPath()));
  if (wal_recovery_.bytes_dropped > 0) {
    for (const std::string& line : wal_recovery_.details) {
      rocksdb::Log(rocksdb::InfoLogLevel::WARN_LEVEL, log, "sessionstore: recovery: %s",
                   line.c_str());
    }
  }
  return Status::OK();
}

Status StoreImpl::CheckFormatVersion(const std::string& path) {
  std::string version;
  rocksdb::Status rs =
      db_->Get(rocksdb::ReadOptions(), ctx_.cf.default_family, kFormatVersionKey, &version);
  if (rs.IsNotFound()) {
    if (options_.read_only) return Status::InvalidArgument(path + " holds no sessionstore");
    rs = db_->Put(rocksdb::WriteOptions(), ctx_.cf.default_family, kFormatVersionKey,
                  kFormatVersion);
    return rs.ok() ? Status::OK() : FromRocks(rs, "write format version");
  }
  if (!rs.ok()) return FromRocks(rs, "read format version");
  // A read-only open reads the previous version as it is (it holds no
  // round record); a writable one stores the new version.
  if (version == kPreviousFormatVersion && options_.read_only) return Status::OK();
  if (IsUpgradableFormat(version) && !options_.read_only) {
    upgrade_from_ = version;  // Before the indexer's recovery (OpenDatabase).
    return Status::OK();
  }
  if (IsUpgradableFormat(version)) {
    return Status::NotSupported("store format version " + version + " in " + path +
                                ": open it once writable to upgrade it to version " +
                                kFormatVersion + " (from version 7: rewrites its pending dirty " +
                                "markers; from 4 to 6: each session's index state, about a " +
                                "second per 100K sessions)");
  }
  if (version != kFormatVersion) {
    return Status::NotSupported("store format version " + version + " in " + path +
                                "; this build reads version " + kFormatVersion +
                                " only: re-ingest the traces into a new store "
                                "(docs/format.md, version history)");
  }
  return Status::OK();
}

Status StoreImpl::Ingest(std::span<const Trace> batch, IngestResult* result) {
  Status s = options_.read_only ? Status::NotSupported("store opened read-only")
                                : NoThrow("ingest", [&] { return writer_->Ingest(batch, result); });
  if (!s.ok()) *result = IngestResult();  // Nothing of the batch was written.
  // Catch-ups behind the writers (a slow disk, no background thread): the
  // writer folds the pending deltas itself, which bounds what they hold
  // and what a reader folds. Its error waits for the next CatchUp.
  if (s.ok() && indexer_->PendingOverBound()) indexer_->CatchUpForWriter();
  return s;
}

Status StoreImpl::GetSession(std::string_view session_id, SessionSummary* summary) {
  return NoThrow("get session", [&] {
    const std::string prefix = ctx_.SessionPrefix(session_id);
    if (!session_id.empty() && summaries_.Lookup(prefix, summary)) return Status::OK();
    const uint64_t ticket = summaries_.Ticket(prefix);  // Before the snapshot.
    // The deltas a catch-up has not folded yet, with the snapshot of the
    // stored aggregate they follow.
    std::vector<std::vector<SessionDelta>> pending;
    std::optional<ReadSnapshot> snapshot;
    indexer_->PendingFor({prefix}, &pending, [&] { snapshot.emplace(ctx_); });
    Status s = session_reader_->Read(snapshot->snapshot(), session_id, pending[0], summary);
    if (s.ok()) summaries_.Insert(prefix, ticket, *summary);
    return s;
  });
}

Status StoreImpl::GetTrace(std::string_view trace_id, Trace* trace) {
  return NoThrow("get trace", [&] { return trace_reader_->GetTrace(trace_id, trace); });
}

Status StoreImpl::Search(std::string_view text, const SearchOptions& options, SearchPage* page) {
  return NoThrow("search", [&] { return content_search_->Search(text, options, page); });
}

Status StoreImpl::Timeline(std::string_view session_id, const TimelineOptions& options,
                           TimelinePage* page) {
  return NoThrow("timeline", [&] { return trace_reader_->Timeline(session_id, options, page); });
}

Status StoreImpl::ListSessions(const ListSessionsOptions& options, SessionPage* page) {
  Status s = NoThrow("list sessions", [&] { return planner_->List(options, page); });
  if (!s.ok()) *page = SessionPage();  // An exception may have left it half filled.
  return s;
}

Status StoreImpl::Analytics(const AnalyticsOptions& options, AnalyticsReport* report) {
  Status s = NoThrow("analytics", [&] { return analytics_->Analyze(options, report); });
  if (!s.ok()) *report = AnalyticsReport();
  return s;
}

Status StoreImpl::Verify(VerifyReport* report) {
  return NoThrow("verify", [&] { return verifier_->Verify(report); });
}

Status StoreImpl::GetStats(StoreStats* stats) {
  return NoThrow("stats", [&] { return ReadStats(stats); });
}

Status StoreImpl::ReadStats(StoreStats* stats) const {
  *stats = StoreStats();
  uint64_t v = 0;
  if (db_->GetIntProperty(ctx_.cf.traces, "rocksdb.estimate-num-keys", &v)) {
    stats->traces = static_cast<int64_t>(v);
  }
  if (db_->GetIntProperty(ctx_.cf.sessions, "rocksdb.estimate-num-keys", &v)) {
    stats->sessions = static_cast<int64_t>(v);
  }
  for (std::size_t i = 0; i < handles_.size(); ++i) {
    rocksdb::ColumnFamilyHandle* h = handles_[i];
    FamilyStats f;
    f.name = h->GetName();
    const IoStatsListener::FamilyIo io = io_stats_->family(static_cast<ColumnFamily>(i));
    f.flushed_bytes = io.flushed_bytes;
    f.compacted_bytes = io.compacted_bytes;
    f.compaction_cpu_micros = io.compaction_cpu_micros;
    if (db_->GetIntProperty(h, "rocksdb.live-sst-files-size", &v)) f.disk_bytes += v;
    if (db_->GetIntProperty(h, "rocksdb.total-blob-file-size", &v)) f.disk_bytes += v;
    if (db_->GetIntProperty(h, "rocksdb.cur-size-all-mem-tables", &v)) f.memtable_bytes = v;
    if (db_->GetIntProperty(h, "rocksdb.estimate-pending-compaction-bytes", &v)) {
      f.pending_compaction_bytes = v;
    }
    if (db_->GetIntProperty(h, "rocksdb.estimate-num-keys", &v)) {
      f.keys_estimate = static_cast<int64_t>(v);
    }
    stats->disk_bytes += f.disk_bytes;
    stats->memtable_bytes += f.memtable_bytes;
    stats->pending_compaction_bytes += f.pending_compaction_bytes;
    stats->families.push_back(std::move(f));
  }
  // Both caches: the traces' and the one the other families share.
  if (db_->GetIntProperty(ctx_.cf.traces, "rocksdb.block-cache-usage", &v)) {
    stats->block_cache_bytes += v;
  }
  if (db_->GetIntProperty(ctx_.cf.sessions, "rocksdb.block-cache-usage", &v)) {
    stats->block_cache_bytes += v;
  }
  for (rocksdb::ColumnFamilyHandle* h : {ctx_.cf.traces, ctx_.cf.sessions}) {
    const auto* table =
        db_->GetOptions(h).table_factory->GetOptions<rocksdb::BlockBasedTableOptions>();
    if (table != nullptr) stats->block_pool_bytes += BlockPoolBytes(table->block_cache.get());
  }
  stats->summary_cache_bytes = summaries_.charge();
  stats->summary_cache_hits = summaries_.hits();
  stats->summary_cache_misses = summaries_.misses();
  if (indexer_) {
    stats->pending_delta_bytes = indexer_->pending_bytes();
    stats->held_delta_bytes = indexer_->held_bytes();
  }
  stats->session_index_bytes = table_.ApproximateBytes();
  stats->merge_operands_read = merge_operator_->operands_merged();
  if (writer_) stats->ingested_bytes = writer_->ingested_bytes();
  stats->table_bytes_written = io_stats_->flushed_bytes() + io_stats_->compacted_bytes();
  if (stats->ingested_bytes > 0) {
    stats->write_amplification = 1.0 + static_cast<double>(stats->table_bytes_written) /
                                           static_cast<double>(stats->ingested_bytes);
  }
  if (retention_) {
    stats->retention_passes = retention_->passes();
    stats->retention_traces_deleted = retention_->traces_deleted();
  }
  stats->wal_records_dropped = wal_recovery_.records_dropped;
  stats->wal_bytes_dropped = wal_recovery_.bytes_dropped;
  return table_.loaded() ? CountExactly(stats) : Status::OK();
}

Status StoreImpl::CountExactly(StoreStats* stats) const {
  // Traces without a session have no aggregate: count their keys.
  const std::string lone = ctx_.SessionPrefix("");
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  RangeScan scan(db_.get(), ctx_.cf.traces, ro, lone, SessionTracesEnd(lone), /*forward=*/true);
  int64_t lone_traces = 0;
  for (scan.Start(); scan.Valid(); scan.Next()) ++lone_traces;
  if (!scan.status().ok()) return FromRocks(scan.status(), "count traces without a session");
  stats->sessions = static_cast<int64_t>(table_.size());
  stats->traces = table_.trace_total() + lone_traces;
  stats->counts_exact = true;
  return Status::OK();
}

Status StoreImpl::Flush() {
  return NoThrow("flush", [&] {
    if (!options_.read_only) {
      Status s = indexer_->CatchUp();
      if (!s.ok()) return s;
    }
    rocksdb::FlushOptions fo;
    fo.wait = true;
    return FromRocks(db_->Flush(fo, handles_), "flush");
  });
}

Status StoreImpl::Compact() {
  if (options_.read_only) return Status::NotSupported("store opened read-only");
  Status s = Flush();
  if (!s.ok()) return s;
  return NoThrow("compact", [&] {
    rocksdb::CompactRangeOptions co;
    co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
    for (rocksdb::ColumnFamilyHandle* h : handles_) {
      Status c = FromRocks(db_->CompactRange(co, h, nullptr, nullptr),
                           "compact column family " + h->GetName());
      if (!c.ok()) return c;
    }
    return Status::OK();
  });
}

Status StoreImpl::DeleteSession(std::string_view session_id, DeleteResult* result) {
  *result = DeleteResult();
  if (options_.read_only) return Status::NotSupported("store opened read-only");
  return NoThrow("delete session", [&] { return deleter_->DeleteSession(session_id, result); });
}

Status StoreImpl::DeleteUser(std::string_view user_id, DeleteResult* result) {
  *result = DeleteResult();
  if (options_.read_only) return Status::NotSupported("store opened read-only");
  return NoThrow("delete user", [&] { return deleter_->DeleteUser(user_id, result); });
}

Status StoreImpl::DeleteTracesBefore(int64_t time_ns, DeleteResult* result) {
  *result = DeleteResult();
  if (options_.read_only) return Status::NotSupported("store opened read-only");
  return NoThrow("delete traces", [&] { return deleter_->DeleteTracesBefore(time_ns, result); });
}

Status StoreImpl::Backup(const std::string& backup_dir, BackupResult* result) {
  *result = BackupResult();
  return NoThrow("backup", [&] { return CreateBackup(db_.get(), backup_dir, result); });
}

Status StoreImpl::TEST_AggregateOperandCount(std::string_view session_id, int* count) {
  std::vector<std::string> operands;
  Status s = TEST_AggregateOperands(session_id, &operands);
  *count = static_cast<int>(operands.size());
  return s;
}

Status StoreImpl::TEST_AggregateOperands(std::string_view session_id,
                                         std::vector<std::string>* operands) {
  operands->clear();
  rocksdb::GetMergeOperandsOptions opts;
  opts.expected_max_number_of_operands = 1 << 16;
  std::vector<rocksdb::PinnableSlice> values(opts.expected_max_number_of_operands);
  int count = 0;
  const std::string prefix = ctx_.SessionPrefix(session_id);
  std::vector<std::vector<SessionDelta>> pending;
  std::optional<ReadSnapshot> snapshot;
  indexer_->PendingFor({prefix}, &pending, [&] { snapshot.emplace(ctx_); });
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot->snapshot();
  rocksdb::Status rs =
      db_->GetMergeOperands(ro, ctx_.cf.sessions, prefix, values.data(), &opts, &count);
  if (rs.IsNotFound()) rs = rocksdb::Status::OK();
  for (int i = 0; rs.ok() && i < count; ++i) operands->push_back(values[i].ToString());
  for (const SessionDelta& d : pending[0]) operands->push_back(d.Encode());
  return FromRocks(rs, "get merge operands");
}

Status StoreImpl::TEST_OverwriteTraceRecord(std::string_view trace_id, std::string_view bytes) {
  std::string key;
  Status s = trace_reader_->LocateTrace(rocksdb::ReadOptions(), trace_id, &key);
  if (!s.ok()) return s;
  s = FromRocks(db_->Put(rocksdb::WriteOptions(), ctx_.cf.traces, key,
                         rocksdb::Slice(bytes.data(), bytes.size())),
                "overwrite trace record");
  summaries_.InvalidateAll();
  return s;
}

}  // namespace sessionstore
