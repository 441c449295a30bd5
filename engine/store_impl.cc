// Copyright sessionstore authors.

#include "engine/store_impl.h"

#include <rocksdb/snapshot.h>

#include <filesystem>
#include <system_error>
#include <utility>

#include "engine/format/format_version.h"
#include "engine/format/keys.h"
#include "engine/rocksdb_options.h"
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

StoreImpl::StoreImpl(const Options& options, const InternalOptions& internal)
    : options_(options),
      internal_(internal),
      merge_operator_(std::make_shared<SessionMergeOperator>()) {}

StoreImpl::~StoreImpl() {
  if (indexer_ && !options_.read_only && !internal_.TEST_skip_index_catch_up_on_close) {
    // Best effort: markers of anything not indexed stay for the next open.
    (void)indexer_->CatchUp();
  }
  verifier_.reset();
  planner_.reset();
  writer_.reset();
  indexer_.reset();  // Joins its thread, which reads through session_reader_.
  trace_reader_.reset();
  session_reader_.reset();
  if (db_) {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    db_->Close().PermitUncheckedError();
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
  if (!(s = CheckFormatVersion(path)).ok()) return s;
  session_reader_ = std::make_unique<SessionReader>(&ctx_);
  trace_reader_ = std::make_unique<TraceReader>(&ctx_);
  indexer_ = std::make_unique<SessionIndexer>(db_.get(), ctx_.cf.index, ctx_.cf.dirty,
                                              session_reader_.get());
  writer_ = std::make_unique<TraceWriter>(&ctx_, indexer_.get(), options_.sync);
  planner_ =
      std::make_unique<SessionListPlanner>(&ctx_, session_reader_.get(), indexer_.get(),
                                           options_.read_only, internal_.TEST_list_window_plans);
  verifier_ = std::make_unique<StoreVerifier>(&ctx_, indexer_.get(), options_.read_only);
  s = indexer_->Recover();
  if (!s.ok()) return s;
  if (options_.read_only && indexer_->has_pending()) {
    // Batches acknowledged before a crash, not yet indexed: a read-only
    // open cannot write their catch-up, so it keeps it in memory.
    index_overlay_ = std::make_unique<rocksdb::WriteBatchWithIndex>(rocksdb::BytewiseComparator(),
                                                                    0, /*overwrite_key=*/true);
    s = indexer_->ApplyPendingInMemory(index_overlay_.get());
    if (!s.ok()) return s;
    ctx_.index_overlay = index_overlay_.get();
  }
  if (!options_.read_only) indexer_->Start(options_.index_interval_ms);
  return Status::OK();
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
  const std::vector<rocksdb::ColumnFamilyDescriptor> cfs =
      MakeColumnFamilies(options_, merge_operator_);
  wal_audit_ = std::make_unique<WalRecoveryAudit>(path, options_.read_only,
                                                  /*refuse_holes=*/!options_.recover_damaged_wal);
  db_opts.wal_filter = wal_audit_.get();
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status rs = options_.read_only
                                 ? rocksdb::DB::OpenForReadOnly(db_opts, path, cfs, &handles_, &raw)
                                 : rocksdb::DB::Open(db_opts, path, cfs, &handles_, &raw);
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
  if (wal_recovery_.bytes_dropped > 0) {
    const std::shared_ptr<rocksdb::Logger> log = db_->GetDBOptions().info_log;
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
  if (version != kFormatVersion) {
    return Status::NotSupported("store format version " + version + " in " + path +
                                "; this build reads version " + kFormatVersion +
                                " only: re-ingest the traces into a new store "
                                "(docs/format.md, version history)");
  }
  return Status::OK();
}

Status StoreImpl::Ingest(const std::vector<Trace>& batch, IngestResult* result) {
  Status s = options_.read_only ? Status::NotSupported("store opened read-only")
                                : NoThrow("ingest", [&] { return writer_->Ingest(batch, result); });
  if (!s.ok()) *result = IngestResult();  // Nothing of the batch was written.
  return s;
}

Status StoreImpl::GetSession(std::string_view session_id, SessionSummary* summary) {
  return NoThrow("get session", [&] {
    rocksdb::ManagedSnapshot snapshot(db_.get());
    return session_reader_->Read(snapshot.snapshot(), session_id, summary);
  });
}

Status StoreImpl::GetTrace(std::string_view trace_id, Trace* trace) {
  return NoThrow("get trace", [&] { return trace_reader_->GetTrace(trace_id, trace); });
}

Status StoreImpl::Timeline(std::string_view session_id, const TimelineOptions& options,
                           TimelinePage* page) {
  return NoThrow("timeline", [&] { return trace_reader_->Timeline(session_id, options, page); });
}

Status StoreImpl::ListSessions(const ListSessionsOptions& options, SessionPage* page) {
  return NoThrow("list sessions", [&] { return planner_->List(options, page); });
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
  for (auto* h : handles_) {
    if (db_->GetIntProperty(h, "rocksdb.live-sst-files-size", &v)) stats->disk_bytes += v;
    if (db_->GetIntProperty(h, "rocksdb.total-blob-file-size", &v)) stats->disk_bytes += v;
    if (db_->GetIntProperty(h, "rocksdb.cur-size-all-mem-tables", &v)) stats->memtable_bytes += v;
  }
  stats->merge_operands_read = merge_operator_->operands_merged();
  stats->wal_records_dropped = wal_recovery_.records_dropped;
  stats->wal_bytes_dropped = wal_recovery_.bytes_dropped;
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

Status StoreImpl::TEST_AggregateOperandCount(std::string_view session_id, int* count) {
  *count = 0;
  rocksdb::GetMergeOperandsOptions opts;
  opts.expected_max_number_of_operands = 1 << 16;
  std::vector<rocksdb::PinnableSlice> values(opts.expected_max_number_of_operands);
  rocksdb::Status rs =
      db_->GetMergeOperands(rocksdb::ReadOptions(), ctx_.cf.sessions,
                            ctx_.SessionPrefix(session_id), values.data(), &opts, count);
  if (rs.IsNotFound()) return Status::OK();
  return FromRocks(rs, "get merge operands");
}

Status StoreImpl::TEST_OverwriteTraceRecord(std::string_view trace_id, std::string_view bytes) {
  std::string key;
  Status s = trace_reader_->LocateTrace(rocksdb::ReadOptions(), trace_id, &key);
  if (!s.ok()) return s;
  return FromRocks(db_->Put(rocksdb::WriteOptions(), ctx_.cf.traces, key,
                            rocksdb::Slice(bytes.data(), bytes.size())),
                   "overwrite trace record");
}

}  // namespace sessionstore
