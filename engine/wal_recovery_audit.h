// Copyright sessionstore authors.
//
// WalRecoveryAudit: what a DB::Open's replay of the write-ahead logs
// dropped. RocksDB drops a torn tail (kTolerateCorruptedTailRecords) without
// a word, and point-in-time recovery says what it dropped only in its LOG.
// The audit holds every log file open from before DB::Open (so it can read
// a log that recovery then deletes), sees each replayed record through
// RocksDB's WalFilter callbacks, and afterwards compares: a log whose
// replayed records end where the file ends lost nothing and is never read;
// any other is scanned (WalLogScanner) for the intact records and damaged
// stretches after what was replayed.
//
// It also closes a hole RocksDB leaves: kTolerateCorruptedTailRecords
// accepts a torn tail in any log, also one followed by later logs, and
// replays those later writes over the gap. With `refuse_holes`, the first
// record of a later log finds the earlier logs replayed to their ends or
// makes the open fail (WalFilter's kCorruptedRecord: RocksDB then fails
// with Corruption before it writes anything); refusal() says why.
//
// Usage: construct before DB::Open, pass as DBOptions::wal_filter, call
// Finish after a successful open, and keep the audit alive as long as the
// DB (RocksDB keeps the pointer). Not thread-safe; DB::Open calls the
// filter from the opening thread only.

#ifndef SESSIONSTORE_ENGINE_WAL_RECOVERY_AUDIT_H_
#define SESSIONSTORE_ENGINE_WAL_RECOVERY_AUDIT_H_

#include <rocksdb/wal_filter.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <map>
#include <string>

#include "sessionstore/store.h"

namespace sessionstore {

class WalRecoveryAudit final : public rocksdb::WalFilter {
 public:
  // Opens every *.log in `dir` and notes its size. A read-only open while
  // another process holds the store's LOCK audits nothing (see
  // WalRecoveryReport). Never fails: a log it cannot open is not audited.
  // `refuse_holes`: fail the open on a log that lost data before later
  // logs' writes (see above).
  WalRecoveryAudit(const std::string& dir, bool read_only, bool refuse_holes);
  ~WalRecoveryAudit() override;
  WalRecoveryAudit(const WalRecoveryAudit&) = delete;
  WalRecoveryAudit& operator=(const WalRecoveryAudit&) = delete;

  // WalFilter: never changes or skips a record.
  void ColumnFamilyLogNumberMap(const std::map<uint32_t, uint64_t>& cf_lognumber_map,
                                const std::map<std::string, uint32_t>& cf_name_id_map) override;
  WalProcessingOption LogRecordFound(unsigned long long log_number,
                                     const std::string& log_file_name,
                                     const rocksdb::WriteBatch& batch,
                                     rocksdb::WriteBatch* new_batch, bool* batch_changed) override;
  const char* Name() const override { return "sessionstore.WalRecoveryAudit"; }

  // After DB::Open succeeded: what it dropped. Closes the held logs.
  WalRecoveryReport Finish();
  // Why the filter failed the open (empty if it did not).
  const std::string& refusal() const { return refusal_; }

  // Logs Finish had to read (those whose replay stopped before their end).
  int TEST_logs_scanned() const { return logs_scanned_; }

 private:
  struct Dropped {
    uint64_t records = 0, bytes = 0;
    uint64_t offset = 0;  // Where replay stopped.
  };
  struct Log {
    std::string name;           // File name, e.g. "000012.log".
    int fd = -1;                // Held open across DB::Open.
    uint64_t size = 0;          // Before DB::Open.
    uint64_t replayed = 0;      // Records replayed.
    uint64_t replayed_end = 0;  // Where they end, by the writer's layout.
    bool done = false;          // `dropped` is final: a later log was reached.
    Dropped dropped;
  };
  // What recovery dropped of `log` once it is done with it: nothing when
  // its replayed records end where the file does, else what a scan of the
  // file finds after them.
  Dropped DroppedOf(const Log& log);
  // Called at the first record of log `number`: the earlier logs are done.
  // False when one of them lost data (sets refusal_).
  bool EarlierLogsComplete(uint64_t number);

  std::map<uint64_t, Log> logs_;  // By log number.
  // Logs below this number back no unflushed data: recovery skips them.
  uint64_t min_replayed_log_ = 0;
  const bool refuse_holes_;
  std::string refusal_;
  bool recovery_ran_ = false;
  int logs_scanned_ = 0;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_WAL_RECOVERY_AUDIT_H_
