// Copyright sessionstore authors.

#include "engine/wal_recovery_audit.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <string>
#include <system_error>

#include "engine/util/wal_log_scanner.h"

namespace sessionstore {

namespace {

// Whether another process holds the store's LOCK (a writer). RocksDB locks
// it with fcntl; F_GETLK reports other processes' locks only.
bool LockedByAnotherProcess(const std::string& dir) {
  const int fd = ::open((dir + "/LOCK").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct flock fl = {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  const bool locked = ::fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
  ::close(fd);
  return locked;
}

// "NNNNNN.log" -> NNNNNN.
bool ParseLogNumber(const std::string& name, uint64_t* number) {
  if (name.size() <= 4 || name.compare(name.size() - 4, 4, ".log") != 0) return false;
  const char* end = name.data() + name.size() - 4;
  const auto [stop, err] = std::from_chars(name.data(), end, *number);
  return err == std::errc() && stop == end;
}

// Where RocksDB's log writer ends a record of `bytes` payload that starts at
// `offset` (log_writer.cc: fragments of at most a block, each behind a
// 7-byte header; fewer than 7 bytes left in a block are padded).
uint64_t EndOfRecord(uint64_t offset, uint64_t bytes) {
  constexpr uint64_t kBlock = WalLogScanner::kBlockSize;
  constexpr uint64_t kHeader = WalLogScanner::kHeaderSize;
  bool first = true;
  while (first || bytes > 0) {
    first = false;
    if (kBlock - offset % kBlock < kHeader) offset += kBlock - offset % kBlock;
    const uint64_t fragment = std::min(bytes, kBlock - offset % kBlock - kHeader);
    offset += kHeader + fragment;
    bytes -= fragment;
  }
  return offset;
}

}  // namespace

WalRecoveryAudit::WalRecoveryAudit(const std::string& dir, bool read_only, bool refuse_holes)
    : refuse_holes_(refuse_holes) {
  if (read_only && LockedByAnotherProcess(dir)) return;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    uint64_t number = 0;
    const std::string name = entry.path().filename().string();
    if (!ParseLogNumber(name, &number)) continue;
    const int fd = ::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0) continue;
    if (::fstat(fd, &st) != 0) {
      ::close(fd);
      continue;
    }
    Log& log = logs_[number];
    log.name = name;
    log.fd = fd;
    log.size = static_cast<uint64_t>(st.st_size);
  }
}

WalRecoveryAudit::~WalRecoveryAudit() {
  for (auto& [number, log] : logs_) {
    if (log.fd >= 0) ::close(log.fd);
    log.fd = -1;
  }
}

void WalRecoveryAudit::ColumnFamilyLogNumberMap(
    const std::map<uint32_t, uint64_t>& cf_lognumber_map,
    const std::map<std::string, uint32_t>& /*cf_name_id_map*/) {
  // DBImpl::RecoverLogFiles skips the logs older than every column family's
  // log number (MinLogNumberWithUnflushedData).
  recovery_ran_ = true;
  min_replayed_log_ = UINT64_MAX;
  for (const auto& [cf, number] : cf_lognumber_map) {
    min_replayed_log_ = std::min(min_replayed_log_, number);
  }
  if (cf_lognumber_map.empty()) min_replayed_log_ = 0;
}

rocksdb::WalFilter::WalProcessingOption WalRecoveryAudit::LogRecordFound(
    unsigned long long log_number, const std::string& /*log_file_name*/,
    const rocksdb::WriteBatch& batch, rocksdb::WriteBatch* /*new_batch*/, bool* batch_changed) {
  *batch_changed = false;
  auto it = logs_.find(log_number);
  if (it == logs_.end()) return WalProcessingOption::kContinueProcessing;
  if (it->second.replayed == 0 && refuse_holes_) {
    try {
      if (!EarlierLogsComplete(log_number)) return WalProcessingOption::kCorruptedRecord;
    } catch (...) {  // Nothing may escape into RocksDB; the check is best effort.
    }
  }
  ++it->second.replayed;
  it->second.replayed_end = EndOfRecord(it->second.replayed_end, batch.GetDataSize());
  return WalProcessingOption::kContinueProcessing;
}

bool WalRecoveryAudit::EarlierLogsComplete(uint64_t number) {
  for (auto& [earlier, log] : logs_) {
    if (earlier >= number) break;
    if (earlier < min_replayed_log_ || log.done) continue;
    log.dropped = DroppedOf(log);
    log.done = true;
    if (log.dropped.bytes > 0) {
      refusal_ = log.name + " lost " + std::to_string(log.dropped.bytes) + " bytes after offset " +
                 std::to_string(log.dropped.offset) +
                 " (a torn or damaged record) while a later log holds later writes, which "
                 "replayed over the gap would leave the store inconsistent";
      return false;
    }
  }
  return true;
}

WalRecoveryReport WalRecoveryAudit::Finish() {
  WalRecoveryReport report;
  for (auto& [number, log] : logs_) {
    if (recovery_ran_ && number >= min_replayed_log_) {
      const Dropped d = log.done ? log.dropped : DroppedOf(log);
      if (d.bytes > 0) {
        report.records_dropped += d.records;
        report.bytes_dropped += d.bytes;
        report.details.push_back(log.name + ": " + std::to_string(d.records) +
                                 (d.records == 1 ? " record (" : " records (") +
                                 std::to_string(d.bytes) + " bytes) dropped after offset " +
                                 std::to_string(d.offset));
      }
    }
    ::close(log.fd);
    log.fd = -1;
  }
  return report;
}

WalRecoveryAudit::Dropped WalRecoveryAudit::DroppedOf(const Log& log) {
  // A log that grew after it was measured (a writer that was closing) can
  // end past the measured size; what was measured was replayed.
  if (log.replayed_end >= log.size) return Dropped();
  ++logs_scanned_;
  WalLogScanner scanner;
  std::string block(WalLogScanner::kBlockSize, '\0');
  for (uint64_t offset = 0; offset < log.size; offset += WalLogScanner::kBlockSize) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<uint64_t>(WalLogScanner::kBlockSize, log.size - offset));
    ssize_t got = 0;
    do {
      got = ::pread(log.fd, block.data(), want, static_cast<off_t>(offset));
    } while (got < 0 && errno == EINTR);
    if (got <= 0) break;
    scanner.AddBlock(std::string_view(block.data(), static_cast<std::size_t>(got)));
    if (static_cast<std::size_t>(got) < want) break;
  }
  scanner.Finish();
  // Recovery replays a prefix of each log's intact records; the scan finds
  // the same records, so the replayed ones are its first `replayed`.
  const std::vector<uint64_t>& ends = scanner.record_ends();
  uint64_t stop = log.replayed_end;
  uint64_t records = 0;
  if (log.replayed <= ends.size()) {
    stop = log.replayed == 0 ? 0 : ends[log.replayed - 1];
    records = ends.size() - log.replayed;
  }
  for (uint64_t start : scanner.damage_starts()) {
    if (start >= stop) ++records;
  }
  if (stop >= log.size) return Dropped();
  return Dropped{records, log.size - stop, stop};
}

}  // namespace sessionstore
