// Copyright sessionstore authors.

#include "tests/engine/power_loss_file_system.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <utility>

namespace sessionstore::testing {

namespace {

namespace fs = std::filesystem;

std::string Normal(const std::string& path) {
  std::string p = fs::path(path).lexically_normal().string();
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

std::string DirOf(const std::string& normal) { return fs::path(normal).parent_path().string(); }
std::string NameOf(const std::string& normal) { return fs::path(normal).filename().string(); }

std::optional<std::string> ReadFile(const std::string& path, uint64_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string contents((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (contents.size() > limit) contents.resize(limit);
  return contents;
}

}  // namespace

class PowerLossFileSystem::TrackedFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  TrackedFile(std::unique_ptr<rocksdb::FSWritableFile> f, PowerLossFileSystem* fs, std::string path)
      : FSWritableFileOwnerWrapper(std::move(f)), fs_(fs), path_(std::move(path)) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           rocksdb::IODebugContext* d) override {
    std::lock_guard<std::mutex> l(fs_->mu_);
    rocksdb::IOStatus s = FSWritableFileOwnerWrapper::Append(data, o, d);
    if (s.ok()) fs_->files_[path_].written += data.size();
    return s;
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           const rocksdb::DataVerificationInfo& v,
                           rocksdb::IODebugContext* d) override {
    std::lock_guard<std::mutex> l(fs_->mu_);
    rocksdb::IOStatus s = FSWritableFileOwnerWrapper::Append(data, o, v, d);
    if (s.ok()) fs_->files_[path_].written += data.size();
    return s;
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& o,
                                     rocksdb::IODebugContext* d) override {
    std::lock_guard<std::mutex> l(fs_->mu_);
    rocksdb::IOStatus s = FSWritableFileOwnerWrapper::PositionedAppend(data, offset, o, d);
    if (s.ok()) Grow(offset + data.size());
    return s;
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& o,
                                     const rocksdb::DataVerificationInfo& v,
                                     rocksdb::IODebugContext* d) override {
    std::lock_guard<std::mutex> l(fs_->mu_);
    rocksdb::IOStatus s = FSWritableFileOwnerWrapper::PositionedAppend(data, offset, o, v, d);
    if (s.ok()) Grow(offset + data.size());
    return s;
  }
  rocksdb::IOStatus Truncate(uint64_t size, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* d) override {
    std::lock_guard<std::mutex> l(fs_->mu_);
    rocksdb::IOStatus s = FSWritableFileOwnerWrapper::Truncate(size, o, d);
    if (s.ok()) {
      FileState& st = fs_->files_[path_];
      st.written = size;
      st.synced = std::min(st.synced, size);
    }
    return s;
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    std::lock_guard<std::mutex> l(fs_->mu_);
    rocksdb::IOStatus s = FSWritableFileOwnerWrapper::Sync(o, d);
    if (s.ok()) MarkSynced();
    return s;
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    std::lock_guard<std::mutex> l(fs_->mu_);
    rocksdb::IOStatus s = FSWritableFileOwnerWrapper::Fsync(o, d);
    if (s.ok()) MarkSynced();
    return s;
  }

 private:
  // REQUIRES: fs_->mu_ held.
  void Grow(uint64_t end) {
    FileState& st = fs_->files_[path_];
    st.written = std::max(st.written, end);
  }
  void MarkSynced() {
    FileState& st = fs_->files_[path_];
    st.synced = st.written;
  }

  PowerLossFileSystem* const fs_;
  const std::string path_;
};

class PowerLossFileSystem::TrackedDirectory : public rocksdb::FSDirectoryWrapper {
 public:
  TrackedDirectory(std::unique_ptr<rocksdb::FSDirectory> d, PowerLossFileSystem* fs,
                   std::string path)
      : FSDirectoryWrapper(std::move(d)), fs_(fs), path_(std::move(path)) {}

  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    std::lock_guard<std::mutex> l(fs_->mu_);
    rocksdb::IOStatus s = FSDirectoryWrapper::Fsync(o, d);
    if (s.ok()) MarkSynced();
    return s;
  }
  rocksdb::IOStatus FsyncWithDirOptions(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d,
                                        const rocksdb::DirFsyncOptions& opts) override {
    std::lock_guard<std::mutex> l(fs_->mu_);
    rocksdb::IOStatus s = FSDirectoryWrapper::FsyncWithDirOptions(o, d, opts);
    if (s.ok()) MarkSynced();
    return s;
  }

 private:
  void MarkSynced() {  // REQUIRES: fs_->mu_ held.
    fs_->pending_.erase(path_);
    ++fs_->dir_syncs_;
  }

