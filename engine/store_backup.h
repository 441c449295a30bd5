// Copyright sessionstore authors.
//
// Backups of a store with RocksDB's BackupEngine: Store::Backup and
// Store::RestoreBackup. A backup is the store as of one moment (the live
// table files and the write-ahead log up to that moment, taken without
// stopping ingest): every batch acknowledged before it is in, each batch
// whole, with its dirty marker, so the session indexes of the restored
// store catch up on its first open like after a crash. Backups in one
// directory share their table files (incremental).
//
// Thread safety: as Store (RocksDB's BackupEngine is used by one call at a
// time per directory here: one engine per call).

#ifndef SESSIONSTORE_ENGINE_STORE_BACKUP_H_
#define SESSIONSTORE_ENGINE_STORE_BACKUP_H_

#include <rocksdb/db.h>

#include <string>

#include "sessionstore/store.h"

namespace sessionstore {

// Adds a backup of `db` to `backup_dir` (created if missing).
Status CreateBackup(rocksdb::DB* db, const std::string& backup_dir, BackupResult* result);

// Restores the latest backup of `backup_dir` into `db_dir`, which must not
// hold a store.
Status RestoreLatestBackup(const std::string& backup_dir, const std::string& db_dir);

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_STORE_BACKUP_H_
