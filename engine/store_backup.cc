// Copyright sessionstore authors.

#include "engine/store_backup.h"

#include <rocksdb/env.h>
#include <rocksdb/utilities/backup_engine.h>

#include <filesystem>
#include <memory>
#include <system_error>

#include "engine/util/rocks_status.h"

namespace sessionstore {

namespace {

namespace fs = std::filesystem;

// Bytes of the regular files under `dir` (0 if it does not exist).
uint64_t DirectoryBytes(const std::string& dir) {
  std::error_code ec;
  uint64_t total = 0;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) total += it->file_size(size_ec);
  }
  return total;
}

}  // namespace

Status CreateBackup(rocksdb::DB* db, const std::string& backup_dir, BackupResult* result) {
  *result = BackupResult();
  const uint64_t before = DirectoryBytes(backup_dir);
  rocksdb::BackupEngine* raw = nullptr;
  rocksdb::IOStatus io = rocksdb::BackupEngine::Open(rocksdb::BackupEngineOptions(backup_dir),
                                                     rocksdb::Env::Default(), &raw);
  if (!io.ok()) return FromRocks(io, "open backup directory " + backup_dir);
  std::unique_ptr<rocksdb::BackupEngine> engine(raw);
  // No flush: the write-ahead log is copied up to the backup's moment.
  rocksdb::CreateBackupOptions options;
  options.flush_before_backup = false;
  rocksdb::BackupID id = 0;
  io = engine->CreateNewBackup(options, db, &id);
  if (!io.ok()) return FromRocks(io, "back up into " + backup_dir);
  rocksdb::BackupInfo info;
  const rocksdb::Status got = engine->GetBackupInfo(id, &info);
  if (!got.ok()) return FromRocks(got, "read backup " + std::to_string(id));
  result->backup_id = id;
  result->bytes = info.size;
  result->files = info.number_files;
  const uint64_t after = DirectoryBytes(backup_dir);
  result->bytes_copied = after > before ? after - before : 0;
  return Status::OK();
}

Status RestoreLatestBackup(const std::string& backup_dir, const std::string& db_dir) {
  std::error_code ec;
  if (fs::exists(db_dir, ec) && !fs::is_empty(db_dir, ec)) {
    return Status::InvalidArgument("restore: " + db_dir +
                                   " is not empty; restore into a new directory");
  }
  if (!fs::is_directory(backup_dir, ec)) {
    return Status::InvalidArgument("restore: " + backup_dir + " is not a backup directory");
  }
  rocksdb::BackupEngineReadOnly* raw = nullptr;
  rocksdb::IOStatus io = rocksdb::BackupEngineReadOnly::Open(
      rocksdb::BackupEngineOptions(backup_dir), rocksdb::Env::Default(), &raw);
  if (!io.ok()) return FromRocks(io, "open backup directory " + backup_dir);
  std::unique_ptr<rocksdb::BackupEngineReadOnly> engine(raw);
  std::vector<rocksdb::BackupInfo> backups;
  engine->GetBackupInfo(&backups);
  if (backups.empty()) return Status::NotFound("restore: no backup in " + backup_dir);
  io = engine->RestoreDBFromLatestBackup(db_dir, db_dir);
  return io.ok() ? Status::OK() : FromRocks(io, "restore " + backup_dir + " into " + db_dir);
}

}  // namespace sessionstore