  PowerLossFileSystem* const fs_;
  const std::string path_;
};

rocksdb::IOStatus PowerLossFileSystem::Track(const std::string& name, bool created, uint64_t size,
                                             std::unique_ptr<rocksdb::FSWritableFile>* result) {
  const std::string p = Normal(name);
  files_[p] = FileState{size, size};
  if (created) pending_[DirOf(p)].try_emplace(NameOf(p), PendingEntry{});
  *result = std::make_unique<TrackedFile>(std::move(*result), this, p);
  return rocksdb::IOStatus::OK();
}

rocksdb::IOStatus PowerLossFileSystem::NewWritableFile(
    const std::string& name, const rocksdb::FileOptions& o,
    std::unique_ptr<rocksdb::FSWritableFile>* result, rocksdb::IODebugContext* d) {
  std::lock_guard<std::mutex> l(mu_);
  std::error_code ec;
  const bool existed = fs::exists(name, ec);
  rocksdb::IOStatus s = FileSystemWrapper::NewWritableFile(name, o, result, d);
  // An existing file is truncated: its entry stays durable, its contents not.
  return s.ok() ? Track(name, !existed, 0, result) : s;
}

rocksdb::IOStatus PowerLossFileSystem::ReopenWritableFile(
    const std::string& name, const rocksdb::FileOptions& o,
    std::unique_ptr<rocksdb::FSWritableFile>* result, rocksdb::IODebugContext* d) {
  std::lock_guard<std::mutex> l(mu_);
  std::error_code ec;
  const bool existed = fs::exists(name, ec);
  const uint64_t size = existed ? fs::file_size(name, ec) : 0;
  const auto known = files_.find(Normal(name));
  const FileState before = known != files_.end() ? known->second : FileState{size, size};
  rocksdb::IOStatus s = FileSystemWrapper::ReopenWritableFile(name, o, result, d);
  if (!s.ok()) return s;
  s = Track(name, !existed, size, result);
  files_[Normal(name)].synced = std::min(before.synced, size);
  return s;
}

rocksdb::IOStatus PowerLossFileSystem::ReuseWritableFile(
    const std::string& /*name*/, const std::string& /*old_name*/, const rocksdb::FileOptions& /*o*/,
    std::unique_ptr<rocksdb::FSWritableFile>* /*result*/, rocksdb::IODebugContext* /*d*/) {
  // Only log recycling reuses files; the store never enables it.
  return rocksdb::IOStatus::NotSupported("PowerLossFileSystem: no log recycling");
}

rocksdb::IOStatus PowerLossFileSystem::NewDirectory(const std::string& name,
                                                    const rocksdb::IOOptions& o,
                                                    std::unique_ptr<rocksdb::FSDirectory>* result,
                                                    rocksdb::IODebugContext* d) {
  rocksdb::IOStatus s = FileSystemWrapper::NewDirectory(name, o, result, d);
  if (s.ok()) *result = std::make_unique<TrackedDirectory>(std::move(*result), this, Normal(name));
  return s;
}

rocksdb::IOStatus PowerLossFileSystem::RenameFile(const std::string& src, const std::string& target,
                                                  const rocksdb::IOOptions& o,
                                                  rocksdb::IODebugContext* d) {
  std::lock_guard<std::mutex> l(mu_);
  const std::string s_path = Normal(src), t_path = Normal(target);
  // What a power loss leaves under the target's name until its directory
  // is synced: whatever it would have left before the rename.
  const std::optional<std::string> previous = DurableContents(t_path);
  rocksdb::IOStatus s = FileSystemWrapper::RenameFile(src, target, o, d);
  if (!s.ok()) return s;
  files_.erase(t_path);
  if (auto it = files_.find(s_path); it != files_.end()) {
    files_[t_path] = it->second;
    files_.erase(it);
  }
  pending_[DirOf(s_path)].erase(NameOf(s_path));
  pending_[DirOf(t_path)][NameOf(t_path)] = PendingEntry{previous};
  return s;
}

rocksdb::IOStatus PowerLossFileSystem::DeleteFile(const std::string& name,
                                                  const rocksdb::IOOptions& o,
                                                  rocksdb::IODebugContext* d) {
  std::lock_guard<std::mutex> l(mu_);
  rocksdb::IOStatus s = FileSystemWrapper::DeleteFile(name, o, d);
  if (s.ok()) {
    const std::string p = Normal(name);
    files_.erase(p);
    pending_[DirOf(p)].erase(NameOf(p));
  }
  return s;
}

std::optional<std::string> PowerLossFileSystem::DurableContents(const std::string& path) {
  const auto dir = pending_.find(DirOf(path));
  if (dir != pending_.end()) {
    const auto entry = dir->second.find(NameOf(path));
    if (entry != dir->second.end()) return entry->second.previous;
  }
  const auto it = files_.find(path);
  return ReadFile(path, it == files_.end() ? UINT64_MAX : it->second.synced);
}

bool PowerLossFileSystem::TakeDurableImage(const std::string& dir, const std::string& image_dir,
                                           const std::function<void()>& at_instant) {
  std::lock_guard<std::mutex> l(mu_);
  at_instant();
  std::error_code ec;
  fs::create_directories(image_dir, ec);
  if (ec) return false;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    const std::optional<std::string> contents = DurableContents(Normal(entry.path().string()));
    if (!contents) continue;
    std::ofstream out(fs::path(image_dir) / entry.path().filename(), std::ios::binary);
    out.write(contents->data(), static_cast<std::streamsize>(contents->size()));
    if (!out) return false;
  }
  return !ec;
}

int PowerLossFileSystem::files_tracked() const {
  std::lock_guard<std::mutex> l(mu_);
  return static_cast<int>(files_.size());
}

int PowerLossFileSystem::dir_syncs() const {
  std::lock_guard<std::mutex> l(mu_);
  return dir_syncs_;
}

}  // namespace sessionstore::testing
