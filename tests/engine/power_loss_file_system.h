// Copyright sessionstore authors.
//
// PowerLossFileSystem: a rocksdb::FileSystem wrapper that knows what a power
// loss would keep, in the manner of RocksDB's FaultInjectionTestFS. Per file
// written through it, it tracks the bytes appended and the size at the last
// Sync/Fsync; per directory, the entries created or renamed into it since
// its last directory fsync. TakeDurableImage copies, at one instant, only
// what a power loss would leave: each file's synced prefix, no file whose
// directory entry was never made durable (a file renamed over an older one
// leaves the older one's contents), and untracked files (written before
// this file system saw them) whole.
//
// Simplifications, all in the lenient direction for RocksDB's own files:
// deletions count as durable at once; RangeSync (sync_file_range) counts as
// no sync at all; files are append-only (RocksDB never rewrites a synced
// byte), so the synced prefix of the current contents is what was synced.
//
// Thread safety: every operation and TakeDurableImage hold one mutex, so
// the image is a consistent instant. Test-only.

#ifndef SESSIONSTORE_TESTS_ENGINE_POWER_LOSS_FILE_SYSTEM_H_
#define SESSIONSTORE_TESTS_ENGINE_POWER_LOSS_FILE_SYSTEM_H_

#include <rocksdb/file_system.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace sessionstore::testing {

class PowerLossFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit PowerLossFileSystem(const std::shared_ptr<rocksdb::FileSystem>& base)
      : FileSystemWrapper(base) {}
  const char* Name() const override { return "PowerLossFileSystem"; }

  // Writes into the empty or missing directory `image_dir` what a power
  // loss at this instant would leave of the files in `dir`. Runs
  // `at_instant` under the same lock first (e.g. to read how many writes
  // had been acknowledged: every one acknowledged before is in the image).
  // Returns false if a file could not be copied.
  bool TakeDurableImage(const std::string& dir, const std::string& image_dir,
                        const std::function<void()>& at_instant);

  // Files written through this file system, and directory fsyncs seen.
  int files_tracked() const;
  int dir_syncs() const;

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* d) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& name, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* d) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& name, const std::string& old_name,
                                      const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* d) override;
  rocksdb::IOStatus NewDirectory(const std::string& name, const rocksdb::IOOptions& o,
                                 std::unique_ptr<rocksdb::FSDirectory>* result,
                                 rocksdb::IODebugContext* d) override;
  rocksdb::IOStatus RenameFile(const std::string& src, const std::string& target,
                               const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override;
  rocksdb::IOStatus DeleteFile(const std::string& name, const rocksdb::IOOptions& o,
                               rocksdb::IODebugContext* d) override;

 private:
  class TrackedFile;
  class TrackedDirectory;
  struct FileState {
    uint64_t written = 0;  // Bytes appended (or the size when reopened).
    uint64_t synced = 0;   // `written` at the last Sync/Fsync.
  };
  // A directory entry not yet made durable by a directory fsync. What a
  // power loss leaves under its name: nothing, or an older file's contents.
  struct PendingEntry {
    std::optional<std::string> previous;
  };

  // Wraps a file just created (new entry) or reopened at `size`.
  rocksdb::IOStatus Track(const std::string& name, bool created, uint64_t size,
                          std::unique_ptr<rocksdb::FSWritableFile>* result);
  // What a power loss would leave of `path` now (nullopt: no such file).
  std::optional<std::string> DurableContents(const std::string& path);

  mutable std::mutex mu_;
  std::map<std::string, FileState> files_;                              // By normalized path.
  std::map<std::string, std::map<std::string, PendingEntry>> pending_;  // dir -> name -> entry.
  int dir_syncs_ = 0;
};

}  // namespace sessionstore::testing

#endif  // SESSIONSTORE_TESTS_ENGINE_POWER_LOSS_FILE_SYSTEM_H_
